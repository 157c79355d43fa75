#include "node/agent.h"

#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include "api/cidr.h"
#include "api/object.h"
#include "client/informer.h"
#include "node/catalog_files.h"
#include "node/container_lifecycle.h"
#include "node/log_files.h"
#include "node/node_registration.h"
#include "node/pod_status.h"
#include "node/probe_handlers.h"
#include "node/prober.h"
#include "node/process.h"
#include "runtime/event_recorder.h"
#include "runtime/workers.h"
#include "runtime/workqueue.h"

namespace sluice::node {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}
const api::ResourceType& endpointsType() {
  return *api::findByKind("v1", "Endpoints");
}

// How soon to look again at a pod whose processes were just sent SIGKILL (the reaper's exit
// report also triggers a sync; this is the fallback).
constexpr milliseconds kKillRecheck{20};

}  // namespace

struct NodeAgent::Impl {
  Impl(client::Client& c, client::SharedInformers& informers, Options o, const base::Clock& clk,
       base::Logger l)
      : client(c),
        options(std::move(o)),
        clock(clk),
        log(std::move(l)),
        pods(informers.informer(podType())),
        endpoints(informers.informer(endpointsType())),
        events(c, "kubelet", clock, log),
        queue(clock),
        catalog(catalogPaths(options), log),
        prober(
            clock, [this](const ProbeTarget& t) { return runProbeHandler(t, *reaper); },
            [this](const ProbeResult& r) { onProbeResult(r); }) {}

  static std::vector<std::string> catalogPaths(const Options& options) {
    std::vector<std::string> paths{options.dataDir + "/images.yaml"};
    paths.insert(paths.end(), options.catalogFiles.begin(), options.catalogFiles.end());
    return paths;
  }

  client::Client& client;
  const Options options;
  const base::Clock& clock;
  base::Logger log;
  client::Informer& pods;
  client::Informer& endpoints;
  runtime::EventRecorder events;
  runtime::WorkQueue queue;
  CatalogFiles catalog;
  // Set up by start(), before the worker and the prober run.
  std::unique_ptr<ProcessReaper> reaper;
  ResourceLimiter limiter;
  std::unique_ptr<ContainerStarter> starter;
  Prober prober;
  std::unique_ptr<runtime::Workers> workers;
  std::atomic<bool> stopping{false};

  // Guards the runtimes and the pod IP pool. Held for bookkeeping and signals only: API calls,
  // Events and informer reads happen outside it.
  std::mutex mu;
  std::condition_variable exited;  // a container exited (stop() waits for them)
  api::IpPool podIps;
  std::map<std::string, PodRuntime> runtimes;  // by pod key

  // Deleted pods waiting for the Endpoints to drop their address: an Endpoints change in their
  // namespace syncs them again.
  std::mutex drainMu;
  std::set<std::string> draining;

  // --- the sync loop ----------------------------------------------------------------------------

  void requeueAt(const std::string& key, base::SteadyTime at) {
    auto delay = std::chrono::duration_cast<milliseconds>(at - clock.steadyNow());
    queue.addAfter(key, std::max(delay, milliseconds(1)));
  }

  void record(const json::value& pod, const std::vector<PodEvent>& list) {
    for (const auto& e : list) events.record(pod, e.type, e.reason, e.message);
  }

