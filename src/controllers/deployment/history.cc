// Revisions and history: Kubernetes' sync.go (revision syncing in getNewReplicaSet,
// cleanupDeployment). A rollback is an old template written back by `rollout undo`; its part
// here is to give the ReplicaSet that is new again the next revision.
#include <algorithm>

#include "api/object.h"
#include "controllers/deployment/pass.h"

namespace sluice::controllers {

namespace dm = deployment;

DeploymentController::Step DeploymentController::syncRevision(Pass& p) {
  if (!p.newReplicaSet) return false;
  const json::value& d = *p.deployment;
  // The new ReplicaSet carries the highest revision. Worked: revisions 1 (nginx:1) and 2
  // (nginx:2); `rollout undo` makes the first new again, and it becomes revision 3.
  const int64_t maxOld = dm::maxRevision(p.group.oldRSs);
  const int64_t revision = p.group.newRS->revision;
  if (revision <= maxOld || revision == 0) {
    json::object annotations{{std::string(dm::kRevisionAnnotation), std::to_string(maxOld + 1)}};
    if (auto cause = dm::annotationOf(d, "kubernetes.io/change-cause"); !cause.empty())
      annotations["kubernetes.io/change-cause"] = cause;
    auto r = client_.patch(dm::replicaSetType(), p.ns, api::nameOf(*p.newReplicaSet),
                           api::PatchType::Merge,
                           json::object{{"metadata", json::object{{"annotations", annotations}}}});
    if (!r) return r.error();
    return true;
  }
  // ...and the Deployment the same.
  if (dm::annotationOf(d, dm::kRevisionAnnotation) == std::to_string(revision)) return false;
  auto r = client_.patch(
      dm::deploymentType(), p.ns, p.name, api::PatchType::Merge,
      json::object{{"metadata",
                    json::object{{"annotations", json::object{{std::string(dm::kRevisionAnnotation),
                                                               std::to_string(revision)}}}}}});
  if (!r) return r.error();
  return true;
}

DeploymentController::Step DeploymentController::cleanupHistory(Pass& p) {
  // Only once the rollout is complete, so that an old ReplicaSet still draining stays.
  if (api::getBool(*p.deployment, "spec.paused") || !p.newReplicaSet ||
      !dm::deploymentComplete(p.state, dm::calculateStatus(p.state, p.group)))
    return false;
  // Old ReplicaSets scaled to zero beyond revisionHistoryLimit go, oldest revision first.
  // Worked: limit 1, idle revisions 1 and 2, current 3 → revision 1 goes.
  const int64_t limit = api::getInt(*p.deployment, "spec.revisionHistoryLimit", 10);
  std::vector<dm::ReplicaSetState> idle;
  for (const auto& rs : p.group.oldRSs)
    if (rs.replicas == 0 && rs.statusReplicas == 0) idle.push_back(rs);
  if (static_cast<int64_t>(idle.size()) <= limit) return false;
  std::stable_sort(idle.begin(), idle.end(),
                   [](const dm::ReplicaSetState& a, const dm::ReplicaSetState& b) {
                     return a.revision < b.revision;
                   });
  for (size_t i = 0; static_cast<int64_t>(idle.size() - i) > limit; ++i) {
    auto r = client_.remove(dm::replicaSetType(), p.ns, idle[i].name, {});
    if (!r && !r.error().isNotFound()) return r.error();
  }
  return true;
}

}  // namespace sluice::controllers
