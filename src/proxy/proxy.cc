#include "proxy/proxy.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/object.h"
#include "client/informer.h"

namespace sluice::proxy {

namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

struct Backend {
  std::string ip;
  uint16_t port;
};

// What one Service port balances over; swapped whole when endpoints change.
// sessionAffinity: ClientIP — a client address keeps its backend while it keeps coming back
// within the timeout (and the backend stays ready).
struct Affinity {
  std::chrono::seconds timeout{10800};
  std::mutex mu;
  std::map<net::ip::address, std::pair<tcp::endpoint, std::chrono::steady_clock::time_point>>
      clients;
};

struct Counters {
  std::atomic<uint64_t> connections{0}, connectFailures{0}, bytesIn{0}, bytesOut{0};
};

struct Pool {
  std::vector<tcp::endpoint> backends;
  std::vector<std::shared_ptr<Counters>> counters;  // parallel to backends
  std::atomic<uint64_t> next{0};
  std::shared_ptr<Affinity> affinity;  // null: round-robin only

  size_t pick(const net::ip::address& client) {
    size_t rr = next.fetch_add(1) % backends.size();
    if (!affinity) return rr;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(affinity->mu);
    auto it = affinity->clients.find(client);
    if (it != affinity->clients.end() && now - it->second.second < affinity->timeout) {
      auto at = std::find(backends.begin(), backends.end(), it->second.first);
      if (at != backends.end()) {
        it->second.second = now;
        return static_cast<size_t>(at - backends.begin());
      }
    }
    affinity->clients[client] = {backends[rr], now};
    return rr;
  }
};

// One copy direction of a proxied connection.
class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(tcp::socket client, net::io_context& io) : client_(std::move(client)), backend_(io) {}

  // Connects to the pool's next backend; a backend that refuses (a pod that is stopping, say)
  // is skipped for the next one, so a new connection fails only when every backend refuses.
  void start(std::shared_ptr<Pool> pool, size_t first, size_t attempt = 0) {
    if (attempt >= pool->backends.size()) return closeBoth();
    size_t index = (first + attempt) % pool->backends.size();
    const auto& target = pool->backends[index];
    backend_.async_connect(target, [self = shared_from_this(), pool, first, attempt,
                                    index](boost::system::error_code ec) {
      if (ec) {
        if (index < pool->counters.size()) pool->counters[index]->connectFailures++;
        boost::system::error_code ignored;
        self->backend_.close(ignored);
        return self->start(pool, first, attempt + 1);
      }
      if (index < pool->counters.size()) {
        self->counters_ = pool->counters[index];
        self->counters_->connections++;
      }
      boost::system::error_code ignored;
      self->client_.set_option(tcp::no_delay(true), ignored);
      self->backend_.set_option(tcp::no_delay(true), ignored);
      self->pump(self->client_, self->backend_, self->up_, self->upDone_, true);
      self->pump(self->backend_, self->client_, self->down_, self->downDone_, false);
    });
  }

 private:
  void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf, bool& done,
            bool upstream) {
    from.async_read_some(net::buffer(buf), [self = shared_from_this(), &from, &to, &buf, &done,
                                            upstream](boost::system::error_code ec, size_t n) {
      if (ec) {
        // EOF or error on one side: pass the half-close on, and finish when both are done.
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        done = true;
        if (self->upDone_ && self->downDone_) self->closeBoth();
        if (ec != net::error::eof) self->closeBoth();
        return;
      }
      if (self->counters_) (upstream ? self->counters_->bytesIn : self->counters_->bytesOut) += n;
      net::async_write(
          to, net::buffer(buf.data(), n),
          [self, &from, &to, &buf, &done, upstream](boost::system::error_code ec2, size_t) {
            if (ec2) return self->closeBoth();
            self->pump(from, to, buf, done, upstream);
          });
    });
  }

  void closeBoth() {
    boost::system::error_code ignored;
    client_.close(ignored);
    backend_.close(ignored);
  }

  tcp::socket client_;
  tcp::socket backend_;
  std::shared_ptr<Counters> counters_;
  std::array<char, 16384> up_{}, down_{};
  bool upDone_ = false, downDone_ = false;
};

// A listening address of one Service port.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, tcp::endpoint at, std::shared_ptr<std::shared_ptr<Pool>> pool)
      : io_(io), acceptor_(io), at_(at), pool_(std::move(pool)) {}

  boost::system::error_code open() {
    boost::system::error_code ec;
    acceptor_.open(at_.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at_, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return ec;
    }
    accept();
    return ec;
  }
  void close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  void accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
          if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
          if (!ec) {
            auto pool = std::atomic_load(self->pool_.get());
            if (pool && !pool->backends.empty()) {
              boost::system::error_code rec;
              auto remote = s.remote_endpoint(rec);
              size_t first = pool->pick(rec ? net::ip::address() : remote.address());
              std::make_shared<Link>(std::move(s), self->io_)->start(pool, first);
            }
          }
          self->accept();
        });
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  tcp::endpoint at_;
  std::shared_ptr<std::shared_ptr<Pool>> pool_;
};

