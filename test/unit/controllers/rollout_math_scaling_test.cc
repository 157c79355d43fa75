// The rollout_math tables for scaling events, status numbers, annotations and the
// pod-template-hash.
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "controllers/deployment/rollout_math.h"
#include "rollout_math_fixtures.h"

namespace sluice::controllers::deployment {
namespace {

using namespace fixtures;

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
