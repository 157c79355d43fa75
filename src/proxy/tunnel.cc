#include "proxy/tunnel.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::proxy {

namespace {

constexpr size_t kSplicePipeSize = 65536;

class Tunnel : public Connection {
 public:
  Tunnel(Worker::State& w, int clientFd, std::shared_ptr<const PortConfig> port,
         const std::vector<Backend>& backends, size_t first)
      : Connection(w),
        port_(std::move(port)),
        backends_(backends),
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

  Series* series() const { return backends_[index_].series.get(); }

  void connectNext() {
    const auto& backends = backends_;
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

  std::shared_ptr<const PortConfig> port_;  // keeps backends_ alive
  const std::vector<Backend>& backends_;
  size_t first_, attempt_ = 0, index_ = 0;
  End client_, backend_;
  Readiness clientReady_, backendReady_;
  Direction up_, down_;
  bool connected_ = false;
  Clock::time_point connectStarted_;
};

}  // namespace

void openTunnel(Worker::State& w, int clientFd, std::shared_ptr<const PortConfig> port,
                const std::vector<Backend>& backends, size_t first) {
  new Tunnel(w, clientFd, std::move(port), backends, first);  // owned by the loop from now on
}

}  // namespace sluice::proxy
