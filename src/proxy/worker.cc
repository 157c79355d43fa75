#include "proxy/worker.h"

#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "proxy/http_session.h"
#include "proxy/tunnel.h"
#include "proxy/worker_internal.h"

namespace sluice::proxy {

// A non-blocking connect; returns the socket (connected or in progress), or -1 with errno.
int connectTo(const sockaddr_in& to, bool& connected) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) {
    connected = true;
    return fd;
  }
  if (errno == EINPROGRESS) {
    connected = false;
    return fd;
  }
  int err = errno;
  close(fd);
  errno = err;
  return -1;
}

namespace {

class Listener : public EventLoop::Handler {
 public:
  Listener(Worker::State& w, std::shared_ptr<ListenSocket> socket, std::shared_ptr<WorkerPort> port)
      : w_(w), socket_(std::move(socket)), port(std::move(port)) {}

  void onEvents(uint32_t) override {
    for (int i = 0; i < 64; ++i) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int fd = accept4(socket_->fd, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          if (!warned_)
            w_.log->warn("cannot accept on {}: {} (pausing accepts until descriptors free up)",
                         socket_->address, std::strerror(errno));
          warned_ = true;
          // The socket stays readable (level-triggered): stop watching it until the next tick,
          // or the loop would spin on it.
          w_.loop.remove(socket_->fd);
          w_.pausedListeners.push_back(this);
        }
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const auto& config = port->config;
      if (config->http) {
        openSession(w_, fd, port, peer.sin_addr.s_addr);
      } else if (port->removed) {
        ::close(fd);
      } else if (config->routes) {
        tunnelByRoute(fd, config, peer.sin_addr.s_addr);
      } else if (config->backends.empty()) {
        ::close(fd);
      } else {
        openTunnel(w_, fd, config, config->backends,
                   config->balancer->pick({config->backends, peer.sin_addr.s_addr}));
      }
    }
  }

  const ListenSocket* socket() const { return socket_.get(); }

 private:
  // A TCPRoute's connection: its backend by the weighted cycle, then one of that backend's
  // endpoints. A backend that does not resolve or has no ready endpoint gets its share of
  // connections closed at once (counted, as the HTTP path counts its 500 and 503).
  void tunnelByRoute(int fd, const std::shared_ptr<const PortConfig>& config, uint32_t clientIp) {
    const RuleConfig& rule = config->routes->rules.front();
    int chosen = rule.schedule ? rule.schedule->next() : -1;
    if (chosen < 0) {
      ::close(fd);
      return;
    }
    const RouteBackend& b = rule.backends[static_cast<size_t>(chosen)];
    MetricsSlot& slot = w_.slot(b.series);
    slot.count(steadySecond(Clock::now()));
    if (!b.resolved || b.backends.empty()) {
      slot.connectFailures.add(1);
      ::close(fd);
      return;
    }
    slot.connections.add(1);
    openTunnel(w_, fd, config, b.backends, b.balancer->pick({b.backends, clientIp}));
  }

  Worker::State& w_;
  std::shared_ptr<ListenSocket> socket_;
  bool warned_ = false;

 public:
  std::shared_ptr<WorkerPort> port;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

Worker::State::~State() {
  closeAll();
}

void Worker::State::closeAll() {
  while (connections) {
    Connection* c = connections;
    c->close();  // unlinks
  }
  for (auto& [s, l] : listeners) {
    loop.remove(s->fd);
    loop.retire(l);
  }
  listeners.clear();
}

void Worker::State::applyPending() {
  std::shared_ptr<const Config> next;
  {
    std::lock_guard lock(mu);
    next = std::move(pending);
  }
  if (next) apply(std::move(next));
}

void Worker::State::apply(std::shared_ptr<const Config> c) {
  std::unordered_map<std::string, std::shared_ptr<WorkerPort>> nextPorts;
  std::unordered_set<uint64_t> liveBackends;
  for (const auto& p : c->ports) {
    auto it = ports.find(p->key);
    auto wp = it != ports.end() ? it->second : std::make_shared<WorkerPort>();
    wp->config = p;
    wp->removed = false;
    nextPorts[p->key] = wp;
    for (const auto& b : p->backends) liveBackends.insert(b.key);
  }
  for (auto& [key, wp] : ports)
    if (!nextPorts.count(key)) wp->removed = true;
  ports = std::move(nextPorts);

  std::unordered_map<const ListenSocket*, EventLoop::Handler*> nextListeners;
  for (const auto& l : c->listeners) {
    const auto& port = ports[c->ports[l.port]->key];
    auto it = listeners.find(l.socket.get());
    if (it != listeners.end()) {
      static_cast<Listener*>(it->second)->port = port;
      nextListeners[l.socket.get()] = it->second;
      listeners.erase(it);
      continue;
    }
    auto* listener = new Listener(*this, l.socket, port);
    if (!loop.add(l.socket->fd, EPOLLIN | EPOLLEXCLUSIVE, listener)) {
      log->error("cannot watch {}: {}", l.socket->address, std::strerror(errno));
      delete listener;
      continue;
    }
    nextListeners[l.socket.get()] = listener;
  }
  for (auto& [s, l] : listeners) {
    loop.remove(s->fd);
    loop.retire(l);  // its reference to the socket goes after this batch
    std::erase(pausedListeners, l);
  }
  listeners = std::move(nextListeners);

  // Idle connections to endpoints that left every Service are closed now.
  closeIdleExcept(liveBackends);
  config = std::move(c);
  if (applied) applied(config->sequence);
}

void Worker::State::tick() {
  for (auto* l : pausedListeners)
    loop.add(static_cast<Listener*>(l)->socket()->fd, EPOLLIN | EPOLLEXCLUSIVE, l);
  pausedListeners.clear();
  // Walk a copy: a connection's timeout may close others (a session its upstream), and retired
  // objects stay allocated until the batch ends, so every pointer here stays valid.
  auto now = Clock::now();
  ticking.clear();
  for (Connection* c = connections; c; c = c->next()) ticking.push_back(c);
  for (Connection* c : ticking)
    if (!c->retired) c->tick(now);
}

Worker::Worker(int index, Timeouts timeouts, base::Logger log,
               std::function<void(uint64_t)> applied)
    : state_(std::make_unique<State>(index, timeouts, std::move(log), std::move(applied))) {}

Worker::~Worker() {
  stop();
}

void Worker::start() {
  thread_ = std::thread([this] {
    std::string name = "proxy-" + std::to_string(state_->index);
    pthread_setname_np(pthread_self(), name.c_str());
    state_->loop.run();
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  state_->loop.stop();
  thread_.join();
  state_->closeAll();
}

void Worker::publish(std::shared_ptr<const Config> config) {
  {
    std::lock_guard lock(state_->mu);
    state_->pending = std::move(config);
  }
  state_->loop.wake();
}
}  // namespace sluice::proxy