struct PortState {
  std::shared_ptr<std::shared_ptr<Pool>> pool = std::make_shared<std::shared_ptr<Pool>>();
  std::vector<tcp::endpoint> backends;
  std::set<tcp::endpoint> addresses;  // where it listens
  std::map<tcp::endpoint, std::shared_ptr<Listener>> listeners;
  std::shared_ptr<Affinity> affinity;
};

}  // namespace

struct Proxy::Impl {
  Impl(client::Client& c, Options o)
      : client(c),
        options(o),
        services(c, *api::findByKind("v1", "Service")),
        endpoints(c, *api::findByKind("v1", "Endpoints")),
        pods(c, *api::findByKind("v1", "Pod")),
        work(net::make_work_guard(io)),
        syncStrand(net::make_strand(io)) {}

  client::Client& client;
  Options options;
  client::Informer services;
  client::Informer endpoints;
  client::Informer pods;

  // Counters per (service key, port, endpoint), kept across pool swaps; `version` is the pod's
  // label, for release analysis.
  struct Series {
    std::string ns, service, port, endpoint, version;
    std::shared_ptr<Counters> counters = std::make_shared<Counters>();
  };
  std::mutex metricsMu;
  std::map<std::string, Series> series;

  std::shared_ptr<Counters> countersFor(const std::string& ns, const std::string& service,
                                        uint16_t port, const tcp::endpoint& ep,
                                        const std::string& version) {
    std::string endpoint = ep.address().to_string() + ":" + std::to_string(ep.port());
    std::string key = ns + "/" + service + "/" + std::to_string(port) + "/" + endpoint;
    std::lock_guard lock(metricsMu);
    auto& s = series[key];
    if (s.service.empty()) s = Series{ns, service, std::to_string(port), endpoint, version};
    s.version = version;
    return s.counters;
  }
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work;
  net::strand<net::io_context::executor_type> syncStrand;
  std::vector<std::thread> threads;
  std::map<std::string, PortState> ports;  // "ns/name/port" -> state; touched on the io thread
  std::atomic<bool> syncQueued{false};

  void queueSync() {
    if (syncQueued.exchange(true)) return;
    net::post(syncStrand, [this] {
      syncQueued = false;
      sync();
    });
  }

  // Reconciles listeners and pools with what the informers hold. Runs on the io thread.
  void sync() {
    std::map<std::string, std::pair<std::set<tcp::endpoint>, std::vector<tcp::endpoint>>> want;
    std::map<std::string, int64_t> affinityTimeout;  // key -> seconds, for ClientIP affinity
    std::map<std::string, std::map<tcp::endpoint, std::string>> versions;  // key -> pod version
    for (const auto& svc : services.list()) {
      std::string type = api::getString(*svc, "spec.type", "ClusterIP");
      if (type == "ExternalName") continue;
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
        std::string portName = api::getString(p, "name");
        auto port = static_cast<uint16_t>(api::getInt(p, "port"));
        std::string key = client::Informer::keyOf(*svc) + "/" + std::to_string(port);
        auto& [addrs, backends] = want[key];
        if (api::getString(*svc, "spec.sessionAffinity") == "ClientIP")
          affinityTimeout[key] =
              api::getInt(*svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 10800);
        boost::system::error_code ec;
        auto add = [&](const std::string& ip, uint16_t at) {
          auto a = net::ip::make_address(ip, ec);
          if (!ec && at) addrs.insert(tcp::endpoint(a, at));
        };
        if (!clusterIp.empty() && clusterIp != "None") add(clusterIp, port);
        for (const auto& ip : ingress) add(ip, port);
        if (auto np = api::getInt(p, "nodePort"); np > 0)
          add("127.0.0.1", static_cast<uint16_t>(np));
        if (!ep) continue;
        if (auto* subsets = api::find(*ep, "subsets"); subsets && subsets->is_array()) {
          for (const auto& s : subsets->as_array()) {
            uint16_t target = 0;
            if (auto* eps = api::find(s, "ports"); eps && eps->is_array())
              for (const auto& e : eps->as_array())
                if (api::getString(e, "name") == portName || eps->as_array().size() == 1)
                  target = static_cast<uint16_t>(api::getInt(e, "port"));
            if (!target) continue;
            if (auto* a = api::find(s, "addresses"); a && a->is_array())
              for (const auto& addr : a->as_array()) {
                auto ip = net::ip::make_address(api::getString(addr, "ip"), ec);
                if (ec) continue;
                backends.emplace_back(ip, target);
                std::string version;
                if (auto pod = pods.get(api::getString(addr, "targetRef.namespace") + "/" +
                                        api::getString(addr, "targetRef.name")))
                  version = api::getString(*pod, "metadata.labels.version");
                versions[key][backends.back()] = version;
              }
          }
        }
        std::sort(backends.begin(), backends.end());
      }
    }
    // Remove what is gone.
    for (auto it = ports.begin(); it != ports.end();) {
      if (!want.count(it->first)) {
        for (auto& [a, l] : it->second.listeners) l->close();
        it = ports.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [key, spec] : want) {
      auto& state = ports[key];
      auto& [addrs, backends] = spec;
      auto aff = affinityTimeout.find(key);
      bool affinityChanged = (aff == affinityTimeout.end()) != !state.affinity ||
                             (aff != affinityTimeout.end() && state.affinity &&
                              state.affinity->timeout.count() != aff->second);
      if (affinityChanged) {
        state.affinity = nullptr;
        if (aff != affinityTimeout.end()) {
          state.affinity = std::make_shared<Affinity>();
          state.affinity->timeout = std::chrono::seconds(aff->second);
        }
      }
      if (backends != state.backends || !*state.pool || affinityChanged) {
        auto pool = std::make_shared<Pool>();
        pool->backends = backends;
        pool->affinity = state.affinity;
        auto parts = key;  // "ns/name/port"
        auto slash1 = parts.find('/'), slash2 = parts.rfind('/');
        std::string ns = parts.substr(0, slash1),
                    name = parts.substr(slash1 + 1, slash2 - slash1 - 1);
        auto port = static_cast<uint16_t>(std::atoi(parts.c_str() + slash2 + 1));
        for (const auto& b : backends)
          pool->counters.push_back(countersFor(ns, name, port, b, versions[key][b]));
        std::atomic_store(state.pool.get(), pool);
        state.backends = backends;
      }
      // Listen only while there is somewhere to send connections: "connection refused" then.
      std::set<tcp::endpoint> listenOn = backends.empty() ? std::set<tcp::endpoint>{} : addrs;
      for (auto it = state.listeners.begin(); it != state.listeners.end();) {
        if (!listenOn.count(it->first)) {
          it->second->close();
          it = state.listeners.erase(it);
        } else {
          ++it;
        }
      }
      for (const auto& a : listenOn) {
        if (state.listeners.count(a)) continue;
        auto l = std::make_shared<Listener>(io, a, state.pool);
        if (auto ec = l->open()) {
          std::cerr << "proxy: cannot listen on " << a << " for " << key << ": " << ec.message()
                    << "\n";
          continue;
        }
        state.listeners[a] = l;
      }
    }
  }
};

