#include "controllers/deployment/rollout_math.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sluice::controllers::deployment {

// Readable failure output for the tables below.
void PrintTo(const ScaleChange& c, std::ostream* os) {
  *os << "{" << c.name << ": " << c.oldReplicas << " -> " << c.newReplicas << "}";
}
void PrintTo(const IntOrPercent& v, std::ostream* os) {
  *os << v.value << (v.isPercent ? "%" : "");
}
void PrintTo(const Fenceposts& f, std::ostream* os) {
  *os << "{surge " << f.maxSurge << ", unavailable " << f.maxUnavailable << "}";
}
void PrintTo(const DeploymentStatusCounts& s, std::ostream* os) {
  *os << "{gen " << s.observedGeneration << ", replicas " << s.replicas << ", updated "
      << s.updatedReplicas << ", ready " << s.readyReplicas << ", available " << s.availableReplicas
      << ", unavailable " << s.unavailableReplicas << "}";
}

namespace {

using Changes = std::vector<ScaleChange>;

IntOrPercent n(int32_t v) {
  return IntOrPercent::integer(v);
}
IntOrPercent pct(int32_t v) {
  return IntOrPercent::percent(v);
}

DeploymentState rolling(int32_t replicas, IntOrPercent surge, IntOrPercent unavailable) {
  DeploymentState d;
  d.replicas = replicas;
  d.strategy = Strategy::RollingUpdate;
  d.maxSurge = surge;
  d.maxUnavailable = unavailable;
  return d;
}

DeploymentState recreate(int32_t replicas) {
  DeploymentState d;
  d.replicas = replicas;
  d.strategy = Strategy::Recreate;
  return d;
}

// A ReplicaSet whose pods all exist, `available` of them ready and available.
ReplicaSetState rs(std::string name, int64_t createdAt, int32_t replicas, int32_t available = 0) {
  ReplicaSetState r;
  r.name = std::move(name);
  r.createdAt = createdAt;
  r.replicas = replicas;
  r.statusReplicas = replicas;
  r.readyReplicas = available;
  r.availableReplicas = available;
  return r;
}

// The same, carrying the replicas annotations of its last scale.
ReplicaSetState annotated(ReplicaSetState r, int32_t desired, int32_t max) {
  r.desiredAnnotation = desired;
  r.maxReplicasAnnotation = max;
  return r;
}

ReplicaSetGroup group(std::optional<ReplicaSetState> newRS, std::vector<ReplicaSetState> oldRSs) {
  return ReplicaSetGroup{std::move(newRS), std::move(oldRSs)};
}

// ---------------------------------------------------------------------------------------------
// maxSurge / maxUnavailable

struct ParseCase {
  std::string name;
  std::string text;
  std::optional<IntOrPercent> want;  // nullopt: an error mentioning `errorPart`
  std::string errorPart;
};

TEST(IntOrPercent, ParsesPercentStringsOnly) {
  const std::vector<ParseCase> cases = {
      {"the default", "25%", pct(25), ""},
      {"zero percent", "0%", pct(0), ""},
      {"a hundred percent", "100%", pct(100), ""},
      {"above a hundred (fine for maxSurge)", "150%", pct(150), ""},
      {"plus sign, as Atoi allows", "+5%", pct(5), ""},
      {"minus sign parses (validation rejects it)", "-5%", pct(-5), ""},
      {"a bare number string is not a percentage", "1", std::nullopt, "string is not a percentage"},
      {"empty string", "", std::nullopt, "string is not a percentage"},
      {"percent sign alone", "%", std::nullopt, "invalid value \"%\""},
      {"letters", "abc%", std::nullopt, "invalid value \"abc%\""},
      {"fraction", "2.5%", std::nullopt, "invalid value"},
      {"leading space", " 5%", std::nullopt, "invalid value"},
      {"double percent sign", "5%%", std::nullopt, "invalid value"},
      {"beyond int32", "99999999999%", std::nullopt, "invalid value"},
  };
  for (const auto& c : cases) {
    const ParsedIntOrPercent got = parseIntOrPercent(c.text);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << c.name << ": " << got.error;
      EXPECT_EQ(*got.value, *c.want) << c.name;
      EXPECT_TRUE(got.error.empty()) << c.name;
    } else {
      EXPECT_FALSE(got.ok()) << c.name;
      EXPECT_NE(got.error.find(c.errorPart), std::string::npos) << c.name << ": " << got.error;
    }
  }
}

struct ScaledCase {
  std::string name;
  IntOrPercent value;
  int32_t total;
  int32_t roundedUp;
  int32_t roundedDown;
};

