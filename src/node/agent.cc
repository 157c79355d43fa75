#include "node/agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api/cidr.h"
#include "api/object.h"
#include "api/quantity.h"
#include "client/informer.h"
#include "node/image_catalog.h"
#include "node/limits.h"
#include "node/process.h"
#include "runtime/event_recorder.h"
#include "runtime/workqueue.h"

namespace sluice::node {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SysClock = std::chrono::system_clock;

namespace {

const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}

struct ProbeState {
  SysClock::time_point next{};
  int successes = 0;
  int failures = 0;
  bool passed = false;  // readiness: ready; startup: started
};

struct Exit {
  int exitCode = 0;
  int signal = 0;
  std::string reason;
  std::string startedAt, finishedAt;
};

struct ContainerRuntime {
  std::string name;
  pid_t pid = 0;
  bool running = false;
  bool everStarted = false;
  std::string startedAt;
  SysClock::time_point startedAtTime{};
  int64_t restartCount = 0;
  std::optional<Exit> last;  // the last termination
  std::string waitingReason, waitingMessage;
  SysClock::time_point nextStart{};  // back-off
  seconds backoff{0};
  bool stopping = false;  // SIGTERM sent
  SysClock::time_point killAt{};
  bool killedForLiveness = false;
  ProbeState readiness, liveness, startup;
  bool ready = false;
  std::string cgroupId;
  std::string logDir;
};

struct PodRuntime {
  std::string key, uid, ns, name;
  std::string ip;
  uint32_t ipNum = 0;
  std::string startTime;
  std::map<std::string, ContainerRuntime> containers;
  bool terminating = false;
  SysClock::time_point drainUntil{};
  SysClock::time_point drainedAt{};
  SysClock::time_point killDeadline{};
  std::string dir;
  bool limitsReported = false;
  std::map<std::string, std::string> conditionTimes;  // type -> lastTransitionTime
  std::map<std::string, std::string> conditionStatus;
};

std::string fieldText(const json::value* v) {
  if (!v) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  return "";
}

// Resolves a probe/container port: a number, or a named container port.
int resolvePort(const json::value& container, const json::value* port) {
  if (!port) return 0;
  if (port->is_int64()) return static_cast<int>(port->as_int64());
  if (port->is_string()) {
    std::string name(port->as_string());
    if (auto* ports = api::find(container, "ports"); ports && ports->is_array())
      for (const auto& p : ports->as_array())
        if (api::getString(p, "name") == name)
          return static_cast<int>(api::getInt(p, "containerPort"));
    return std::atoi(name.c_str());
  }
  return 0;
}

// One HTTP GET with a deadline; "" on success (2xx/3xx), else why it failed.
std::string httpProbe(const std::string& ip, int port, const std::string& path,
                      int timeoutSeconds) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  timeval tv{timeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string why;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    why = "Get \"http://" + ip + ":" + std::to_string(port) + path + "\": dial tcp " + ip + ":" +
          std::to_string(port) + ": connect: " + std::strerror(errno);
  } else {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + ip + ":" + std::to_string(port) +
                      "\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
      why = "Get \"http://" + ip + ":" + std::to_string(port) + path + "\": " +
            (n == 0 ? std::string("EOF")
                    : "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
    } else {
      buf[n] = 0;
      int code = 0;
      if (std::sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
        why = "malformed HTTP response";
      else if (code < 200 || code >= 400)
        why = "HTTP probe failed with statuscode: " + std::to_string(code);
    }
  }
  ::close(fd);
  return why;
}

std::string tcpProbe(const std::string& ip, int port, int timeoutSeconds) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string why;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeoutSeconds * 1000) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) why = std::strerror(err);
    } else {
      why = "i/o timeout";
    }
  } else if (rc != 0) {
    why = std::strerror(errno);
  }
  ::close(fd);
  if (!why.empty()) why = "dial tcp " + ip + ":" + std::to_string(port) + ": " + why;
  return why;
}

std::string probeKindText(const std::string& which) {
  return which == "readinessProbe"  ? "Readiness"
         : which == "livenessProbe" ? "Liveness"
                                    : "Startup";
}

}  // namespace

struct NodeAgent::Impl {
  Impl(client::Client& c, client::SharedInformers& informers, Options o, const base::Clock& clk,
       base::Logger l)
      : client(c),
        options(std::move(o)),
        clock(clk),
        log(std::move(l)),
        pods(informers.informer(podType())),
        events(c, "kubelet", clock, log),
        queue(clock) {}

  client::Client& client;
  Options options;
  const base::Clock& clock;
  base::Logger log;
  client::Informer& pods;
  runtime::EventRecorder events;
  runtime::WorkQueue queue;
  std::unique_ptr<ProcessReaper> reaper;
  ResourceLimiter limiter;
  api::IpPool podIps;

  std::mutex mu;
  std::map<std::string, PodRuntime> runtimes;  // by pod key
  std::thread worker;
  std::thread prober;
  std::atomic<bool> stopping{false};
  std::mutex catalogMu;
  ImageCatalog catalog;
  std::map<std::string, std::filesystem::file_time_type> catalogTimes;
  std::string catalogError;

  // --- images ----------------------------------------------------------------------------

  std::vector<std::string> catalogPaths() const {
    std::vector<std::string> paths{options.dataDir + "/images.yaml"};
    paths.insert(paths.end(), options.catalogFiles.begin(), options.catalogFiles.end());
    return paths;
  }

