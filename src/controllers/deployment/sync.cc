// The dispatcher (sync), reading a Deployment's ReplicaSets, scaling events and the status:
// Kubernetes' deployment_controller.go syncDeployment and sync.go.
#include <tuple>

#include "api/object.h"
#include "api/selector.h"
#include "controllers/deployment/pass.h"
#include "controllers/deployment/progress.h"

namespace sluice::controllers {

namespace dm = deployment;

namespace {

std::optional<dm::Condition> conditionOf(const json::value& d, const std::string& type) {
  if (auto* conds = api::find(d, "status.conditions"); conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (api::getString(c, "type") == type)
        return dm::Condition{type,
                             api::getString(c, "status"),
                             api::getString(c, "reason"),
                             api::getString(c, "message"),
                             api::getString(c, "lastUpdateTime"),
                             api::getString(c, "lastTransitionTime")};
  return std::nullopt;
}

// Fields in Kubernetes' order; an empty one is left out (a condition read back as it was written).
json::object toJson(const dm::Condition& c) {
  json::object out;
  auto set = [&out](const char* field, const std::string& value) {
    if (!value.empty()) out[field] = value;
  };
  set("type", c.type);
  set("status", c.status);
  set("lastUpdateTime", c.lastUpdateTime);
  set("lastTransitionTime", c.lastTransitionTime);
  set("reason", c.reason);
  set("message", c.message);
  return out;
}

dm::DeploymentStatusCounts statusCounts(const json::value& d) {
  dm::DeploymentStatusCounts s;
  s.replicas = static_cast<int32_t>(api::getInt(d, "status.replicas"));
  s.updatedReplicas = static_cast<int32_t>(api::getInt(d, "status.updatedReplicas"));
  s.readyReplicas = static_cast<int32_t>(api::getInt(d, "status.readyReplicas"));
  s.availableReplicas = static_cast<int32_t>(api::getInt(d, "status.availableReplicas"));
  s.unavailableReplicas = static_cast<int32_t>(api::getInt(d, "status.unavailableReplicas"));
  s.observedGeneration = api::getInt(d, "status.observedGeneration");
  return s;
}

}  // namespace

api::Status DeploymentController::sync(const std::string& key) {
  auto d = deployments_.get(key);
  if (!d) {
    forget(key);
    return {};
  }
  // Being deleted: the garbage collector removes its ReplicaSets; nothing is rolled out.
  if (api::find(*d, "metadata.deletionTimestamp")) return {};
  auto pass = loadPass(key, std::move(d));
  if (!pass) return pass.error();
  // The steps in priority order; the first that changes something ends the pass.
  for (auto step : {&DeploymentController::adoptOrphans, &DeploymentController::scaleOrRollOut,
                    &DeploymentController::syncRevision, &DeploymentController::cleanupHistory}) {
    Step changed = (this->*step)(*pass);
    if (!changed) return changed.error();
    if (*changed) return {};
  }
  // Nothing else to change: the status describes what this pass saw.
  return writeStatus(*pass);
}

api::Result<DeploymentController::Pass> DeploymentController::loadPass(const std::string& key,
                                                                       client::ObjectPtr d) {
  Pass p;
  p.key = key;
  std::tie(p.ns, p.name) = splitKey(key);
  p.deployment = std::move(d);
  const json::value& deployment = *p.deployment;
  if (auto* sel = api::find(deployment, "spec.selector")) p.selector = *sel;
  auto selector = api::LabelSelector::fromJson(p.selector);
  if (!selector) return selector.error();
  if (auto* t = api::find(deployment, "spec.template")) p.podTemplate = *t;
  if (p.podTemplate.is_null()) p.podTemplate = json::object{};
  p.comparable = dm::comparableTemplate(p.podTemplate);
  p.state = dm::deploymentState(deployment);

  const std::string uid = api::uidOf(deployment);
  for (const auto& rs : replicaSets_.listNamespace(p.ns)) {
    auto* ref = controllerRef(*rs);
    if (ref && api::getString(*ref, "uid") == uid) {
      // The first whose template is the Deployment's is the new one.
      if (!p.newReplicaSet && dm::comparableTemplateOf(*rs) == p.comparable)
        p.newReplicaSet = rs;
      else
        p.oldReplicaSets.push_back(rs);
    } else if (!ref && !selector->empty() &&
               selector->matches(api::labelsFrom(api::find(*rs, "metadata.labels"))) &&
               !api::find(*rs, "metadata.deletionTimestamp")) {
      p.orphans.push_back(rs);
    }
  }
  if (p.newReplicaSet) p.group.newRS = dm::replicaSetState(*p.newReplicaSet);
  for (const auto& rs : p.oldReplicaSets) p.group.oldRSs.push_back(dm::replicaSetState(*rs));
  return p;
}

DeploymentController::Step DeploymentController::adoptOrphans(Pass& p) {
  if (p.orphans.empty()) return false;
  const json::object patch{
      {"metadata",
       json::object{{"ownerReferences", json::array{makeControllerRef(*p.deployment)}}}}};
  for (const auto& rs : p.orphans) {
    auto adopted =
        client_.patch(dm::replicaSetType(), p.ns, api::nameOf(*rs), api::PatchType::Merge, patch);
    // One that is gone already needs no adopting.
    if (!adopted && !adopted.error().isNotFound()) return adopted.error();
  }
  return true;
}

DeploymentController::Step DeploymentController::scaleOrRollOut(Pass& p) {
  // Paused: a resize still reaches the ReplicaSets, the rollout waits for `rollout resume`.
  if (api::getBool(*p.deployment, "spec.paused")) return scale(p);
  // (No rollback step: apps/v1 has no spec.rollbackTo; see the header.)
  // Resized since the ReplicaSets were last scaled: spread the new size before rolling on.
  if (p.newReplicaSet && dm::isScalingEvent(p.state, p.group)) return scale(p);
  return p.state.strategy == dm::Strategy::Recreate ? rolloutRecreate(p) : rolloutRolling(p);
}

DeploymentController::Step DeploymentController::scale(Pass& p) {
  if (!dm::isScalingEvent(p.state, p.group)) return false;
  return applyScaleChanges(p, dm::scaleReplicaSets(p.state, p.group));
}

DeploymentController::Step DeploymentController::applyScaleChanges(
    Pass& p, const std::vector<dm::ScaleChange>& changes) {
  if (changes.empty()) return false;
  const auto annotations = dm::replicasAnnotations(p.state);
  const json::object annotationPatch{
      {std::string(dm::kDesiredReplicasAnnotation), std::to_string(annotations.desired)},
      {std::string(dm::kMaxReplicasAnnotation), std::to_string(annotations.max)}};
  bool resized = false;
  for (const auto& c : changes) {
    json::object patch{{"metadata", json::object{{"annotations", annotationPatch}}},
                       {"spec", json::object{{"replicas", c.newReplicas}}}};
    auto r = client_.patch(dm::replicaSetType(), p.ns, c.name, api::PatchType::Merge, patch);
    if (!r) return r.error();
    if (c.newReplicas == c.oldReplicas) continue;  // annotations only
    resized = true;
    events_.record(*p.deployment, "Normal", "ScalingReplicaSet",
                   std::string(c.newReplicas > c.oldReplicas ? "Scaled up" : "Scaled down") +
                       " replica set " + c.name + " from " + std::to_string(c.oldReplicas) +
                       " to " + std::to_string(c.newReplicas));
  }
  noteProgress(p.key, /*created=*/false, resized);
  return true;
}

DeploymentController::Step DeploymentController::createNewReplicaSet(Pass& p, int32_t replicas) {
  const json::value& d = *p.deployment;
  const int64_t collision = api::getInt(d, "status.collisionCount");
  const std::string hash =
      dm::podTemplateHash(api::canonicalJson(p.podTemplate), static_cast<int32_t>(collision));
  json::value podTemplate = p.podTemplate;
  api::ensureObject(podTemplate, "metadata.labels")[dm::kPodTemplateHashLabel] = hash;
  json::value selector = p.selector.is_null() ? json::value(json::object{}) : p.selector;
  api::ensureObject(selector, "matchLabels")[dm::kPodTemplateHashLabel] = hash;
  const json::value* templateLabels = api::find(p.podTemplate, "metadata.labels");
  json::object labels =
      templateLabels && templateLabels->is_object() ? templateLabels->as_object() : json::object{};
  labels[dm::kPodTemplateHashLabel] = hash;
  const auto replicasAnnotations = dm::replicasAnnotations(p.state);
  json::object annotations{
      {std::string(dm::kRevisionAnnotation), std::to_string(dm::nextRevision(p.group))},
      {std::string(dm::kDesiredReplicasAnnotation), std::to_string(replicasAnnotations.desired)},
      {std::string(dm::kMaxReplicasAnnotation), std::to_string(replicasAnnotations.max)}};
  if (auto cause = dm::annotationOf(d, "kubernetes.io/change-cause"); !cause.empty())
    annotations["kubernetes.io/change-cause"] = cause;
  const std::string rsName = p.name + "-" + hash;
  json::object rs{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", json::object{{"name", rsName},
                                {"namespace", p.ns},
                                {"labels", labels},
                                {"annotations", annotations},
                                {"ownerReferences", json::array{makeControllerRef(d)}}}},
      {"spec", json::object{{"replicas", replicas},
                            {"minReadySeconds", api::getInt(d, "spec.minReadySeconds")},
                            {"selector", selector},
                            {"template", podTemplate}}}};
  auto created = client_.create(dm::replicaSetType(), p.ns, rs);
  if (!created) {
    if (!created.error().isAlreadyExists()) return created.error();
    // Our own new ReplicaSet, created by an earlier pass and not in the cache yet, is no
    // collision: take it, as Kubernetes does.
    auto existing = client_.get(dm::replicaSetType(), p.ns, rsName);
    if (existing && isControlledBy(*existing, api::uidOf(d)) &&
        dm::comparableTemplateOf(*existing) == p.comparable) {
      p.newReplicaSet = std::make_shared<const json::value>(std::move(*existing));
      p.group.newRS = dm::replicaSetState(*p.newReplicaSet);
      return false;
    }
    if (!existing && !existing.error().isNotFound()) return existing.error();
    // A hash collision with a ReplicaSet of another template: count it so the next hash
    // differs, as Kubernetes does, and fail this pass so that it is tried again.
    log_->info("deployment {}: ReplicaSet {} has another template; collisionCount becomes {}",
               p.key, rsName, collision + 1);
    json::value next = d;
    api::ensureObject(next, "status")["collisionCount"] = collision + 1;
    if (auto r = client_.update(dm::deploymentType(), p.ns, p.name, next, "status"); !r)
      return r.error();
    return created.error();
  }
  events_.record(d, "Normal", "ScalingReplicaSet",
                 "Scaled up replica set " + rsName + " from 0 to " + std::to_string(replicas));
  noteProgress(p.key, /*created=*/true, /*scaled=*/false);
  p.newReplicaSet = std::make_shared<const json::value>(std::move(*created));
  p.group.newRS = dm::replicaSetState(*p.newReplicaSet);
  return true;
}