TEST(IntOrPercent, ScaledValueRoundsAsAsked) {
  const std::vector<ScaledCase> cases = {
      {"integer 1 is 1 either way", n(1), 10, 1, 1},
      {"integers ignore the total", n(7), 0, 7, 7},
      {"25% of 4 is exactly 1", pct(25), 4, 1, 1},
      {"25% of 10 is 2.5", pct(25), 10, 3, 2},
      {"25% of 1 is 0.25", pct(25), 1, 1, 0},
      {"25% of 3 is 0.75", pct(25), 3, 1, 0},
      {"33% of 3 is 0.99", pct(33), 3, 1, 0},
      {"34% of 3 is 1.02", pct(34), 3, 2, 1},
      {"0% is 0", pct(0), 10, 0, 0},
      {"100% of 7 is 7", pct(100), 7, 7, 7},
      {"anything of 0 is 0", pct(50), 0, 0, 0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(scaledValue(c.value, c.total, true), c.roundedUp) << c.name;
    EXPECT_EQ(scaledValue(c.value, c.total, false), c.roundedDown) << c.name;
  }
}

struct FencepostCase {
  std::string name;
  IntOrPercent surge;
  IntOrPercent unavailable;
  int32_t desired;
  Fenceposts want;
};

TEST(ResolveFenceposts, SurgeRoundsUpUnavailableRoundsDown) {
  const std::vector<FencepostCase> cases = {
      {"4 replicas, 25%/25%: 1 and 1", pct(25), pct(25), 4, {1, 1}},
      {"10 replicas, 25%/25%: 2.5 up and down", pct(25), pct(25), 10, {3, 2}},
      {"1 replica, 25%/25%: 0.25 up and down", pct(25), pct(25), 1, {1, 0}},
      {"3 replicas, 25%/25% (the docs' nginx rollout)", pct(25), pct(25), 3, {1, 0}},
      {"absolute numbers pass through", n(3), n(2), 10, {3, 2}},
      {"5 replicas, 30%/30%: 1.5 up and down", pct(30), pct(30), 5, {2, 1}},
      {"2 replicas, surge 0%, unavailable 1%: both 0, so 1 unavailable", pct(0), pct(1), 2, {0, 1}},
      {"1 replica, surge 1%, unavailable 25%", pct(1), pct(25), 1, {1, 0}},
      {"2 replicas, surge 1%, unavailable 0%", pct(1), pct(0), 2, {1, 0}},
      {"integers 0 and 0 also allow 1 unavailable", n(0), n(0), 10, {0, 1}},
      {"0 replicas resolve to 0 and 0, so 1 unavailable", pct(25), pct(25), 0, {0, 1}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(resolveFenceposts(c.surge, c.unavailable, c.desired), c.want) << c.name;
}

struct LimitsCase {
  std::string name;
  DeploymentState d;
  int32_t maxSurge;
  int32_t maxUnavailable;
  int32_t minAvailable;
  ReplicasAnnotations annotations;
};

TEST(DeploymentLimits, FollowStrategyAndReplicas) {
  const std::vector<LimitsCase> cases = {
      {"10 replicas, 25%/25%", rolling(10, pct(25), pct(25)), 3, 2, 8, {10, 13}},
      {"maxUnavailable is capped at the replicas", rolling(3, n(0), n(5)), 0, 3, 0, {3, 3}},
      {"0 replicas: nothing may be unavailable", rolling(0, pct(25), pct(25)), 0, 0, 0, {0, 0}},
      {"1 replica, 25%/25%", rolling(1, pct(25), pct(25)), 1, 0, 1, {1, 2}},
      {"both 0: one pod may be unavailable", rolling(2, n(0), n(0)), 0, 1, 1, {2, 2}},
      {"Recreate has neither surge nor unavailability", recreate(5), 0, 0, 0, {5, 5}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(maxSurge(c.d), c.maxSurge) << c.name;
    EXPECT_EQ(maxUnavailable(c.d), c.maxUnavailable) << c.name;
    EXPECT_EQ(minAvailable(c.d), c.minAvailable) << c.name;
    EXPECT_EQ(replicasAnnotations(c.d), c.annotations) << c.name;
  }
}

TEST(DeploymentLimits, AnnotationsNeedUpdateWhenEitherDiffers) {
  const DeploymentState d = rolling(10, n(3), n(2));  // wants {10, 13}
  EXPECT_FALSE(replicasAnnotationsNeedUpdate(annotated(rs("a", 1, 5), 10, 13), d));
  EXPECT_TRUE(replicasAnnotationsNeedUpdate(annotated(rs("a", 1, 5), 9, 13), d));
  EXPECT_TRUE(replicasAnnotationsNeedUpdate(annotated(rs("a", 1, 5), 10, 12), d));
  EXPECT_TRUE(replicasAnnotationsNeedUpdate(rs("a", 1, 5), d));
}

// ---------------------------------------------------------------------------------------------
// Rolling update

struct NewReplicasCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  int32_t want;
};

TEST(NewRSNewReplicas, GrowsWithinTheSurgeBudget) {
  const std::vector<NewReplicasCase> cases = {
      {"creating: 10 + 3 - 10 = 3", rolling(10, n(3), n(2)), group({}, {rs("old", 1, 10, 10)}), 3},
      {"budget refills as old shrinks: 13 - 11 = 2 more", rolling(10, n(3), n(2)),
       group(rs("new", 2, 3), {rs("old", 1, 8, 8)}), 5},
      {"budget spent: stays", rolling(10, n(3), n(2)),
       group(rs("new", 2, 3), {rs("old", 1, 10, 10)}), 3},
      {"never past desired: 13 - 10 = 3, but only 1 missing", rolling(10, pct(25), pct(25)),
       group(rs("new", 2, 9), {rs("old", 1, 1, 1)}), 10},
      {"10 replicas, surge 2, old at 5: 12 - 5 = 7", rolling(10, n(2), n(0)),
       group(rs("new", 2, 0), {rs("old", 1, 5, 5)}), 7},
      {"no surge: waits for the old RS to shrink", rolling(10, n(0), n(1)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 10)}), 0},
      {"no surge, old RS shrank by 1", rolling(10, n(0), n(1)),
       group(rs("new", 2, 0), {rs("old", 1, 9, 9)}), 1},
      {"old RSs at 0 do not count", rolling(4, pct(25), pct(25)),
       group({}, {rs("older", 1, 0), rs("old", 2, 4, 4)}), 1},
      {"Recreate: the whole Deployment", recreate(5), group({}, {rs("old", 1, 5, 5)}), 5},
  };
  for (const auto& c : cases) EXPECT_EQ(newRSNewReplicas(c.d, c.group), c.want) << c.name;
}

struct ReconcileNewCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  std::optional<ScaleChange> want;
};