  // Re-reads the catalog files when one changed, so a user can add an image without a restart.
  void refreshCatalog() {
    std::lock_guard lock(catalogMu);
    std::map<std::string, std::filesystem::file_time_type> times;
    for (const auto& p : catalogPaths()) {
      std::error_code ec;
      auto t = std::filesystem::last_write_time(p, ec);
      if (!ec) times[p] = t;
    }
    if (times == catalogTimes && !catalog.empty()) return;
    catalogTimes = times;
    ImageCatalog merged;
    catalogError.clear();
    for (const auto& p : catalogPaths()) {
      if (!times.count(p)) continue;
      std::ifstream in(p);
      std::stringstream ss;
      ss << in.rdbuf();
      auto parsed = ImageCatalog::parse(ss.str(), p);
      if (!parsed) {
        catalogError = parsed.error().message;
        continue;
      }
      merged.merge(*parsed);
    }
    catalog = std::move(merged);
  }

  // --- IPs -----------------------------------------------------------------------------------

  uint32_t allocateIp(const std::string& wanted) {
    in_addr a{};
    if (!wanted.empty() && inet_pton(AF_INET, wanted.c_str(), &a) == 1) {
      if (podIps.claim(ntohl(a.s_addr))) return ntohl(a.s_addr);
    }
    return podIps.allocate();
  }

  // --- the sync loop -------------------------------------------------------------------------

  void runWorker() {
    while (auto key = queue.get()) {
      auto st = syncPod(*key);
      if (st.ok())
        queue.forget(*key);
      else
        queue.addRateLimited(*key);
      queue.done(*key);
    }
  }

  void requeueAt(const std::string& key, SysClock::time_point at) {
    auto delay = std::chrono::duration_cast<milliseconds>(at - clock.now());
    queue.addAfter(key, std::max(delay, milliseconds(1)));
  }

  api::Status syncPod(const std::string& key) {
    auto pod = pods.get(key);
    if (!pod) {
      std::lock_guard lock(mu);
      auto it = runtimes.find(key);
      if (it != runtimes.end()) {
        for (auto& [n, c] : it->second.containers)
          if (c.running) signalGroup(c.pid, SIGKILL);
        bool anyRunning = false;
        for (auto& [n, c] : it->second.containers) anyRunning = anyRunning || c.running;
        if (anyRunning) {
          queue.addAfter(key, milliseconds(20));
          return {};
        }
        release(it->second);
        runtimes.erase(it);
      }
      return {};
    }
    std::string nodeName = api::getString(*pod, "spec.nodeName");
    if (nodeName.empty()) {
      // Sluice is its own scheduler: every pod lands on this node.
      auto r =
          client.patch(podType(), api::namespaceOf(*pod), api::nameOf(*pod), api::PatchType::Merge,
                       json::object{{"spec", json::object{{"nodeName", options.nodeName}}}});
      if (!r && r.error().code != 404) return r.error();
      if (r) {
        events.record(*r, "Normal", "Scheduled",
                      "Successfully assigned " + api::namespaceOf(*pod) + "/" + api::nameOf(*pod) +
                          " to " + options.nodeName);
      }
      return {};
    }
    if (nodeName != options.nodeName) return {};

    std::unique_lock lock(mu);
    auto& rt = runtimes[key];
    if (rt.uid != api::uidOf(*pod)) {
      if (!rt.uid.empty()) {
        // A new pod under an old name: the old one's processes go first.
        for (auto& [n, c] : rt.containers)
          if (c.running) signalGroup(c.pid, SIGKILL);
        bool anyRunning = false;
        for (auto& [n, c] : rt.containers) anyRunning = anyRunning || c.running;
        if (anyRunning) {
          queue.addAfter(key, milliseconds(20));
          return {};
        }
        release(rt);
        rt = PodRuntime{};
      }
      initRuntime(rt, *pod);
    }
    auto now = clock.now();
    bool deleting = api::find(*pod, "metadata.deletionTimestamp") != nullptr;
    if (deleting) return terminate(rt, *pod, lock);

    std::string policy = api::getString(*pod, "spec.restartPolicy", "Always");
    auto* containers = api::find(*pod, "spec.containers");
    std::optional<SysClock::time_point> wake;
    if (containers && containers->is_array()) {
      for (const auto& spec : containers->as_array()) {
        std::string cname = api::getString(spec, "name");
        auto& cr = rt.containers[cname];
        cr.name = cname;
        if (cr.stopping) {
          // Liveness kill in progress.
          if (!cr.running) {
            cr.stopping = false;
          } else if (now >= cr.killAt) {
            signalGroup(cr.pid, SIGKILL);
            wake = now + milliseconds(50);
            continue;
          } else {
            wake = wake ? std::min(*wake, cr.killAt) : cr.killAt;
            continue;
          }
        }
        if (cr.running) continue;
        if (cr.everStarted) {
          bool restart =
              policy == "Always" || (policy == "OnFailure" && cr.last && cr.last->exitCode != 0);
          if (!restart) continue;
        }
        if (now < cr.nextStart) {
          wake = wake ? std::min(*wake, cr.nextStart) : cr.nextStart;
          continue;
        }
        startContainer(rt, *pod, spec, cr, now);
        if (!cr.running && cr.nextStart > now)
          wake = wake ? std::min(*wake, cr.nextStart) : cr.nextStart;
      }
    }
    json::value status = podStatus(rt, *pod, now);
    lock.unlock();
    if (wake) requeueAt(key, *wake);
    return writeStatus(*pod, std::move(status));
  }