api::Status DeploymentController::writeStatus(Pass& p) {
  const json::value& d = *p.deployment;
  dm::ProgressInput in;
  in.deployment = p.state;
  in.group = p.group;
  in.paused = api::getBool(d, "spec.paused");
  in.progressDeadlineSeconds = api::getInt(d, "spec.progressDeadlineSeconds", 600);
  in.previous = statusCounts(d);
  in.previousAvailable = conditionOf(d, "Available");
  in.previousProgressing = conditionOf(d, "Progressing");
  const Progress since = progressSinceStatus(p.key);
  in.createdNewReplicaSet = since.createdNewReplicaSet;
  in.scaledReplicaSets = since.scaledReplicaSets;
  const dm::ProgressStatus out = dm::computeProgress(in, clock_.now());

  json::object status{{"observedGeneration", out.counts.observedGeneration},
                      {"replicas", out.counts.replicas},
                      {"updatedReplicas", out.counts.updatedReplicas},
                      {"readyReplicas", out.counts.readyReplicas},
                      {"availableReplicas", out.counts.availableReplicas},
                      {"unavailableReplicas", out.counts.unavailableReplicas},
                      {"conditions", json::array{toJson(out.available), toJson(out.progressing)}}};
  if (auto c = api::getInt(d, "status.collisionCount"); c > 0) status["collisionCount"] = c;
  // Zero counts are omitted, as Kubernetes' omitempty does.
  for (const char* count :
       {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"})
    if (status[count] == 0) status.erase(count);
  auto* current = api::find(d, "status");
  if (!current || json::value(status) != *current) {
    // The status subresource replaces the whole status: write it over the latest object.
    auto fresh = client_.get(dm::deploymentType(), p.ns, p.name, "");
    if (!fresh) return api::ignoreNotFound(fresh);  // deleted: its event forgets it
    json::value next = std::move(*fresh);
    next.as_object()["status"] = std::move(status);
    auto r = client_.update(dm::deploymentType(), p.ns, p.name, next, "status");
    if (!r) return api::ignoreNotFound(r);
  }
  statusWritten(p.key);
  if (out.recheckAfter) queue_.addAfter(p.key, *out.recheckAfter);
  return {};
}

}  // namespace sluice::controllers
