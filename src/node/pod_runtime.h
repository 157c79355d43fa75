// What the node agent knows about a pod it runs, beyond the Pod object: each container's process,
// its history (restarts, the last termination, back-off) and its probe results, and the pod's own
// address and termination progress. Plain data: the agent guards it with its mutex; the pure
// functions (pod_status, container_lifecycle) read and update it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "base/clock.h"

namespace sluice::node {

// How a container's process ended, as containerStatuses[].state.terminated reports it.
struct Termination {
  int exitCode = 0;                   // 128+signal when killed
  int signal = 0;                     // 0 when it exited by itself
  std::string reason;                 // "Completed", "Error", "OOMKilled", "Unknown"
  std::string startedAt, finishedAt;  // RFC 3339
};

// The pod's restartPolicy ("Always", "OnFailure", "Never"): whether a container that ended with
// `last` runs again.
inline bool restartsAfter(const std::string& policy, const Termination& last) {
  return policy == "Always" || (policy == "OnFailure" && last.exitCode != 0);
}

struct ContainerRuntime {
  std::string name;
  pid_t pid = 0;
  bool running = false;
  bool everStarted = false;
  std::string startedAt;               // RFC 3339, of the running process
  base::SteadyTime startedAtSteady{};  // the same instant, for back-off and probe delays
  int64_t restartCount = 0;
  std::optional<Termination> last;            // the last termination
  std::string waitingReason, waitingMessage;  // why it is not running ("" = ContainerCreating)
  base::SteadyTime nextStart{};               // back-off: not started again before
  std::chrono::seconds backoff{0};            // the next crash's back-off; 0 = none yet
  // A failed liveness or startup probe sent SIGTERM; SIGKILL follows at `killAt`.
  bool stopping = false;
  base::SteadyTime killAt{};
  // Probe results for this process (see Prober): a startup probe has passed; a readiness probe
  // passes. Both false again when the container restarts.
  bool startupPassed = false;
  bool readinessPassed = false;
  uint64_t probeHandle = 0;  // the Prober's handle for this process; 0 when not probed
  std::string cgroupId;      // its resource limits ("" until first started)
  std::string logDir;        // DIR/<attempt>.log per start; "" until first started
};

// A Pod condition as the agent last reported it, so lastTransitionTime moves only on a change.
struct ConditionState {
  std::string status;  // "True" or "False"
  std::string lastTransitionTime;
};

struct PodRuntime {
  std::string key, uid, ns, name;
  std::string ip;  // its loopback address; "" when the pod range is full
  uint32_t ipNum = 0;
  std::string startTime;
  std::map<std::string, ContainerRuntime> containers;  // by container name
  std::map<std::string, ConditionState> conditions;    // by condition type
  // Termination, in order: leave every Endpoints (bounded by `drainUntil`), settle, then signal
  // (`terminating`) and SIGKILL at `killDeadline`.
  std::optional<base::SteadyTime> drainUntil;
  std::optional<base::SteadyTime> drainedAt;
  bool terminating = false;
  base::SteadyTime killDeadline{};
  std::string dir;  // DATA/pods/<ns>_<name>_<uid>: container logs
  bool limitsReported = false;

  bool anyRunning() const {
    for (const auto& [name, c] : containers)
      if (c.running) return true;
    return false;
  }
};

// Takes over what `pod`'s status reports about containers this agent has not run: after a server
// restart their processes died with the old server, so each one that had started counts as
// started, keeps its restart count, and has a last termination (its reported one, or "Unknown"
// with SIGKILL at `now`), so it is restarted and counted as restarted.
void adoptReportedContainers(PodRuntime& rt, const boost::json::value& pod, base::WallTime now);

}  // namespace sluice::node