  api::Status syncPod(const std::string& key) {
    auto pod = pods.get(key);
    if (!pod) return forgetPod(key);
    std::string nodeName = api::getString(*pod, "spec.nodeName");
    if (nodeName.empty()) return bind(*pod);
    if (nodeName != options.nodeName) return {};
    if (api::find(*pod, "metadata.deletionTimestamp")) return syncDeleted(key, *pod);

    std::vector<PodEvent> toRecord;
    std::optional<base::SteadyTime> wake;
    auto later = [&wake](base::SteadyTime t) { wake = wake ? std::min(*wake, t) : t; };
    json::value status;
    {
      std::lock_guard lock(mu);
      PodRuntime* rt = adopt(key, *pod);
      if (!rt) {
        queue.addAfter(key, kKillRecheck);
        return {};
      }
      auto now = clock.steadyNow();
      std::string policy = api::getString(*pod, "spec.restartPolicy", "Always");
      if (auto* containers = api::find(*pod, "spec.containers");
          containers && containers->is_array()) {
        for (const auto& spec : containers->as_array()) {
          std::string name = api::getString(spec, "name");
          auto& c = rt->containers[name];
          c.name = name;
          if (c.stopping) {
            // Killed for a failed probe: SIGKILL once its grace period is over.
            if (!c.running) {
              c.stopping = false;
            } else if (now >= c.killAt) {
              log->warn("pod {} container {}: still running after its grace period, SIGKILL", key,
                        name);
              signalGroup(c.pid, SIGKILL);
              later(now + milliseconds(50));
              continue;
            } else {
              later(c.killAt);
              continue;
            }
          }
          switch (startAction(c, policy, now)) {
            case StartAction::None:
              break;
            case StartAction::Wait:
              later(c.nextStart);
              break;
            case StartAction::Start:
              startContainer(*rt, *pod, spec, c, now, toRecord);
              if (!c.running && c.nextStart > now) later(c.nextStart);
              break;
          }
        }
      }
      auto computed = computePodStatus(*pod, *rt, clock.now());
      rt->conditions = std::move(computed.conditions);
      status = std::move(computed.status);
    }
    record(*pod, toRecord);
    if (wake) requeueAt(key, *wake);
    return writeStatus(*pod, std::move(status));
  }

  // Sluice is its own scheduler: every pod lands on this node.
  api::Status bind(const json::value& pod) {
    auto r = client.patch(podType(), api::namespaceOf(pod), api::nameOf(pod), api::PatchType::Merge,
                          json::object{{"spec", json::object{{"nodeName", options.nodeName}}}});
    if (!r) {
      if (r.error().isNotFound()) {
        log->debug("pod {}: deleted before it was bound", client::Informer::keyOf(pod));
        return {};
      }
      return r.error();
    }
    events.record(*r, "Normal", "Scheduled",
                  "Successfully assigned " + api::namespaceOf(pod) + "/" + api::nameOf(pod) +
                      " to " + options.nodeName);
    return {};
  }

  // The runtime of `pod` under `key` (created on first sight), or nullptr while the processes
  // of an older pod of the same name are still being killed. Under `mu`.
  PodRuntime* adopt(const std::string& key, const json::value& pod) {
    auto& rt = runtimes[key];
    if (rt.uid == api::uidOf(pod)) return &rt;
    if (!rt.uid.empty()) {
      // A new pod under an old name: the old one's processes go first.
      killAll(rt);
      if (rt.anyRunning()) return nullptr;
      release(rt);
      rt = PodRuntime{};
    }
    initRuntime(rt, pod);
    return &rt;
  }

  void initRuntime(PodRuntime& rt, const json::value& pod) {
    rt.key = client::Informer::keyOf(pod);
    rt.uid = api::uidOf(pod);
    rt.ns = api::namespaceOf(pod);
    rt.name = api::nameOf(pod);
    rt.ipNum = allocateIp(api::getString(pod, "status.podIP"));
    rt.ip = rt.ipNum ? api::ipToString(rt.ipNum) : "";
    if (!rt.ipNum)
      log->warn("pod {}: no address left in the pod range {}", rt.key, options.podCidr);
    rt.startTime = api::getString(pod, "status.startTime", api::formatTimestamp(clock.now()));
    rt.dir = options.dataDir + "/pods/" + rt.ns + "_" + rt.name + "_" + rt.uid;
    std::error_code ec;
    std::filesystem::create_directories(rt.dir, ec);
    if (ec) log->warn("pod {}: log directory {}: {}", rt.key, rt.dir, ec.message());
    adoptReportedContainers(rt, pod, clock.now());
  }