TEST(ReconcileNewReplicaSet, ScalesUpWithinSurgeOrDownToDesired) {
  const std::vector<ReconcileNewCase> cases = {
      {"no new RS yet", rolling(10, n(2), n(0)), group({}, {rs("old", 1, 10, 10)}), std::nullopt},
      {"already at desired", rolling(10, n(2), n(0)), group(rs("new", 2, 10, 10), {}),
       std::nullopt},
      {"above desired: down to it", rolling(10, n(2), n(0)),
       group(rs("new", 2, 11, 11), {rs("old", 1, 2, 2)}), ScaleChange{"new", 11, 10}},
      {"up by the surge", rolling(10, n(2), n(0)), group(rs("new", 2, 0), {rs("old", 1, 10, 10)}),
       ScaleChange{"new", 0, 2}},
      {"surge used up", rolling(10, n(2), n(0)), group(rs("new", 2, 2), {rs("old", 1, 10, 10)}),
       std::nullopt},
      {"no surge at all", rolling(10, n(0), n(0)), group(rs("new", 2, 0), {rs("old", 1, 10, 10)}),
       std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(reconcileNewReplicaSet(c.d, c.group), c.want) << c.name;
}

struct CleanupCase {
  std::string name;
  std::vector<ReplicaSetState> oldRSs;
  int32_t budget;
  Changes want;
  int32_t cleanedUp;
  bool stale;
};

TEST(CleanupUnhealthyReplicas, RemovesUnavailablePodsOldestFirst) {
  const std::vector<CleanupCase> cases = {
      {"budget below the unhealthy count", {rs("old", 1, 10, 8)}, 1, {{"old", 10, 9}}, 1, false},
      {"budget above the unhealthy count", {rs("old", 1, 10, 8)}, 3, {{"old", 10, 8}}, 2, false},
      {"no budget", {rs("old", 1, 10, 8)}, 0, {}, 0, false},
      {"all healthy", {rs("old", 1, 10, 10)}, 3, {}, 0, false},
      {"oldest first, then the next",
       {rs("b", 2, 4, 1), rs("a", 1, 5, 3), rs("empty", 0, 0)},
       4,
       {{"a", 5, 3}, {"b", 4, 2}},
       4,
       false},
      {"same creation time: by name",
       {rs("rs-b", 1, 3, 1), rs("rs-a", 1, 3, 2)},
       1,
       {{"rs-a", 3, 2}},
       1,
       false},
      {"stale status stops the loop",
       {rs("a", 1, 3, 1), rs("b", 2, 2, 3), rs("c", 3, 4, 0)},
       10,
       {{"a", 3, 1}},
       2,
       true},
      {"stale status beyond the budget is never reached",
       {rs("a", 1, 3, 1), rs("b", 2, 2, 3)},
       2,
       {{"a", 3, 1}},
       2,
       false},
  };
  for (const auto& c : cases) {
    const CleanupResult got = cleanupUnhealthyReplicas(group({}, c.oldRSs), c.budget);
    EXPECT_EQ(got.changes, c.want) << c.name;
    EXPECT_EQ(got.cleanedUp, c.cleanedUp) << c.name;
    EXPECT_EQ(got.stoppedOnStaleStatus, c.stale) << c.name;
  }
}

struct RollingCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  Changes want;
};

TEST(ScaleDownOldReplicaSetsForRollingUpdate, KeepsMinAvailable) {
  const std::vector<RollingCase> cases = {
      {"maxUnavailable 0 and surge 0 resolve to 1 unavailable",
       rolling(10, n(0), n(0)),
       group({}, {rs("old", 1, 10, 10)}),
       {{"old", 10, 9}}},
      {"maxUnavailable 2: 10 available - 8 = 2",
       rolling(10, n(0), n(2)),
       group({}, {rs("old", 1, 10, 10)}),
       {{"old", 10, 8}}},
      {"8 available is the minimum already",
       rolling(10, n(0), n(2)),
       group({}, {rs("old", 1, 10, 8)}),
       {}},
      {"1 available: far below the minimum",
       rolling(10, n(0), n(2)),
       group({}, {rs("old", 1, 10, 1)}),
       {}},
      {"the new RS's available pods count: 8 + 5 - 8 = 5",
       rolling(10, n(3), n(2)),
       group(rs("new", 2, 5, 5), {rs("old", 1, 8, 8)}),
       {{"old", 8, 3}}},
      {"oldest emptied first, then the next: 1 + 3 + 1 - 3 = 2",
       rolling(4, pct(25), pct(25)),
       group(rs("new", 3, 1, 1), {rs("b", 2, 3, 3), rs("a", 1, 1, 1)}),
       {{"a", 1, 0}, {"b", 3, 2}}},
      {"old RSs at 0 are left alone",
       rolling(10, n(0), n(2)),
       group({}, {rs("empty", 0, 0), rs("old", 1, 10, 10)}),
       {{"old", 10, 8}}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(scaleDownOldReplicaSetsForRollingUpdate(c.d, c.group), c.want) << c.name;
}

TEST(ReconcileOldReplicaSets, CleansUpThenScalesDown) {
  // 10 replicas, maxSurge 3, maxUnavailable 2 unless a case says otherwise.
  const DeploymentState tenSurge3 = rolling(10, n(3), n(2));
  const std::vector<RollingCase> cases = {
      {"surge 0, unavailable 0: one old pod at a time",
       rolling(10, n(0), n(0)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 10)}),
       {{"old", 10, 9}}},
      {"maxUnavailable 2: two old pods at once",
       rolling(10, n(0), n(2)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 10)}),
       {{"old", 10, 8}}},
      {"two unhealthy old pods: cleanup alone",
       rolling(10, n(0), n(2)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 8)}),
       {{"old", 10, 8}}},
      {"one unhealthy plus one healthy, merged into one change",
       rolling(10, n(0), n(2)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 9)}),
       {{"old", 10, 8}}},
      {"unavailable new pods are not paid for with old ones: 10 - 8 - 2 = 0",
       rolling(10, n(0), n(2)),
       group(rs("new", 2, 2, 0), {rs("old", 1, 8, 8)}),
       {}},
      {"template change: old at 10, new at 3 with none ready: 13 - 8 - 3 = 2",
       tenSurge3,
       group(rs("new", 2, 3, 0), {rs("old", 1, 10, 10)}),
       {{"old", 10, 8}}},
      {"crashlooping new RS: 13 - 8 - 5 = 0",
       tenSurge3,
       group(rs("new", 2, 5, 0), {rs("old", 1, 8, 8)}),
       {}},
      {"crashlooping new RS and a failed old pod: still 0",
       tenSurge3,
       group(rs("new", 2, 5, 0), {rs("old", 1, 8, 7)}),
       {}},
      {"rolled back to the good RS: 13 - 8 - 1 = 4 crashlooping pods go",
       tenSurge3,
       group(rs("good", 1, 8, 7), {rs("bad", 2, 5, 0)}),
       {{"bad", 5, 1}}},
      {"rolled over to a third template: 13 - 8 - 0 = 5 from the unready RS",
       tenSurge3,
       group(rs("v3", 3, 0), {rs("v1", 1, 8, 8), rs("v2", 2, 5, 0)}),
       {{"v2", 5, 0}}},
      {"stale status: nothing this round",
       rolling(10, n(0), n(2)),
       group(rs("new", 2, 6, 6), {rs("old", 1, 4, 5)}),
       {}},
      {"no old pods left", tenSurge3, group(rs("new", 2, 10, 10), {rs("old", 1, 0)}), {}},
  };
  for (const auto& c : cases) EXPECT_EQ(reconcileOldReplicaSets(c.d, c.group), c.want) << c.name;
}