  void initRuntime(PodRuntime& rt, const json::value& pod) {
    rt.key = client::Informer::keyOf(pod);
    rt.uid = api::uidOf(pod);
    rt.ns = api::namespaceOf(pod);
    rt.name = api::nameOf(pod);
    rt.ipNum = allocateIp(api::getString(pod, "status.podIP"));
    rt.ip = rt.ipNum ? api::ipToString(rt.ipNum) : "";
    rt.startTime = api::getString(pod, "status.startTime", api::formatTimestamp(clock.now()));
    rt.dir = options.dataDir + "/pods/" + rt.ns + "_" + rt.name + "_" + rt.uid;
    std::filesystem::create_directories(rt.dir);
    // A pod that had containers before this agent started (the server restarted): its
    // processes died with the old server, so they are restarted, and counted as restarts.
    if (auto* statuses = api::find(pod, "status.containerStatuses");
        statuses && statuses->is_array()) {
      for (const auto& s : statuses->as_array()) {
        auto& cr = rt.containers[api::getString(s, "name")];
        cr.name = api::getString(s, "name");
        cr.restartCount = api::getInt(s, "restartCount");
        if (api::find(s, "state.running") || api::find(s, "state.terminated")) {
          cr.everStarted = true;
          cr.last = Exit{137, 9, "Unknown", api::getString(s, "state.running.startedAt"),
                         api::formatTimestamp(clock.now())};
          if (auto* t = api::find(s, "state.terminated")) {
            cr.last =
                Exit{static_cast<int>(api::getInt(*t, "exitCode")),
                     static_cast<int>(api::getInt(*t, "signal")), api::getString(*t, "reason"),
                     api::getString(*t, "startedAt"), api::getString(*t, "finishedAt")};
          }
        }
      }
    }
  }

  void release(PodRuntime& rt) {
    if (rt.ipNum) podIps.release(rt.ipNum);
    for (auto& [n, c] : rt.containers)
      if (!c.cgroupId.empty()) limiter.release(c.cgroupId);
  }

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

  void startContainer(PodRuntime& rt, const json::value& pod, const json::value& spec,
                      ContainerRuntime& cr, SysClock::time_point now) {
    std::string image = api::getString(spec, "image");
    refreshCatalog();
    std::optional<ResolvedImage> resolved;
    std::string catalogProblem;
    {
      std::lock_guard lock(catalogMu);
      resolved = catalog.resolve(image, options.sluiceBinary, options.httpEchoBinary);
      catalogProblem = catalogError;
    }
    if (!resolved) {
      bool first = cr.waitingReason != "ErrImagePull" && cr.waitingReason != "ImagePullBackOff";
      std::string paths;
      for (const auto& p : catalogPaths()) paths += (paths.empty() ? "" : ", ") + p;
      std::string msg =
          "image \"" + image + "\" is not in the image catalog (" + paths +
          "): add an entry that maps it to a command" +
          (catalogProblem.empty() ? "" : "; the catalog has an error: " + catalogProblem);
      cr.waitingReason = first ? "ErrImagePull" : "ImagePullBackOff";
      cr.waitingMessage = first ? msg : "Back-off pulling image \"" + image + "\": " + msg;
      events.record(pod, first ? "Warning" : "Normal", first ? "Failed" : "BackOff",
                    first ? "Failed to pull image \"" + image + "\": " + msg
                          : "Back-off pulling image \"" + image + "\"");
      cr.backoff = cr.backoff.count() == 0 ? seconds(10) : std::min(cr.backoff * 2, seconds(300));
      cr.nextStart = now + (first ? seconds(1) : cr.backoff);
      return;
    }
    ContainerContext ctx;
    ctx.runtimeEnv = runtimeEnv(rt, spec);
    ctx.pod = &pod;
    auto built = buildProcessSpec(resolved->spec, spec, ctx);
    if (!built) {
      cr.waitingReason = "CreateContainerConfigError";
      cr.waitingMessage = built.error().message;
      events.record(pod, "Warning", "Failed", "Error: " + built.error().message);
      cr.nextStart = now + seconds(10);
      return;
    }
    SpawnSpec sp;
    sp.argv = built->argv;
    for (const auto& e : built->env) sp.env.push_back(e.name + "=" + e.value);
    sp.workingDir = built->workingDir;
    int64_t attempt = cr.everStarted ? cr.restartCount + 1 : cr.restartCount;
    cr.logDir = rt.dir + "/" + cr.name;
    std::filesystem::create_directories(cr.logDir);
    sp.logPath = cr.logDir + "/" + std::to_string(attempt) + ".log";
    long long mem = 0, cpu = 0;
    if (auto m = api::getString(spec, "resources.limits.memory"); !m.empty())
      mem = api::parseQuantityBytes(m).value_or(0);
    if (auto c = api::find(spec, "resources.limits.cpu"))
      cpu = api::parseQuantityMillis(fieldText(c)).value_or(0);
    cr.cgroupId = "pod" + rt.uid + "-" + cr.name;
    if (mem > 0 || cpu > 0) {
      if (auto st = limiter.prepare(cr.cgroupId, mem, cpu, sp); !st) {
        log->warn("pod {} container {}: limits not applied: {}", rt.key, cr.name,
                  st.error().message);
        events.record(pod, "Warning", "ResourceLimits",
                      "limits not applied: " + st.error().message);
      }
      if (!rt.limitsReported) {
        rt.limitsReported = true;
        events.record(pod, limiter.mode() == ResourceLimiter::Mode::Rlimit ? "Warning" : "Normal",
                      "ResourceLimits", limiter.describe());
      }
    }
    std::string key = rt.key, uid = rt.uid, cname = cr.name;
    auto pid =
        reaper->spawn(sp, [this, key, uid, cname](ExitStatus es) { onExit(key, uid, cname, es); });
    if (!pid) {
      cr.waitingReason = "RunContainerError";
      cr.waitingMessage = pid.error().message;
      events.record(pod, "Warning", "Failed", "Error: " + pid.error().message);
      cr.backoff = cr.backoff.count() == 0 ? seconds(10) : std::min(cr.backoff * 2, seconds(300));
      cr.nextStart = now + cr.backoff;
      return;
    }
    if (cr.everStarted) ++cr.restartCount;
    bool first = !cr.everStarted;
    cr.pid = *pid;
    cr.running = true;
    cr.everStarted = true;
    cr.startedAtTime = now;
    cr.startedAt = api::formatTimestamp(now);
    cr.waitingReason.clear();
    cr.waitingMessage.clear();
    cr.ready = false;
    cr.readiness = cr.liveness = cr.startup = ProbeState{};
    if (first) {
      events.record(pod, "Normal", "Pulled",
                    "Container image \"" + image + "\" already present on machine");
    }
    events.record(pod, "Normal", "Created", "Created container " + cr.name);
    events.record(pod, "Normal", "Started", "Started container " + cr.name);
  }