  uint32_t allocateIp(const std::string& wanted) {
    in_addr a{};
    if (!wanted.empty() && inet_pton(AF_INET, wanted.c_str(), &a) == 1) {
      if (podIps.claim(ntohl(a.s_addr))) return ntohl(a.s_addr);
    }
    return podIps.allocate();
  }

  // Gives back what `rt` holds: its address, its cgroups and its probes. Under `mu`.
  void release(PodRuntime& rt) {
    if (rt.ipNum) podIps.release(rt.ipNum);
    for (auto& [n, c] : rt.containers) {
      if (!c.cgroupId.empty()) limiter.release(c.cgroupId);
      stopProbing(c);
    }
  }

  void killAll(PodRuntime& rt) {
    for (auto& [n, c] : rt.containers)
      if (c.running) signalGroup(c.pid, SIGKILL);
  }

  // The pod is gone from the API: its processes are killed and its runtime dropped.
  api::Status forgetPod(const std::string& key) {
    undrain(key);
    std::lock_guard lock(mu);
    auto it = runtimes.find(key);
    if (it == runtimes.end()) return {};
    killAll(it->second);
    if (it->second.anyRunning()) {
      queue.addAfter(key, kKillRecheck);
      return {};
    }
    release(it->second);
    runtimes.erase(it);
    return {};
  }

  api::Status writeStatus(const json::value& pod, json::value status) {
    const auto* current = api::find(pod, "status");
    if (current && *current == status) return {};
    json::value next = pod;
    next.as_object()["status"] = std::move(status);
    auto r = client.update(podType(), api::namespaceOf(pod), api::nameOf(pod), next, "status");
    if (r) return {};
    auto key = client::Informer::keyOf(pod);
    if (r.error().isNotFound()) {
      log->debug("pod {}: status not written, the pod is gone", key);
      return {};
    }
    if (r.error().isConflict()) {
      // A newer pod version will come through the informer and trigger another sync.
      log->debug("pod {}: status not written, the pod changed: {}", key, r.error().message);
      return {};
    }
    log->warn("pod {}: writing status failed: {}", key, r.error().message);
    return r.error();
  }

  // --- containers ------------------------------------------------------------------------------

  void startContainer(PodRuntime& rt, const json::value& pod, const json::value& spec,
                      ContainerRuntime& c, base::SteadyTime now, std::vector<PodEvent>& toRecord) {
    std::string key = rt.key, uid = rt.uid, name = c.name;
    starter->start(
        rt, pod, spec, c, now, clock.now(),
        [this, key, uid, name](ExitStatus es) { onExit(key, uid, name, es); }, toRecord);
    if (c.running)
      c.probeHandle = prober.add({rt.key, rt.uid, c.name, spec, rt.ip, c.startedAtSteady});
  }

  void stopProbing(ContainerRuntime& c) {
    if (c.probeHandle) prober.remove(c.probeHandle);
    c.probeHandle = 0;
  }

  // On the reaper's thread.
  void onExit(const std::string& key, const std::string& uid, const std::string& name,
              ExitStatus es) {
    bool backingOff = false;
    {
      std::lock_guard lock(mu);
      auto it = runtimes.find(key);
      if (it == runtimes.end() || it->second.uid != uid) return;
      auto& rt = it->second;
      auto& c = rt.containers[name];
      stopProbing(c);
      auto now = clock.steadyNow();
      bool oom = !c.cgroupId.empty() && limiter.oomKilled(c.cgroupId);
      recordExit(c, es, oom, now, clock.now());
      if (!c.cgroupId.empty()) limiter.release(c.cgroupId);
      backingOff = c.nextStart > now && !rt.terminating;
      if (rt.terminating)
        log->info("pod {} container {}: stopped ({})", key, name, c.last->reason);
      else
        log->warn("pod {} container {}: exited with code {} ({}){}", key, name, es.exitCode,
                  c.last->reason,
                  backingOff
                      ? ", back-off " +
                            std::to_string(
                                std::chrono::duration_cast<seconds>(c.nextStart - now).count()) +
                            "s"
                      : "");
    }
    exited.notify_all();
    if (backingOff) {
      if (auto pod = pods.get(key); pod && api::uidOf(*pod) == uid)
        events.record(*pod, "Warning", "BackOff",
                      "Back-off restarting failed container " + name + " in pod " +
                          api::nameOf(*pod) + "_" + api::namespaceOf(*pod) + "(" + uid + ")");
    }
    queue.add(key);
  }

