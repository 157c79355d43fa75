#include "controllers/deployment/rollout_math.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <system_error>

namespace sluice::controllers::deployment {
namespace {

// Sums and products run in int64 so that no intermediate wraps; results come back through here.
int32_t clampToInt32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t ceilDiv(int64_t a, int64_t b) {
  return -floorDiv(-a, b);
}

// Go's strconv.ParseInt(s, 10, 64): an optional sign, then at least one decimal digit.
std::optional<int64_t> parseGoInt64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  // Parse the magnitude as unsigned so that -9223372036854775808 is accepted.
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  constexpr uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
  if (!negative && magnitude > kMaxPositive) return std::nullopt;
  if (negative && magnitude > kMaxPositive + 1) return std::nullopt;
  if (negative)
    return magnitude == kMaxPositive + 1 ? std::numeric_limits<int64_t>::min()
                                         : -static_cast<int64_t>(magnitude);
  return static_cast<int64_t>(magnitude);
}

std::optional<int32_t> parseGoInt32(std::string_view s) {
  auto v = parseGoInt64(s);
  if (!v || *v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  return static_cast<int32_t>(*v);
}

// ReplicaSetsByCreationTimestamp: older first, names breaking ties.
bool createdBefore(const ReplicaSetState& a, const ReplicaSetState& b) {
  if (a.createdAt != b.createdAt) return a.createdAt < b.createdAt;
  return a.name < b.name;
}

bool isActive(const ReplicaSetState& rs) {
  return rs.replicas > 0;
}

// Old ReplicaSets with replicas > 0, oldest first.
std::vector<ReplicaSetState> activeOldOldestFirst(const ReplicaSetGroup& group) {
  std::vector<ReplicaSetState> out;
  for (const auto& rs : group.oldRSs)
    if (isActive(rs)) out.push_back(rs);
  std::sort(out.begin(), out.end(), createdBefore);
  return out;
}

int64_t sumReplicas(std::span<const ReplicaSetState> rss) {
  int64_t total = 0;
  for (const auto& rs : rss) total += rs.replicas;
  return total;
}

int64_t sumAvailable(std::span<const ReplicaSetState> rss) {
  int64_t total = 0;
  for (const auto& rs : rss) total += rs.availableReplicas;
  return total;
}

// Every ReplicaSet, old ones first.
std::vector<ReplicaSetState> allReplicaSets(const ReplicaSetGroup& group) {
  std::vector<ReplicaSetState> all = group.oldRSs;
  if (group.newRS) all.push_back(*group.newRS);
  return all;
}

// getReplicaSetFraction: how far `rs` should move so that it keeps its share of the Deployment
// when the Deployment's ceiling moves from the annotated max-replicas to d.replicas + maxSurge.
// 8 replicas of a ceiling of 13, new ceiling 18 → 8 × 18 / 13 = 11.08 → 11 → +3.
int32_t replicaSetFraction(const ReplicaSetState& rs, const DeploymentState& d) {
  if (d.replicas == 0) return -rs.replicas;  // scaling to zero: everything goes
  const int64_t ceiling = int64_t{d.replicas} + maxSurge(d);
  const int64_t annotated = rs.maxReplicasAnnotation.value_or(d.statusReplicas);
  if (annotated <= 0) return 0;
  // Round half away from zero, as k8s.io/utils/integer.RoundToInt32 does; the numerator and the
  // denominator are positive here, so that is floor(x + 0.5), done exactly in integers.
  const int64_t numerator = int64_t{rs.replicas} * ceiling;
  const int64_t newSize = floorDiv(2 * numerator + annotated, 2 * annotated);
  return clampToInt32(newSize - rs.replicas);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// maxSurge / maxUnavailable

ParsedIntOrPercent parseIntOrPercent(std::string_view text) {
  constexpr std::string_view kPrefix = "invalid value for IntOrString: ";
  if (text.empty() || text.back() != '%')
    return {std::nullopt, std::string(kPrefix) + "invalid type: string is not a percentage"};
  auto number = parseGoInt32(text.substr(0, text.size() - 1));
  if (!number)
    return {std::nullopt, std::string(kPrefix) + "invalid value \"" + std::string(text) +
                              "\": not an integer percentage"};
  return {IntOrPercent::percent(*number), {}};
}

int32_t scaledValue(IntOrPercent v, int32_t total, bool roundUp) {
  if (!v.isPercent) return v.value;
  const int64_t scaled = int64_t{v.value} * total;
  return clampToInt32(roundUp ? ceilDiv(scaled, 100) : floorDiv(scaled, 100));
}

Fenceposts resolveFenceposts(IntOrPercent maxSurge, IntOrPercent maxUnavailable, int32_t desired) {
  Fenceposts f{scaledValue(maxSurge, desired, /*roundUp=*/true),
               scaledValue(maxUnavailable, desired, /*roundUp=*/false)};
  // Validation rejects 0 for both, but rounding down can still produce it (25% of 1 is 0): allow
  // one unavailable pod rather than rely on a surge that quota may refuse.
  if (f.maxSurge == 0 && f.maxUnavailable == 0) f.maxUnavailable = 1;
  return f;
}

int32_t maxSurge(const DeploymentState& d) {
  if (d.strategy != Strategy::RollingUpdate) return 0;
  return resolveFenceposts(d.maxSurge, d.maxUnavailable, d.replicas).maxSurge;
}

int32_t maxUnavailable(const DeploymentState& d) {
  if (d.strategy != Strategy::RollingUpdate || d.replicas == 0) return 0;
  const int32_t unavailable =
      resolveFenceposts(d.maxSurge, d.maxUnavailable, d.replicas).maxUnavailable;
  return std::min(unavailable, d.replicas);
}

int32_t minAvailable(const DeploymentState& d) {
  if (d.strategy != Strategy::RollingUpdate) return 0;
  return d.replicas - maxUnavailable(d);
}

ReplicasAnnotations replicasAnnotations(const DeploymentState& d) {
  return {d.replicas, clampToInt32(int64_t{d.replicas} + maxSurge(d))};
}

bool replicasAnnotationsNeedUpdate(const ReplicaSetState& rs, const DeploymentState& d) {
  const ReplicasAnnotations want = replicasAnnotations(d);
  return rs.desiredAnnotation != want.desired || rs.maxReplicasAnnotation != want.max;
}

// ---------------------------------------------------------------------------------------------
// Rolling update

int32_t newRSNewReplicas(const DeploymentState& d, const ReplicaSetGroup& group) {
  if (d.strategy == Strategy::Recreate) return d.replicas;
  const int32_t current = group.newRS ? group.newRS->replicas : 0;
  // The surge alone, without the both-zero fencepost rule: that rule only touches maxUnavailable.
  const int64_t maxTotal = int64_t{d.replicas} + scaledValue(d.maxSurge, d.replicas, true);
  const int64_t total = sumReplicas(allReplicaSets(group));
  if (total >= maxTotal) return current;  // the surge budget is spent
  const int64_t scaleUp = std::min<int64_t>(maxTotal - total, int64_t{d.replicas} - current);
  return clampToInt32(current + scaleUp);
}

std::optional<ScaleChange> reconcileNewReplicaSet(const DeploymentState& d,
                                                  const ReplicaSetGroup& group) {
  if (!group.newRS) return std::nullopt;
  const ReplicaSetState& rs = *group.newRS;
  if (rs.replicas == d.replicas) return std::nullopt;
  const int32_t target = rs.replicas > d.replicas ? d.replicas : newRSNewReplicas(d, group);
  if (target == rs.replicas) return std::nullopt;
  return ScaleChange{rs.name, rs.replicas, target};
}

CleanupResult cleanupUnhealthyReplicas(const ReplicaSetGroup& group, int32_t maxCleanupCount) {
  CleanupResult result;
  for (const auto& rs : activeOldOldestFirst(group)) {
    if (result.cleanedUp >= maxCleanupCount) break;
    if (rs.replicas == rs.availableReplicas) continue;  // every pod is available
    if (rs.availableReplicas > rs.replicas) {
      // More available than wanted: the status predates a scale-down. Kubernetes rejects the
      // negative cleanup and gives up on the old ReplicaSets until the next sync.
      result.stoppedOnStaleStatus = true;
      break;
    }
    const int32_t count =
        std::min(maxCleanupCount - result.cleanedUp, rs.replicas - rs.availableReplicas);
    result.changes.push_back({rs.name, rs.replicas, rs.replicas - count});
    result.cleanedUp += count;
  }
  return result;
}

std::vector<ScaleChange> scaleDownOldReplicaSetsForRollingUpdate(const DeploymentState& d,
                                                                 const ReplicaSetGroup& group) {
  const std::vector<ReplicaSetState> olds = activeOldOldestFirst(group);
  const int64_t minAvailable = int64_t{d.replicas} - maxUnavailable(d);
  const int64_t available = sumAvailable(olds) + (group.newRS ? group.newRS->availableReplicas : 0);
  if (available <= minAvailable) return {};

  const int64_t budget = available - minAvailable;
  int64_t scaledDown = 0;
  std::vector<ScaleChange> changes;
  for (const auto& rs : olds) {
    if (scaledDown >= budget) break;
    const int32_t count = clampToInt32(std::min<int64_t>(rs.replicas, budget - scaledDown));
    changes.push_back({rs.name, rs.replicas, rs.replicas - count});
    scaledDown += count;
  }
  return changes;
}

std::vector<ScaleChange> reconcileOldReplicaSets(const DeploymentState& d,
                                                 const ReplicaSetGroup& group) {
  if (sumReplicas(activeOldOldestFirst(group)) == 0) return {};

  // Worked (10 replicas, maxSurge 3, maxUnavailable 2): right after a template change the old RS
  // is at 10 and the new one at 3 with nothing available: 13 - 8 - 3 = 2 old pods may go.
  const int64_t allPods = sumReplicas(allReplicaSets(group));
  const int64_t minAvailable = int64_t{d.replicas} - maxUnavailable(d);
  const int64_t newUnavailable =
      group.newRS ? int64_t{group.newRS->replicas} - group.newRS->availableReplicas : 0;
  const int64_t maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return {};

  // Unavailable old pods go first: they block the rollout and removing them costs nothing.
  CleanupResult cleanup = cleanupUnhealthyReplicas(group, clampToInt32(maxScaledDown));
  if (cleanup.stoppedOnStaleStatus) return cleanup.changes;

  ReplicaSetGroup afterCleanup = group;
  for (const auto& change : cleanup.changes)
    for (auto& rs : afterCleanup.oldRSs)
      if (rs.name == change.name) rs.replicas = change.newReplicas;
  const std::vector<ScaleChange> scaleDown =
      scaleDownOldReplicaSetsForRollingUpdate(d, afterCleanup);

  // One change per ReplicaSet: its original size and its final one, oldest first.
  std::map<std::string, int32_t> finalSize;
  for (const auto& change : cleanup.changes) finalSize[change.name] = change.newReplicas;
  for (const auto& change : scaleDown) finalSize[change.name] = change.newReplicas;
  std::vector<ScaleChange> changes;
  for (const auto& rs : activeOldOldestFirst(group)) {
    auto it = finalSize.find(rs.name);
    if (it != finalSize.end() && it->second != rs.replicas)
      changes.push_back({rs.name, rs.replicas, it->second});
  }
  return changes;
}

std::vector<ScaleChange> rollingUpdateStep(const DeploymentState& d, const ReplicaSetGroup& group) {
  if (auto change = reconcileNewReplicaSet(d, group)) return {*change};
  return reconcileOldReplicaSets(d, group);
}

// ---------------------------------------------------------------------------------------------
// Recreate

bool oldReplicaSetsHavePods(const ReplicaSetGroup& group) {
  int64_t pods = 0;
  for (const auto& rs : group.oldRSs) pods += rs.statusReplicas;
  return pods > 0;
}

RecreateStep recreateStep(const DeploymentState& d, const ReplicaSetGroup& group,
                          bool oldPodsRunning) {
  RecreateStep step;
  for (const auto& rs : activeOldOldestFirst(group))
    step.changes.push_back({rs.name, rs.replicas, 0});
  if (!step.changes.empty()) return step;
  if (oldPodsRunning) {
    step.waitForOldPods = true;
    return step;
  }
  if (!group.newRS) {
    step.createNewReplicaSet = true;
    return step;
  }
  if (group.newRS->replicas != d.replicas)
    step.changes.push_back({group.newRS->name, group.newRS->replicas, d.replicas});
  return step;
}

// ---------------------------------------------------------------------------------------------
// Scaling events

bool isScalingEvent(const DeploymentState& d, const ReplicaSetGroup& group) {
  for (const auto& rs : allReplicaSets(group))
    if (isActive(rs) && rs.desiredAnnotation && *rs.desiredAnnotation != d.replicas) return true;
  return false;
}

bool isSaturated(const DeploymentState& d, const ReplicaSetState& rs) {
  return rs.desiredAnnotation == d.replicas && rs.replicas == d.replicas &&
         rs.availableReplicas == d.replicas;
}

int32_t replicaSetProportion(const ReplicaSetState& rs, const DeploymentState& d, int32_t toAdd,
                             int32_t added) {
  if (rs.replicas == 0 || toAdd == 0 || toAdd == added) return 0;
  const int32_t fraction = replicaSetFraction(rs, d);
  const int32_t allowed = toAdd - added;
  // Never hand out more than is left: growing takes the smaller, shrinking the larger (less
  // negative) of the share and the remainder.
  return toAdd > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

std::vector<ScaleChange> scaleReplicaSets(const DeploymentState& d, const ReplicaSetGroup& group) {
  // Old ReplicaSets newest first, then the new one: the order Kubernetes works in here.
  std::vector<ReplicaSetState> oldNewestFirst = group.oldRSs;
  std::sort(oldNewestFirst.begin(), oldNewestFirst.end(),
            [](const ReplicaSetState& a, const ReplicaSetState& b) { return createdBefore(b, a); });
  std::vector<ReplicaSetState> active;
  for (const auto& rs : oldNewestFirst)
    if (isActive(rs)) active.push_back(rs);
  if (group.newRS && isActive(*group.newRS)) active.push_back(*group.newRS);

  // Zero or one active ReplicaSet: it takes the whole Deployment.
  if (active.size() <= 1) {
    const ReplicaSetState* target = nullptr;
    if (active.size() == 1) {
      target = &active.front();
    } else if (group.newRS) {
      target = &*group.newRS;
    } else if (!oldNewestFirst.empty()) {
      target = &oldNewestFirst.front();
    }
    if (target == nullptr || target->replicas == d.replicas) return {};
    return {ScaleChange{target->name, target->replicas, d.replicas}};
  }

  // The new ReplicaSet already holds the whole Deployment (e.g. old ones were adopted): the old
  // ones are surplus.
  if (group.newRS && isSaturated(d, *group.newRS)) {
    std::vector<ScaleChange> changes;
    for (const auto& rs : oldNewestFirst)
      if (isActive(rs)) changes.push_back({rs.name, rs.replicas, 0});
    return changes;
  }

  if (d.strategy != Strategy::RollingUpdate) return {};

  // Spread the difference between the new ceiling and the current total over the active
  // ReplicaSets, largest first so that the largest absorbs the rounding leftover.
  const int64_t allowedSize = d.replicas > 0 ? int64_t{d.replicas} + maxSurge(d) : 0;
  const int32_t toAdd = clampToInt32(allowedSize - sumReplicas(active));
  if (toAdd > 0) {
    std::stable_sort(active.begin(), active.end(),
                     [](const ReplicaSetState& a, const ReplicaSetState& b) {
                       if (a.replicas != b.replicas) return a.replicas > b.replicas;
                       return createdBefore(b, a);  // growing: newer first
                     });
  } else if (toAdd < 0) {
    std::stable_sort(active.begin(), active.end(),
                     [](const ReplicaSetState& a, const ReplicaSetState& b) {
                       if (a.replicas != b.replicas) return a.replicas > b.replicas;
                       return createdBefore(a, b);  // shrinking: older first
                     });
  }

  std::vector<int32_t> sizes;
  int32_t added = 0;
  for (const auto& rs : active) {
    const int32_t proportion = replicaSetProportion(rs, d, toAdd, added);
    sizes.push_back(rs.replicas + proportion);
    added += proportion;
  }
  if (toAdd != 0) sizes.front() = std::max(0, sizes.front() + (toAdd - added));

  std::vector<ScaleChange> changes;
  for (size_t i = 0; i < active.size(); ++i) {
    if (sizes[i] != active[i].replicas || replicasAnnotationsNeedUpdate(active[i], d))
      changes.push_back({active[i].name, active[i].replicas, sizes[i]});
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Status

DeploymentStatusCounts calculateStatus(const DeploymentState& d, const ReplicaSetGroup& group) {
  int64_t replicas = 0, ready = 0, available = 0, specReplicas = 0;
  for (const auto& rs : allReplicaSets(group)) {
    replicas += rs.statusReplicas;
    ready += rs.readyReplicas;
    available += rs.availableReplicas;
    specReplicas += rs.replicas;
  }
  DeploymentStatusCounts s;
  s.observedGeneration = d.generation;
  s.replicas = clampToInt32(replicas);
  s.updatedReplicas = group.newRS ? group.newRS->statusReplicas : 0;
  s.readyReplicas = clampToInt32(ready);
  s.availableReplicas = clampToInt32(available);
  // Negative while scaling down (more available than wanted): report 0.
  s.unavailableReplicas = clampToInt32(std::max<int64_t>(specReplicas - available, 0));
  return s;
}

bool deploymentComplete(const DeploymentState& d, const DeploymentStatusCounts& status) {
  return status.updatedReplicas == d.replicas && status.replicas == d.replicas &&
         status.availableReplicas == d.replicas && status.observedGeneration >= d.generation;
}

bool deploymentProgressing(const DeploymentStatusCounts& before,
                           const DeploymentStatusCounts& after) {
  const int64_t oldBefore = int64_t{before.replicas} - before.updatedReplicas;
  const int64_t oldAfter = int64_t{after.replicas} - after.updatedReplicas;
  return after.updatedReplicas > before.updatedReplicas || oldAfter < oldBefore ||
         after.readyReplicas > before.readyReplicas ||
         after.availableReplicas > before.availableReplicas;
}

bool hasMinimumAvailability(const DeploymentState& d, const DeploymentStatusCounts& status) {
  return status.availableReplicas >= d.replicas - maxUnavailable(d);
}

// ---------------------------------------------------------------------------------------------
// Annotations and revisions

std::optional<int64_t> parseRevision(std::string_view text) {
  return parseGoInt64(text);
}

std::optional<int32_t> parseReplicasAnnotation(std::string_view text) {
  return parseGoInt32(text);
}

int64_t maxRevision(std::span<const ReplicaSetState> replicaSets) {
  int64_t max = 0;
  for (const auto& rs : replicaSets) max = std::max(max, rs.revision);
  return max;
}

int64_t nextRevision(const ReplicaSetGroup& group) {
  return maxRevision(group.oldRSs) + 1;
}

// ---------------------------------------------------------------------------------------------
// pod-template-hash

uint32_t fnv32a(std::string_view bytes) {
  constexpr uint32_t kOffsetBasis = 2166136261u;
  constexpr uint32_t kPrime = 16777619u;
  uint32_t hash = kOffsetBasis;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kPrime;
  }
  return hash;
}

std::string safeEncode(std::string_view s) {
  // No vowels, so that encoded hashes do not spell words.
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out.push_back(kAlphabet[c % kAlphabet.size()]);
  return out;
}

std::string podTemplateHash(std::string_view canonicalTemplateJson, int32_t collisionCount) {
  std::string bytes(canonicalTemplateJson);
  if (collisionCount > 0) {
    const auto count = static_cast<uint32_t>(collisionCount);
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<char>((count >> shift) & 0xffu));
  }
  // A uint32 has at most 10 decimal digits, so the label is at most 10 characters.
  return safeEncode(std::to_string(fnv32a(bytes)));
}

}  // namespace sluice::controllers::deployment