  void onExit(const std::string& key, const std::string& uid, const std::string& cname,
              ExitStatus es) {
    bool backingOff = false;
    {
      std::lock_guard lock(mu);
      auto it = runtimes.find(key);
      if (it == runtimes.end() || it->second.uid != uid) return;
      auto& cr = it->second.containers[cname];
      cr.running = false;
      cr.pid = 0;
      Exit e;
      e.exitCode = es.exitCode;
      e.signal = es.signal;
      e.startedAt = cr.startedAt;
      auto now = clock.now();
      e.finishedAt = api::formatTimestamp(now);
      bool oom = !cr.cgroupId.empty() && limiter.oomKilled(cr.cgroupId);
      e.reason = oom ? "OOMKilled" : es.exitCode == 0 ? "Completed" : "Error";
      cr.last = e;
      if (!cr.cgroupId.empty()) limiter.release(cr.cgroupId);
      // Back-off: the first restart is immediate, then 10 s doubling to 5 minutes; a container
      // that ran for 10 minutes starts over.
      if (now - cr.startedAtTime > std::chrono::minutes(10)) cr.backoff = seconds(0);
      if (cr.backoff.count() == 0) {
        cr.nextStart = now;
        cr.backoff = seconds(10);
      } else {
        cr.nextStart = now + cr.backoff;
        cr.backoff = std::min(cr.backoff * 2, seconds(300));
      }
      if (cr.stopping) cr.nextStart = now;  // killed for liveness: restart right away
      cr.stopping = false;
      backingOff = cr.nextStart > now && !it->second.terminating;
    }
    if (backingOff) {
      if (auto pod = pods.get(key); pod && api::uidOf(*pod) == uid)
        events.record(*pod, "Warning", "BackOff",
                      "Back-off restarting failed container " + cname + " in pod " +
                          api::nameOf(*pod) + "_" + api::namespaceOf(*pod) + "(" + uid + ")");
    }
    queue.add(key);
  }

  // Whether an Endpoints object in the pod's namespace still lists the pod as ready.
  bool listedAsReady(const PodRuntime& rt) {
    auto list = client.list(*api::findByKind("v1", "Endpoints"), rt.ns, {});
    if (!list) return false;
    for (const auto& ep : list->at("items").as_array())
      if (auto* subsets = api::find(ep, "subsets"); subsets && subsets->is_array())
        for (const auto& s : subsets->as_array())
          if (auto* a = api::find(s, "addresses"); a && a->is_array())
            for (const auto& addr : a->as_array())
              if (api::getString(addr, "ip") == rt.ip) return true;
    return false;
  }

  api::Status terminate(PodRuntime& rt, const json::value& pod,
                        std::unique_lock<std::mutex>& lock) {
    auto now = clock.now();
    if (!rt.terminating && !rt.ip.empty()) {
      // The pod leaves every Service's ready endpoints before it is signalled, so load balancers
      // stop sending it new connections first (no preStop sleep needed). Bounded: 2 s.
      // Then a short settle so every load balancer watching the Endpoints has applied the
      // change (in-process it takes microseconds; 100 ms covers ones that run apart).
      if (rt.drainUntil == SysClock::time_point{}) rt.drainUntil = now + seconds(2);
      if (now < rt.drainUntil) {
        if (listedAsReady(rt)) {
          queue.addAfter(rt.key, milliseconds(10));
          return {};
        }
        if (rt.drainedAt == SysClock::time_point{}) rt.drainedAt = now;
        if (now < rt.drainedAt + milliseconds(100)) {
          requeueAt(rt.key, rt.drainedAt + milliseconds(100));
          return {};
        }
      }
    }
    if (!rt.terminating) {
      rt.terminating = true;
      int64_t grace = api::getInt(pod, "metadata.deletionGracePeriodSeconds",
                                  api::getInt(pod, "spec.terminationGracePeriodSeconds", 30));
      rt.killDeadline = now + seconds(grace);
      for (auto& [n, c] : rt.containers) {
        if (!c.running) continue;
        events.record(pod, "Normal", "Killing", "Stopping container " + n);
        signalGroup(c.pid, grace == 0 ? SIGKILL : SIGTERM);
      }
    }
    bool anyRunning = false;
    for (auto& [n, c] : rt.containers) anyRunning = anyRunning || c.running;
    if (anyRunning) {
      if (now >= rt.killDeadline) {
        for (auto& [n, c] : rt.containers)
          if (c.running) signalGroup(c.pid, SIGKILL);
        queue.addAfter(rt.key, milliseconds(20));
      } else {
        requeueAt(rt.key, rt.killDeadline);
      }
      return {};
    }
    std::string ns = rt.ns, name = rt.name, uid = rt.uid;
    lock.unlock();
    api::DeleteOptions d;
    d.gracePeriodSeconds = 0;
    d.preconditionUid = uid;
    auto r = client.remove(podType(), ns, name, d);
    if (!r && r.error().code != 404 && r.error().code != 409) return r.error();
    return {};
  }

