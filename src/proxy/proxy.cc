#include "proxy/proxy.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include <openssl/rand.h>

#include "api/gateway_resources.h"
#include "api/object.h"
#include "api/resources.h"
#include "client/informer.h"
#include "proxy/config.h"
#include "proxy/session_persistence.h"
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

client::Informer& gatewayInformer(client::SharedInformers& informers, const char* kind) {
  return informers.informer(*api::findByKind(std::string(api::kGatewayGroup) + "/v1", kind));
}

std::string plain(std::string_view status, const std::string& body) {
  return "HTTP/1.1 " + std::string(status) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
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
        namespaces(informers.informer(*api::findByKind("v1", "Namespace"))),
        gatewayClasses(gatewayInformer(informers, "GatewayClass")),
        gateways(gatewayInformer(informers, "Gateway")),
        httpRoutes(gatewayInformer(informers, "HTTPRoute")),
        referenceGrants(informers.informer(
            *api::findByKind(std::string(api::kGatewayGroup) + "/v1", "ReferenceGrant"))),
        tcpRoutes(informers.informer(
            *api::findByKind(std::string(api::kGatewayGroup) + "/v1", "TCPRoute"))),
        metrics(workerCount) {
    RAND_bytes(sessionKey, sizeof sessionKey);
  }

  client::Client& client;
  const base::Clock& clock;
  base::Logger log;
  int workerCount;
  client::Informer& services;
  client::Informer& endpoints;
  client::Informer& pods;
  client::Informer& namespaces;
  client::Informer& gatewayClasses;
  client::Informer& gateways;
  client::Informer& httpRoutes;
  client::Informer& referenceGrants;
  client::Informer& tcpRoutes;
  Metrics metrics;
  unsigned char sessionKey[32];  // session persistence tokens: HMAC keys, this process only
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
  // Each route rule's weighted cycle, kept while its weights stay the same.
  std::map<std::string, std::shared_ptr<WeightedSchedule>> schedules;  // rule key
  std::set<std::string> reportedProblems;
  uint64_t sequence = 0;

  // Served generations: the snapshots published and not yet served by every worker, the
  // sequence each worker serves, and who to tell when the served set moves.
  mutable std::mutex servedMu;
  std::map<uint64_t, std::map<std::string, int64_t>> published;  // guarded by servedMu
  std::vector<uint64_t> appliedBy;                               // guarded by servedMu
  uint64_t served = 0;                                           // guarded by servedMu
  std::vector<std::function<void()>> servedCallbacks;            // set before start()

  void workerApplied(int worker, uint64_t seq) {
    bool moved = false;
    {
      std::lock_guard lock(servedMu);
      appliedBy[static_cast<size_t>(worker)] = seq;
      uint64_t low = *std::min_element(appliedBy.begin(), appliedBy.end());
      if (low > served) {
        served = low;
        moved = true;
        // Keep the newest snapshot every worker serves, and those after it.
        while (published.size() > 1 && std::next(published.begin())->first <= served)
          published.erase(published.begin());
      }
    }
    if (moved)
      for (auto& callback : servedCallbacks) callback();
  }

  int64_t servedGeneration(const std::string& key) const {
    std::lock_guard lock(servedMu);
    auto it = published.upper_bound(served);
    if (it == published.begin()) return -1;
    --it;
    auto g = it->second.find(key);
    return g == it->second.end() ? -1 : g->second;
  }

  // A route backend as served, from its place in the table (`port` resolved into `config`).
  RouteBackend routeBackend(const BackendRoute& b, const Config& config, const std::string& ns,
                            const std::string& route, size_t rule, bool mirror) {
    RouteBackend out;
    out.name = b.name;
    out.weight = b.weight;
    out.series = metrics.routeSeries(ns, route, rule, b.name, mirror);
    if (b.port == static_cast<size_t>(-1)) {
      out.unavailable = b.answer;
      return out;
    }
    const PortConfig& target = *config.ports[b.port];
    out.resolved = true;
    out.backends = target.backends;
    out.balancer = target.balancer;
    out.unavailable = target.unavailable;
    return out;
  }

  std::shared_ptr<const RoutesConfig> routesConfig(const PortRoutes& routes, const Config& config) {
    auto out = std::make_shared<RoutesConfig>();
    out->table = routes.table;
    out->notFound = plain("404 Not Found", "no route matches the request\n");
    out->unresolved = plain("500 Internal Server Error",
                            "the matching route rule has no backend with a weight\n");
    for (size_t i = 0; i < routes.rules.size(); ++i) {
      const RuleRoute& r = routes.rules[i];
      const HttpRule* rule = routes.table ? &routes.table->rules()[i] : nullptr;
      // "namespace/route/rule"
      size_t slash = r.key.find('/'), last = r.key.rfind('/');
      std::string ns = r.key.substr(0, slash);
      std::string name = r.key.substr(slash + 1, last - slash - 1);
      size_t index = std::stoul(r.key.substr(last + 1));
      RuleConfig rc;
      rc.rule = rule;
      rc.series = metrics.routeSeries(ns, name, index, "", false);
      std::vector<int64_t> weights;
      for (const auto& b : r.backends) {
        RouteBackend backend = routeBackend(b, config, ns, name, index, false);
        if (rule && rule->session) {
          backend.token = sessionToken(sessionKey, r.key + "/" + b.name);
          backend.sessionLine = sluice::proxy::sessionLine(*rule->session, backend.token);
        }
        weights.push_back(b.weight);
        rc.backends.push_back(std::move(backend));
      }
      for (const auto& m : r.mirrors)
        rc.mirrors.push_back(routeBackend(m, config, ns, name, index, true));
      auto& kept = schedules[r.key];
      if (!kept || kept->weights() != weights) kept = std::make_shared<WeightedSchedule>(weights);
      rc.schedule = kept;
      out->rules.push_back(std::move(rc));
    }
    return out;
  }

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
  // HTTPRoutes as served: a route the data plane cannot serve as written (regular expressions
  // RE2 cannot compile, filters sluice does not implement) is served at its last generation
  // that it could, so a bad edit never takes down routing that worked; its status says why.
  std::map<std::string, client::ObjectPtr> lastServable;  // by uid

  std::vector<client::ObjectPtr> servableRoutes() {
    std::vector<client::ObjectPtr> out;
    std::map<std::string, client::ObjectPtr> kept;
    for (const auto& route : httpRoutes.list()) {
      std::string uid = api::uidOf(*route);
      if (!api::gateway::unservable(*route)) {
        kept[uid] = route;
        out.push_back(route);
      } else if (auto it = lastServable.find(uid); it != lastServable.end()) {
        kept[uid] = it->second;
        out.push_back(it->second);
      }
    }
    lastServable = std::move(kept);
    return out;
  }

  void sync() {
    auto routes = httpRoutes.list();
    RouteTable table = buildRouteTable({
        .services = services.list(),
        .endpoints = [this](const std::string& key) { return endpoints.get(key); },
        .pods = [this](const std::string& key) { return pods.get(key); },
        .gateway = {.gatewayClasses = gatewayClasses.list(),
                    .gateways = gateways.list(),
                    .httpRoutes = servableRoutes(),
                    .tcpRoutes = tcpRoutes.list(),
                    .referenceGrants = referenceGrants.list(),
                    .services = services.list(),
                    .namespaces = namespaces.list()},
    });
    for (const auto& problem : table.problems)
      if (reportedProblems.insert(problem).second) log->warn("route not served: {}", problem);
    auto config = std::make_shared<Config>();
    std::vector<std::shared_ptr<PortConfig>> ports;
    std::set<std::string> livePorts;
    for (PortRoute& route : table.ports) {
      auto pc = std::make_shared<PortConfig>();
      pc->key = route.key;
      pc->ns = route.ns;
      pc->service = route.service;
      pc->port = route.port;
      pc->listenPort = route.listenPort;
      pc->http = route.http;
      pc->balancer = balancerFor(route.key, route.balancing);
      pc->series = metrics.series(route.ns, route.service, route.port, "", "");
      pc->unavailable = std::move(route.unavailable);
      for (const EndpointRoute& e : route.endpoints)
        pc->backends.push_back(
            {e.address, e.key,
             metrics.series(route.ns, route.service, route.port, e.endpoint, e.version)});
      livePorts.insert(pc->key);
      ports.push_back(pc);
      config->ports.push_back(std::move(pc));
    }
    // Routes refer to the backend Service ports built above.
    std::set<std::string> liveRules;
    for (size_t i = 0; i < table.ports.size(); ++i)
      if (table.ports[i].routes) {
        ports[i]->routes = routesConfig(*table.ports[i].routes, *config);
        for (const auto& r : table.ports[i].routes->rules) liveRules.insert(r.key);
      }
    for (auto it = schedules.begin(); it != schedules.end();)
      it = liveRules.count(it->first) ? std::next(it) : schedules.erase(it);
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
      if (p->routes)
        for (const auto& r : p->routes->rules) {
          live.insert(r.series.get());
          for (const auto& b : r.backends) live.insert(b.series.get());
          for (const auto& b : r.mirrors) live.insert(b.series.get());
        }
    }
    metrics.sweep(live, clock.steadyNow(), kMetricsGrace);
    config->sequence = ++sequence;
    config->generations = std::move(table.generations);
    // The generations seen, including those of routes served at an earlier one: the status
    // controller reports the rejection of the new generation once it has been seen.
    for (const auto& route : routes)
      config->generations["HTTPRoute/" + api::namespaceOf(*route) + "/" + api::nameOf(*route)] =
          api::getInt(*route, "metadata.generation");
    {
      std::lock_guard lock(servedMu);
      published[config->sequence] = config->generations;
    }
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
  for (client::Informer* i : {&d.services, &d.endpoints, &d.namespaces, &d.gatewayClasses,
                              &d.gateways, &d.httpRoutes, &d.referenceGrants, &d.tcpRoutes})
    i->addHandlers({changed, updated, changed});
}

Proxy::~Proxy() {
  stop();
}

int Proxy::workers() const {
  return impl_->workerCount;
}

api::Status Proxy::start() {
  auto& d = *impl_;
  d.appliedBy.assign(static_cast<size_t>(d.workerCount), 0);
  for (int i = 0; i < d.workerCount; ++i) {
    d.workers.push_back(std::make_unique<Worker>(
        i, Worker::Timeouts{}, base::childLogger(d.log, "proxy-" + std::to_string(i)),
        [&d, i](uint64_t seq) { d.workerApplied(i, seq); }));
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
  return impl_->metrics.render(steadySecond(impl_->clock.steadyNow()));
}

int64_t Proxy::servedGeneration(const std::string& kind, const std::string& ns,
                                const std::string& name) const {
  return impl_->servedGeneration(kind + "/" + ns + "/" + name);
}

void Proxy::onServedChange(std::function<void()> callback) {
  impl_->servedCallbacks.push_back(std::move(callback));
}

}  // namespace sluice::proxy
