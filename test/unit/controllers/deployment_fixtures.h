// Shared by the Deployment controller tests, threaded and simulated: a Deployment "web" in the
// default namespace, and what a test reads and changes about it and its ReplicaSets.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "controllers/deployment/rollout_math.h"
#include "fake_cluster.h"

namespace sluice::controllers::fakes {

inline const std::string kRevision(deployment::kRevisionAnnotation);
inline const std::string kHashLabel(deployment::kPodTemplateHashLabel);

inline json::value containers(const std::string& image) {
  return json::array{json::object{{"name", "app"}, {"image", image}}};
}

inline json::object deploymentSpec(int64_t replicas, const std::string& image) {
  return json::object{
      {"replicas", replicas},
      {"selector", json::object{{"matchLabels", json::object{{"app", "web"}}}}},
      {"template",
       json::object{{"metadata", json::object{{"labels", json::object{{"app", "web"}}}}},
                    {"spec", json::object{{"containers", containers(image)}}}}}};
}

inline json::value deploymentOf(json::object spec) {
  return json::object{{"apiVersion", "apps/v1"},
                      {"kind", "Deployment"},
                      {"metadata", json::object{{"name", "web"}}},
                      {"spec", std::move(spec)}};
}

inline std::string annotation(const json::value& o, const std::string& key) {
  if (auto* a = api::find(o, "metadata.annotations"); a && a->is_object())
    if (auto* v = a->as_object().if_contains(key); v && v->is_string())
      return std::string(v->as_string());
  return "";
}

inline const json::value* condition(const json::value& d, const std::string& type) {
  if (auto* conds = api::find(d, "status.conditions"); conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (api::getString(c, "type") == type) return &c;
  return nullptr;
}

inline std::string conditionReason(const json::value& d, const std::string& type) {
  auto* c = condition(d, type);
  return c ? api::getString(*c, "reason") : "";
}

// Reads and changes the Deployment "web" of a test's cluster. A test fixture derives from it
// and says which cluster.
class DeploymentChecks {
 protected:
  virtual ~DeploymentChecks() = default;
  virtual FakeCluster& cluster() = 0;

  json::value deployment() { return cluster().get(deploymentType(), "web"); }
  // Every ReplicaSet, oldest revision first.
  std::vector<json::value> replicaSets() {
    auto all = cluster().list(replicaSetType());
    std::sort(all.begin(), all.end(), [](const json::value& a, const json::value& b) {
      return std::stoll("0" + annotation(a, kRevision)) <
             std::stoll("0" + annotation(b, kRevision));
    });
    return all;
  }
  // The ReplicaSet whose template runs `image`, or null.
  json::value replicaSetFor(const std::string& image) {
    for (auto& rs : replicaSets())
      if (imageOf(*api::find(rs, "spec.template")) == image) return rs;
    return json::value();
  }
  // Its spec.replicas; -1 while it does not exist.
  int64_t specReplicas(const std::string& image) {
    return api::getInt(replicaSetFor(image), "spec.replicas", -1);
  }
  std::set<std::string> podImages() {
    std::set<std::string> images;
    for (const auto& p : cluster().activePods()) images.insert(imageOf(p));
    return images;
  }
  void patchSpec(json::object spec) {
    cluster().mergePatch(deploymentType(), "web", json::object{{"spec", std::move(spec)}});
  }
  void setImage(const std::string& image) {
    patchSpec(json::object{
        {"template", json::object{{"spec", json::object{{"containers", containers(image)}}}}}});
  }
  // The rollout of the current generation is complete with `replicas` pods: every ReplicaSet but
  // the one running `image` is at 0, and the status says so.
  bool rolledOut(const std::string& image, int64_t replicas) {
    auto d = deployment();
    if (api::getInt(d, "status.observedGeneration") != api::getInt(d, "metadata.generation") ||
        api::getInt(d, "status.replicas") != replicas ||
        api::getInt(d, "status.updatedReplicas") != replicas ||
        api::getInt(d, "status.availableReplicas") != replicas ||
        conditionReason(d, "Progressing") != "NewReplicaSetAvailable")
      return false;
    for (const auto& rs : replicaSets()) {
      bool current = imageOf(*api::find(rs, "spec.template")) == image;
      if (api::getInt(rs, "spec.replicas") != (current ? replicas : 0)) return false;
    }
    return cluster().activePods().size() == static_cast<size_t>(replicas) &&
           podImages() == std::set<std::string>{image};
  }
  std::string describe() {
    std::string out = "deployment: " + json::serialize(deployment()) + "\n";
    for (const auto& rs : replicaSets()) {
      out += "replicaset " + api::nameOf(rs) + " rev " + annotation(rs, kRevision) + " image " +
             imageOf(*api::find(rs, "spec.template")) + " spec " +
             std::to_string(api::getInt(rs, "spec.replicas")) + " status " +
             (api::find(rs, "status") ? json::serialize(*api::find(rs, "status")) : "{}") + "\n";
    }
    return out;
  }
};

}  // namespace sluice::controllers::fakes