  // --- status --------------------------------------------------------------------------------

  json::value podStatus(PodRuntime& rt, const json::value& pod, SysClock::time_point now) {
    json::array statuses;
    bool allReady = true, anyRunning = false, allStartedOnce = true, allTerminated = true,
         anyFailed = false;
    std::string policy = api::getString(pod, "spec.restartPolicy", "Always");
    auto* containers = api::find(pod, "spec.containers");
    if (containers && containers->is_array()) {
      for (const auto& spec : containers->as_array()) {
        std::string cname = api::getString(spec, "name");
        auto& cr = rt.containers[cname];
        bool hasReadiness = api::find(spec, "readinessProbe") != nullptr;
        bool started = cr.running && (!api::find(spec, "startupProbe") || cr.startup.passed);
        cr.ready = cr.running && started && (!hasReadiness || cr.readiness.passed);
        json::object state;
        if (cr.running) {
          state["running"] = json::object{{"startedAt", cr.startedAt}};
          anyRunning = true;
          allTerminated = false;
        } else if (!cr.waitingReason.empty() || !cr.everStarted) {
          json::object w;
          if (!cr.waitingReason.empty()) {
            w["reason"] = cr.waitingReason;
            if (!cr.waitingMessage.empty()) w["message"] = cr.waitingMessage;
          } else {
            w["reason"] = "ContainerCreating";
          }
          state["waiting"] = w;
          allTerminated = false;
        } else if (cr.last) {
          bool restart = policy == "Always" || (policy == "OnFailure" && cr.last->exitCode != 0);
          if (restart) {
            state["waiting"] = json::object{
                {"reason", "CrashLoopBackOff"},
                {"message",
                 "back-off " +
                     std::to_string(cr.backoff.count() / 2 == 0 ? 10 : cr.backoff.count() / 2) +
                     "s restarting failed container=" + cname + " pod=" + rt.name + "_" + rt.ns +
                     "(" + rt.uid + ")"}};
            allTerminated = false;
            // The pod still counts as running while it restarts.
            anyRunning = true;
          } else {
            json::object t{{"exitCode", cr.last->exitCode},
                           {"reason", cr.last->reason},
                           {"startedAt", cr.last->startedAt},
                           {"finishedAt", cr.last->finishedAt},
                           {"containerID", "sluice://" + rt.uid + "/" + cname}};
            if (cr.last->signal) t["signal"] = cr.last->signal;
            state["terminated"] = t;
            if (cr.last->exitCode != 0) anyFailed = true;
          }
        }
        if (!cr.everStarted) allStartedOnce = false;
        if (!cr.ready) allReady = false;
        json::object s{{"name", cname},
                       {"image", api::getString(spec, "image")},
                       {"imageID", "sluice-catalog://" + api::getString(spec, "image")},
                       {"ready", cr.ready},
                       {"started", started},
                       {"restartCount", cr.restartCount},
                       {"state", state},
                       {"lastState", json::object{}}};
        if (cr.running) s["containerID"] = "sluice://" + std::to_string(cr.pid);
        bool showLast = cr.last && (cr.running || !cr.waitingReason.empty() ||
                                    (cr.restartCount > 0) || state.contains("waiting"));
        if (showLast && !state.contains("terminated")) {
          json::object t{{"exitCode", cr.last->exitCode},
                         {"reason", cr.last->reason},
                         {"startedAt", cr.last->startedAt},
                         {"finishedAt", cr.last->finishedAt}};
          if (cr.last->signal) t["signal"] = cr.last->signal;
          s["lastState"] = json::object{{"terminated", t}};
        }
        statuses.push_back(std::move(s));
      }
    }
    std::string phase = "Pending";
    if (allStartedOnce && allTerminated && !statuses.empty())
      phase = anyFailed ? "Failed" : "Succeeded";
    else if (allStartedOnce && anyRunning)
      phase = "Running";
    auto condition = [&](const std::string& type, bool value) {
      std::string v = value ? "True" : "False";
      if (rt.conditionStatus[type] != v) {
        rt.conditionStatus[type] = v;
        rt.conditionTimes[type] = api::formatTimestamp(now);
      }
      json::object c{{"type", type},
                     {"status", v},
                     {"lastProbeTime", nullptr},
                     {"lastTransitionTime", rt.conditionTimes[type]}};
      if (!value && (type == "Ready" || type == "ContainersReady")) {
        std::string notReady;
        for (const auto& s : statuses)
          if (!api::getBool(s, "ready"))
            notReady += (notReady.empty() ? "" : " ") + api::getString(s, "name");
        c["reason"] = type == "Ready" ? "ContainersNotReady" : "ContainersNotReady";
        c["message"] = "containers with unready status: [" + notReady + "]";
      }
      return c;
    };
    bool podReady = allReady && !statuses.empty() && phase == "Running";
    json::array conditions{condition("PodReadyToStartContainers", true),
                           condition("Initialized", true), condition("Ready", podReady),
                           condition("ContainersReady", podReady), condition("PodScheduled", true)};
    json::object status{{"phase", phase},
                        {"conditions", conditions},
                        {"hostIP", "127.0.0.1"},
                        {"hostIPs", json::array{json::object{{"ip", "127.0.0.1"}}}},
                        {"startTime", rt.startTime},
                        {"containerStatuses", statuses},
                        {"qosClass", qosClass(pod)}};
    if (!rt.ip.empty()) {
      status["podIP"] = rt.ip;
      status["podIPs"] = json::array{json::object{{"ip", rt.ip}}};
    }
    return status;
  }

