#include "proxy/worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "http/http.h"
#include "proxy/event_loop.h"

namespace sluice::proxy {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kBufferSize = 16384;
// Room kept before buffered data so a head can grow in place ("Connection: close\r\n").
constexpr uint32_t kHeadroom = 64;
constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr size_t kSplicePipeSize = 65536;

constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    "Connection: close\r\n\r\nbad request\n";
constexpr std::string_view kHeadTooLarge =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
    "Content-Length: 24\r\nConnection: close\r\n\r\nrequest head too large\r\n";
constexpr std::string_view kGatewayTimeout =
    "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 36\r\n"
    "Connection: close\r\n\r\nthe endpoint did not answer in time\n";
constexpr std::string_view kBadGateway =
    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 41\r\n"
    "Connection: close\r\n\r\nno endpoint answered the request in full\n";

uint64_t micros(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

bool wouldBlock(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

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

// Edits a head in place at buf[begin, begin + length): drops the hop-by-hop lines and inserts
// `extra` (whole header lines) before the final CRLF. Dropping moves the bytes before each
// dropped line forward; inserting moves the head back into the headroom. Returns the new begin;
// `length` is updated.
uint32_t editHead(char* buf, uint32_t begin, uint32_t& length, const http::Head& head,
                  std::string_view extra) {
  for (int i = head.hopLineCount - 1; i >= 0; --i) {
    const auto& line = head.hopLines[i];
    uint32_t gap = line.end - line.begin;
    std::memmove(buf + begin + gap, buf + begin, line.begin);
    begin += gap;
    length -= gap;
  }
  if (!extra.empty()) {
    auto n = static_cast<uint32_t>(extra.size());
    assert(begin >= n);
    std::memmove(buf + begin - n, buf + begin, length - 2);
    std::memcpy(buf + begin - n + length - 2, extra.data(), n);
    begin -= n;
    length += n;
  }
  return begin;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct WorkerPort {
  std::shared_ptr<const PortConfig> config;
  bool removed = false;  // the Service port is gone: no new connections or requests
};

class Connection;
class Upstream;

struct Worker::State {
  State(int index_, Timeouts timeouts_)
      : index(index_),
        timeouts(timeouts_),
        loop([this] { applyPending(); }, [this] { tick(); },
             static_cast<int>(timeouts_.tick.count())) {}
  ~State();

  int index;
  Timeouts timeouts;  // a backend that has the whole request and is silent for `response` gets
                      // it answered 504 (nginx's proxy_read_timeout default is the same 60 s)
  EventLoop loop;
  BufferPool buffers;

  std::mutex mu;
  std::shared_ptr<const Config> pending;  // guarded by mu

  std::shared_ptr<const Config> config;
  std::unordered_map<std::string, std::shared_ptr<WorkerPort>> ports;
  std::unordered_map<const ListenSocket*, EventLoop::Handler*> listeners;
  std::unordered_map<uint64_t, std::vector<Upstream*>> idle;  // backend key -> idle upstreams

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
  void takeIdle(Upstream* up);
  void dropIdle(Upstream* up);
};

// Base of everything with a socket in the loop; linked into the worker's list.
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
// a call would block.
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

// An L4 connection: client <-> one backend.
class Tunnel : public Connection {
 public:
  Tunnel(Worker::State& w, int clientFd, std::shared_ptr<WorkerPort> port, size_t first)
      : Connection(w),
        port_(port->config),
        first_(first),
        client_(*this, false),
        backend_(*this, true) {
    up_.from = down_.to = clientFd;
    w_.loop.add(clientFd, kConnectionEvents, &client_);
    connectNext();
  }
  ~Tunnel() override = default;

  void onEvents(uint32_t) override {}  // events arrive through the two ends

  void close() override {
    if (retired) return;
    unlink();
    for (Direction* d : {&up_, &down_}) {
      if (d->pipe[0] >= 0) ::close(d->pipe[0]);
      if (d->pipe[1] >= 0) ::close(d->pipe[1]);
      w_.buffers.put(d->buffer);
      d->buffer = nullptr;
    }
    if (up_.from >= 0) w_.loop.closeFd(up_.from);
    if (up_.to >= 0) w_.loop.closeFd(up_.to);
    w_.loop.retire(this);
  }

  void tick(Clock::time_point now) override {
    if (!connected_ && up_.to >= 0 && now - connectStarted_ > w_.timeouts.connect) {
      failConnect();
    }
  }

 private:
  struct End : EventLoop::Handler {
    End(Tunnel& t_, bool backend_) : t(t_), backend(backend_) {}
    void onEvents(uint32_t ev) override {
      if (!t.retired) t.onEndEvents(backend, ev);
    }
    Tunnel& t;
    bool backend;
  };

  struct Direction {
    int from = -1, to = -1;
    Readiness* in = nullptr;   // readiness of `from`
    Readiness* out = nullptr;  // readiness of `to`
    Buffer* buffer = nullptr;
    uint32_t begin = 0, end = 0;
    int pipe[2] = {-1, -1};  // splice mode once a read fills the buffer
    size_t inPipe = 0;
    bool eof = false, shut = false;
    bool upstream = false;  // client -> backend
  };

  void onEndEvents(bool backend, uint32_t ev) {
    (backend ? backendReady_ : clientReady_).onEvents(ev);
    if (backend && !connected_) {
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(up_.to, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) return failConnect();
      onConnected();
    }
    if (connected_) pump();
  }

  Series* series() const { return port_->backends[index_].series.get(); }

  void connectNext() {
    const auto& backends = port_->backends;
    while (attempt_ < backends.size()) {
      index_ = (first_ + attempt_) % backends.size();
      bool connected = false;
      int fd = connectTo(backends[index_].address, connected);
      if (fd >= 0) {
        up_.to = down_.from = fd;
        connectStarted_ = Clock::now();
        backendReady_ = Readiness{};
        backendReady_.readable = false;  // nothing to read before the first edge
        backendReady_.writable = connected;
        w_.loop.add(fd, kConnectionEvents, &backend_);
        if (connected) {
          onConnected();
          pump();
        }
        return;
      }
      w_.slot(series()).connectFailures.add(1);
      ++attempt_;
    }
    close();  // every backend refused: the client sees its connection closed
  }

  void failConnect() {
    w_.slot(series()).connectFailures.add(1);
    w_.loop.closeFd(up_.to);
    up_.to = down_.from = -1;
    ++attempt_;
    connectNext();
  }

  void onConnected() {
    connected_ = true;
    w_.slot(series()).connections.add(1);
    up_.in = &clientReady_;
    up_.out = &backendReady_;
    up_.upstream = true;
    down_.in = &backendReady_;
    down_.out = &clientReady_;
    up_.buffer = w_.buffers.get();
    down_.buffer = w_.buffers.get();
  }

  void pump() {
    bool progress = true;
    while (progress && !retired) {
      progress = move(up_) | move(down_);
    }
    if (!retired && up_.shut && down_.shut) close();
  }

  // Moves what it can in one direction; false when nothing moved.
  bool move(Direction& d) {
    if (d.shut) return false;
    bool progress = false;
    auto& slot = w_.slot(series());
    if (d.pipe[0] >= 0) {
      if (d.inPipe && d.out->writable) {
        ssize_t n =
            splice(d.pipe[0], nullptr, d.to, nullptr, d.inPipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.inPipe -= static_cast<size_t>(n);
          progress = true;
        } else if (n < 0 && wouldBlock(errno)) {
          d.out->writable = false;
        } else {
          close();
          return false;
        }
      }
      if (!d.inPipe && !d.eof && d.in->readable) {
        ssize_t n = splice(d.from, nullptr, d.pipe[1], nullptr, kSplicePipeSize,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
          d.inPipe = static_cast<size_t>(n);
          (d.upstream ? slot.bytesIn : slot.bytesOut).add(static_cast<uint64_t>(n));
          progress = true;
        } else if (n == 0) {
          d.eof = true;
          progress = true;
        } else if (wouldBlock(errno)) {
          d.in->readable = false;
        } else {
          close();
          return false;
        }
      }
      if (d.eof && !d.inPipe) finish(d);
      return progress;
    }
    if (d.begin < d.end && d.out->writable) {
      ssize_t n = write(d.to, d.buffer->data + d.begin, d.end - d.begin);
      if (n > 0) {
        d.begin += static_cast<uint32_t>(n);
        if (d.begin < d.end) d.out->writable = false;
        progress = true;
      } else if (n < 0 && wouldBlock(errno)) {
        d.out->writable = false;
      } else {
        close();
        return false;
      }
    }
    if (d.begin == d.end && !d.eof && d.in->readable) {
      d.begin = d.end = 0;
      ssize_t n = read(d.from, d.buffer->data, kBufferSize);
      if (n > 0) {
        d.end = static_cast<uint32_t>(n);
        d.in->afterRead(n, kBufferSize);
        (d.upstream ? slot.bytesIn : slot.bytesOut).add(static_cast<uint64_t>(n));
        progress = true;
        // A full buffer in one read is a bulk transfer: from now on splice(2) moves it
        // kernel-side (once the buffered bytes are out).
        if (n == static_cast<ssize_t>(kBufferSize)) {
          wantSplice(d);
          if (retired) return false;
        }
      } else if (n == 0) {
        d.eof = true;
        progress = true;
      } else if (wouldBlock(errno)) {
        d.in->readable = false;
      } else {
        close();
        return false;
      }
    }
    if (d.eof && d.begin == d.end) finish(d);
    return progress;
  }

  // Switches a direction to splice mode when its buffer has drained; the buffered bytes are
  // written first (move() writes the buffer while begin < end), so order is kept.
  void wantSplice(Direction& d) {
    if (d.pipe[0] >= 0) return;
    if (pipe2(d.pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
      d.pipe[0] = d.pipe[1] = -1;  // stay on the buffer
      return;
    }
    fcntl(d.pipe[1], F_SETPIPE_SZ, static_cast<int>(kSplicePipeSize));
    if (fcntl(d.pipe[1], F_GETPIPE_SZ) < static_cast<int>(kBufferSize)) {
      // Pipes can be capped small (fs.pipe-user-pages-soft): one that cannot take a whole
      // buffer could not take the bytes below either; stay on the buffer.
      ::close(d.pipe[0]);
      ::close(d.pipe[1]);
      d.pipe[0] = d.pipe[1] = -1;
      return;
    }
    // Flush the buffer the ordinary way before splicing: move() only splices from the pipe once
    // the buffer is empty, handled by writing it out right here when possible.
    while (d.begin < d.end) {
      ssize_t n = write(d.to, d.buffer->data + d.begin, d.end - d.begin);
      if (n <= 0) break;
      d.begin += static_cast<uint32_t>(n);
    }
    if (d.begin < d.end) {
      // The destination is full: keep the bytes by pushing them into the pipe, ahead of
      // anything spliced later. The pipe is empty and holds at least a buffer (checked above),
      // so the write takes them all.
      ssize_t n = write(d.pipe[1], d.buffer->data + d.begin, d.end - d.begin);
      if (n != static_cast<ssize_t>(d.end - d.begin)) return close();  // never lose bytes
      d.inPipe += static_cast<size_t>(n);
      d.out->writable = false;
    }
    d.begin = d.end = 0;
  }

  // One direction reached EOF with nothing left to pass on: half-close the other side.
  void finish(Direction& d) {
    if (d.shut) return;
    shutdown(d.to, SHUT_WR);
    d.shut = true;
  }

  std::shared_ptr<const PortConfig> port_;
  size_t first_, attempt_ = 0, index_ = 0;
  End client_, backend_;
  Readiness clientReady_, backendReady_;
  Direction up_, down_;
  bool connected_ = false;
  Clock::time_point connectStarted_;
};

// ---------------------------------------------------------------------------------------------
// L7

class Session;

// A connection to a backend, owned by a session while a request uses it and by the worker's
// idle pool between requests.
class Upstream : public Connection {
 public:
  Upstream(Worker::State& w, int fd_, uint64_t key_, std::shared_ptr<Series> series_,
           bool connected_)
      : Connection(w), fd(fd_), key(key_), series(std::move(series_)), connected(connected_) {
    ready.readable = false;  // nothing comes before a request is sent
    ready.writable = connected;
    buffer = w_.buffers.get();
    begin = end = kHeadroom;
    started = Clock::now();
    w_.loop.add(fd, kConnectionEvents, this);
  }
  void onEvents(uint32_t ev) override;
  void close() override {
    if (retired) return;
    unlink();
    if (!owner) w_.dropIdle(this);
    w_.loop.closeFd(fd);
    w_.buffers.put(buffer);
    buffer = nullptr;
    w_.loop.retire(this);
  }
  void tick(Clock::time_point now) override;

  int fd;
  uint64_t key;
  std::shared_ptr<Series> series;  // kept while the connection lives, even if its endpoint goes
  bool connected;
  bool reused = false;  // taken from the idle pool for the current request
  Readiness ready;
  Buffer* buffer;
  uint32_t begin, end;  // response bytes not yet passed to the client
  Session* owner = nullptr;
  Clock::time_point started;  // connect start, or when it went idle
};

class Session : public Connection {
 public:
  Session(Worker::State& w, int fd, std::shared_ptr<WorkerPort> port, uint32_t clientIp)
      : Connection(w), fd_(fd), port_(std::move(port)), clientIp_(clientIp), clientEnd_(*this) {
    buffer_ = w_.buffers.get();
    begin_ = end_offset_ = kHeadroom;
    lastActive_ = Clock::now();
    w_.loop.add(fd_, kConnectionEvents, &clientEnd_);
  }

  void onEvents(uint32_t) override {}

  void close() override {
    if (retired) return;
    unlink();
    if (up_) closeUpstream();
    w_.loop.closeFd(fd_);
    w_.buffers.put(buffer_);
    buffer_ = nullptr;
    w_.loop.retire(this);
  }

  void tick(Clock::time_point now) override {
    if (phase_ == Phase::Closing && now - lastActive_ > w_.timeouts.linger) return close();
    if (phase_ == Phase::Head && now - lastActive_ > w_.timeouts.clientIdle) return close();
    // Waiting on the backend: the request is all out and nothing is left to pass back.
    if (phase_ == Phase::Forward && up_ && up_->connected && reqBody_.done() && sent_ == reqEnd_ &&
        up_->begin == up_->end && now - upstreamActive_ > w_.timeouts.response) {
      if (responded_) return close();
      auto series = up_->series;
      answer(kGatewayTimeout, true, series.get(), 504);
    }
  }

  // Everything that can move, moves; called on any event of the client or the upstream.
  void drive() {
    while (!retired) {
      bool progress = readClient();
      if (retired) return;
      progress |= advanceRequest();
      if (retired) return;
      progress |= sendUpstream();
      if (retired) return;
      progress |= readUpstream();
      if (retired) return;
      progress |= advanceResponse();
      if (!progress) break;
    }
  }

  void onUpstreamEvents(uint32_t ev) {
    Upstream* up = up_;
    up->ready.onEvents(ev);
    if (!up->connected) {
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(up->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) return connectFailed();
      up->connected = true;
      w_.slot(up->series).connections.add(1);
    }
    drive();
  }

  void upstreamConnectTimedOut() { connectFailed(); }

 private:
  struct End : EventLoop::Handler {
    explicit End(Session& s_) : s(s_) {}
    void onEvents(uint32_t ev) override {
      if (s.retired) return;
      s.ready_.onEvents(ev);
      s.lastActive_ = Clock::now();
      s.drive();
    }
    Session& s;
  };

  enum class Phase {
    Head,      // waiting for (the rest of) a request head
    Forward,   // a request is on its way to a backend, its response on its way back
    Own,       // the proxy answers itself (own_)
    Upgraded,  // after 101 Switching Protocols: bytes both ways until either side closes
    Closing,   // response sent, our side shut: waiting for the client's FIN
  };

  uint32_t used() const { return end_offset_ - begin_; }

  // Moves buffered client bytes down to the headroom, dropping what is no longer needed.
  void compact() {
    uint32_t keepFrom = begin_;
    if (phase_ == Phase::Forward && !retain_) keepFrom = sent_;
    if (keepFrom <= kHeadroom) return;
    uint32_t delta = keepFrom - kHeadroom;
    std::memmove(buffer_->data + kHeadroom, buffer_->data + keepFrom, end_offset_ - keepFrom);
    end_offset_ -= delta;
    auto shift = [&](uint32_t& at) { at = at >= keepFrom ? at - delta : kHeadroom; };
    shift(sent_);
    shift(reqEnd_);
    shift(begin_);
  }

  bool readClient() {
    if (!ready_.readable || eof_) return false;
    if (end_offset_ == kBufferSize) {
      // A request body bigger than the buffer: give up the whole-request copy kept for a
      // retry, so sent bytes can be dropped.
      if (phase_ == Phase::Forward && retain_ && sent_ > begin_) retain_ = false;
      compact();
      if (end_offset_ == kBufferSize) return false;
    }
    size_t room = kBufferSize - end_offset_;
    ssize_t n = read(fd_, buffer_->data + end_offset_, room);
    if (n > 0) {
      end_offset_ += static_cast<uint32_t>(n);
      ready_.afterRead(n, room);
      if (phase_ == Phase::Closing) begin_ = end_offset_ = kHeadroom;  // discarded
      return true;
    }
    if (n == 0) {
      eof_ = true;
      if (phase_ == Phase::Closing) close();
      return true;
    }
    if (wouldBlock(errno)) {
      ready_.readable = false;
      return false;
    }
    close();
    return false;
  }

  bool advanceRequest() {
    if (phase_ == Phase::Head) return startRequest();
    if (phase_ == Phase::Forward && !reqBody_.done() && end_offset_ > reqEnd_) {
      size_t n = reqBody_.consume(buffer_->data + reqEnd_, end_offset_ - reqEnd_);
      if (n == size_t(-1)) {
        close();
        return false;
      }
      reqEnd_ += static_cast<uint32_t>(n);
      return n > 0;
    }
    if (phase_ == Phase::Own) return writeOwn();
    return false;
  }

  bool startRequest() {
    if (begin_ == end_offset_) {
      if (eof_) close();
      return false;
    }
    http::Head head;
    auto parsed = http::parseRequest(buffer_->data + begin_, used(), head);
    if (parsed == http::Parse::Incomplete) {
      if (eof_) {
        close();
      } else if (begin_ == kHeadroom && end_offset_ == kBufferSize) {
        reqEnd_ = end_offset_;
        answer(kHeadTooLarge, true, nullptr, 431);
      } else if (end_offset_ == kBufferSize) {
        compact();
        return true;
      }
      return false;
    }
    if (parsed == http::Parse::Error) {
      reqEnd_ = end_offset_;
      answer(kBadRequest, true, nullptr, 400);
      return true;
    }
    started_ = Clock::now();
    isHead_ = head.method == "HEAD";
    idempotent_ = isHead_ || head.method == "GET" || head.method == "OPTIONS" ||
                  head.method == "PUT" || head.method == "DELETE" || head.method == "TRACE";
    upgrade_ = head.connectionUpgrade && head.hasUpgradeHeader;
    closeAfter_ = !head.keepAlive();  // a half-closed client still gets what it pipelined
    http10KeepAlive_ = head.versionMinor == 0 && head.keepAlive();
    reqBody_ = http::BodyFraming::forRequest(head);
    uint32_t length = head.length;
    if (!upgrade_) begin_ = editHead(buffer_->data, begin_, length, head, {});
    reqEnd_ = begin_ + length;
    sent_ = begin_;
    retain_ = true;
    size_t n = reqBody_.consume(buffer_->data + reqEnd_, end_offset_ - reqEnd_);
    if (n == size_t(-1)) {
      reqEnd_ = end_offset_;
      answer(kBadRequest, true, nullptr, 400);
      return true;
    }
    reqEnd_ += static_cast<uint32_t>(n);
    route();
    return true;
  }

  // Picks a backend for the request (again, for a retry) and an upstream connection to it.
  void route() {
    const auto& config = port_->config;
    if (port_->removed || config->backends.empty()) {
      ownConfig_ = config;  // keeps `unavailable` alive while it is written
      answer(config->unavailable, reqBody_.kind() != http::BodyFraming::Kind::None,
             config->series.get(), 503);
      return;
    }
    first_ = config->pick(clientIp_);
    attempt_ = 0;
    upstreamActive_ = started_;
    acquire(false);
  }

  // An upstream for backend (first_ + attempt_); pooled unless `fresh`. Refusing backends are
  // skipped; when none is left the client gets 502.
  void acquire(bool fresh) {
    phase_ = Phase::Forward;
    const auto& backends = port_->config->backends;
    while (attempt_ < backends.size()) {
      const Backend& b = backends[(first_ + attempt_) % backends.size()];
      if (!fresh) {
        auto it = w_.idle.find(b.key);
        if (it != w_.idle.end() && !it->second.empty()) {
          Upstream* up = it->second.back();
          it->second.pop_back();
          if (up->series != b.series) up->series = b.series;  // pools are shared by Services
          up->owner = this;
          up->reused = true;
          up_ = up;
          return;
        }
      }
      bool connected = false;
      int fd = connectTo(b.address, connected);
      if (fd >= 0) {
        up_ = new Upstream(w_, fd, b.key, b.series, connected);
        up_->owner = this;
        if (connected) w_.slot(b.series.get()).connections.add(1);
        return;
      }
      w_.slot(b.series.get()).connectFailures.add(1);
      ++attempt_;
      fresh = false;
    }
    answer(kBadGateway, true, port_->config->series.get(), 502);
  }

  void connectFailed() {
    w_.slot(up_->series).connectFailures.add(1);
    closeUpstream();
    ++attempt_;
    sent_ = begin_;
    acquire(true);
    drive();
  }

  // The upstream failed before answering: retry the whole request on a new connection while we
  // still hold all of it and nothing went back to the client (a pooled connection that the
  // backend closed while idle, or a backend that is going away), else 502 or abort.
  void upstreamFailed() {
    bool reused = up_->reused;
    bool nothingBack = !respHeadDone_ && up_->begin == up_->end && !responded_;
    closeUpstream();
    // Resent only when idempotent (RFC 9110 9.2.2): the backend may have acted on it before it
    // closed, whether the connection was pooled or new (as Go's and browsers' clients do).
    if (nothingBack && retain_ && retries_ < 3 && idempotent_) {
      ++retries_;
      sent_ = begin_;
      if (!reused) ++attempt_;  // a new connection that failed: try the next backend
      acquire(true);
      return;
    }
    if (!responded_) {
      answer(kBadGateway, true, port_->config->series.get(), 502);
      return;
    }
    close();
  }

  bool sendUpstream() {
    if (phase_ != Phase::Forward && phase_ != Phase::Upgraded) return false;
    if (!up_ || !up_->connected || !up_->ready.writable) return false;
    uint32_t limit = phase_ == Phase::Upgraded ? end_offset_ : reqEnd_;
    if (phase_ == Phase::Upgraded && eof_ && sent_ >= limit && !upstreamShut_) {
      // The client's half-close goes on once every byte before it has.
      shutdown(up_->fd, SHUT_WR);
      upstreamShut_ = true;
      return true;
    }
    if (sent_ >= limit) return false;
    ssize_t n = write(up_->fd, buffer_->data + sent_, limit - sent_);
    if (n > 0) {
      sent_ += static_cast<uint32_t>(n);
      if (sent_ < limit) up_->ready.writable = false;
      w_.slot(up_->series).bytesIn.add(static_cast<uint64_t>(n));
      if (sent_ == reqEnd_) upstreamActive_ = Clock::now();  // the response clock starts now
      if (phase_ == Phase::Upgraded) {
        begin_ = sent_;
        if (sent_ == end_offset_) begin_ = sent_ = end_offset_ = kHeadroom;
      }
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      up_->ready.writable = false;
      return false;
    }
    upstreamFailed();
    return true;
  }

  bool readUpstream() {
    if ((phase_ != Phase::Forward && phase_ != Phase::Upgraded) || !up_ || !up_->connected ||
        !up_->ready.readable || upstreamEof_)
      return false;
    Upstream& up = *up_;
    if (up.begin == up.end) up.begin = up.end = respEnd_ = kHeadroom;  // all passed on
    if (up.end == kBufferSize && up.begin > kHeadroom) {
      std::memmove(up.buffer->data + kHeadroom, up.buffer->data + up.begin, up.end - up.begin);
      if (respHeadDone_) respEnd_ -= up.begin - kHeadroom;
      up.end -= up.begin - kHeadroom;
      up.begin = kHeadroom;
    }
    size_t room = kBufferSize - up.end;
    if (!room) return false;
    ssize_t n = read(up.fd, up.buffer->data + up.end, room);
    if (n > 0) {
      up.end += static_cast<uint32_t>(n);
      up.ready.afterRead(n, room);
      upstreamActive_ = Clock::now();
      w_.slot(up.series).bytesOut.add(static_cast<uint64_t>(n));
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      up.ready.readable = false;
      return false;
    }
    // EOF or error from the backend.
    if (n == 0 && ((respHeadDone_ && respBody_.kind() == http::BodyFraming::Kind::UntilClose) ||
                   phase_ == Phase::Upgraded)) {
      upstreamEof_ = true;
      return true;
    }
    upstreamFailed();
    return true;
  }

  bool advanceResponse() {
    if ((phase_ != Phase::Forward && phase_ != Phase::Upgraded) || !up_) return false;
    Upstream& up = *up_;
    bool progress = false;
    if (phase_ == Phase::Forward && !respHeadDone_) {
      if (up.begin == up.end) return false;
      http::Head head;
      auto parsed = http::parseResponse(up.buffer->data + up.begin, up.end - up.begin, head);
      if (parsed == http::Parse::Incomplete) {
        if (up.begin == kHeadroom && up.end == kBufferSize) upstreamFailedHard();
        return false;
      }
      if (parsed == http::Parse::Error) {
        upstreamFailedHard();
        return true;
      }
      status_ = head.status;
      interim_ = head.status < 200 && head.status != 101;
      uint32_t length = head.length;
      if (head.status == 101) {
        // Switching protocols: the head goes through untouched, then bytes both ways.
        respEnd_ = up.begin + length;
        respHeadDone_ = true;
        respBody_ = http::BodyFraming::untilClose();
        switching_ = true;
        return true;
      }
      if (!interim_) {
        respBody_ = http::BodyFraming::forResponse(head, isHead_ ? "HEAD" : "");
        upstreamReusable_ =
            head.keepAlive() && respBody_.kind() != http::BodyFraming::Kind::UntilClose;
        if (respBody_.kind() == http::BodyFraming::Kind::UntilClose) closeAfter_ = true;
        std::string_view extra = closeAfter_        ? "Connection: close\r\n"
                                 : http10KeepAlive_ ? "Connection: keep-alive\r\n"
                                                    : "";
        up.begin = editHead(up.buffer->data, up.begin, length, head, extra);
      } else {
        respBody_ = http::BodyFraming::none();
      }
      respEnd_ = up.begin + length;
      respHeadDone_ = true;
      progress = true;
    }
    if (respHeadDone_ && !respBody_.done() && up.end > respEnd_ && phase_ == Phase::Forward) {
      size_t n = respBody_.consume(up.buffer->data + respEnd_, up.end - respEnd_);
      if (n == size_t(-1)) {
        upstreamFailedHard();
        return true;
      }
      respEnd_ += static_cast<uint32_t>(n);
      progress |= n > 0;
    }
    if (phase_ == Phase::Upgraded) respEnd_ = up.end;
    if (up.begin < respEnd_ && ready_.writable) {
      ssize_t n = write(fd_, up.buffer->data + up.begin, respEnd_ - up.begin);
      if (n > 0) {
        up.begin += static_cast<uint32_t>(n);
        responded_ = true;
        if (up.begin < respEnd_) ready_.writable = false;
        progress = true;
      } else if (n < 0 && wouldBlock(errno)) {
        ready_.writable = false;
      } else {
        close();
        return false;
      }
    }
    if (up.begin < respEnd_) return progress;
    if (phase_ == Phase::Upgraded) {
      if (upstreamEof_) close();
      return progress;
    }
    if (switching_) {
      phase_ = Phase::Upgraded;
      begin_ = sent_;
      switching_ = false;
      return true;
    }
    bool complete = respHeadDone_ &&
                    (respBody_.done() ||
                     (upstreamEof_ && respBody_.kind() == http::BodyFraming::Kind::UntilClose));
    if (!complete) return progress;
    if (interim_) {
      respHeadDone_ = false;  // the final response follows
      return true;
    }
    finishRequest();
    return true;
  }

  // The backend sent something that is not HTTP: never reuse it; 502 if the client has had
  // nothing yet.
  void upstreamFailedHard() {
    closeUpstream();
    if (!responded_) {
      answer(kBadGateway, true, port_->config->series.get(), 502);
    } else {
      close();
    }
  }

  void finishRequest() {
    Upstream* up = up_;
    w_.slot(up->series).request(status_, micros(started_, Clock::now()));
    bool reusable = upstreamReusable_ && !upstreamEof_ && !up->ready.hangup && reqBody_.done() &&
                    sent_ == reqEnd_ && up->begin == up->end;
    up_ = nullptr;
    if (reusable) {
      up->begin = up->end = kHeadroom;
      w_.takeIdle(up);
    } else {
      up->owner = nullptr;
      up->close();
    }
    if (!reqBody_.done()) closeAfter_ = true;  // the rest of the body cannot be told apart
    nextRequest();
  }

  // The proxy's own answer (400, 431, 502, 503): written from `text`, which outlives it.
  void answer(std::string_view text, bool closeAfter, Series* series, int status) {
    if (up_) closeUpstream();
    phase_ = Phase::Own;
    own_ = text;
    ownSent_ = 0;
    closeAfter_ = closeAfter_ || closeAfter;
    if (series) w_.slot(series).request(status, micros(started_, Clock::now()));
    writeOwn();
  }

  bool writeOwn() {
    if (!ready_.writable || ownSent_ == own_.size()) return false;
    ssize_t n = write(fd_, own_.data() + ownSent_, own_.size() - ownSent_);
    if (n > 0) {
      ownSent_ += static_cast<size_t>(n);
      if (ownSent_ < own_.size()) {
        ready_.writable = false;
        return true;
      }
      ownConfig_.reset();
      nextRequest();
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      ready_.writable = false;
      return false;
    }
    close();
    return false;
  }

  // The current exchange is over: the client's next request, or the end of the connection.
  void nextRequest() {
    lastActive_ = Clock::now();  // the keep-alive idle time starts after the response
    begin_ = reqEnd_ > begin_ ? reqEnd_ : begin_;
    if (begin_ == end_offset_) begin_ = end_offset_ = kHeadroom;
    respHeadDone_ = false;
    responded_ = false;
    upstreamEof_ = false;
    retries_ = 0;
    if (closeAfter_) {
      // Shut our side and wait for the client's FIN before closing, so a reset cannot destroy
      // the response still in flight (the lingering close web servers do).
      phase_ = Phase::Closing;
      shutdown(fd_, SHUT_WR);
      lastActive_ = Clock::now();
      if (eof_) close();
      return;
    }
    phase_ = Phase::Head;
  }

  void closeUpstream() {
    Upstream* up = up_;
    up_ = nullptr;
    up->owner = nullptr;
    up->close();
  }

  int fd_;
  std::shared_ptr<WorkerPort> port_;
  uint32_t clientIp_;
  End clientEnd_;
  Readiness ready_;
  Buffer* buffer_;
  uint32_t begin_, end_offset_;  // client bytes: the current request starts at begin_
  bool eof_ = false;
  Phase phase_ = Phase::Head;
  Clock::time_point lastActive_, started_;
  Clock::time_point upstreamActive_;  // the request went out, or the backend last sent bytes

  // The current request.
  bool isHead_ = false, idempotent_ = false, upgrade_ = false, closeAfter_ = false,
       http10KeepAlive_ = false;
  http::BodyFraming reqBody_;
  uint32_t reqEnd_ = 0;  // end of the request bytes known so far (head + framed body)
  uint32_t sent_ = 0;    // client bytes up to here went to the upstream
  bool retain_ = true;   // the whole request is still in the buffer (a retry can resend it)
  size_t first_ = 0, attempt_ = 0;
  int retries_ = 0;
  Upstream* up_ = nullptr;

  // Its response.
  bool respHeadDone_ = false, interim_ = false, switching_ = false, responded_ = false;
  bool upstreamReusable_ = false, upstreamEof_ = false, upstreamShut_ = false;
  http::BodyFraming respBody_;
  uint32_t respEnd_ = 0;  // end of the response bytes known so far, in the upstream's buffer
  int status_ = 0;

  std::string_view own_;
  size_t ownSent_ = 0;
  std::shared_ptr<const PortConfig> ownConfig_;

  friend class Upstream;
};

void Upstream::onEvents(uint32_t ev) {
  if (owner) return owner->onUpstreamEvents(ev);
  // Idle: the backend closed it (or sent something unasked). Either way it is done.
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) close();
}

void Upstream::tick(Clock::time_point now) {
  if (owner) {
    if (!connected && now - started > w_.timeouts.connect) owner->upstreamConnectTimedOut();
  } else if (now - started > w_.timeouts.upstreamIdle) {
    close();
  }
}

// A shared listening socket, registered in this worker's loop.
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
            std::cerr << "proxy: cannot accept on " << socket_->address << ": "
                      << std::strerror(errno) << " (pausing accepts until descriptors free up)\n";
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
      const auto& config = *port->config;
      if (config.http) {
        new Session(w_, fd, port, peer.sin_addr.s_addr);
        // Its first bytes are often there already: drive() runs on the first event.
      } else if (port->removed || config.backends.empty()) {
        ::close(fd);
      } else {
        new Tunnel(w_, fd, port, config.pick(peer.sin_addr.s_addr));
      }
    }
  }

  const ListenSocket* socket() const { return socket_.get(); }

 private:
  Worker::State& w_;
  std::shared_ptr<ListenSocket> socket_;
  bool warned_ = false;

 public:
  std::shared_ptr<WorkerPort> port;
};

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
      std::cerr << "proxy: cannot watch " << l.socket->address << ": " << std::strerror(errno)
                << "\n";
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
  for (auto it = idle.begin(); it != idle.end();) {
    if (liveBackends.count(it->first)) {
      ++it;
      continue;
    }
    auto conns = std::move(it->second);
    it = idle.erase(it);
    for (auto* up : conns) {
      up->owner = nullptr;
      up->reused = false;
      up->close();
    }
  }
  config = std::move(c);
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

void Worker::State::takeIdle(Upstream* up) {
  up->owner = nullptr;
  up->reused = false;
  up->started = Clock::now();
  idle[up->key].push_back(up);
}

void Worker::State::dropIdle(Upstream* up) {
  auto it = idle.find(up->key);
  if (it == idle.end()) return;
  auto& v = it->second;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == up) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
}

Worker::Worker(int index, Timeouts timeouts) : state_(std::make_unique<State>(index, timeouts)) {}

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