  // On the prober's thread.
  void onProbeResult(const ProbeResult& r) {
    std::vector<PodEvent> toRecord;
    bool sync = false;
    {
      std::lock_guard lock(mu);
      auto it = runtimes.find(r.podKey);
      if (it == runtimes.end() || it->second.uid != r.podUid) return;
      auto cit = it->second.containers.find(r.container);
      if (cit == it->second.containers.end()) return;
      auto& c = cit->second;
      if (!c.running || c.probeHandle != r.handle) return;  // a result for an earlier process
      std::string kind(probeKindName(r.kind));
      if (!r.failure.empty())
        toRecord.push_back({"Warning", "Unhealthy", kind + " probe failed: " + r.failure});
      if (r.changed) {
        if (r.kind == ProbeKind::Startup) c.startupPassed = r.passing;
        if (r.kind == ProbeKind::Readiness) c.readinessPassed = r.passing;
        if (r.passing)
          log->info("pod {} container {}: {} probe passed", r.podKey, r.container, kind);
        else
          log->warn("pod {} container {}: {} probe failing: {}", r.podKey, r.container, kind,
                    r.failure);
        sync = true;
      }
      if (r.restart) {
        // Liveness or startup failure: the container is killed and restarted.
        int64_t grace = 30;
        if (auto pod = pods.get(r.podKey)) grace = probeKillGraceSeconds(*pod);
        c.stopping = true;
        c.probeHandle = 0;
        c.killAt = clock.steadyNow() + seconds(grace);
        signalGroup(c.pid, SIGTERM);
        log->warn("pod {} container {}: {} probe failed, restarting: {}", r.podKey, r.container,
                  kind, r.failure);
        toRecord.push_back({"Normal", "Killing",
                            "Container " + r.container + " failed " +
                                (r.kind == ProbeKind::Liveness ? "liveness" : "startup") +
                                " probe, will be restarted"});
        sync = true;
      }
    }
    if (!toRecord.empty())
      if (auto pod = pods.get(r.podKey)) record(*pod, toRecord);
    if (sync) queue.add(r.podKey);
  }

  // --- deletion --------------------------------------------------------------------------------

  // Whether an Endpoints object in `ns` lists `ip` as a ready address, from the informer's cache.
  bool listedAsReady(const std::string& ns, const std::string& ip) {
    for (const auto& ep : endpoints.listNamespace(ns))
      if (endpointsListAddress(*ep, ip)) return true;
    return false;
  }

  void undrain(const std::string& key) {
    std::lock_guard lock(drainMu);
    draining.erase(key);
  }

  void onEndpoints(const client::ObjectPtr& ep) {
    std::string prefix = api::namespaceOf(*ep) + "/";
    std::lock_guard lock(drainMu);
    for (const auto& key : draining)
      if (key.starts_with(prefix)) queue.add(key);
  }