TEST(RollingUpdateStep, NewReplicaSetFirstThenOldOnes) {
  const DeploymentState threeDefault = rolling(3, pct(25), pct(25));  // surge 1, unavailable 0
  const DeploymentState fiveDefault = rolling(5, pct(25), pct(25));   // surge 2, unavailable 1
  const std::vector<RollingCase> cases = {
      {"new RS grows into the surge",
       rolling(10, pct(25), pct(25)),
       group(rs("new", 2, 0), {rs("old", 1, 10, 10)}),
       {{"new", 0, 3}}},
      {"surge spent: old RS shrinks by 13 - 8 - 3 = 2",
       rolling(10, pct(25), pct(25)),
       group(rs("new", 2, 3, 0), {rs("old", 1, 10, 10)}),
       {{"old", 10, 8}}},
      {"room again: new RS to 5",
       rolling(10, pct(25), pct(25)),
       group(rs("new", 2, 3, 0), {rs("old", 1, 8, 8)}),
       {{"new", 3, 5}}},
      {"docs: a bad image stalls at 3 old + 1 new",
       threeDefault,
       group(rs("bad", 2, 1, 0), {rs("good", 1, 3, 3), rs("first", 0, 0)}),
       {}},
      {"docs rollover: old RS still missing 2 pods loses 1 of them",
       fiveDefault,
       group(rs("v2", 2, 2, 0), {[] {
               ReplicaSetState v1 = rs("v1", 1, 5, 3);
               v1.statusReplicas = 3;
               return v1;
             }()}),
       {{"v1", 5, 4}}},
      {"complete: nothing to do", threeDefault, group(rs("new", 2, 3, 3), {rs("old", 1, 0)}), {}},
  };
  for (const auto& c : cases) EXPECT_EQ(rollingUpdateStep(c.d, c.group), c.want) << c.name;
}

struct SimulationCase {
  std::string name;
  DeploymentState d;
  std::vector<std::string> want;  // "create new at N", then "<rs> to N" per step
};

