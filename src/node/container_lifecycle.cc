#include "node/container_lifecycle.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "api/object.h"
#include "api/quantity.h"
#include "node/log_files.h"

namespace sluice::node {

namespace json = boost::json;
using std::chrono::seconds;

namespace {

constexpr seconds kFirstBackoff{10};
constexpr seconds kMaxBackoff{300};
// A container that ran this long crashed for a new reason: its back-off starts over.
constexpr std::chrono::minutes kBackoffReset{10};

// The back-off after `current`: 10 s, then doubling to 5 minutes.
seconds nextBackoff(seconds current) {
  return current.count() == 0 ? kFirstBackoff : std::min(current * 2, kMaxBackoff);
}

// A quantity as written in the spec: "100m", or 1 as a bare number.
std::string quantityText(const json::value* v) {
  if (!v) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  return "";
}

// The environment every container gets from the runtime (the kubelet's downward API in
// spirit): a few of the server's own variables, the pod's identity and address, and PORT.
std::vector<EnvVar> runtimeEnv(const PodRuntime& rt, const json::value& spec) {
  std::vector<EnvVar> env;
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"})
    if (const char* v = std::getenv(name)) env.push_back({name, v});
  if (!std::getenv("PATH")) env.push_back({"PATH", "/usr/local/bin:/usr/bin:/bin"});
  env.push_back({"HOSTNAME", rt.name});
  env.push_back({"POD_NAME", rt.name});
  env.push_back({"POD_NAMESPACE", rt.ns});
  env.push_back({"POD_IP", rt.ip});
  int port = 0;
  if (auto* ports = api::find(spec, "ports");
      ports && ports->is_array() && !ports->as_array().empty())
    port = static_cast<int>(api::getInt(ports->as_array()[0], "containerPort"));
  if (port) env.push_back({"PORT", std::to_string(port)});
  return env;
}

}  // namespace

StartAction startAction(const ContainerRuntime& c, const std::string& restartPolicy,
                        base::SteadyTime now) {
  if (c.running) return StartAction::None;
  if (c.everStarted) {
    bool restart = restartPolicy == "Always" || (c.last && restartsAfter(restartPolicy, *c.last));
    if (!restart) return StartAction::None;
  }
  if (now < c.nextStart) return StartAction::Wait;
  return StartAction::Start;
}

void recordExit(ContainerRuntime& c, const ExitStatus& exit, bool oomKilled, base::SteadyTime now,
                base::WallTime wallNow) {
  c.running = false;
  c.pid = 0;
  Termination t;
  t.exitCode = exit.exitCode;
  t.signal = exit.signal;
  t.startedAt = c.startedAt;
  t.finishedAt = api::formatTimestamp(wallNow);
  t.reason = oomKilled ? "OOMKilled" : exit.exitCode == 0 ? "Completed" : "Error";
  c.last = t;
  if (now - c.startedAtSteady > kBackoffReset) c.backoff = seconds(0);
  if (c.backoff.count() == 0) {
    c.nextStart = now;
    c.backoff = kFirstBackoff;
  } else {
    c.nextStart = now + c.backoff;
    c.backoff = nextBackoff(c.backoff);
  }
  if (c.stopping) c.nextStart = now;  // killed for a failed probe: restart right away
  c.stopping = false;
}

void recordStarted(ContainerRuntime& c, pid_t pid, base::SteadyTime now, base::WallTime wallNow) {
  if (c.everStarted) ++c.restartCount;
  c.pid = pid;
  c.running = true;
  c.everStarted = true;
  c.startedAtSteady = now;
  c.startedAt = api::formatTimestamp(wallNow);
  c.waitingReason.clear();
  c.waitingMessage.clear();
  c.startupPassed = false;
  c.readinessPassed = false;
}

PodEvent recordImageMissing(ContainerRuntime& c, const std::string& image, const std::string& why,
                            base::SteadyTime now) {
  bool first = c.waitingReason != "ErrImagePull" && c.waitingReason != "ImagePullBackOff";
  c.waitingReason = first ? "ErrImagePull" : "ImagePullBackOff";
  c.waitingMessage = first ? why : "Back-off pulling image \"" + image + "\": " + why;
  c.backoff = nextBackoff(c.backoff);
  c.nextStart = now + (first ? seconds(1) : c.backoff);
  if (first) return {"Warning", "Failed", "Failed to pull image \"" + image + "\": " + why};
  return {"Normal", "BackOff", "Back-off pulling image \"" + image + "\""};
}

PodEvent recordConfigError(ContainerRuntime& c, const std::string& why, base::SteadyTime now) {
  c.waitingReason = "CreateContainerConfigError";
  c.waitingMessage = why;
  c.nextStart = now + seconds(10);
  return {"Warning", "Failed", "Error: " + why};
}

PodEvent recordSpawnFailure(ContainerRuntime& c, const std::string& why, base::SteadyTime now) {
  c.waitingReason = "RunContainerError";
  c.waitingMessage = why;
  c.backoff = nextBackoff(c.backoff);
  c.nextStart = now + c.backoff;
  return {"Warning", "Failed", "Error: " + why};
}

ContainerStarter::ContainerStarter(CatalogFiles& catalog, ProcessReaper& reaper,
                                   ResourceLimiter& limiter, Options options, base::Logger log)
    : catalog_(catalog),
      reaper_(reaper),
      limiter_(limiter),
      options_(std::move(options)),
      log_(std::move(log)) {}

void ContainerStarter::start(PodRuntime& rt, const json::value& pod, const json::value& spec,
                             ContainerRuntime& c, base::SteadyTime now, base::WallTime wallNow,
                             std::function<void(ExitStatus)> onExit,
                             std::vector<PodEvent>& events) {
  std::string image = api::getString(spec, "image");
  auto lookup = catalog_.resolve(image, options_.sluiceBinary, options_.httpEchoBinary);
  if (!lookup.image) {
    std::string paths;
    for (const auto& p : catalog_.paths()) paths += (paths.empty() ? "" : ", ") + p;
    std::string why =
        "image \"" + image + "\" is not in the image catalog (" + paths +
        "): add an entry that maps it to a command" +
        (lookup.problem.empty() ? "" : "; the catalog has an error: " + lookup.problem);
    events.push_back(recordImageMissing(c, image, why, now));
    log_->warn("pod {} container {}: {}", rt.key, c.name, c.waitingReason + ": " + why);
    return;
  }
  ContainerContext ctx;
  ctx.runtimeEnv = runtimeEnv(rt, spec);
  ctx.pod = &pod;
  auto built = buildProcessSpec(lookup.image->spec, spec, ctx);
  if (!built) {
    events.push_back(recordConfigError(c, built.error().message, now));
    log_->warn("pod {} container {}: CreateContainerConfigError: {}", rt.key, c.name,
               built.error().message);
    return;
  }
  SpawnSpec sp;
  sp.argv = built->argv;
  for (const auto& e : built->env) sp.env.push_back(e.name + "=" + e.value);
  sp.workingDir = built->workingDir;
  // The run's number is its restart count once started: 0, then 1 for the first restart, ...
  int64_t run = c.everStarted ? c.restartCount + 1 : c.restartCount;
  c.logDir = rt.dir + "/" + c.name;
  std::error_code ec;
  std::filesystem::create_directories(c.logDir, ec);
  if (ec)
    log_->warn("pod {} container {}: log directory {}: {}", rt.key, c.name, c.logDir, ec.message());
  sp.logPath = logFilePath(c.logDir, run);
  long long memory = 0, cpu = 0;
  if (auto m = api::getString(spec, "resources.limits.memory"); !m.empty())
    memory = api::parseQuantityBytes(m).value_or(0);
  if (auto* cpuLimit = api::find(spec, "resources.limits.cpu"))
    cpu = api::parseQuantityMillis(quantityText(cpuLimit)).value_or(0);
  c.cgroupId = "pod" + rt.uid + "-" + c.name;
  if (memory > 0 || cpu > 0) {
    if (auto st = limiter_.prepare(c.cgroupId, memory, cpu, sp); !st) {
      log_->warn("pod {} container {}: limits not applied: {}", rt.key, c.name, st.error().message);
      events.push_back({"Warning", "ResourceLimits", "limits not applied: " + st.error().message});
    }
    if (!rt.limitsReported) {
      rt.limitsReported = true;
      events.push_back({limiter_.mode() == ResourceLimiter::Mode::Rlimit ? "Warning" : "Normal",
                        "ResourceLimits", limiter_.describe()});
    }
  }
  auto pid = reaper_.spawn(sp, std::move(onExit));
  if (!pid) {
    events.push_back(recordSpawnFailure(c, pid.error().message, now));
    log_->warn("pod {} container {}: RunContainerError: {}; next try in {}s", rt.key, c.name,
               pid.error().message, c.backoff.count());
    return;
  }
  bool first = !c.everStarted;
  recordStarted(c, *pid, now, wallNow);
  if (first) {
    events.push_back(
        {"Normal", "Pulled", "Container image \"" + image + "\" already present on machine"});
    log_->info("pod {} container {}: started (pid {})", rt.key, c.name, *pid);
  } else {
    log_->info("pod {} container {}: restarted (pid {}, restart {})", rt.key, c.name, *pid,
               c.restartCount);
  }
  events.push_back({"Normal", "Created", "Created container " + c.name});
  events.push_back({"Normal", "Started", "Started container " + c.name});
}

int64_t deletionGraceSeconds(const json::value& pod) {
  return api::getInt(pod, "metadata.deletionGracePeriodSeconds",
                     api::getInt(pod, "spec.terminationGracePeriodSeconds", 30));
}

int64_t probeKillGraceSeconds(const json::value& pod) {
  return api::getInt(pod, "spec.terminationGracePeriodSeconds", 30);
}

DrainStep drainStep(PodRuntime& rt, bool listedAsReady, base::SteadyTime now) {
  if (rt.terminating || rt.ip.empty()) return {};
  if (!rt.drainUntil) rt.drainUntil = now + kDrainBound;
  if (now >= *rt.drainUntil) return {};
  if (listedAsReady) return {true, *rt.drainUntil};
  if (!rt.drainedAt) rt.drainedAt = now;
  if (now < *rt.drainedAt + kDrainSettle) return {true, *rt.drainedAt + kDrainSettle};
  return {};
}

bool endpointsListAddress(const json::value& endpoints, const std::string& ip) {
  if (auto* subsets = api::find(endpoints, "subsets"); subsets && subsets->is_array())
    for (const auto& s : subsets->as_array())
      if (auto* a = api::find(s, "addresses"); a && a->is_array())
        for (const auto& addr : a->as_array())
          if (api::getString(addr, "ip") == ip) return true;
  return false;
}

}  // namespace sluice::node
