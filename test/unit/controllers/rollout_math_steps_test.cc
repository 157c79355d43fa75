// The rollout_math tables for limits and steps: maxSurge/maxUnavailable, rolling updates and
// Recreate.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "controllers/deployment/rollout_math.h"
#include "rollout_math_fixtures.h"

namespace sluice::controllers::deployment {
namespace {

using namespace fixtures;

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

}  // namespace
}  // namespace sluice::controllers::deployment