// Drives whole rollouts in which every pod becomes available as soon as it is asked for.
TEST(RollingUpdateStep, WholeRolloutWithInstantlyReadyPods) {
  const std::vector<SimulationCase> cases = {
      {"docs: 3 replicas, 25%/25% (at least 3 available, at most 4 pods)",
       rolling(3, pct(25), pct(25)),
       {"create new at 1", "old to 2", "new to 2", "old to 1", "new to 3", "old to 0"}},
      {"10 replicas, 25%/25% (at least 8 available, at most 13 pods)",
       rolling(10, pct(25), pct(25)),
       {"create new at 3", "old to 5", "new to 8", "old to 0", "new to 10"}},
      {"10 replicas, surge 0, unavailable 50%",
       rolling(10, n(0), pct(50)),
       {"create new at 0", "old to 5", "new to 5", "old to 0", "new to 10"}},
  };
  for (const auto& c : cases) {
    ReplicaSetGroup g = group({}, {rs("old", 1, c.d.replicas, c.d.replicas)});
    std::vector<std::string> got;
    const int32_t initial = newRSNewReplicas(c.d, g);
    got.push_back("create new at " + std::to_string(initial));
    g.newRS = rs("new", 2, initial, initial);
    for (int step = 0; step < 20; ++step) {
      const Changes changes = rollingUpdateStep(c.d, g);
      if (changes.empty()) break;
      for (const auto& change : changes) {
        got.push_back(change.name + " to " + std::to_string(change.newReplicas));
        ReplicaSetState& target = change.name == "new" ? *g.newRS : g.oldRSs.front();
        target = rs(target.name, target.createdAt, change.newReplicas, change.newReplicas);
      }
    }
    EXPECT_EQ(got, c.want) << c.name;
    const DeploymentStatusCounts status = calculateStatus(c.d, g);
    EXPECT_TRUE(deploymentComplete(c.d, status)) << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Recreate

struct RecreateCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  bool oldPodsRunning;
  Changes changes;
  bool wait;
  bool create;
};

TEST(RecreateStep, OldDownThenWaitThenNewUp) {
  const std::vector<RecreateCase> cases = {
      {"every active old RS to 0, oldest first",
       recreate(3),
       group({}, {rs("b", 2, 2, 2), rs("a", 1, 3, 3), rs("gone", 0, 0)}),
       true,
       {{"a", 3, 0}, {"b", 2, 0}},
       false,
       false},
      {"old pods still terminating",
       recreate(3),
       group({}, {rs("a", 1, 0)}),
       true,
       {},
       true,
       false},
      {"old pods gone, no new RS", recreate(3), group({}, {rs("a", 1, 0)}), false, {}, false, true},
      {"new RS up to the whole Deployment",
       recreate(3),
       group(rs("new", 2, 0), {rs("a", 1, 0)}),
       false,
       {{"new", 0, 3}},
       false,
       false},
      {"done", recreate(3), group(rs("new", 2, 3, 3), {rs("a", 1, 0)}), false, {}, false, false},
  };
  for (const auto& c : cases) {
    const RecreateStep got = recreateStep(c.d, c.group, c.oldPodsRunning);
    EXPECT_EQ(got.changes, c.changes) << c.name;
    EXPECT_EQ(got.waitForOldPods, c.wait) << c.name;
    EXPECT_EQ(got.createNewReplicaSet, c.create) << c.name;
  }
}

TEST(RecreateStep, OldReplicaSetsHavePodsUntilTheirStatusSaysNone) {
  ReplicaSetState draining = rs("old", 1, 0);
  draining.statusReplicas = 2;
  EXPECT_TRUE(oldReplicaSetsHavePods(group({}, {draining})));
  EXPECT_FALSE(oldReplicaSetsHavePods(group({}, {rs("old", 1, 0)})));
  EXPECT_FALSE(oldReplicaSetsHavePods(group(rs("new", 2, 3, 3), {rs("old", 1, 0)})));
}

// ---------------------------------------------------------------------------------------------
// Scaling events

struct ProportionCase {
  std::string name;
  ReplicaSetState rs;
  DeploymentState d;
  int32_t toAdd;
  int32_t added;
  int32_t want;
};

TEST(ReplicaSetProportion, ShareOfTheNewCeilingCappedByWhatIsLeft) {
  DeploymentState fifteen = rolling(15, n(3), n(2));  // ceiling 18
  DeploymentState fourteen = rolling(14, n(0), n(1));
  fourteen.statusReplicas = 10;
  DeploymentState fourteenNoStatus = fourteen;
  fourteenNoStatus.statusReplicas = 0;
  const std::vector<ProportionCase> cases = {
      {"docs, old RS: round(8 × 18 / 13) - 8 = 3", annotated(rs("old", 1, 8), 10, 13), fifteen, 5,
       0, 3},
      {"docs, new RS: round(5 × 18 / 13) - 5 = 2", annotated(rs("new", 2, 5), 10, 13), fifteen, 5,
       3, 2},
      {"capped by the 1 left", annotated(rs("old", 1, 8), 10, 13), fifteen, 5, 4, 1},
      {"nothing left", annotated(rs("old", 1, 8), 10, 13), fifteen, 5, 5, 0},
      {"an empty RS gets nothing", annotated(rs("old", 1, 0), 10, 13), fifteen, 5, 0, 0},
      {"nothing to add", annotated(rs("old", 1, 8), 10, 13), fifteen, 0, 0, 0},
      {"shrinking: round(8 × 8 / 13) - 8 = -3", annotated(rs("old", 1, 8), 13, 13),
       rolling(8, n(0), n(1)), -5, 0, -3},
      {"shrinking, capped by the -1 left", annotated(rs("old", 1, 8), 13, 13),
       rolling(8, n(0), n(1)), -5, -4, -1},
      {"to zero: all of it", annotated(rs("old", 1, 3), 6, 6), rolling(0, n(0), n(1)), -6, 0, -3},
      {"no annotation: status.replicas 10, round(7 × 14 / 10) - 7 = 3", rs("old", 1, 7), fourteen,
       4, 0, 3},
      {"no annotation and no status: share 0", rs("old", 1, 7), fourteenNoStatus, 4, 0, 0},
      {"a half rounds up: 2 × 5 / 4 = 2.5 → 3", annotated(rs("old", 1, 2), 4, 4),
       rolling(5, n(0), n(1)), 1, 0, 1},
  };
  for (const auto& c : cases)
    EXPECT_EQ(replicaSetProportion(c.rs, c.d, c.toAdd, c.added), c.want) << c.name;
}

struct ScaleCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  Changes want;
};