  api::Status syncDeleted(const std::string& key, const json::value& pod) {
    // Drain first: read the pod's address under the lock, the Endpoints from the informer
    // outside it. The pod is marked draining before the read, so an Endpoints change that the
    // read misses still syncs it again.
    std::string ip;
    {
      std::lock_guard lock(mu);
      auto it = runtimes.find(key);
      if (it != runtimes.end() && it->second.uid == api::uidOf(pod) && !it->second.terminating)
        ip = it->second.ip;
    }
    bool listed = false;
    if (!ip.empty()) {
      {
        std::lock_guard lock(drainMu);
        draining.insert(key);
      }
      listed = listedAsReady(api::namespaceOf(pod), ip);
    }

    std::vector<PodEvent> toRecord;
    std::unique_lock lock(mu);
    PodRuntime* rt = adopt(key, pod);
    if (!rt) {
      queue.addAfter(key, kKillRecheck);
      return {};
    }
    auto now = clock.steadyNow();
    if (auto step = drainStep(*rt, listed, now); step.wait) {
      lock.unlock();
      if (listed)
        log->debug("pod {}: deleted, waiting for the Endpoints to drop {}", key, ip);
      else
        log->debug("pod {}: deleted and out of the Endpoints, settling", key);
      requeueAt(key, step.until);
      return {};
    }
    if (!rt->terminating) {
      rt->terminating = true;
      undrain(key);
      int64_t grace = deletionGraceSeconds(pod);
      rt->killDeadline = now + seconds(grace);
      log->info("pod {}: deleted, stopping its containers (grace period {}s)", key, grace);
      for (auto& [n, c] : rt->containers) {
        stopProbing(c);
        if (!c.running) continue;
        toRecord.push_back({"Normal", "Killing", "Stopping container " + n});
        signalGroup(c.pid, grace == 0 ? SIGKILL : SIGTERM);
      }
    }
    if (rt->anyRunning()) {
      bool overdue = now >= rt->killDeadline;
      if (overdue) {
        log->warn("pod {}: containers still running after the grace period, SIGKILL", key);
        killAll(*rt);
      }
      auto deadline = rt->killDeadline;
      lock.unlock();
      record(pod, toRecord);
      if (overdue)
        queue.addAfter(key, kKillRecheck);
      else
        requeueAt(key, deadline);
      return {};
    }
    std::string ns = rt->ns, name = rt->name, uid = rt->uid;
    lock.unlock();
    record(pod, toRecord);
    api::DeleteOptions d;
    d.gracePeriodSeconds = 0;
    d.preconditionUid = uid;
    auto r = client.remove(podType(), ns, name, d);
    if (!r && !r.error().isNotFound() && !r.error().isConflict()) {
      log->warn("pod {}: removing it after its containers stopped failed: {}", key,
                r.error().message);
      return r.error();
    }
    if (!r) log->debug("pod {}: already gone or replaced: {}", key, r.error().message);
    return {};
  }
};