  static std::string qosClass(const json::value& pod) {
    auto* containers = api::find(pod, "spec.containers");
    if (!containers || !containers->is_array()) return "BestEffort";
    bool any = false, guaranteed = true;
    for (const auto& c : containers->as_array()) {
      for (const char* r : {"cpu", "memory"}) {
        auto lim = fieldText(api::find(c, std::string("resources.limits.") + r));
        auto req = fieldText(api::find(c, std::string("resources.requests.") + r));
        if (!lim.empty() || !req.empty()) any = true;
        if (lim.empty() || (!req.empty() && req != lim)) guaranteed = false;
      }
    }
    if (!any) return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
  }

  api::Status writeStatus(const json::value& pod, json::value status) {
    const auto* current = api::find(pod, "status");
    if (current && *current == status) return {};
    json::value next = pod;
    next.as_object()["status"] = std::move(status);
    auto r = client.update(podType(), api::namespaceOf(pod), api::nameOf(pod), next, "status");
    if (!r && r.error().code != 404) {
      // A newer pod version will come through the informer and trigger another sync.
      return r.error().code == 409 ? api::Status() : api::Status(r.error());
    }
    return {};
  }

  // --- probes --------------------------------------------------------------------------------

  struct ProbeTask {
    std::string key, uid, container, which;
    json::value probe;
    json::value containerSpec;
    std::string ip;
  };

  void runProber() {
    while (!stopping) {
      std::vector<ProbeTask> due;
      auto now = clock.now();
      {
        std::lock_guard lock(mu);
        for (auto& [key, rt] : runtimes) {
          if (rt.terminating) continue;
          auto pod = pods.get(key);
          if (!pod || api::uidOf(*pod) != rt.uid) continue;
          auto* containers = api::find(*pod, "spec.containers");
          if (!containers || !containers->is_array()) continue;
          for (const auto& spec : containers->as_array()) {
            auto it = rt.containers.find(api::getString(spec, "name"));
            if (it == rt.containers.end() || !it->second.running || it->second.stopping) continue;
            auto& cr = it->second;
            for (const char* which : {"startupProbe", "readinessProbe", "livenessProbe"}) {
              auto* probe = api::find(spec, which);
              if (!probe) continue;
              std::string w = which;
              if (w != "startupProbe" && api::find(spec, "startupProbe") && !cr.startup.passed)
                continue;
              if (w == "startupProbe" && cr.startup.passed) continue;
              auto& ps = w == "startupProbe"     ? cr.startup
                         : w == "readinessProbe" ? cr.readiness
                                                 : cr.liveness;
              if (ps.next == SysClock::time_point{})
                ps.next = cr.startedAtTime + seconds(api::getInt(*probe, "initialDelaySeconds"));
              if (now < ps.next) continue;
              ps.next =
                  now + seconds(std::max<int64_t>(1, api::getInt(*probe, "periodSeconds", 10)));
              due.push_back({key, rt.uid, cr.name, w, *probe, spec, rt.ip});
            }
          }
        }
      }
      for (auto& t : due) {
        std::string why = runProbe(t);
        applyProbe(t, why);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }

  std::string runProbe(const ProbeTask& t) {
    int timeout = static_cast<int>(std::max<int64_t>(1, api::getInt(t.probe, "timeoutSeconds", 1)));
    if (auto* h = api::find(t.probe, "httpGet")) {
      std::string host = api::getString(*h, "host", t.ip);
      return httpProbe(host, resolvePort(t.containerSpec, api::find(*h, "port")),
                       api::getString(*h, "path", "/"), timeout);
    }
    if (auto* s = api::find(t.probe, "tcpSocket")) {
      std::string host = api::getString(*s, "host", t.ip);
      return tcpProbe(host, resolvePort(t.containerSpec, api::find(*s, "port")), timeout);
    }
    if (auto* e = api::find(t.probe, "exec")) {
      std::vector<std::string> argv;
      if (auto* cmd = api::find(*e, "command"); cmd && cmd->is_array())
        for (const auto& a : cmd->as_array())
          argv.push_back(a.is_string() ? std::string(a.as_string()) : "");
      if (argv.empty()) return "exec probe has no command";
      return execProbe(argv, t, timeout);
    }
    return "probe has no handler";
  }

  std::string execProbe(const std::vector<std::string>& argv, const ProbeTask& t, int timeout) {
    SpawnSpec sp;
    sp.argv = argv;
    sp.env = {"PATH=" + std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin"),
              "POD_IP=" + t.ip};
    sp.logPath = "/dev/null";
    std::mutex m;
    std::condition_variable cv;
    std::optional<ExitStatus> result;
    auto pid = reaper->spawn(sp, [&](ExitStatus es) {
      std::lock_guard lock(m);
      result = es;
      cv.notify_all();
    });
    if (!pid) return pid.error().message;
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, seconds(timeout), [&] { return result.has_value(); })) {
      signalGroup(*pid, SIGKILL);
      cv.wait(lock, [&] { return result.has_value(); });
      return "command timed out";
    }
    if (result->exitCode != 0) return "command exited with " + std::to_string(result->exitCode);
    return "";
  }

