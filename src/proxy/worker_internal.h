// What the proxy worker's connection types share: the worker's state, its buffers, the list of
// open connections and the readiness bookkeeping of edge-triggered sockets. Internal to the
// worker (worker.cc), the L4 tunnel (tunnel.cc) and the L7 session (http_session.cc); nothing
// outside the worker includes it.
//
// Threading: everything here belongs to one worker's thread, except State::mu and
// State::pending, which publish() reaches from the control thread.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/log.h"
#include "proxy/config.h"
#include "proxy/event_loop.h"
#include "proxy/metrics.h"
#include "proxy/worker.h"

namespace sluice::proxy {

using Clock = std::chrono::steady_clock;

inline constexpr uint32_t kBufferSize = 16384;
// Room kept before buffered data so a head can grow in place: "Connection: close", and the
// headers and cookies of route filters.
inline constexpr uint32_t kHeadroom = 1024;
inline constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

inline bool wouldBlock(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

// A non-blocking connect; returns the socket (connected or in progress), or -1 with errno.
int connectTo(const sockaddr_in& to, bool& connected);

struct Buffer {
  char data[kBufferSize];
  Buffer* next = nullptr;
};

// Buffers are recycled per worker: a connection takes them when it opens and gives them back
// when it closes, so steady traffic allocates nothing.
class BufferPool {
 public:
  ~BufferPool() {
    while (free_) {
      Buffer* b = free_;
      free_ = b->next;
      delete b;
    }
  }
  Buffer* get() {
    if (!free_) return new Buffer;
    Buffer* b = free_;
    free_ = b->next;
    return b;
  }
  void put(Buffer* b) {
    if (!b) return;
    b->next = free_;
    free_ = b;
  }

 private:
  Buffer* free_ = nullptr;
};

struct WorkerPort {
  std::shared_ptr<const PortConfig> config;
  bool removed = false;  // the Service port is gone: no new connections or requests
};

class Connection;
class Upstream;

struct Worker::State {
  State(int index_, Timeouts timeouts_, base::Logger log_, std::function<void(uint64_t)> applied_)
      : index(index_),
        applied(std::move(applied_)),
        timeouts(timeouts_),
        log(log_ ? std::move(log_) : base::nullLogger()),
        loop([this] { applyPending(); }, [this] { tick(); },
             static_cast<int>(timeouts_.tick.count())) {}
  ~State();

  int index;
  std::function<void(uint64_t)> applied;
  Timeouts timeouts;  // a backend that has the whole request and is silent for `response` gets
                      // it answered 504 (nginx's proxy_read_timeout default is the same 60 s)
  base::Logger log;
  EventLoop loop;
  BufferPool buffers;

  std::mutex mu;
  std::shared_ptr<const Config> pending;  // guarded by mu

  std::shared_ptr<const Config> config;
  std::unordered_map<std::string, std::shared_ptr<WorkerPort>> ports;
  std::unordered_map<const ListenSocket*, EventLoop::Handler*> listeners;
  std::unordered_map<uint64_t, std::vector<Upstream*>> idle;  // backend key -> idle upstreams
  std::string scratch;  // route filters rewrite heads here (it stops allocating once grown)

  // Every open connection, for timeouts and for stop().
  Connection* connections = nullptr;
  std::vector<Connection*> ticking;                  // tick()'s snapshot of `connections`, reused
  std::vector<EventLoop::Handler*> pausedListeners;  // out of descriptors: resumed on tick

  MetricsSlot& slot(Series* s) { return s->slots[static_cast<size_t>(index)]; }
  MetricsSlot& slot(const std::shared_ptr<Series>& s) { return slot(s.get()); }
  void applyPending();
  void closeAll();  // only when the loop is not running
  void apply(std::shared_ptr<const Config> c);
  void tick();
  // The idle upstream pool (defined with the L7 session, which uses it).
  void takeIdle(Upstream* up);
  void dropIdle(Upstream* up);
  void closeIdleExcept(const std::unordered_set<uint64_t>& liveBackends);
};

class Connection : public EventLoop::Handler {
 public:
  explicit Connection(Worker::State& w) : w_(w) {
    next_ = w_.connections;
    if (next_) next_->prev_ = this;
    w_.connections = this;
  }
  ~Connection() override = default;
  // Closes the sockets and gives the object to the loop for deletion.
  virtual void close() = 0;
  virtual void tick(Clock::time_point now) = 0;
  Connection* next() const { return next_; }

 protected:
  void unlink() {
    if (prev_) prev_->next_ = next_;
    if (next_) next_->prev_ = prev_;
    if (w_.connections == this) w_.connections = next_;
    prev_ = next_ = nullptr;
  }
  Worker::State& w_;

 private:
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;
};

// Readiness of one non-blocking socket under edge-triggered epoll: set by events, cleared when

struct Readiness {
  bool readable = true;
  bool writable = true;
  bool hangup = false;  // EPOLLRDHUP/HUP seen: keep reading until 0

  void onEvents(uint32_t ev) {
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hangup = true;
  }
  // After a read of n bytes into `room`: a short read drained the socket, so the next data will
  // raise a new edge (unless a hang-up is pending, which a further read must see).
  void afterRead(ssize_t n, size_t room) {
    if (n > 0 && static_cast<size_t>(n) < room && !hangup) readable = false;
  }
};

}  // namespace sluice::proxy
