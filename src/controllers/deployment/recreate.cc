// Recreate: Kubernetes' recreate.go (rolloutRecreate). The arithmetic is rollout_math's.
#include <set>

#include "api/object.h"
#include "controllers/deployment/pass.h"

namespace sluice::controllers {

namespace dm = deployment;

namespace {

// Whether a pod controlled by one of `replicaSets` has not finished (Succeeded or Failed),
// Terminating ones included.
bool anyPodRunning(const client::Informer& pods, const std::string& ns,
                   const std::vector<client::ObjectPtr>& replicaSets) {
  std::set<std::string> uids;
  for (const auto& rs : replicaSets) uids.insert(api::uidOf(*rs));
  for (const auto& pod : pods.listNamespace(ns)) {
    auto* ref = controllerRef(*pod);
    if (!ref || !uids.count(api::getString(*ref, "uid"))) continue;
    auto phase = api::getString(*pod, "status.phase");
    if (phase != "Succeeded" && phase != "Failed") return true;
  }
  return false;
}

}  // namespace

DeploymentController::Step DeploymentController::rolloutRecreate(Pass& p) {
  if (!mayStep(p.key)) return false;
  // Terminating pods no longer count in a ReplicaSet's status but still run until their node
  // removes them: wait for those too (Kubernetes' oldPodsRunning). The pod informer's delete
  // events bring the Deployment back when they go.
  const bool oldRunning =
      dm::oldReplicaSetsHavePods(p.group) || anyPodRunning(pods_, p.ns, p.oldReplicaSets);
  const dm::RecreateStep step = dm::recreateStep(p.state, p.group, oldRunning);
  Step changed = step.createNewReplicaSet && !p.newReplicaSet
                     ? createNewReplicaSet(p, p.state.replicas)
                     : applyScaleChanges(p, step.changes);
  if (changed.ok() && *changed) stepTaken(p.key, /*continues=*/false);
  return changed;
}

}  // namespace sluice::controllers