NodeAgent::NodeAgent(client::Client& client, client::SharedInformers& informers, Options options,
                     const base::Clock& clock, base::Logger log)
    : impl_(std::make_shared<Impl>(client, informers, std::move(options), clock, std::move(log))) {
  auto& d = *impl_;
  auto enqueue = [&d](const client::ObjectPtr& p) { d.queue.add(client::Informer::keyOf(*p)); };
  d.pods.addHandlers({
      enqueue,
      [enqueue](const client::ObjectPtr&, const client::ObjectPtr& p) { enqueue(p); },
      enqueue,
  });
  auto onEndpoints = [&d](const client::ObjectPtr& ep) { d.onEndpoints(ep); };
  d.endpoints.addHandlers({
      onEndpoints,
      [onEndpoints](const client::ObjectPtr&, const client::ObjectPtr& ep) { onEndpoints(ep); },
      onEndpoints,
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
  std::error_code ec;
  std::filesystem::create_directories(d.options.dataDir + "/pods", ec);
  if (ec)
    return api::Error::internal("cannot create " + d.options.dataDir + "/pods: " + ec.message());
  if (auto st = registerNode(d.client, {d.options.nodeName, d.options.podCidr}, d.clock.now()); !st)
    return st;
  d.reaper = std::make_unique<ProcessReaper>();
  d.starter = std::make_unique<ContainerStarter>(
      d.catalog, *d.reaper, d.limiter,
      ContainerStarter::Options{d.options.sluiceBinary, d.options.httpEchoBinary}, d.log);
  // One worker: it spawns the containers, and a container is killed when the thread that
  // spawned it ends (see ProcessReaper::spawn).
  d.workers = std::make_unique<runtime::Workers>(
      d.queue, [&d](const std::string& key) { return d.syncPod(key); }, 1, d.log);
  d.prober.start();
  return {};
}

void NodeAgent::stop(std::chrono::seconds grace) {
  auto& d = *impl_;
  if (d.stopping.exchange(true)) return;
  d.prober.stop();
  // Stop the worker first so nothing new starts, then stop every container.
  if (d.workers) d.workers->stop();
  d.queue.shutdown();
  std::unique_lock lock(d.mu);
  for (auto& [k, rt] : d.runtimes)
    for (auto& [n, c] : rt.containers)
      if (c.running) signalGroup(c.pid, SIGTERM);
  auto anyRunning = [&d] {
    for (auto& [k, rt] : d.runtimes)
      if (rt.anyRunning()) return true;
    return false;
  };
  auto deadline = d.clock.steadyNow() + grace;
  while (anyRunning() && d.clock.waitUntil(lock, d.exited, deadline)) {
  }
  for (auto& [k, rt] : d.runtimes) d.killAll(rt);
  lock.unlock();
  if (d.reaper) d.reaper->stop();
  lock.lock();
  for (auto& [k, rt] : d.runtimes) d.release(rt);
  d.limiter.cleanup();
}

api::Result<std::shared_ptr<LogStream>> NodeAgent::open(const std::string& ns,
                                                        const std::string& name,
                                                        const LogOptions& options) {
  auto& d = *impl_;
  std::string key = ns + "/" + name;
  auto pod = d.pods.get(key);
  if (!pod) return api::Error::notFound("pods", name);
  std::string container = options.container;
  if (container.empty()) {
    auto* containers = api::find(*pod, "spec.containers");
    if (!containers || !containers->is_array() || containers->as_array().size() != 1)
      return api::Error::badRequest("a container name must be specified for pod " + name);
    container = api::getString(containers->as_array()[0], "name");
  }
  std::string dir, uid = api::uidOf(*pod);
  int64_t restarts = -1;
  bool running = false;
  {
    std::lock_guard lock(d.mu);
    auto it = d.runtimes.find(key);
    if (it != d.runtimes.end() && it->second.uid == uid) {
      auto c = it->second.containers.find(container);
      if (c == it->second.containers.end())
        return api::Error::badRequest("container " + container + " is not valid for pod " + name);
      dir = c->second.logDir;
      restarts = c->second.restartCount;
      running = c->second.running;
    }
  }
  if (dir.empty() || restarts < 0)
    return api::Error::badRequest("container \"" + container + "\" in pod \"" + name +
                                  "\" is waiting to start");
  int64_t run = restarts;
  if (options.previous) {
    if (restarts == 0)
      return api::Error::badRequest("previous terminated container \"" + container +
                                    "\" in pod \"" + name + "\" not found");
    run = restarts - 1;
  }
  std::function<bool()> alive;
  if (options.follow && running) {
    // Follow while this run of the container runs, as the kubelet does: a restart (whose
    // output goes to the next run's file) ends the stream, however quickly the container came
    // back. A stream that outlives the agent ends too.
    std::weak_ptr<Impl> agent = impl_;
    alive = [agent, key, uid, container, run] {
      auto d = agent.lock();
      if (!d) return false;
      std::lock_guard lock(d->mu);
      auto it = d->runtimes.find(key);
      if (it == d->runtimes.end() || it->second.uid != uid) return false;
      auto c = it->second.containers.find(container);
      return c != it->second.containers.end() && c->second.running && c->second.restartCount == run;
    };
  }
  return openLogFile(logFilePath(dir, run), options.tailLines, std::move(alive));
}

}  // namespace sluice::node
