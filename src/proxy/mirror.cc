#include "proxy/mirror.h"

#include <sys/socket.h>
#include <unistd.h>

#include "http/http.h"

namespace sluice::proxy {

namespace {

class Mirror : public Connection {
 public:
  Mirror(Worker::State& w, std::shared_ptr<const PortConfig> hold, std::shared_ptr<Series> series,
         std::string request, int fd, bool connected)
      : Connection(w),
        hold_(std::move(hold)),
        series_(std::move(series)),
        request_(std::move(request)),
        fd_(fd),
        connected_(connected),
        started_(Clock::now()) {
    w_.loop.add(fd_, kConnectionEvents, this);
  }

  void onEvents(uint32_t ev) override {
    if (retired) return;
    if (!connected_) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) return fail();
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      connected_ = true;
    }
    while (sent_ < request_.size()) {
      ssize_t n = write(fd_, request_.data() + sent_, request_.size() - sent_);
      if (n > 0) {
        sent_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && wouldBlock(errno)) return;
      return fail();
    }
    // Read the answer's status line; the rest is discarded until the mirror closes.
    char buf[4096];
    while (true) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) {
        if (!status_) {
          head_.append(buf, std::min(static_cast<size_t>(n), size_t{512} - head_.size()));
          http::Head head;
          if (http::parseResponse(head_.data(), head_.size(), head) == http::Parse::Complete ||
              head_.size() >= 12) {
            // "HTTP/1.1 200" is enough for the code.
            status_ = head_.size() >= 12 ? std::atoi(head_.c_str() + 9) : 0;
          }
          if (status_) {
            w_.slot(series_).request(status_, 0);
            return close();  // the answer itself is not needed
          }
        }
        continue;
      }
      if (n < 0 && wouldBlock(errno)) return;
      return fail();
    }
  }

  void tick(Clock::time_point now) override {
    if (now - started_ > w_.timeouts.response) fail();
  }

  void close() override {
    if (retired) return;
    unlink();
    w_.loop.closeFd(fd_);
    w_.loop.retire(this);
  }

 private:
  void fail() {
    w_.slot(series_).connectFailures.add(1);
    close();
  }

  std::shared_ptr<const PortConfig> hold_;
  std::shared_ptr<Series> series_;
  std::string request_, head_;
  size_t sent_ = 0;
  int fd_;
  bool connected_;
  int status_ = 0;
  Clock::time_point started_;
};

}  // namespace

void sendMirror(Worker::State& w, std::shared_ptr<const PortConfig> hold,
                const RouteBackend& target, std::string request) {
  if (!target.resolved || target.backends.empty()) {
    w.slot(target.series).connectFailures.add(1);
    return;
  }
  const Backend& b = target.backends[target.balancer->pick({target.backends, 0})];
  bool connected = false;
  int fd = connectTo(b.address, connected);
  if (fd < 0) {
    w.slot(target.series).connectFailures.add(1);
    return;
  }
  new Mirror(w, std::move(hold), target.series, std::move(request), fd, connected);
}

}  // namespace sluice::proxy