  void applyProbe(const ProbeTask& t, const std::string& why) {
    bool changed = false;
    json::value podCopy;
    std::string eventType, reason, message;
    bool kill = false;
    {
      std::lock_guard lock(mu);
      auto it = runtimes.find(t.key);
      if (it == runtimes.end() || it->second.uid != t.uid) return;
      auto cit = it->second.containers.find(t.container);
      if (cit == it->second.containers.end() || !cit->second.running) return;
      auto& cr = cit->second;
      auto& ps = t.which == "startupProbe"     ? cr.startup
                 : t.which == "readinessProbe" ? cr.readiness
                                               : cr.liveness;
      int64_t successThreshold = std::max<int64_t>(1, api::getInt(t.probe, "successThreshold", 1));
      int64_t failureThreshold = std::max<int64_t>(1, api::getInt(t.probe, "failureThreshold", 3));
      if (why.empty()) {
        ps.failures = 0;
        if (++ps.successes >= successThreshold && !ps.passed) {
          ps.passed = true;
          changed = true;
        }
      } else {
        ps.successes = 0;
        ++ps.failures;
        eventType = "Warning";
        reason = "Unhealthy";
        message = probeKindText(t.which) + " probe failed: " + why;
        if (ps.failures >= failureThreshold) {
          if (t.which == "readinessProbe") {
            if (ps.passed) changed = true;
            ps.passed = false;
          } else {
            // Liveness or startup failure: the container is killed and restarted.
            kill = true;
            cr.stopping = true;
            cr.killedForLiveness = true;
            int64_t grace = 30;
            if (auto pod = pods.get(t.key))
              grace = api::getInt(*pod, "spec.terminationGracePeriodSeconds", 30);
            cr.killAt = clock.now() + seconds(grace);
            signalGroup(cr.pid, SIGTERM);
            ps.failures = 0;
          }
        }
      }
    }
    auto pod = pods.get(t.key);
    if (pod && !reason.empty()) events.record(*pod, eventType, reason, message);
    if (pod && kill)
      events.record(*pod, "Normal", "Killing",
                    "Container " + t.container + " failed " +
                        (t.which == "livenessProbe" ? "liveness" : "startup") +
                        " probe, will be restarted");
    if (changed || kill) queue.add(t.key);
  }

  // --- lifecycle -----------------------------------------------------------------------------

  api::Status registerNode() {
    const auto* nodeType = api::findByKind("v1", "Node");
    auto now = api::formatTimestamp(clock.now());
    json::object status{
        {"conditions",
         json::array{json::object{{"type", "Ready"},
                                  {"status", "True"},
                                  {"reason", "KubeletReady"},
                                  {"message", "sluice node agent is posting ready status"},
                                  {"lastHeartbeatTime", now},
                                  {"lastTransitionTime", now}}}},
        {"addresses",
         json::array{json::object{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
                     json::object{{"type", "Hostname"}, {"address", options.nodeName}}}},
        {"nodeInfo", json::object{{"kubeletVersion", "v1.33.1+sluice"},
                                  {"osImage", "sluice local processes"},
                                  {"containerRuntimeVersion", "sluice://0.1"},
                                  {"kernelVersion", ""},
                                  {"operatingSystem", "linux"},
                                  {"architecture", "amd64"}}}};
    json::object node{
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata",
         json::object{{"name", options.nodeName},
                      {"labels", json::object{{"kubernetes.io/hostname", options.nodeName},
                                              {"kubernetes.io/os", "linux"}}}}},
        {"spec", json::object{{"podCIDR", options.podCidr}}}};
    auto got = client.get(*nodeType, "", options.nodeName);
    if (!got) {
      auto created = client.create(*nodeType, "", node);
      if (!created && created.error().code != 409) return created.error();
      got = client.get(*nodeType, "", options.nodeName);
      if (!got) return got.error();
    }
    json::value next = *got;
    next.as_object()["status"] = status;
    auto r = client.update(*nodeType, "", options.nodeName, next, "status");
    if (!r) return r.error();
    return {};
  }
};

NodeAgent::NodeAgent(client::Client& client, client::SharedInformers& informers, Options options,
                     const base::Clock& clock, base::Logger log)
    : impl_(std::make_unique<Impl>(client, informers, std::move(options), clock, std::move(log))) {
  auto& d = *impl_;
  d.pods.addHandlers({
      [&d](const client::ObjectPtr& p) { d.queue.add(client::Informer::keyOf(*p)); },
      [&d](const client::ObjectPtr&, const client::ObjectPtr& p) {
        d.queue.add(client::Informer::keyOf(*p));
      },
      [&d](const client::ObjectPtr& p) { d.queue.add(client::Informer::keyOf(*p)); },
  });
}

NodeAgent::~NodeAgent() {
  stop();
}

