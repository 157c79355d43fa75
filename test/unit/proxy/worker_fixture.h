// A proxy worker in front of scripted backends on loopback, for the data path's tests: a worker
// with one Service port (L4 or L7), backends that answer each request as a test scripts, and a
// small blocking HTTP reader.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/metrics.h"
#include "proxy/round_robin.h"
#include "proxy/worker.h"

namespace sluice::proxy::testutil {

inline sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline int listenLoopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(listen(fd, 128), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

inline bool readSome(int fd, std::string& into) {
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  into.append(buf, static_cast<size_t>(n));
  return true;
}

// Reads one HTTP message (head + Content-Length or chunked body; until close otherwise when
// `untilCloseOk`) from fd, starting with what is in `pending`. Returns "" on EOF before a whole
// message.
inline std::string readMessage(int fd, std::string& pending, bool isResponseToHead = false) {
  size_t headEnd;
  while ((headEnd = pending.find("\r\n\r\n")) == std::string::npos)
    if (!readSome(fd, pending)) return "";
  headEnd += 4;
  std::string head = pending.substr(0, headEnd);
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(c));
  size_t total = headEnd;
  if (isResponseToHead || lower.rfind("http/1.1 1", 0) == 0 || lower.find(" 204 ") < 13) {
  } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    size_t end;
    while ((end = pending.find("\r\n0\r\n\r\n", headEnd - 2)) == std::string::npos)
      if (!readSome(fd, pending)) return "";
    total = end + 7;
  } else if (auto cl = lower.find("content-length: "); cl != std::string::npos) {
    total += std::stoul(lower.substr(cl + 16));
    while (pending.size() < total)
      if (!readSome(fd, pending)) return "";
  } else if (lower.rfind("http/", 0) == 0) {
    while (readSome(fd, pending)) {
    }
    total = pending.size();
  }
  std::string message = pending.substr(0, total);
  pending.erase(0, total);
  return message;
}

inline std::string bodyOf(const std::string& message) {
  auto at = message.find("\r\n\r\n");
  return at == std::string::npos ? "" : message.substr(at + 4);
}

struct Reply {
  Reply(std::string b, bool c = false) : bytes(std::move(b)), close(c) {}
  std::string bytes;
  bool close;                     // close the connection after writing
  std::function<void(int)> then;  // runs with the socket after writing (upgrades)
};

// A backend that answers each request with what `reply` returns; counts connections.
class ScriptedBackend {
 public:
  using Handler = std::function<Reply(const std::string& request)>;

  explicit ScriptedBackend(Handler reply) : reply_(std::move(reply)) {
    fd_ = listenLoopback(port_);
    thread_ = std::thread([this] { acceptLoop(); });
  }
  ~ScriptedBackend() {
    stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int c : conns_) shutdown(c, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  void acceptLoop() {
    while (!stopping_) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++accepted_;
      std::lock_guard lock(mu_);
      conns_.push_back(c);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    std::string pending;
    while (true) {
      std::string request = readMessage(c, pending);
      if (request.empty()) break;
      Reply r = reply_(request);
      if (write(c, r.bytes.data(), r.bytes.size()) != static_cast<ssize_t>(r.bytes.size())) break;
      if (r.then) r.then(c);
      if (r.close) break;
    }
    shutdown(c, SHUT_RDWR);
  }

  Handler reply_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::list<std::thread> workers_;
};

inline std::string ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

// A worker with one Service port (L4 or L7) in front of the given backends.
class Fixture {
 public:
  Fixture(bool http, const std::vector<uint16_t>& backends, Worker::Timeouts timeouts = {})
      : metrics_(1), worker_(0, timeouts) {
    auto port = std::make_shared<PortConfig>();
    port->key = "test/web/80";
    port->ns = "test";
    port->service = "web";
    port->port = 80;
    port->http = http;
    port->balancer = std::make_shared<RoundRobin>();
    port->series = metrics_.series("test", "web", 80, "", "");
    port->unavailable =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\n\r\nno backends\n";
    for (uint16_t b : backends) {
      Backend e;
      e.address = loopback(b);
      e.key = b;
      e.series = metrics_.series("test", "web", 80, "127.0.0.1:" + std::to_string(b), "");
      port->backends.push_back(e);
    }
    int fd = listenLoopback(port_);
    fcntl(fd, F_SETFL, O_NONBLOCK);  // as the proxy's own listening sockets are
    auto config = std::make_shared<Config>();
    config->ports.push_back(port);
    config->listeners.push_back({std::make_shared<ListenSocket>(fd, "127.0.0.1"), 0});
    worker_.start();
    worker_.publish(config);
  }
  ~Fixture() { worker_.stop(); }

  // A client socket; `receiveBuffer` (set before the handshake) makes a slow reader.
  int connect(int receiveBuffer = 0) const {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receiveBuffer) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    auto a = loopback(port_);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
  std::string metrics() const { return metrics_.render(0); }
  // Polls the metrics until `ok` holds (5 s at most).
  bool waitForMetrics(const std::function<bool(const std::string&)>& ok) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!ok(metrics_.render(0))) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

 private:
  Metrics metrics_;
  Worker worker_;
  uint16_t port_ = 0;
};

inline void send(int fd, const std::string& s) {
  ASSERT_EQ(write(fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
}

// True when the peer closed: read returns 0 (or an error) before the timeout.
inline bool closedByPeer(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return false;
  char c;
  return read(fd, &c, 1) <= 0;
}

inline const std::string kGet = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

}  // namespace sluice::proxy::testutil
