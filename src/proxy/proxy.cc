#include "proxy/proxy.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "api/resources.h"
#include "client/informer.h"
#include "proxy/config.h"
#include "proxy/snapshot.h"
#include "proxy/worker.h"

namespace sluice::proxy {

ListenSocket::~ListenSocket() {
  ::close(fd);
}

namespace {

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
  std::shared_ptr<LoadBalancer> balancerFor(const std::string& key, const Balancing& balancing) {
    auto& kept = balancers[key];
    if (!kept.balancer || kept.balancing != balancing)
      kept = {balancing, newLoadBalancer(balancing, clock)};
    return kept.balancer;
  }

  // Builds a snapshot from what the informers hold and publishes it to every worker.
  void sync() {
    RouteTable table = buildRouteTable({
        .services = services.list(),
        .endpoints = [this](const std::string& key) { return endpoints.get(key); },
        .pods = [this](const std::string& key) { return pods.get(key); },
    });
    auto config = std::make_shared<Config>();
    std::set<std::string> livePorts;
    for (PortRoute& route : table.ports) {
      auto pc = std::make_shared<PortConfig>();
      pc->key = route.key;
      pc->ns = route.ns;
      pc->service = route.service;
      pc->port = route.port;
      pc->http = route.http;
      pc->balancer = balancerFor(route.key, route.balancing);
      pc->series = metrics.series(route.ns, route.service, route.port, "", "");
      pc->unavailable = std::move(route.unavailable);
      for (const EndpointRoute& e : route.endpoints)
        pc->backends.push_back(
            {e.address, e.key,
             metrics.series(route.ns, route.service, route.port, e.endpoint, e.version)});
      livePorts.insert(pc->key);
      config->ports.push_back(std::move(pc));
    }
    for (auto it = balancers.begin(); it != balancers.end();)
      it = livePorts.count(it->first) ? std::next(it) : balancers.erase(it);

    std::map<std::string, std::shared_ptr<ListenSocket>> nextSockets;
    for (const ListenRoute& l : table.listeners) {
      const std::string& text = l.address;
      auto it = sockets.find(text);
      std::shared_ptr<ListenSocket> socket;
      if (it != sockets.end()) {
        socket = it->second;
      } else if (auto held = released[text].lock()) {
        // Let go of by a recent snapshot but still open in a worker that has not applied it:
        // binding again would fail with EADDRINUSE, so take it back.
        socket = std::move(held);
      } else {
        int fd = listenOn(l.at);
        if (fd < 0) {
          std::string err = std::strerror(errno);
          if (listenErrors[text] != err)
            log->warn("cannot listen on {} for {}: {}", text, config->ports[l.port]->key, err);
          listenErrors[text] = err;
          continue;
        }
        listenErrors.erase(text);
        socket = std::make_shared<ListenSocket>(fd, text);
      }
      nextSockets[text] = socket;
      config->listeners.push_back({socket, l.port});
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