api::Status NodeAgent::start() {
  auto& d = *impl_;
  auto range = api::parseLoopbackCidr(d.options.podCidr);
  if (!range) return api::Error::badRequest("--cluster-cidr " + range.error().message);
  d.podIps = api::IpPool(range->first, range->second);
  d.limiter = ResourceLimiter::detect("sluice-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d.options.dataDir + "/pods");
  if (auto st = d.registerNode(); !st) return st;
  d.reaper = std::make_unique<ProcessReaper>();
  d.worker = std::thread([&d] { d.runWorker(); });
  d.prober = std::thread([&d] { d.runProber(); });
  return {};
}

void NodeAgent::stop(std::chrono::seconds grace) {
  auto& d = *impl_;
  if (d.stopping.exchange(true)) return;
  if (d.prober.joinable()) d.prober.join();
  // Stop the worker first so nothing new starts, then stop every container.
  d.queue.shutdown();
  if (d.worker.joinable()) d.worker.join();
  auto deadline = std::chrono::steady_clock::now() + grace;
  {
    std::lock_guard lock(d.mu);
    for (auto& [k, rt] : d.runtimes)
      for (auto& [n, c] : rt.containers)
        if (c.running) signalGroup(c.pid, SIGTERM);
  }
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    {
      std::lock_guard lock(d.mu);
      for (auto& [k, rt] : d.runtimes)
        for (auto& [n, c] : rt.containers) any = any || c.running;
    }
    if (!any) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  {
    std::lock_guard lock(d.mu);
    for (auto& [k, rt] : d.runtimes)
      for (auto& [n, c] : rt.containers)
        if (c.running) signalGroup(c.pid, SIGKILL);
  }
  if (d.reaper) d.reaper->stop();
  std::lock_guard lock(d.mu);
  for (auto& [k, rt] : d.runtimes) d.release(rt);
  d.limiter.cleanup();
}

apiserver::Response NodeAgent::logs(const apiserver::Request&, const apiserver::ResourcePath& path,
                                    const std::map<std::string, std::string>& query) {
  auto& d = *impl_;
  auto get = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  auto pod = d.pods.get(path.ns + "/" + path.name);
  if (!pod) return apiserver::errorResponse(api::Error::notFound("pods", path.name));
  std::string container = get("container");
  auto* containers = api::find(*pod, "spec.containers");
  if (container.empty()) {
    if (containers && containers->is_array() && containers->as_array().size() == 1)
      container = api::getString(containers->as_array()[0], "name");
    else
      return apiserver::errorResponse(
          api::Error::badRequest("a container name must be specified for pod " + path.name));
  }
  std::string dir, uid = api::uidOf(*pod);
  int64_t restarts = -1;
  bool running = false;
  {
    std::lock_guard lock(d.mu);
    auto it = d.runtimes.find(path.ns + "/" + path.name);
    if (it != d.runtimes.end() && it->second.uid == uid) {
      auto c = it->second.containers.find(container);
      if (c == it->second.containers.end())
        return apiserver::errorResponse(api::Error::badRequest(
            "container " + container + " is not valid for pod " + path.name));
      dir = c->second.logDir;
      restarts = c->second.restartCount;
      running = c->second.running;
    }
  }
  if (dir.empty() || restarts < 0)
    return apiserver::errorResponse(api::Error::badRequest(
        "container \"" + container + "\" in pod \"" + path.name + "\" is waiting to start"));
  int64_t which = restarts;
  if (get("previous") == "true") {
    if (restarts == 0)
      return apiserver::errorResponse(api::Error::badRequest("previous terminated container \"" +
                                                             container + "\" in pod \"" +
                                                             path.name + "\" not found"));
    which = restarts - 1;
  }
  std::string file = dir + "/" + std::to_string(which) + ".log";
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (auto tail = get("tailLines"); !tail.empty()) {
    long n = std::atol(tail.c_str());
    size_t pos = text.size();
    if (pos > 0 && text.back() == '\n') --pos;
    long seen = 0;
    while (pos > 0 && seen < n) {
      --pos;
      if (text[pos] == '\n') ++seen;
    }
    if (seen == n && pos < text.size() && text[pos] == '\n') ++pos;
    if (n == 0) pos = text.size();
    text = text.substr(pos);
  }
  apiserver::Response r;
  r.contentType = "text/plain";
  if (get("follow") != "true" || !running) {
    r.body = std::move(text);
    return r;
  }
  // Follow: send what is there, then what is appended, until the container exits.
  struct Follow {
    std::string file;
    std::streamoff offset = 0;
    std::string pending;
    std::atomic<bool> stopped{false};
    std::thread ticker;
    std::function<bool()> alive;
  };
  auto f = std::make_shared<Follow>();
  f->file = file;
  f->pending = std::move(text);
  f->offset = static_cast<std::streamoff>(ss.str().size());
  std::string key = path.ns + "/" + path.name;
  Impl* impl = impl_.get();
  f->alive = [impl, key, uid, container] {
    std::lock_guard lock(impl->mu);
    auto it = impl->runtimes.find(key);
    if (it == impl->runtimes.end() || it->second.uid != uid) return false;
    auto c = it->second.containers.find(container);
    return c != it->second.containers.end() && c->second.running;
  };
  auto stream = std::make_shared<apiserver::ByteStream>();
  stream->pump = [f](std::string& out) {
    out += f->pending;
    f->pending.clear();
    std::ifstream in(f->file, std::ios::binary);
    in.seekg(f->offset);
    std::stringstream more;
    more << in.rdbuf();
    std::string s = more.str();
    f->offset += static_cast<std::streamoff>(s.size());
    out += s;
    return !f->stopped && f->alive();
  };
  stream->onReady = [f](std::function<void()> notify) {
    f->ticker = std::thread([f, notify] {
      while (!f->stopped) {
        std::this_thread::sleep_for(milliseconds(100));
        notify();
      }
    });
    f->ticker.detach();
  };
  stream->stop = [f] { f->stopped = true; };
  r.stream = stream;
  return r;
}

}  // namespace sluice::node
