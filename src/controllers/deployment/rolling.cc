// RollingUpdate: Kubernetes' rolling.go (rolloutRolling). The arithmetic is rollout_math's.
#include "controllers/deployment/pass.h"

namespace sluice::controllers {

namespace dm = deployment;

DeploymentController::Step DeploymentController::rolloutRolling(Pass& p) {
  if (!mayStep(p.key)) return false;
  // As rolloutRolling, a new ReplicaSet is created at its first size (what the surge allows);
  // the same step then grows it further or, failing that, shrinks the old ones. Here that is
  // the next pass, which the pacer lets through at once. Worked: 4 replicas, maxSurge 1,
  // maxUnavailable 1 → create the new one at 1, then scale the old one from 4 to 3.
  if (!p.newReplicaSet) {
    Step created = createNewReplicaSet(p, dm::newRSNewReplicas(p.state, p.group));
    if (!created) return created;
    if (*created) {
      stepTaken(p.key, /*continues=*/true);
      return true;
    }
    // Else it existed already (created by an earlier pass): roll on with it.
  }
  Step scaled = applyScaleChanges(p, dm::rollingUpdateStep(p.state, p.group));
  if (scaled.ok() && *scaled) stepTaken(p.key, /*continues=*/false);
  return scaled;
}

}  // namespace sluice::controllers