TEST(ScaleReplicaSets, SingleActiveSaturatedOrProportional) {
  // Without surge the Deployment's ceiling is its replicas; these RSs were last scaled for the
  // size in their annotations.
  auto noSurge = [](int32_t replicas) { return rolling(replicas, n(0), n(1)); };
  auto at = [](ReplicaSetState r, int32_t size) { return annotated(std::move(r), size, size); };
  DeploymentState fourteenWithStatus = noSurge(14);
  fourteenWithStatus.statusReplicas = 10;
  ReplicaSetState saturatedNew = annotated(rs("v2", 3, 3, 3), 3, 4);

  const std::vector<ScaleCase> cases = {
      {"docs: 10 → 15 mid-rollout gives the old RS 3 and the new RS 2",
       rolling(15, n(3), n(2)),
       group(annotated(rs("nginx-1989198191", 2, 5, 0), 10, 13),
             {annotated(rs("nginx-618515232", 1, 8, 8), 10, 13)}),
       {{"nginx-618515232", 8, 11}, {"nginx-1989198191", 5, 7}}},
      {"one active RS takes it all: 10 → 12",
       noSurge(12),
       group(at(rs("v1", 1, 10, 10), 10), {}),
       {{"v1", 10, 12}}},
      {"one active RS takes it all: 10 → 5",
       noSurge(5),
       group(at(rs("v1", 1, 10, 10), 10), {}),
       {{"v1", 10, 5}}},
      {"the only active RS may be an old one",
       noSurge(6),
       group(at(rs("v2", 2, 0), 4), {at(rs("v1", 1, 4, 4), 4)}),
       {{"v1", 4, 6}}},
      {"none active: the new RS",
       noSurge(6),
       group(rs("v3", 3, 0), {rs("v2", 2, 0), rs("v1", 1, 0)}),
       {{"v3", 0, 6}}},
      {"none active and no new RS: the newest old one",
       noSurge(3),
       group({}, {rs("v1", 1, 0), rs("v2", 2, 0)}),
       {{"v2", 0, 3}}},
      {"no ReplicaSets at all", noSurge(3), group({}, {}), {}},
      {"single RS already at size", noSurge(3), group(at(rs("v1", 1, 3, 3), 3), {}), {}},
      {"5 → 10: 3 → 6 and 2 → 4",
       noSurge(10),
       group(at(rs("v2", 2, 2), 5), {at(rs("v1", 1, 3, 3), 5)}),
       {{"v1", 3, 6}, {"v2", 2, 4}}},
      {"5 → 3: 3 → 2 and 2 → 1",
       noSurge(3),
       group(at(rs("v2", 2, 2), 5), {at(rs("v1", 1, 3, 3), 5)}),
       {{"v1", 3, 2}, {"v2", 2, 1}}},
      {"9 → 4: the small old RS empties",
       noSurge(4),
       group(at(rs("v2", 2, 8), 9), {at(rs("v1", 1, 1, 1), 9)}),
       {{"v2", 8, 4}, {"v1", 1, 0}}},
      {"7 → 10 over three RSs, equal sizes newest first",
       noSurge(10),
       group(at(rs("v3", 3, 2), 7), {at(rs("v2", 2, 3, 3), 7), at(rs("v1", 1, 2, 2), 7)}),
       {{"v2", 3, 4}, {"v3", 2, 3}, {"v1", 2, 3}}},
      {"13 → 8 over three RSs, equal sizes oldest first",
       noSurge(8),
       group(at(rs("v3", 3, 2), 13), {at(rs("v2", 2, 8, 8), 13), at(rs("v1", 1, 3, 3), 13)}),
       {{"v2", 8, 5}, {"v1", 3, 2}, {"v3", 2, 1}}},
      {"3 → 4: the leftover goes to the newest of equals (others only re-annotated)",
       noSurge(4),
       group(at(rs("v3", 3, 1), 3), {at(rs("v2", 2, 1, 1), 3), at(rs("v1", 1, 1, 1), 3)}),
       {{"v3", 1, 2}, {"v2", 1, 1}, {"v1", 1, 1}}},
      {"3 → 2: the leftover comes from the oldest of equals",
       noSurge(2),
       group(at(rs("v3", 3, 1), 3), {at(rs("v2", 2, 1, 1), 3), at(rs("v1", 1, 1, 1), 3)}),
       {{"v1", 1, 0}, {"v2", 1, 1}, {"v3", 1, 1}}},
      {"4 → 5 with no new RS: the newer of equals grows",
       noSurge(5),
       group({}, {at(rs("v2", 2, 2, 2), 4), at(rs("v1", 1, 2, 2), 4)}),
       {{"v2", 2, 3}, {"v1", 2, 2}}},
      {"6 → 0: everything goes",
       noSurge(0),
       group(at(rs("v3", 3, 3), 6), {at(rs("v2", 2, 2, 2), 6), at(rs("v1", 1, 1, 1), 6)}),
       {{"v3", 3, 0}, {"v2", 2, 0}, {"v1", 1, 0}}},
      {"surge 2, 10 → 20: ceiling 12 → 22, 6 → 11 each",
       rolling(20, n(2), n(0)),
       group(annotated(rs("v2", 2, 6), 10, 12), {annotated(rs("v1", 1, 6, 6), 10, 12)}),
       {{"v2", 6, 11}, {"v1", 6, 11}}},
      {"surge 3 → 6 and 10 → 50: ceiling 13 → 56",
       rolling(50, n(6), n(0)),
       group(annotated(rs("v2", 2, 5), 10, 13), {annotated(rs("v1", 1, 8, 8), 10, 13)}),
       {{"v1", 8, 34}, {"v2", 5, 22}}},
      {"no max-replicas annotation: status.replicas 10 is the old ceiling",
       fourteenWithStatus,
       group({}, {rs("v2", 2, 7, 7), rs("v1", 1, 3, 3)}),
       {{"v2", 7, 10}, {"v1", 3, 4}}},
      {"a saturated new RS empties the old ones, newest first",
       rolling(3, pct(25), pct(25)),
       group(saturatedNew, {rs("v0", 0, 2, 2), rs("v1", 1, 1, 1)}),
       {{"v1", 1, 0}, {"v0", 2, 0}}},
      {"full but not available is not saturated; total fits, so nothing",
       rolling(2, n(1), n(1)),
       group(annotated(rs("v2", 2, 2, 0), 2, 3), {annotated(rs("v1", 1, 1, 1), 2, 3)}),
       {}},
      {"total fits but an annotation is stale: rewritten, size kept",
       rolling(10, n(3), n(2)),
       group(annotated(rs("v2", 2, 5), 10, 13), {annotated(rs("v1", 1, 8, 8), 9, 12)}),
       {{"v1", 8, 8}}},
      {"Recreate never splits replicas",
       recreate(5),
       group(rs("v2", 2, 1), {rs("v1", 1, 2, 2)}),
       {}},
  };
  for (const auto& c : cases) EXPECT_EQ(scaleReplicaSets(c.d, c.group), c.want) << c.name;
}