Proxy::Proxy(client::Client& client, Options options)
    : impl_(std::make_unique<Impl>(client, options)) {}

Proxy::~Proxy() {
  stop();
}

api::Status Proxy::start() {
  auto& d = *impl_;
  auto changed = [&d](const client::ObjectPtr&) { d.queueSync(); };
  auto updated = [&d](const client::ObjectPtr&, const client::ObjectPtr&) { d.queueSync(); };
  d.services.addHandlers({changed, updated, changed});
  d.endpoints.addHandlers({changed, updated, changed});
  d.services.start();
  d.endpoints.start();
  d.pods.start();
  d.pods.waitForSync(std::chrono::seconds(10));
  d.services.waitForSync(std::chrono::seconds(10));
  d.endpoints.waitForSync(std::chrono::seconds(10));
  for (int i = 0; i < std::max(1, d.options.threads); ++i)
    d.threads.emplace_back([&d] { d.io.run(); });
  d.queueSync();
  return {};
}

void Proxy::stop() {
  auto& d = *impl_;
  d.services.stop();
  d.endpoints.stop();
  d.pods.stop();
  d.work.reset();
  d.io.stop();
  for (auto& t : d.threads)
    if (t.joinable()) t.join();
  d.threads.clear();
}

std::string Proxy::metrics() {
  auto& d = *impl_;
  std::lock_guard lock(d.metricsMu);
  std::string out;
  auto family = [&](const char* name, const char* help, auto value, const char* extra) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
    for (const auto& [k, s] : d.series) {
      out += std::string(name) + "{namespace=\"" + s.ns + "\",service=\"" + s.service +
             "\",port=\"" + s.port + "\",endpoint=\"" + s.endpoint + "\"";
      if (!s.version.empty()) out += ",version=\"" + s.version + "\"";
      out += extra;
      out += "} " + std::to_string(value(*s.counters)) + "\n";
    }
  };
  family(
      "sluice_proxy_connections_total", "TCP connections proxied to an endpoint.",
      [](const Counters& c) { return c.connections.load(); }, "");
  family(
      "sluice_proxy_connect_failures_total",
      "Connections an endpoint refused (retried on the next).",
      [](const Counters& c) { return c.connectFailures.load(); }, "");
  out +=
      "# HELP sluice_proxy_bytes_total Bytes proxied, by direction (in: client to endpoint).\n"
      "# TYPE sluice_proxy_bytes_total counter\n";
  for (const auto& [k, s] : d.series) {
    std::string labels = "namespace=\"" + s.ns + "\",service=\"" + s.service + "\",port=\"" +
                         s.port + "\",endpoint=\"" + s.endpoint + "\"" +
                         (s.version.empty() ? "" : ",version=\"" + s.version + "\"");
    out += "sluice_proxy_bytes_total{" + labels + ",direction=\"in\"} " +
           std::to_string(s.counters->bytesIn.load()) + "\n";
    out += "sluice_proxy_bytes_total{" + labels + ",direction=\"out\"} " +
           std::to_string(s.counters->bytesOut.load()) + "\n";
  }
  return out;
}

}  // namespace sluice::proxy
