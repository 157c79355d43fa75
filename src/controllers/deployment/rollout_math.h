// Replica arithmetic of the Deployment controller: how many pods each ReplicaSet of a Deployment
// should have after the next step of a rollout or a scaling event, and the status numbers that
// follow from the ReplicaSets. Pure: no I/O, no JSON, no clock. The controller turns API objects
// into the plain structs below, calls these functions, and writes back what they return.
//
// Behaviour follows Kubernetes' deployment controller (pkg/controller/deployment: rolling.go,
// recreate.go, sync.go and util/deployment_util.go). Where a function deliberately differs, its
// comment says so.
//
// Applying a ScaleChange: set the ReplicaSet's spec.replicas to `newReplicas` and, in the same
// update, its desired-replicas and max-replicas annotations to replicasAnnotations(d). Kubernetes
// refreshes both annotations on every ReplicaSet it scales, and proportional scaling relies on
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::controllers::deployment {

inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";

// ---------------------------------------------------------------------------------------------
// maxSurge / maxUnavailable

// An IntOrString from a rolling-update strategy: an absolute count or a percentage of the
// Deployment's desired replicas.
struct IntOrPercent {
  int32_t value = 0;
  bool isPercent = false;

  static IntOrPercent integer(int32_t v) { return {v, false}; }
  static IntOrPercent percent(int32_t v) { return {v, true}; }
  bool operator==(const IntOrPercent&) const = default;
};

// Outcome of parsing the string form of an IntOrString: `value` on success, else `error`.
struct ParsedIntOrPercent {
  std::optional<IntOrPercent> value;
  std::string error;
  bool ok() const { return value.has_value(); }
};

// Parses the string form ("25%"). As in Kubernetes (intstr.GetScaledValueFromIntOrPercent), a
// string must be a percentage: "1" is rejected as "string is not a percentage" (the JSON integer 1
// is IntOrPercent::integer(1) and needs no parsing). The number before '%' is read like Go's
// strconv.Atoi ("+5%" is 5%, "-5%" is -5%, " 5%" and "2.5%" are errors) and must fit in int32.
ParsedIntOrPercent parseIntOrPercent(std::string_view text);

// The absolute number for `v` against `total`: integers as they are; percentages scaled and
// rounded up or down. 25% of 10 is 3 rounded up, 2 rounded down.
int32_t scaledValue(IntOrPercent v, int32_t total, bool roundUp);

struct Fenceposts {
  int32_t maxSurge = 0;
  int32_t maxUnavailable = 0;
  bool operator==(const Fenceposts&) const = default;
};

// Resolves both limits against `desired` in one step: maxSurge rounds up, maxUnavailable rounds
// down, and if both come out 0 maxUnavailable becomes 1 so the rollout can still move (surge may
// be blocked by quota). 25%/25% gives 4 → {1, 1}, 10 → {3, 2}, 1 → {1, 0}; 1%/0% of 2 → {0, 1}.
Fenceposts resolveFenceposts(IntOrPercent maxSurge, IntOrPercent maxUnavailable, int32_t desired);

// ---------------------------------------------------------------------------------------------
// Inputs

enum class Strategy { RollingUpdate, Recreate };

// What the arithmetic needs from a Deployment.
struct DeploymentState {
  int32_t replicas = 1;  // spec.replicas
  Strategy strategy = Strategy::RollingUpdate;
  // spec.strategy.rollingUpdate; ignored for Recreate. An absent field counts as integer 0, as in
  // Kubernetes (the API server defaults both to 25% on create).
  IntOrPercent maxSurge = IntOrPercent::percent(25);
  IntOrPercent maxUnavailable = IntOrPercent::percent(25);
  // status.replicas as last written: the fallback denominator of proportional scaling for a
  // ReplicaSet without a max-replicas annotation.
  int32_t statusReplicas = 0;
  int64_t generation = 0;  // metadata.generation
};

// What the arithmetic needs from one ReplicaSet of the Deployment.
struct ReplicaSetState {
  std::string name;
  int64_t createdAt = 0;          // creationTimestamp in any fixed unit; only compared
  int32_t replicas = 0;           // spec.replicas
  int32_t statusReplicas = 0;     // status.replicas: pods that exist
  int32_t readyReplicas = 0;      // status.readyReplicas
  int32_t availableReplicas = 0;  // status.availableReplicas
  // The desired-replicas and max-replicas annotations, parsed with parseReplicasAnnotation;
  // nullopt when absent or unparsable.
  std::optional<int32_t> desiredAnnotation;
  std::optional<int32_t> maxReplicasAnnotation;
  // The revision annotation parsed with parseRevision; 0 when absent or unparsable.
  int64_t revision = 0;
};

// A Deployment's ReplicaSets: the one whose pod template matches the Deployment's (once it
// exists) and all the others, including those scaled to 0. Names are unique.
struct ReplicaSetGroup {
  std::optional<ReplicaSetState> newRS;
  std::vector<ReplicaSetState> oldRSs;
};

// A ReplicaSet to resize; see the file comment for how to apply it.
struct ScaleChange {
  std::string name;
  int32_t oldReplicas = 0;
  int32_t newReplicas = 0;
  bool operator==(const ScaleChange&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Limits of a Deployment

// Resolved maxSurge; 0 for Recreate.
int32_t maxSurge(const DeploymentState& d);
// Resolved maxUnavailable, at most d.replicas; 0 for Recreate or when d.replicas is 0.
// 3 replicas with maxUnavailable 5 → 3.
int32_t maxUnavailable(const DeploymentState& d);
// d.replicas - maxUnavailable(d); 0 for Recreate. 10 replicas, 25% → 10 - 2 = 8.
int32_t minAvailable(const DeploymentState& d);

// The annotation values every scaled ReplicaSet carries: desired = d.replicas and
// max = d.replicas + maxSurge(d). 10 replicas, maxSurge 3 → {10, 13}. A new ReplicaSet is
// created with them too.
struct ReplicasAnnotations {
  int32_t desired = 0;
  int32_t max = 0;
  bool operator==(const ReplicasAnnotations&) const = default;
};
ReplicasAnnotations replicasAnnotations(const DeploymentState& d);
// Whether rs's annotations differ from replicasAnnotations(d).
bool replicasAnnotationsNeedUpdate(const ReplicaSetState& rs, const DeploymentState& d);

// ---------------------------------------------------------------------------------------------
// Rolling update (rolling.go)

// The size the new ReplicaSet should have now, and the size to create it with when
// group.newRS is absent (it then counts as 0). Recreate: d.replicas. RollingUpdate: grow by
// what the surge budget allows without passing d.replicas, i.e.
// min(d.replicas + maxSurge - Σ replicas + newRS.replicas, d.replicas), never below the current
// size. 10 replicas, maxSurge 3, old RS at 10, new RS absent → 3; old RS at 8, new at 3 → 5.
// Precondition for RollingUpdate: newRS.replicas <= d.replicas (reconcileNewReplicaSet handles
// the other case).
int32_t newRSNewReplicas(const DeploymentState& d, const ReplicaSetGroup& group);

// The new ReplicaSet's change for this step, if any: down to d.replicas when above it, else up
// to newRSNewReplicas. nullopt when group.newRS is absent or already at its target.
std::optional<ScaleChange> reconcileNewReplicaSet(const DeploymentState& d,
                                                  const ReplicaSetGroup& group);

struct CleanupResult {
  std::vector<ScaleChange> changes;  // oldest ReplicaSet first
  int32_t cleanedUp = 0;             // total replicas removed
  // A ReplicaSet reported more available pods than its spec.replicas (a stale status). Like
  // Kubernetes, cleanup stops there, and reconcileOldReplicaSets scales nothing further this round.
  bool stoppedOnStaleStatus = false;
};

// Removes up to `maxCleanupCount` pods that are not available from the old ReplicaSets with
// replicas > 0, oldest first (creation time, then name): each loses at most
// replicas - availableReplicas. Removing pods that are not available cannot lower availability.
// Old RSs at 5 (3 available) and 4 (4 available), budget 3 → the first goes to 3.
CleanupResult cleanupUnhealthyReplicas(const ReplicaSetGroup& group, int32_t maxCleanupCount);

// Scales old ReplicaSets with replicas > 0 down, oldest first, by as much as availability allows:
// Σ availableReplicas (those old RSs plus the new RS) - minAvailable. 10 replicas,
// maxUnavailable 2, old RS 10/10 available, new RS 0 → 10 - 8 = 2 → old RS to 8.
std::vector<ScaleChange> scaleDownOldReplicaSetsForRollingUpdate(const DeploymentState& d,
                                                                 const ReplicaSetGroup& group);

// The old ReplicaSets' changes for this step, oldest first, one per ReplicaSet (cleanup and
// availability-driven scale-down merged; Kubernetes writes them as two updates). The budget is
// Σ replicas - minAvailable - (new RS replicas not yet available), so pods the new RS has not
// made available are not paid for with old ones. 10 replicas, maxSurge 3, maxUnavailable 2, old
// RS at 8, new RS at 5 with none available: 13 - 8 - 5 = 0 → nothing, even if an old pod fails.
std::vector<ScaleChange> reconcileOldReplicaSets(const DeploymentState& d,
                                                 const ReplicaSetGroup& group);

// One step of a rolling update (rolloutRolling without the status update): the new
// ReplicaSet's change if it has one, else the old ReplicaSets'. Empty when nothing is to be done.
// The controller creates a missing new ReplicaSet first, sized by newRSNewReplicas.
std::vector<ScaleChange> rollingUpdateStep(const DeploymentState& d, const ReplicaSetGroup& group);

// ---------------------------------------------------------------------------------------------
// Recreate (recreate.go)

// Whether any old ReplicaSet still reports pods (Σ statusReplicas > 0). The controller must also
// treat the Deployment's pods that belong to no new ReplicaSet and are not Succeeded or Failed as
// old pods still running.
bool oldReplicaSetsHavePods(const ReplicaSetGroup& group);

struct RecreateStep {
  std::vector<ScaleChange> changes;  // old ReplicaSets to 0 (oldest first), or the new one up
  bool waitForOldPods = false;       // old pods still run: nothing else until they are gone
  bool createNewReplicaSet = false;  // old pods gone, no new ReplicaSet: create it at d.replicas
};

// One step of a Recreate rollout: scale every old ReplicaSet with replicas > 0 to 0; once that is
// done, wait while `oldPodsRunning`; then create the new ReplicaSet or scale it to d.replicas.
RecreateStep recreateStep(const DeploymentState& d, const ReplicaSetGroup& group,
                          bool oldPodsRunning);

// ---------------------------------------------------------------------------------------------
// Scaling events and paused Deployments (sync.go)

// Whether any ReplicaSet with replicas > 0 carries a desired-replicas annotation different from
// d.replicas: the Deployment was resized since those ReplicaSets were last scaled, so the
// controller runs scaleReplicaSets instead of a rollout step.
bool isScalingEvent(const DeploymentState& d, const ReplicaSetGroup& group);

// Whether `rs` holds the whole Deployment: its desired-replicas annotation, replicas and
// availableReplicas all equal d.replicas.
bool isSaturated(const DeploymentState& d, const ReplicaSetState& rs);

// The replicas `rs` should gain (or, if negative, lose) when `toAdd` replicas are spread over the
// active ReplicaSets and `added` have been handed out already: its share of the new size,
// round(rs.replicas × (d.replicas + maxSurge) / max-replicas annotation) - rs.replicas, capped by
// what is left. The annotation falls back to d.statusReplicas. Scaling to 0 takes everything.
// Worked: 10 → 15 replicas, maxSurge 3, RS at 8 annotated 13 → round(8 × 18 / 13) - 8 = 3.
// Differs from Kubernetes, which divides by zero, when that denominator is 0 or less: the share
// is 0 then and scaleReplicaSets' leftover step settles the difference.
int32_t replicaSetProportion(const ReplicaSetState& rs, const DeploymentState& d, int32_t toAdd,
                             int32_t added);

// Resizes the ReplicaSets after the Deployment's replicas changed (or while it is paused),
// without advancing the rollout:
// - at most one ReplicaSet has replicas > 0: it (or the new one, or else the newest old one)
//   gets d.replicas;
// - the new ReplicaSet is saturated: every old one with replicas > 0 goes to 0;
// - RollingUpdate: d.replicas + maxSurge - Σ replicas is spread over the active ReplicaSets by
//   replicaSetProportion, largest first (ties: newest first when growing, oldest first when
//   shrinking); the rounding leftover goes to the first. ReplicaSets at 0 stay at 0.
//   Worked (Kubernetes docs): 10 replicas, maxSurge 3, maxUnavailable 2; old RS 8, new RS 5,
//   both annotated max 13; scaled to 15 → 5 to add: old +3 → 11, new +2 → 7.
// In the proportional case the result also lists ReplicaSets whose size stays but whose replicas
// annotations are stale, as Kubernetes rewrites them. Recreate with several active ReplicaSets:
// nothing.
std::vector<ScaleChange> scaleReplicaSets(const DeploymentState& d, const ReplicaSetGroup& group);

// ---------------------------------------------------------------------------------------------
// Status

struct DeploymentStatusCounts {
  int64_t observedGeneration = 0;
  int32_t replicas = 0;             // Σ status.replicas of all ReplicaSets
  int32_t updatedReplicas = 0;      // status.replicas of the new ReplicaSet
  int32_t readyReplicas = 0;        // Σ readyReplicas
  int32_t availableReplicas = 0;    // Σ availableReplicas
  int32_t unavailableReplicas = 0;  // max(Σ spec.replicas - availableReplicas, 0)
  bool operator==(const DeploymentStatusCounts&) const = default;
};

// The status numbers of the Deployment (calculateStatus). unavailableReplicas counts against the
// ReplicaSets' spec.replicas, surge included, as Kubernetes does: a stuck rollout of 3 replicas
// with old RS 3/3 available and new RS 1/0 reports "4 total | 3 available | 1 unavailable".
// observedGeneration is d.generation.
DeploymentStatusCounts calculateStatus(const DeploymentState& d, const ReplicaSetGroup& group);

// The rollout is complete: updated, total and available replicas all equal d.replicas, and the
// status describes the current generation.
bool deploymentComplete(const DeploymentState& d, const DeploymentStatusCounts& status);

// The rollout moved between two statuses: more updated, fewer old, more ready or more available
// replicas. Feeds the Progressing condition.
bool deploymentProgressing(const DeploymentStatusCounts& before,
                           const DeploymentStatusCounts& after);

// The Available condition: availableReplicas >= d.replicas - maxUnavailable(d).
bool hasMinimumAvailability(const DeploymentState& d, const DeploymentStatusCounts& status);

// ---------------------------------------------------------------------------------------------
// Annotations and revisions

// A revision annotation, read like Go's strconv.ParseInt(s, 10, 64); nullopt if malformed.
std::optional<int64_t> parseRevision(std::string_view text);
// A desired-replicas / max-replicas annotation, read like Go's strconv.Atoi; nullopt if malformed
// or outside int32 (Kubernetes would truncate such a value).
std::optional<int32_t> parseReplicasAnnotation(std::string_view text);

// The highest revision among `replicaSets`, 0 if none is positive.
int64_t maxRevision(std::span<const ReplicaSetState> replicaSets);
// The revision for the new ReplicaSet and the Deployment: maxRevision(old ReplicaSets) + 1. The
// new ReplicaSet's annotation is only ever raised to it, never lowered.
int64_t nextRevision(const ReplicaSetGroup& group);

// ---------------------------------------------------------------------------------------------
// pod-template-hash

// 32-bit FNV-1a of `bytes`.
uint32_t fnv32a(std::string_view bytes);
// Maps each character to "bcdfghjklmnpqrstvwxz2456789"[c % 27], like k8s' rand.SafeEncodeString;
// decimal digits become 4 5 6 7 8 9 b c d f.
std::string safeEncode(std::string_view s);
// The pod-template-hash label value: FNV-1a over `canonicalTemplateJson`, followed, when
// collisionCount > 0, by collisionCount as 4 little-endian bytes; the hash's decimal form is then
// safe-encoded. At most 10 characters, deterministic across runs and machines. Kubernetes hashes
// Go's dump of the template instead and appends 8 bytes whenever status.collisionCount is set, so
// values differ from a real cluster's; a collision count of 0 and an absent one hash alike here.
std::string podTemplateHash(std::string_view canonicalTemplateJson, int32_t collisionCount);

}  // namespace sluice::controllers::deployment