struct FlagCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  bool want;
};

TEST(IsScalingEvent, ComparesActiveReplicaSetsDesiredAnnotation) {
  const DeploymentState three = rolling(3, pct(25), pct(25));
  const std::vector<FlagCase> cases = {
      {"annotations match", three, group(annotated(rs("new", 2, 3), 3, 4), {}), false},
      {"new RS annotated for another size", three, group(annotated(rs("new", 2, 2), 2, 3), {}),
       true},
      {"old RS annotated for another size", three,
       group(annotated(rs("new", 2, 1), 3, 4), {annotated(rs("old", 1, 2), 5, 6)}), true},
      {"inactive RSs do not count", three,
       group(annotated(rs("new", 2, 3), 3, 4), {annotated(rs("old", 1, 0), 5, 6)}), false},
      {"no annotation is no evidence", three, group(rs("new", 2, 5), {}), false},
  };
  for (const auto& c : cases) EXPECT_EQ(isScalingEvent(c.d, c.group), c.want) << c.name;
}

TEST(IsSaturated, NeedsAnnotationReplicasAndAvailabilityAtDesired) {
  const DeploymentState three = rolling(3, pct(25), pct(25));
  ReplicaSetState unannotated = rs("new", 2, 3, 3);
  const std::vector<std::pair<std::string, std::pair<ReplicaSetState, bool>>> cases = {
      {"everything at 3", {annotated(rs("new", 2, 3, 3), 3, 4), true}},
      {"no desired-replicas annotation", {unannotated, false}},
      {"annotated for 2", {annotated(rs("new", 2, 3, 3), 2, 3), false}},
      {"replicas 2", {annotated(rs("new", 2, 2, 2), 3, 4), false}},
      {"only 2 available", {annotated(rs("new", 2, 3, 2), 3, 4), false}},
  };
  for (const auto& [name, c] : cases) EXPECT_EQ(isSaturated(three, c.first), c.second) << name;
}

// ---------------------------------------------------------------------------------------------
// Status

struct StatusCase {
  std::string name;
  DeploymentState d;
  ReplicaSetGroup group;
  DeploymentStatusCounts want;
};

TEST(CalculateStatus, SumsTheReplicaSets) {
  DeploymentState three = rolling(3, pct(25), pct(25));
  three.generation = 4;
  DeploymentState ten = rolling(10, n(3), n(2));
  ten.generation = 2;
  ReplicaSetState shrinking = rs("new", 2, 2, 4);
  shrinking.statusReplicas = 4;
  const std::vector<StatusCase> cases = {
      {"docs: 3 desired | 1 updated | 4 total | 3 available | 1 unavailable",
       three,
       group(rs("bad", 3, 1, 0), {rs("good", 2, 3, 3), rs("first", 1, 0)}),
       {4, 4, 1, 3, 3, 1}},
      {"complete", three, group(rs("new", 2, 3, 3), {rs("old", 1, 0)}), {4, 3, 3, 3, 3, 0}},
      {"scaling down: more available than wanted is 0 unavailable",
       three,
       group(shrinking, {}),
       {4, 4, 4, 4, 4, 0}},
      {"no new RS yet: nothing updated",
       three,
       group({}, {rs("old", 1, 2, 2)}),
       {4, 2, 0, 2, 2, 0}},
      {"surge pods count as unavailable: 13 - 8 = 5",
       ten,
       group(rs("new", 2, 5, 0), {rs("old", 1, 8, 8)}),
       {2, 13, 5, 8, 8, 5}},
  };
  for (const auto& c : cases) EXPECT_EQ(calculateStatus(c.d, c.group), c.want) << c.name;
}

struct CompleteCase {
  std::string name;
  DeploymentState d;
  DeploymentStatusCounts status;
  bool want;
};

TEST(DeploymentComplete, AllUpdatedAvailableAndObserved) {
  DeploymentState three = rolling(3, pct(25), pct(25));
  three.generation = 2;
  DeploymentState zero = rolling(0, pct(25), pct(25));
  zero.generation = 1;
  const std::vector<CompleteCase> cases = {
      {"complete", three, {2, 3, 3, 3, 3, 0}, true},
      {"observed a later generation too", three, {3, 3, 3, 3, 3, 0}, true},
      {"an old pod remains", three, {2, 4, 3, 4, 4, 1}, false},
      {"not all available", three, {2, 3, 3, 3, 2, 1}, false},
      {"not all updated", three, {2, 3, 2, 3, 3, 0}, false},
      {"status of an older generation", three, {1, 3, 3, 3, 3, 0}, false},
      {"scaled to zero", zero, {1, 0, 0, 0, 0, 0}, true},
  };
  for (const auto& c : cases) EXPECT_EQ(deploymentComplete(c.d, c.status), c.want) << c.name;
}

