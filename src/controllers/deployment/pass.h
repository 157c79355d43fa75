// Internal to the Deployment controller: what one sync pass knows about a Deployment, read from
// the caches at its start, and the conversions from API objects to rollout_math's inputs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controllers/deployment/deployment_controller.h"
#include "controllers/deployment/rollout_math.h"

namespace sluice::controllers {

struct DeploymentController::Pass {
  std::string key;
  std::string ns;
  std::string name;
  client::ObjectPtr deployment;
  json::value selector;     // spec.selector
  json::value podTemplate;  // spec.template
  json::value comparable;   // comparableTemplate(podTemplate)
  deployment::DeploymentState state;
  // The ReplicaSets this Deployment controls: the one whose template is the Deployment's (null
  // until it exists) and the others. `group` holds the same as rollout_math sees them, and is
  // kept up to date when the pass creates or takes the new one.
  client::ObjectPtr newReplicaSet;
  std::vector<client::ObjectPtr> oldReplicaSets;
  deployment::ReplicaSetGroup group;
  // ReplicaSets without a controller that the selector matches: adopted before anything else.
  std::vector<client::ObjectPtr> orphans;
};

namespace deployment {

const api::ResourceType& deploymentType();
const api::ResourceType& replicaSetType();
const api::ResourceType& podType();

// The value of annotation `key` on `object`, "" when absent.
std::string annotationOf(const json::value& object, std::string_view key);
DeploymentState deploymentState(const json::value& deployment);
ReplicaSetState replicaSetState(const json::value& replicaSet);
// A pod template in the form templates are compared in, as Kubernetes compares typed objects
// (apiequality.Semantic.DeepEqual): a null, an empty object and an empty list equal an absent
// field (such as the `resources: {}` kubectl sends on `rollout undo`).
json::value comparableTemplate(json::value podTemplate);
// The same for a ReplicaSet's template, without its pod-template-hash label.
json::value comparableTemplateOf(const json::value& replicaSet);

}  // namespace deployment
}  // namespace sluice::controllers
