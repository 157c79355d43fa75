// A container's life as the kubelet runs it: when it (re)starts — restart policy and back-off —,
// how it starts (image catalog → process, environment, limits, log file), and the order in which
// a deleted pod stops (leave the Endpoints, settle, SIGTERM, grace period, SIGKILL).
//
// The decisions are pure functions over PodRuntime/ContainerRuntime with the time passed in, so
// they are table-tested; ContainerStarter does the I/O of a start. The agent calls all of them
// under its lock and records the returned events after releasing it.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "node/catalog_files.h"
#include "node/limits.h"
#include "node/pod_runtime.h"
#include "node/process.h"

namespace sluice::node {

// An Event to record about the pod.
struct PodEvent {
  std::string type;  // "Normal" or "Warning"
  std::string reason;
  std::string message;
};

// --- starting and restarting ------------------------------------------------------------------

enum class StartAction {
  None,   // running, or finished for good under the pod's restart policy
  Wait,   // backing off until its nextStart
  Start,  // start it now
};
// What to do about container `c` (not being stopped) of a pod with `restartPolicy`.
StartAction startAction(const ContainerRuntime& c, const std::string& restartPolicy,
                        base::SteadyTime now);

// Records that `c`'s process ended, and when it may start again. Back-off as the kubelet's:
// the first restart is immediate, then 10 s doubling to 5 minutes (10, 20, 40, 80, 160, 300,
// 300, ...); a container that had run for over 10 minutes starts over at immediate; one killed
// for a failed liveness or startup probe restarts at once. The reason is "OOMKilled" when
// `oomKilled`, else "Completed" for exit 0 and "Error" otherwise.
void recordExit(ContainerRuntime& c, const ExitStatus& exit, bool oomKilled, base::SteadyTime now,
                base::WallTime wallNow);

// Records a start of `c` as process `pid`: a restart when it had run before.
void recordStarted(ContainerRuntime& c, pid_t pid, base::SteadyTime now, base::WallTime wallNow);

// Records that `c` could not start. Image missing from the catalog: ErrImagePull the first time
// (next try in 1 s), then ImagePullBackOff with the crash back-off; a bad container config:
// CreateContainerConfigError (next try in 10 s); a failed spawn: RunContainerError with the
// crash back-off. Each returns the Event to record.
PodEvent recordImageMissing(ContainerRuntime& c, const std::string& image, const std::string& why,
                            base::SteadyTime now);
PodEvent recordConfigError(ContainerRuntime& c, const std::string& why, base::SteadyTime now);
PodEvent recordSpawnFailure(ContainerRuntime& c, const std::string& why, base::SteadyTime now);

// Starts containers' processes. Call under the agent's lock; the catalog, reaper and limiter
// outlive it.
class ContainerStarter {
 public:
  struct Options {
    std::string sluiceBinary;    // what "{sluice}" in the catalog means
    std::string httpEchoBinary;  // what "{http-echo}" means ("": sluice http-echo)
  };
  ContainerStarter(CatalogFiles& catalog, ProcessReaper& reaper, ResourceLimiter& limiter,
                   Options options, base::Logger log);

  // Starts `spec` (a Container of `pod`) as `c`, logging to a new file under `rt.dir`. On
  // success `c` runs and `onExit` will be called once, on the reaper's thread, when its process
  // ends; on failure `c` waits, saying why and until when. Appends the Events to record.
  void start(PodRuntime& rt, const boost::json::value& pod, const boost::json::value& spec,
             ContainerRuntime& c, base::SteadyTime now, base::WallTime wallNow,
             std::function<void(ExitStatus)> onExit, std::vector<PodEvent>& events);

 private:
  CatalogFiles& catalog_;
  ProcessReaper& reaper_;
  ResourceLimiter& limiter_;
  Options options_;
  base::Logger log_;
};

// --- stopping ----------------------------------------------------------------------------------

// How long a deleted pod's containers get between SIGTERM and SIGKILL:
// metadata.deletionGracePeriodSeconds, else spec.terminationGracePeriodSeconds, else 30.
int64_t deletionGraceSeconds(const boost::json::value& pod);
// The same for a container killed by a failed probe: spec.terminationGracePeriodSeconds, else 30.
int64_t probeKillGraceSeconds(const boost::json::value& pod);

// A deleted pod leaves every Service's ready endpoints before its containers are signalled, so
// load balancers stop sending it new connections first (no preStop sleep needed); then a short
// settle lets every load balancer watching the Endpoints apply the change (in-process it takes
// microseconds; 100 ms covers ones that run apart). Waiting for the Endpoints is bounded: 2 s.
inline constexpr std::chrono::seconds kDrainBound{2};
inline constexpr std::chrono::milliseconds kDrainSettle{100};

struct DrainStep {
  bool wait = false;       // not yet: look again when the Endpoints change, or at `until`
  base::SteadyTime until;  // the latest time to look again
};
// The next step of draining `rt` (being deleted, not yet signalled) at `now`, given whether an
// Endpoints object still lists its address as ready. A pod without an address has nothing to
// drain. Updates rt's drain times.
DrainStep drainStep(PodRuntime& rt, bool listedAsReady, base::SteadyTime now);

// Whether `endpoints` (a v1 Endpoints) lists `ip` among its ready addresses.
bool endpointsListAddress(const boost::json::value& endpoints, const std::string& ip);

}  // namespace sluice::node