TEST(DeploymentProgressing, AnyMoveTowardsTheNewTemplate) {
  const DeploymentStatusCounts before{1, 4, 1, 3, 3, 1};
  struct Case {
    std::string name;
    DeploymentStatusCounts after;
    bool want;
  };
  const std::vector<Case> cases = {
      {"more updated", {1, 5, 2, 3, 3, 2}, true},
      {"fewer old", {1, 3, 1, 3, 3, 0}, true},
      {"more ready", {1, 4, 1, 4, 3, 1}, true},
      {"more available", {1, 4, 1, 3, 4, 0}, true},
      {"unchanged", before, false},
      {"an available pod lost", {1, 4, 1, 3, 2, 2}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(deploymentProgressing(before, c.after), c.want) << c.name;
}

TEST(HasMinimumAvailability, AvailableAtLeastReplicasMinusMaxUnavailable) {
  const DeploymentState ten = rolling(10, pct(25), pct(25));  // needs 8
  EXPECT_TRUE(hasMinimumAvailability(ten, {1, 10, 10, 8, 8, 2}));
  EXPECT_FALSE(hasMinimumAvailability(ten, {1, 10, 10, 7, 7, 3}));
  EXPECT_TRUE(hasMinimumAvailability(recreate(3), {1, 3, 3, 3, 3, 0}));
  EXPECT_FALSE(hasMinimumAvailability(recreate(3), {1, 3, 3, 2, 2, 1}));
  EXPECT_TRUE(hasMinimumAvailability(rolling(0, pct(25), pct(25)), {}));
}

// ---------------------------------------------------------------------------------------------
// Annotations and revisions

TEST(Annotations, ParseLikeGo) {
  const std::vector<std::pair<std::string, std::optional<int64_t>>> revisions = {
      {"1", 1},
      {"42", 42},
      {"+7", 7},
      {"-3", -3},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", std::nullopt},
      {"", std::nullopt},
      {"-", std::nullopt},
      {"+-1", std::nullopt},
      {"1.0", std::nullopt},
      {" 1", std::nullopt},
      {"abc", std::nullopt},
  };
  for (const auto& [text, want] : revisions) EXPECT_EQ(parseRevision(text), want) << text;

  const std::vector<std::pair<std::string, std::optional<int32_t>>> replicas = {
      {"13", 13},
      {"0", 0},
      {"-1", -1},
      {"2147483647", std::numeric_limits<int32_t>::max()},
      {"2147483648", std::nullopt},
      {"x", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& [text, want] : replicas) EXPECT_EQ(parseReplicasAnnotation(text), want) << text;
}

TEST(Revisions, NextIsOneAboveTheHighestOldRevision) {
  auto withRevision = [](std::string name, int64_t revision) {
    ReplicaSetState r = rs(std::move(name), 1, 0);
    r.revision = revision;
    return r;
  };
  struct Case {
    std::string name;
    ReplicaSetGroup group;
    int64_t max;
    int64_t next;
  };
  const std::vector<Case> cases = {
      {"first rollout", group({}, {}), 0, 1},
      {"highest of three",
       group({}, {withRevision("a", 1), withRevision("b", 3), withRevision("c", 2)}), 3, 4},
      {"the new RS's own revision does not count",
       group(withRevision("new", 5), {withRevision("a", 1), withRevision("b", 2)}), 2, 3},
      {"missing or negative revisions count as 0",
       group({}, {withRevision("a", 0), withRevision("b", -4)}), 0, 1},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(maxRevision(c.group.oldRSs), c.max) << c.name;
    EXPECT_EQ(nextRevision(c.group), c.next) << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// pod-template-hash

TEST(PodTemplateHash, Fnv32aMatchesReferenceVectors) {
  EXPECT_EQ(fnv32a(""), 0x811c9dc5u);
  EXPECT_EQ(fnv32a("a"), 0xe40c292cu);
  EXPECT_EQ(fnv32a("foobar"), 0xbf9cf968u);
}

TEST(PodTemplateHash, SafeEncodeUsesTheVowellessAlphabet) {
  EXPECT_EQ(safeEncode("0123456789"), "456789bcdf");
  EXPECT_EQ(safeEncode("4294967295"), "86f8fbc6f9");
  EXPECT_EQ(safeEncode(""), "");
}

TEST(PodTemplateHash, GoldenValues) {
  // Pinned so that a change to the hashing is noticed: it would rename every ReplicaSet.
  const std::string nginx =
      R"({"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"image":"nginx:1.14.2","name":"nginx"}]}})";
  struct Case {
    std::string name;
    std::string json;
    int32_t collisionCount;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"nginx template", nginx, 0, "79b9978b9f"},
      {"first collision", nginx, 1, "557f9b68bb"},
      {"second collision", nginx, 2, "84df896c97"},
      {"a negative count is ignored like 0", nginx, -1, "79b9978b9f"},
      {"empty object", "{}", 0, "5859f96865"},
  };
  for (const auto& c : cases) {
    const std::string got = podTemplateHash(c.json, c.collisionCount);
    EXPECT_EQ(got, c.want) << c.name;
    EXPECT_LE(got.size(), 10u) << c.name;
    EXPECT_EQ(got.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos) << c.name;
    EXPECT_EQ(podTemplateHash(c.json, c.collisionCount), got) << c.name << ": not deterministic";
  }
}

}  // namespace
}  // namespace sluice::controllers::deployment
