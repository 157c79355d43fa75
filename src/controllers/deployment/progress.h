// The status a Deployment reports: the replica counts and the Available and Progressing
// conditions, from what the controller knows and the time. Pure: no I/O, no JSON, no clock (the
// caller passes `now`). Behaviour follows Kubernetes' progress.go and sync.go
// (syncRolloutStatus, calculateStatus); where it differs, the comment says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "controllers/deployment/rollout_math.h"

namespace sluice::controllers::deployment {

// One entry of status.conditions. Times are the RFC 3339 text stored in the object ("" when
// absent), so a condition that does not change is written back exactly as it was read.
struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::string lastUpdateTime;
  std::string lastTransitionTime;
  bool operator==(const Condition&) const = default;
};

// What the status depends on.
struct ProgressInput {
  DeploymentState deployment;
  ReplicaSetGroup group;  // the counts are summed from here
  bool paused = false;    // spec.paused
  int64_t progressDeadlineSeconds = 600;
  // The status as last written: its counts and its two conditions.
  DeploymentStatusCounts previous;
  std::optional<Condition> previousAvailable;
  std::optional<Condition> previousProgressing;
  // What the controller changed since that status was written. Kubernetes writes the status in
  // the pass that made the change; this controller writes it in the next pass that changes
  // nothing else, and carries these over.
  bool createdNewReplicaSet = false;
  bool scaledReplicaSets = false;  // some ReplicaSet's spec.replicas changed
};

struct ProgressStatus {
  DeploymentStatusCounts counts;
  Condition available;
  Condition progressing;
  // When to compute the status again though nothing else happens: just after the progress
  // deadline would pass.
  std::optional<std::chrono::milliseconds> recheckAfter;
};

// A condition of `type` with the given status, reason and message, written at `now`. As
// Kubernetes' SetDeploymentCondition: lastTransitionTime stays `previous`'s while the status
// does not change; lastUpdateTime stays `previous`'s while nothing but the time changes.
Condition makeCondition(const std::string& type, const std::string& status,
                        const std::string& reason, const std::string& message,
                        const std::string& now, const std::optional<Condition>& previous);

// The status to write. Available is True once availableReplicas >= replicas - maxUnavailable
// (4 replicas, maxUnavailable 25% → at least 3). Progressing, the first rule that holds:
// - paused: Unknown/DeploymentPaused;
// - was DeploymentPaused, now resumed: Unknown/DeploymentResumed;
// - the rollout is complete (deploymentComplete): True/NewReplicaSetAvailable;
// - a new ReplicaSet was created: True/NewReplicaSetCreated;
// - progress (a scale, or deploymentProgressing between the previous counts and these), no
//   condition yet, or the previous one was DeploymentResumed or NewReplicaSetAvailable (a new
//   rollout starts): True/ReplicaSetUpdated with lastUpdateTime = now, the deadline counting from
//   there; recheck after progressDeadlineSeconds + 100 ms;
// - otherwise the previous condition stays, until lastUpdateTime + progressDeadlineSeconds has
//   passed: then False/ProgressDeadlineExceeded (kept from then on). Worked: last update at
//   10:00:00, deadline 600 s, now 10:04:00 → unchanged, recheck in 360.1 s; now 10:10:00 →
//   exceeded.
ProgressStatus computeProgress(const ProgressInput& in, std::chrono::system_clock::time_point now);

}  // namespace sluice::controllers::deployment
