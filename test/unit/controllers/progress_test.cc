// The Deployment's status and conditions, computed from plain inputs and a time.
#include "controllers/deployment/progress.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "api/object.h"
#include "rollout_math_fixtures.h"

namespace sluice::controllers::deployment {

void PrintTo(const Condition& c, std::ostream* os) {
  *os << "{" << c.type << " " << c.status << " " << c.reason << " \"" << c.message << "\" updated "
      << c.lastUpdateTime << " transitioned " << c.lastTransitionTime << "}";
}

namespace {

using namespace fixtures;
using namespace std::chrono_literals;

// "10:04:00" on the day every case happens.
std::string at(const std::string& time) {
  return "2024-01-01T" + time + "Z";
}

std::chrono::system_clock::time_point timeAt(const std::string& time) {
  std::chrono::system_clock::time_point t;
  EXPECT_TRUE(api::parseTimestamp(at(time), t)) << time;
  return t;
}

Condition cond(std::string type, std::string status, std::string reason, std::string message,
               const std::string& updated, const std::string& transitioned) {
  return Condition{std::move(type),    std::move(status), std::move(reason),
                   std::move(message), at(updated),       at(transitioned)};
}

Condition available(const std::string& updated, const std::string& transitioned) {
  return cond("Available", "True", "MinimumReplicasAvailable",
              "Deployment has minimum availability.", updated, transitioned);
}

Condition progressing(std::string status, std::string reason, std::string message,
                      const std::string& updated, const std::string& transitioned) {
  return cond("Progressing", std::move(status), std::move(reason), std::move(message), updated,
              transitioned);
}

// 4 replicas, 25%/25%: at most 5 pods, at least 3 available.
ProgressInput fourReplicas(ReplicaSetGroup group) {
  ProgressInput in;
  in.deployment = rolling(4, pct(25), pct(25));
  in.deployment.generation = 2;
  in.group = std::move(group);
  in.previous = calculateStatus(in.deployment, in.group);
  return in;
}

// Mid-rollout: the old ReplicaSet at 3, all available; the new one at 2, one available.
ReplicaSetGroup midRollout() {
  return group(rs("web-2", 2, 2, 1), {rs("web-1", 1, 3, 3)});
}
// Done: the new ReplicaSet holds every pod.
ReplicaSetGroup rolledOut() {
  return group(rs("web-2", 2, 4, 4), {rs("web-1", 1, 0)});
}

struct ProgressCase {
  std::string name;
  ProgressInput in;
  std::string now;
  Condition wantAvailable;
  Condition wantProgressing;
  std::optional<std::chrono::milliseconds> wantRecheck;
};

template <class F>
ProgressInput with(ProgressInput in, F change) {
  change(in);
  return in;
}

TEST(ComputeProgress, ProgressingFollowsThePriorityOfItsRules) {
  const Condition wasAvailable = available("08:00:00", "08:00:00");
  const std::string updating = "ReplicaSet \"web-2\" is progressing.";
  const std::vector<ProgressCase> cases = {
      {"paused: Unknown, times kept while it stays paused",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.paused = true;
              in.previousAvailable = wasAvailable;
              in.previousProgressing = progressing("Unknown", "DeploymentPaused",
                                                   "Deployment is paused", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("Unknown", "DeploymentPaused", "Deployment is paused", "09:00:00", "09:00:00"),
       std::nullopt},
      {"paused just now: both times now",
       with(fourReplicas(rolledOut()),
            [&](ProgressInput& in) {
              in.paused = true;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "NewReplicaSetAvailable", "x", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("Unknown", "DeploymentPaused", "Deployment is paused", "10:04:00", "10:04:00"),
       std::nullopt},
      {"resumed: still Unknown, so the transition time stays",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing = progressing("Unknown", "DeploymentPaused",
                                                   "Deployment is paused", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("Unknown", "DeploymentResumed", "Deployment is resumed", "10:04:00", "09:00:00"),
       std::nullopt},
      {"complete outranks a new ReplicaSet and a scale",
       with(fourReplicas(rolledOut()),
            [&](ProgressInput& in) {
              in.createdNewReplicaSet = true;
              in.scaledReplicaSets = true;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "NewReplicaSetAvailable",
                   "ReplicaSet \"web-2\" has successfully progressed.", "10:04:00", "09:30:00"),
       std::nullopt},
      {"a new ReplicaSet since the last status",
       with(fourReplicas(group(rs("web-2", 2, 1, 0), {rs("web-1", 1, 4, 4)})),
            [&](ProgressInput& in) {
              in.createdNewReplicaSet = true;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "NewReplicaSetAvailable", "x", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "NewReplicaSetCreated", "Created new replica set \"web-2\"", "10:04:00",
                   "09:00:00"),
       std::nullopt},
      {"a scale since the last status: the deadline starts again though the message repeats",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.scaledReplicaSets = true;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "ReplicaSetUpdated", updating, "10:04:00", "09:30:00"), 600100ms},
      {"more pods available than the last status said (3 → 4)",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previous.availableReplicas = 3;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "ReplicaSetUpdated", updating, "10:04:00", "09:30:00"), 600100ms},
      {"no Progressing condition yet", fourReplicas(midRollout()), "10:04:00",
       available("10:04:00", "10:04:00"),
       progressing("True", "ReplicaSetUpdated", updating, "10:04:00", "10:04:00"), 600100ms},
      {"a new rollout after a complete one",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "NewReplicaSetAvailable", "x", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "ReplicaSetUpdated", updating, "10:04:00", "09:00:00"), 600100ms},
      {"no progress within the deadline: unchanged, looked at again when it passes",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00"),
       // 10:00:00 + 600 s - 10:04:00 = 360 s, plus 100 ms.
       360100ms},
      {"no progress past the deadline: exceeded",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:10:00", wasAvailable,
       progressing("False", "ProgressDeadlineExceeded",
                   "ReplicaSet \"web-2\" has timed out progressing.", "10:10:00", "10:10:00"),
       std::nullopt},
      {"a shorter deadline: 60 s from 10:00:00 passed by 10:04:00",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.progressDeadlineSeconds = 60;
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "ReplicaSetUpdated", updating, "10:00:00", "09:30:00");
            }),
       "10:04:00", wasAvailable,
       progressing("False", "ProgressDeadlineExceeded",
                   "ReplicaSet \"web-2\" has timed out progressing.", "10:04:00", "10:04:00"),
       std::nullopt},
      {"exceeded stays exceeded, with no further recheck",
       with(fourReplicas(midRollout()),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("False", "ProgressDeadlineExceeded", "x", "09:10:00", "09:10:00");
            }),
       "10:04:00", wasAvailable,
       progressing("False", "ProgressDeadlineExceeded", "x", "09:10:00", "09:10:00"), std::nullopt},
      {"no new ReplicaSet yet: not complete, and the message names none",
       with(fourReplicas(group({}, {rs("web-1", 1, 4, 4)})),
            [&](ProgressInput& in) {
              in.previousAvailable = wasAvailable;
              in.previousProgressing =
                  progressing("True", "NewReplicaSetAvailable", "x", "09:00:00", "09:00:00");
            }),
       "10:04:00", wasAvailable,
       progressing("True", "ReplicaSetUpdated", "ReplicaSet \"\" is progressing.", "10:04:00",
                   "09:00:00"),
       600100ms},
  };
  for (const auto& c : cases) {
    const ProgressStatus got = computeProgress(c.in, timeAt(c.now));
    EXPECT_EQ(got.available, c.wantAvailable) << c.name;
    EXPECT_EQ(got.progressing, c.wantProgressing) << c.name;
    EXPECT_EQ(got.recheckAfter, c.wantRecheck) << c.name;
    EXPECT_EQ(got.counts, calculateStatus(c.in.deployment, c.in.group)) << c.name;
  }
}

struct AvailableCase {
  std::string name;
  ReplicaSetGroup group;
  Condition want;
};

TEST(ComputeProgress, AvailableOnceReplicasMinusMaxUnavailableAreAvailable) {
  // 4 replicas, maxUnavailable 25% → 1: at least 3 available pods.
  const std::vector<AvailableCase> cases = {
      {"4 of 4: the transition time stays", rolledOut(), available("08:00:00", "08:00:00")},
      {"4 mid-rollout: old 3, new 1 of 2", midRollout(), available("08:00:00", "08:00:00")},
      {"exactly 3", group(rs("web-2", 2, 1, 0), {rs("web-1", 1, 3, 3)}),
       available("08:00:00", "08:00:00")},
      {"2 of 4: False from now", group(rs("web-2", 2, 2, 0), {rs("web-1", 1, 2, 2)}),
       cond("Available", "False", "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.", "10:04:00", "10:04:00")},
  };
  for (const auto& c : cases) {
    ProgressInput in = fourReplicas(c.group);
    in.previousAvailable = available("08:00:00", "08:00:00");
    in.previousProgressing = progressing("True", "ReplicaSetUpdated", "x", "10:00:00", "10:00:00");
    EXPECT_EQ(computeProgress(in, timeAt("10:04:00")).available, c.want) << c.name;
  }
}

TEST(ComputeProgress, CountsAreTheReplicaSetsSums) {
  // Old 3 (3 available) and new 2 (1 available): 5 pods, 2 updated, 4 available, and
  // 3 + 2 - 4 = 1 unavailable.
  ProgressInput in = fourReplicas(midRollout());
  DeploymentStatusCounts want;
  want.observedGeneration = 2;
  want.replicas = 5;
  want.updatedReplicas = 2;
  want.readyReplicas = 4;
  want.availableReplicas = 4;
  want.unavailableReplicas = 1;
  EXPECT_EQ(computeProgress(in, timeAt("10:04:00")).counts, want);
}

struct MakeConditionCase {
  std::string name;
  std::optional<Condition> previous;
  std::string status, reason, message;
  std::string wantUpdated, wantTransitioned;
};

TEST(MakeCondition, KeepsTimesWhileStatusOrWordingStays) {
  const Condition previous =
      progressing("True", "ReplicaSetUpdated", "moving", "09:00:00", "08:00:00");
  const std::vector<MakeConditionCase> cases = {
      {"no previous condition: both now", std::nullopt, "True", "ReplicaSetUpdated", "moving",
       "10:00:00", "10:00:00"},
      {"nothing changes: both kept", previous, "True", "ReplicaSetUpdated", "moving", "09:00:00",
       "08:00:00"},
      {"new message, same status: updated now, transition kept", previous, "True",
       "ReplicaSetUpdated", "moved on", "10:00:00", "08:00:00"},
      {"new reason, same status: updated now, transition kept", previous, "True",
       "NewReplicaSetAvailable", "moving", "10:00:00", "08:00:00"},
      {"new status: both now", previous, "False", "ProgressDeadlineExceeded", "moving", "10:00:00",
       "10:00:00"},
      {"previous times absent: now",
       Condition{"Progressing", "True", "ReplicaSetUpdated", "moving", "", ""}, "True",
       "ReplicaSetUpdated", "moving", "10:00:00", "10:00:00"},
  };
  for (const auto& c : cases) {
    const Condition got =
        makeCondition("Progressing", c.status, c.reason, c.message, at("10:00:00"), c.previous);
    EXPECT_EQ(got, (Condition{"Progressing", c.status, c.reason, c.message, at(c.wantUpdated),
                              at(c.wantTransitioned)}))
        << c.name;
  }
}

}  // namespace
}  // namespace sluice::controllers::deployment
