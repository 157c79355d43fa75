// Container probes (startup, readiness, liveness), scheduled as the kubelet schedules them: every
// probe has its own next due time, and one scheduler thread sleeps on the injected clock until the
// earliest of them, runs what is due and reports each result to its owner.
//
// Semantics, as kubelet's prober workers have them:
// - A probe first runs initialDelaySeconds after the container started, then every periodSeconds
//   (at least 1; default 10).
// - Each run is given timeoutSeconds (at least 1; default 1); the probe function fails a run that
//   takes longer.
// - A probe's verdict flips after successThreshold consecutive successes (at least 1; default 1)
//   or failureThreshold consecutive failures (at least 1; default 3). Readiness starts failing
//   (not ready), startup not passed, liveness passing.
// - While a container's startup probe has not passed, its readiness and liveness probes do not
//   run; once it has passed, it runs no more.
// - A liveness or startup probe that reaches failureThreshold asks for a restart; the container
//   is then no longer probed (its next process is added anew).
//
// Probes run one at a time on the scheduler thread, so a slow probe delays the others by at most
// its timeout.
//
// Threading: add, remove, runDue and nextDue may be called from any thread. The result handler
// runs on the thread that ran the probe (the scheduler, or runDue's caller) without the prober's
// lock held, so it may call add and remove. The clock outlives the prober.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"

namespace sluice::node {

enum class ProbeKind { Startup, Readiness, Liveness };

// "Startup", "Readiness", "Liveness" (as in "Readiness probe failed: ...").
std::string_view probeKindName(ProbeKind kind);
// The container field: "startupProbe", "readinessProbe", "livenessProbe".
std::string_view probeField(ProbeKind kind);

// A probe's timing and thresholds with the kubelet's defaults and minimums applied.
struct ProbeSettings {
  std::chrono::seconds initialDelay{0};
  std::chrono::seconds period{10};
  std::chrono::seconds timeout{1};
  int64_t successThreshold = 1;
  int64_t failureThreshold = 3;

  static ProbeSettings fromSpec(const boost::json::value& probe);
};

// What one probe run checks.
struct ProbeTarget {
  ProbeKind kind;
  boost::json::value probe;      // the container's probe: httpGet, tcpSocket or exec
  boost::json::value container;  // the container spec, for named ports
  std::string podIp;
  std::chrono::seconds timeout;
};

// Runs one probe: "" when it passed, else why it failed, in the kubelet's words (it becomes the
// Unhealthy event's message). Returns within about `timeout`.
using ProbeFunction = std::function<std::string(const ProbeTarget&)>;

// One container process to probe.
struct ProbedContainer {
  std::string podKey, podUid, name;
  boost::json::value spec;  // the container spec: its probes and ports
  std::string podIp;
  base::SteadyTime startedAt;
};

// The outcome of one probe run.
struct ProbeResult {
  uint64_t handle = 0;  // from add()
  std::string podKey, podUid, container;
  ProbeKind kind = ProbeKind::Readiness;
  std::string failure;   // "" when the run passed, else why it failed
  bool changed = false;  // the verdict flipped (startup passed, ready, not ready)
  bool passing = false;  // the verdict after this run
  bool restart = false;  // liveness or startup reached failureThreshold: restart the container
};
using ProbeResultHandler = std::function<void(const ProbeResult&)>;

class Prober {
 public:
  Prober(const base::Clock& clock, ProbeFunction probe, ProbeResultHandler handler);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Probes `container` from now on and returns its handle (never 0), or 0 when its spec has no
  // probe. Results of a removed handle are dropped, even one whose run was under way.
  uint64_t add(ProbedContainer container);
  void remove(uint64_t handle);

  // Starts the scheduler thread; stop() ends it after the run under way, if any.
  void start();
  void stop();

  // Without the thread (tests): runs every probe due now on the calling thread, reporting each
  // result before it returns. Returns how many ran.
  int runDue();
  // When the earliest probe is due; nullopt when nothing is probed.
  std::optional<base::SteadyTime> nextDue() const;

 private:
  struct Probe {
    ProbeKind kind;
    boost::json::value spec;
    ProbeSettings settings;
    base::SteadyTime next;
    int64_t successes = 0;
    int64_t failures = 0;
    bool passing = false;
  };
  struct Entry {
    ProbedContainer container;
    std::vector<Probe> probes;
    // Readiness and liveness wait for a startup probe to pass; a passed one runs no more.
    bool runnable(const Probe& p) const;
  };
  struct Run {
    uint64_t handle;
    ProbeTarget target;
  };

  std::optional<base::SteadyTime> nextDueLocked() const;
  // Applies a run's outcome; nullopt when its container is no longer probed.
  std::optional<ProbeResult> record(uint64_t handle, ProbeKind kind, std::string failure);
  void run();

  const base::Clock& clock_;
  ProbeFunction probe_;
  ProbeResultHandler handler_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t nextHandle_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::node
