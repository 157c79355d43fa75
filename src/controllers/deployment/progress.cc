#include "controllers/deployment/progress.h"

#include "api/object.h"

namespace sluice::controllers::deployment {

namespace {

// 100 ms past the deadline, so the pass it triggers finds the deadline passed.
constexpr std::chrono::milliseconds kDeadlineSlack{100};

std::string quoted(const std::string& name) {
  return "\"" + name + "\"";
}

}  // namespace

Condition makeCondition(const std::string& type, const std::string& status,
                        const std::string& reason, const std::string& message,
                        const std::string& now, const std::optional<Condition>& previous) {
  Condition c{type, status, reason, message, now, now};
  if (previous && previous->status == status) {
    if (!previous->lastTransitionTime.empty()) c.lastTransitionTime = previous->lastTransitionTime;
    if (previous->reason == reason && previous->message == message &&
        !previous->lastUpdateTime.empty())
      c.lastUpdateTime = previous->lastUpdateTime;
  }
  return c;
}

ProgressStatus computeProgress(const ProgressInput& in, std::chrono::system_clock::time_point now) {
  const std::string nowText = api::formatTimestamp(now);
  const DeploymentState& d = in.deployment;
  ProgressStatus out;
  out.counts = calculateStatus(d, in.group);
  out.available =
      hasMinimumAvailability(d, out.counts)
          ? makeCondition("Available", "True", "MinimumReplicasAvailable",
                          "Deployment has minimum availability.", nowText, in.previousAvailable)
          : makeCondition("Available", "False", "MinimumReplicasUnavailable",
                          "Deployment does not have minimum availability.", nowText,
                          in.previousAvailable);

  // Messages name the new ReplicaSet; "" before it exists, as the controller always wrote.
  const std::string newName = quoted(in.group.newRS ? in.group.newRS->name : "");
  const std::string previousReason = in.previousProgressing ? in.previousProgressing->reason : "";
  const bool complete = in.group.newRS && deploymentComplete(d, out.counts);
  const auto deadline = std::chrono::seconds(in.progressDeadlineSeconds);
  auto progressing = [&](const std::string& status, const std::string& reason,
                         const std::string& message) {
    return makeCondition("Progressing", status, reason, message, nowText, in.previousProgressing);
  };

  if (in.paused) {
    out.progressing = progressing("Unknown", "DeploymentPaused", "Deployment is paused");
  } else if (previousReason == "DeploymentPaused") {
    out.progressing = progressing("Unknown", "DeploymentResumed", "Deployment is resumed");
  } else if (complete) {
    out.progressing = progressing("True", "NewReplicaSetAvailable",
                                  "ReplicaSet " + newName + " has successfully progressed.");
  } else if (in.createdNewReplicaSet) {
    out.progressing =
        progressing("True", "NewReplicaSetCreated", "Created new replica set " + newName);
  } else if (in.scaledReplicaSets || deploymentProgressing(in.previous, out.counts) ||
             !in.previousProgressing || previousReason == "DeploymentResumed" ||
             previousReason == "NewReplicaSetAvailable") {
    out.progressing =
        progressing("True", "ReplicaSetUpdated", "ReplicaSet " + newName + " is progressing.");
    // A fresh update time even when the message repeats: the deadline counts from here.
    out.progressing.lastUpdateTime = nowText;
    out.recheckAfter = deadline + kDeadlineSlack;
  } else {
    // No progress since the last status: the deadline runs from the last update.
    out.progressing = *in.previousProgressing;
    std::chrono::system_clock::time_point lastUpdate;
    if (previousReason != "ProgressDeadlineExceeded" &&
        api::parseTimestamp(in.previousProgressing->lastUpdateTime, lastUpdate)) {
      if (now >= lastUpdate + deadline) {
        out.progressing = progressing("False", "ProgressDeadlineExceeded",
                                      "ReplicaSet " + newName + " has timed out progressing.");
      } else {
        out.recheckAfter =
            std::chrono::duration_cast<std::chrono::milliseconds>(lastUpdate + deadline - now) +
            kDeadlineSlack;
      }
    }
  }
  return out;
}

}  // namespace sluice::controllers::deployment
