// A small blocking HTTP client for http-echo's tests, with deadlines: one request at a time or
// pipelined ones, over a real loopback connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::echo::testutil {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// A small blocking HTTP client with deadlines, good for one request at a time or pipelined ones.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response (a 1xx included); nullopt on timeout, close or garbage. `head`: the request was
  // HEAD, so there is no body whatever Content-Length says.
  std::optional<Response> read(bool head = false, Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    Response r;
    std::string_view headText(buffer_.data(), end);
    size_t lineEnd = headText.find("\r\n");
    std::string_view statusLine = headText.substr(0, lineEnd);
    if (!statusLine.starts_with("HTTP/1.1 ") || statusLine.size() < 12) return std::nullopt;
    r.status = std::atoi(std::string(statusLine.substr(9, 3)).c_str());
    while (lineEnd != std::string_view::npos) {
      size_t next = headText.find("\r\n", lineEnd + 2);
      std::string_view line = headText.substr(lineEnd + 2, next - lineEnd - 2);
      size_t colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (char& ch : name) ch = static_cast<char>(std::tolower(ch));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers[name] = std::string(value);
      lineEnd = next;
    }
    buffer_.erase(0, end + 4);
    size_t length = 0;
    if (!head && r.headers.count("content-length")) {
      length = std::stoul(r.headers["content-length"]);
    }
    while (buffer_.size() < length) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // Whether the server closes the connection (EOF or reset) before the deadline, reading and
  // dropping anything else it sends.
  bool closedByServer(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    return eof_;
  }

  // Whether any bytes arrive within `timeout`.
  bool readable(Clock::duration timeout) {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout / 1ms)) > 0;
  }

 private:
  bool fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace sluice::echo::testutil
