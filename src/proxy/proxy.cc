#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "api/object.h"
#include "client/informer.h"
#include "proxy/config.h"
#include "proxy/worker.h"

namespace sluice::proxy {

namespace json = boost::json;

ListenSocket::~ListenSocket() {
  ::close(fd);
}

namespace {

std::string addressText(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

bool parseAddress(const std::string& ip, uint16_t port, sockaddr_in& out) {
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  return port != 0 && inet_pton(AF_INET, ip.c_str(), &out.sin_addr) == 1;
}

uint64_t backendKey(const sockaddr_in& a) {
  return (uint64_t{ntohl(a.sin_addr.s_addr)} << 16) | ntohs(a.sin_port);
}

// A listening socket on `at`, or -1 with errno.
int listenOn(const sockaddr_in& at) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 || listen(fd, 4096) != 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// Counters of an endpoint that left every Service stay scrapeable this long (so a scrape after
// a rollout still sees the old pods' final counts), then go.
constexpr std::chrono::seconds kMetricsGrace{600};
constexpr std::chrono::seconds kMetricsSweepInterval{60};

std::string unavailableResponse(const std::string& ns, const std::string& name, uint16_t port) {
  std::string body = "no endpoints available for service \"" + ns + "/" + name + "\" port " +
                     std::to_string(port) + "\n";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

struct Proxy::Impl {
  Impl(client::Client& c, client::SharedInformers& informers, const base::Clock& clk,
       base::Logger logger, Options o)
      : client(c),
        clock(clk),
        log(logger ? std::move(logger) : base::nullLogger()),
        workerCount(o.workers > 0
                        ? o.workers
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
        services(informers.informer(*api::findByKind("v1", "Service"))),
        endpoints(informers.informer(*api::findByKind("v1", "Endpoints"))),
        pods(informers.informer(*api::findByKind("v1", "Pod"))),
        metrics(workerCount) {}

  client::Client& client;
  const base::Clock& clock;
  base::Logger log;
  int workerCount;
  client::Informer& services;
  client::Informer& endpoints;
  client::Informer& pods;
  Metrics metrics;
  std::vector<std::unique_ptr<Worker>> workers;

  std::thread control;
  std::mutex mu;
  std::condition_variable cv;
  bool dirty = false, stopping = false;  // guarded by mu

  // Control-thread state, kept across snapshots.
  std::map<std::string, std::shared_ptr<ListenSocket>> sockets;  // "ip:port"
  std::map<std::string, std::weak_ptr<ListenSocket>> released;   // left out of the snapshot
  std::map<std::string, std::string> listenErrors;               // "ip:port" -> last error
  // Each port's balancing policy, kept while its settings stay the same.
  struct KeptBalancer {
    Balancing balancing;
    std::shared_ptr<LoadBalancer> balancer;
  };
  std::map<std::string, KeptBalancer> balancers;  // port key

  void markDirty() {
    {
      std::lock_guard lock(mu);
      dirty = true;
    }
    cv.notify_one();
  }

  void run() {
    std::unique_lock lock(mu);
    while (true) {
      // A sync at least every minute, so metrics of endpoints that are gone get forgotten even
      // when nothing else changes.
      auto deadline = clock.steadyNow() + kMetricsSweepInterval;
      while (!dirty && !stopping && clock.waitUntil(lock, cv, deadline)) {
      }
      if (stopping) return;
      dirty = false;
      lock.unlock();
      sync();
      lock.lock();
    }
  }

  // The balancing policy of a port: kept while its settings stay the same, so a round-robin
  // cursor and an affinity table survive endpoint changes.
  std::shared_ptr<LoadBalancer> balancerFor(const std::string& key, const json::value& svc) {
    Balancing balancing;
    if (api::getString(svc, "spec.sessionAffinity") == "ClientIP") {
      balancing.policy = Balancing::Policy::ClientIp;
      balancing.affinityTimeout = std::chrono::seconds(
          api::getInt(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 10800));
    }
    auto& kept = balancers[key];
    if (!kept.balancer || kept.balancing != balancing)
      kept = {balancing, newLoadBalancer(balancing, clock)};
    return kept.balancer;
  }

  // Builds a snapshot from what the informers hold and publishes it to every worker.
  void sync() {
    auto config = std::make_shared<Config>();
    std::map<std::string, size_t> wantListen;  // "ip:port" -> port index
    std::map<std::string, sockaddr_in> addresses;
    std::set<std::string> livePorts;
    for (const auto& svc : services.list()) {
      std::string type = api::getString(*svc, "spec.type", "ClusterIP");
      if (type == "ExternalName") continue;
      std::string ns = api::getString(*svc, "metadata.namespace");
      std::string name = api::getString(*svc, "metadata.name");
      std::string clusterIp = api::getString(*svc, "spec.clusterIP");
      std::vector<std::string> ingress;
      if (auto* ing = api::find(*svc, "status.loadBalancer.ingress"); ing && ing->is_array())
        for (const auto& i : ing->as_array())
          if (auto ip = api::getString(i, "ip"); !ip.empty()) ingress.push_back(ip);
      auto ep = endpoints.get(client::Informer::keyOf(*svc));
      auto* ports = api::find(*svc, "spec.ports");
      if (!ports || !ports->is_array()) continue;
      for (const auto& p : ports->as_array()) {
        if (api::getString(p, "protocol", "TCP") != "TCP") continue;
        auto port = static_cast<uint16_t>(api::getInt(p, "port"));
        std::string portName = api::getString(p, "name");
        auto pc = std::make_shared<PortConfig>();
        pc->key = ns + "/" + name + "/" + std::to_string(port);
        pc->ns = ns;
        pc->service = name;
        pc->port = port;
        std::string appProtocol = api::getString(p, "appProtocol");
        pc->http = appProtocol == "http" || appProtocol == "kubernetes.io/http";
        pc->balancer = balancerFor(pc->key, *svc);
        pc->series = metrics.series(ns, name, port, "", "");
        pc->unavailable = unavailableResponse(ns, name, port);
        livePorts.insert(pc->key);
        addBackends(*pc, ep.get(), portName);
        size_t index = config->ports.size();
        // L4 listens only while there is somewhere to send connections ("connection refused"
        // otherwise); L7 always listens, to answer 503 saying why.
        if (pc->http || !pc->backends.empty()) {
          auto want = [&](const std::string& ip, uint16_t at) {
            sockaddr_in a;
            if (!parseAddress(ip, at, a)) return;
            auto text = addressText(a);
            if (wantListen.emplace(text, index).second) addresses[text] = a;
          };
          if (!clusterIp.empty() && clusterIp != "None") want(clusterIp, port);
          for (const auto& ip : ingress) want(ip, port);
          if (auto np = api::getInt(p, "nodePort"); np > 0)
            want("127.0.0.1", static_cast<uint16_t>(np));
        }
        config->ports.push_back(std::move(pc));
      }
    }
    for (auto it = balancers.begin(); it != balancers.end();)
      it = livePorts.count(it->first) ? std::next(it) : balancers.erase(it);

    std::map<std::string, std::shared_ptr<ListenSocket>> nextSockets;
    for (const auto& [text, index] : wantListen) {
      auto it = sockets.find(text);
      std::shared_ptr<ListenSocket> socket;
      if (it != sockets.end()) {
        socket = it->second;
      } else if (auto held = released[text].lock()) {
        // Let go of by a recent snapshot but still open in a worker that has not applied it:
        // binding again would fail with EADDRINUSE, so take it back.
        socket = std::move(held);
      } else {
        int fd = listenOn(addresses[text]);
        if (fd < 0) {
          std::string err = std::strerror(errno);
          if (listenErrors[text] != err)
            log->warn("cannot listen on {} for {}: {}", text, config->ports[index]->key, err);
          listenErrors[text] = err;
          continue;
        }
        listenErrors.erase(text);
        socket = std::make_shared<ListenSocket>(fd, text);
      }
      nextSockets[text] = socket;
      config->listeners.push_back({socket, index});
    }
    for (auto& [text, socket] : sockets)
      if (!nextSockets.count(text)) released[text] = socket;
    for (auto it = released.begin(); it != released.end();)
      it = it->second.expired() ? released.erase(it) : std::next(it);
    sockets = std::move(nextSockets);  // sockets no one wants close once the workers let go
    std::set<const Series*> live;
    for (const auto& p : config->ports) {
      live.insert(p->series.get());
      for (const auto& b : p->backends) live.insert(b.series.get());
    }
    metrics.sweep(live, clock.steadyNow(), kMetricsGrace);
    std::shared_ptr<const Config> snapshot = std::move(config);
    for (auto& w : workers) w->publish(snapshot);
  }

  // The ready addresses of `ep` for the Service port named `portName` (the only port when the
  // Endpoints have one), sorted so that every snapshot orders them the same way.
  void addBackends(PortConfig& pc, const json::value* ep, const std::string& portName) {
    if (!ep) return;
    auto* subsets = api::find(*ep, "subsets");
    if (!subsets || !subsets->is_array()) return;
    for (const auto& s : subsets->as_array()) {
      uint16_t target = 0;
      if (auto* eps = api::find(s, "ports"); eps && eps->is_array())
        for (const auto& e : eps->as_array())
          if (api::getString(e, "name") == portName || eps->as_array().size() == 1)
            target = static_cast<uint16_t>(api::getInt(e, "port"));
      if (!target) continue;
      auto* addrs = api::find(s, "addresses");
      if (!addrs || !addrs->is_array()) continue;
      for (const auto& addr : addrs->as_array()) {
        Backend b;
        if (!parseAddress(api::getString(addr, "ip"), target, b.address)) continue;
        b.key = backendKey(b.address);
        std::string version;
        if (auto pod = pods.get(api::getString(addr, "targetRef.namespace") + "/" +
                                api::getString(addr, "targetRef.name")))
          version = api::getString(*pod, "metadata.labels.version");
        b.series = metrics.series(pc.ns, pc.service, pc.port, addressText(b.address), version);
        pc.backends.push_back(std::move(b));
      }
    }
    std::sort(pc.backends.begin(), pc.backends.end(),
              [](const Backend& a, const Backend& b) { return a.key < b.key; });
  }
};

Proxy::Proxy(client::Client& client, client::SharedInformers& informers, const base::Clock& clock,
             base::Logger log, Options options)
    : impl_(std::make_unique<Impl>(client, informers, clock, std::move(log), options)) {
  auto& d = *impl_;
  auto changed = [&d](const client::ObjectPtr&) { d.markDirty(); };
  auto updated = [&d](const client::ObjectPtr&, const client::ObjectPtr&) { d.markDirty(); };
  d.services.addHandlers({changed, updated, changed});
  d.endpoints.addHandlers({changed, updated, changed});
}

Proxy::~Proxy() {
  stop();
}

int Proxy::workers() const {
  return impl_->workerCount;
}

api::Status Proxy::start() {
  auto& d = *impl_;
  for (int i = 0; i < d.workerCount; ++i) {
    d.workers.push_back(std::make_unique<Worker>(
        i, Worker::Timeouts{}, base::childLogger(d.log, "proxy-" + std::to_string(i))));
    d.workers.back()->start();
  }
  d.control = std::thread([&d] { d.run(); });
  d.markDirty();
  return {};
}

void Proxy::stop() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    d.stopping = true;
  }
  d.cv.notify_one();
  if (d.control.joinable()) d.control.join();
  for (auto& w : d.workers) w->stop();
  d.workers.clear();
  d.sockets.clear();
}

std::string Proxy::metrics() {
  return impl_->metrics.render();
}

}  // namespace sluice::proxy
