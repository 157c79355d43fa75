#include "echo/http_echo.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// ---------------------------------------------------------------------------------------------
// Allocation counting, to check that a warm connection serves requests without touching the
// heap. Only allocations made on a thread that opted in are counted. Sanitizers bring their own
// allocator, so the check is off under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HTTP_ECHO_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define HTTP_ECHO_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef HTTP_ECHO_COUNT_ALLOCATIONS
#define HTTP_ECHO_COUNT_ALLOCATIONS 1
#endif

namespace {
thread_local bool tCountAllocations = false;
std::atomic<uint64_t> gAllocations{0};
}  // namespace

#if HTTP_ECHO_COUNT_ALLOCATIONS
// A replacement of the global allocation functions is allowed by the standard; GCC cannot see
// that the pair matches once it inlines them, hence the pragma.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  if (tCountAllocations) gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#endif

namespace sluice::echo {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// =============================================================================================
// Pure parts.

GetEnv envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseHttpEchoFlags, Defaults) {
  auto options = parseHttpEchoFlags({}, envOf({}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->text, "http-echo");
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 8080);
  EXPECT_EQ(options->status, 200);
  EXPECT_EQ(options->latency, 0ns);
  EXPECT_EQ(options->failRate, 0);
  EXPECT_FALSE(options->seed);
  EXPECT_FALSE(options->json);
  EXPECT_EQ(options->healthPath, "/healthz");
  EXPECT_EQ(options->podName, "");
  EXPECT_EQ(options->podIp, "");
}

TEST(ParseHttpEchoFlags, DefaultsFromThePodEnvironment) {
  auto options = parseHttpEchoFlags(
      {}, envOf({{"POD_IP", "127.42.0.9"}, {"PORT", "80"}, {"POD_NAME", "nginx-v1-abc"}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->host, "127.42.0.9");
  EXPECT_EQ(options->port, 80);
  EXPECT_EQ(options->text, "nginx-v1-abc");
  EXPECT_EQ(options->podName, "nginx-v1-abc");
  EXPECT_EQ(options->podIp, "127.42.0.9");

  // Empty variables count as unset.
  options = parseHttpEchoFlags({}, envOf({{"POD_IP", ""}, {"PORT", ""}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 8080);
}

TEST(ParseHttpEchoFlags, EveryFlag) {
  auto options = parseHttpEchoFlags(
      {"--text", "Nginx-v1", "--listen=127.42.0.3:8081", "--status", "503", "--latency=1.5s",
       "--fail-rate", "0.25", "--seed", "42", "--json", "--health-path", "/ready"},
      envOf({{"POD_IP", "127.42.0.9"}, {"PORT", "80"}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->text, "Nginx-v1");
  EXPECT_EQ(options->host, "127.42.0.3");
  EXPECT_EQ(options->port, 8081);
  EXPECT_EQ(options->status, 503);
  EXPECT_EQ(options->latency, 1500ms);
  EXPECT_EQ(options->failRate, 0.25);
  EXPECT_EQ(options->seed, 42u);
  EXPECT_TRUE(options->json);
  EXPECT_EQ(options->healthPath, "/ready");
}

TEST(ParseHttpEchoFlags, ListenForms) {
  const std::vector<std::tuple<std::string, std::string, uint16_t>> cases = {
      {"127.0.0.1:0", "127.0.0.1", 0},   {":9000", "127.42.0.9", 9000},  // keeps the pod's address
      {"0.0.0.0:80", "0.0.0.0", 80},     {"[::1]:8080", "::1", 8080},
      {"localhost:81", "localhost", 81},
  };
  for (const auto& [listen, host, port] : cases) {
    auto options = parseHttpEchoFlags({"--listen", listen}, envOf({{"POD_IP", "127.42.0.9"}}));
    ASSERT_TRUE(options.ok()) << listen << ": " << options.error().message;
    EXPECT_EQ(options->host, host) << listen;
    EXPECT_EQ(options->port, port) << listen;
  }
}

TEST(ParseHttpEchoFlags, Errors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown flag --bogus"},
      {{"extra"}, "unexpected argument \"extra\""},
      {{"--"}, "unexpected argument \"--\""},
      {{"--text"}, "--text: needs a value"},
      {{"--listen", "127.0.0.1"}, "--listen: must be HOST:PORT or :PORT, got \"127.0.0.1\""},
      {{"--listen", "127.0.0.1:http"}, "--listen: must be a port number 0..65535, got \"http\""},
      {{"--listen", "127.0.0.1:70000"}, "--listen: must be a port number 0..65535, got \"70000\""},
      {{"--status", "42"}, "--status: must be an HTTP status 200..599, got \"42\""},
      {{"--status", "2xx"}, "--status: must be an HTTP status 200..599, got \"2xx\""},
      {{"--latency", "5"}, "--latency: must be a duration such as 5ms or 1.5s, got \"5\""},
      {{"--latency", "-1s"}, "--latency: must be a duration such as 5ms or 1.5s, got \"-1s\""},
      {{"--fail-rate", "1.5"}, "--fail-rate: must be a fraction 0..1, got \"1.5\""},
      {{"--fail-rate", "nan"}, "--fail-rate: must be a fraction 0..1, got \"nan\""},
      {{"--seed", "-1"}, "--seed: must be a non-negative integer, got \"-1\""},
      {{"--json=yes"}, "--json: must be true or false, got \"yes\""},
      {{"--health-path", "healthz"},
       "--health-path: must start with '/' (or be empty to disable), got \"healthz\""},
  };
  for (const auto& [args, message] : cases) {
    auto options = parseHttpEchoFlags(args, envOf({}));
    ASSERT_FALSE(options.ok()) << args[0];
    EXPECT_EQ(options.error().message, message);
  }
  auto options = parseHttpEchoFlags({}, envOf({{"PORT", "eighty"}}));
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().message, "$PORT: must be a port number 0..65535, got \"eighty\"");
  // --listen makes $PORT irrelevant.
  EXPECT_TRUE(parseHttpEchoFlags({"--listen", ":81"}, envOf({{"PORT", "eighty"}})).ok());
}

struct HeadCase {
  std::string name;
  std::string data;
  ParseStatus status;
  // Checked when Complete.
  std::string method = "GET";
  std::string target = "/";
  int minor = 1;
  bool keepAlive = true;
  uint64_t contentLength = 0;
  bool chunked = false;
  bool expectContinue = false;
  size_t consumed = 0;  // 0: the whole data
};

TEST(ParseHttpRequestHead, Table) {
  const std::vector<HeadCase> cases = {
      {"simple", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ParseStatus::Complete},
      {"no headers", "GET /a?b=1 HTTP/1.1\r\n\r\n", ParseStatus::Complete, "GET", "/a?b=1"},
      {"bare LF line ends", "HEAD /x HTTP/1.1\nHost: x\n\n", ParseStatus::Complete, "HEAD", "/x"},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", ParseStatus::Complete},
      {"leaves the next request", "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
       ParseStatus::Complete, "GET", "/", 1, true, 0, false, false, 18},
      {"HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", ParseStatus::Complete, "GET", "/", 0,
       false},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
       ParseStatus::Complete, "GET", "/", 0, true},
      {"close", "GET / HTTP/1.1\r\nconnection: close\r\n\r\n", ParseStatus::Complete, "GET", "/", 1,
       false},
      {"close among tokens", "GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n",
       ParseStatus::Complete, "GET", "/", 1, false},
      {"content length", "POST /p HTTP/1.1\r\nContent-Length:  12 \r\n\r\n", ParseStatus::Complete,
       "POST", "/p", 1, true, 12},
      {"repeated equal content length",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", ParseStatus::Complete,
       "POST", "/", 1, true, 3},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       ParseStatus::Complete, "POST", "/", 1, true, 0, true},
      {"chunked and length closes after",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::Complete, "POST", "/", 1, false, 0, true},
      {"expect", "PUT / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n",
       ParseStatus::Complete, "PUT", "/", 1, true, 5, false, true},
      {"empty", "", ParseStatus::Incomplete},
      {"only blank lines", "\r\n", ParseStatus::Incomplete},
      {"partial request line", "GET / HT", ParseStatus::Incomplete},
      {"no blank line yet", "GET / HTTP/1.1\r\nHost: x\r\n", ParseStatus::Incomplete},
      {"half the blank line", "GET / HTTP/1.1\r\nHost: x\r\n\r", ParseStatus::Incomplete},
      {"missing version", "GET /\r\n\r\n", ParseStatus::Bad},
      {"HTTP/2", "GET / HTTP/2.0\r\n\r\n", ParseStatus::Bad},
      {"lower-case version", "GET / http/1.1\r\n\r\n", ParseStatus::Bad},
      {"two spaces", "GET  / HTTP/1.1\r\n\r\n", ParseStatus::Bad},
      {"space in target", "GET /a b HTTP/1.1\r\n\r\n", ParseStatus::Bad},
      {"control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n", ParseStatus::Bad},
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", ParseStatus::Bad},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n", ParseStatus::Bad},
      {"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", ParseStatus::Bad},
      {"space before colon", "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", ParseStatus::Bad},
      {"obsolete folding", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", ParseStatus::Bad},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", ParseStatus::Bad},
      {"negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", ParseStatus::Bad},
      {"empty length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", ParseStatus::Bad},
      {"conflicting lengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
       ParseStatus::Bad},
      {"not ending in chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       ParseStatus::Bad},
  };
  for (const HeadCase& c : cases) {
    SCOPED_TRACE(c.name);
    HttpRequestHead head;
    size_t consumed = 0;
    ASSERT_EQ(parseHttpRequestHead(c.data, head, consumed), c.status);
    if (c.status != ParseStatus::Complete) continue;
    EXPECT_EQ(head.method, c.method);
    EXPECT_EQ(head.target, c.target);
    EXPECT_EQ(head.minorVersion, c.minor);
    EXPECT_EQ(head.keepAlive, c.keepAlive);
    EXPECT_EQ(head.contentLength, c.contentLength);
    EXPECT_EQ(head.chunked, c.chunked);
    EXPECT_EQ(head.expectContinue, c.expectContinue);
    EXPECT_EQ(consumed, c.consumed ? c.consumed : c.data.size());
  }
}

struct SkipCase {
  std::string name;
  bool chunked;
  uint64_t length;   // when not chunked
  std::string data;  // the body, maybe followed by other bytes
  bool done;         // the body ends within data
  bool failed;
  size_t consumed;  // when done: the body's length
};

TEST(HttpBodySkipper, Table) {
  const std::string next = "GET / HTTP/1.1\r\n\r\n";
  const std::vector<SkipCase> cases = {
      {"length", false, 5, "hello" + next, true, false, 5},
      {"zero length", false, 0, next, true, false, 0},
      {"length not all here", false, 10, "hello", false, false, 5},
      {"chunked", true, 0, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + next, true, false, 26},
      {"chunked upper-case hex and extension", true, 0, "A;name=v\r\n0123456789\r\n0\r\n\r\n", true,
       false, 27},
      {"chunked with trailers", true, 0, "1\r\nx\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n" + next, true,
       false, 25},
      {"chunked with bare LFs", true, 0, "1\nx\n0\n\n" + next, true, false, 7},
      {"chunked, unfinished", true, 0, "5\r\nhel", false, false, 6},
      {"chunked, no size", true, 0, "\r\nhello\r\n", false, true, 0},
      {"chunked, bad size", true, 0, "zz\r\n", false, true, 0},
      {"chunked, data too long", true, 0, "1\r\nxy\r\n", false, true, 0},
      {"chunked, size overflow", true, 0, "11111111111111111\r\n", false, true, 0},
  };
  for (const SkipCase& c : cases) {
    SCOPED_TRACE(c.name);
    // All at once, and one byte at a time: the same outcome.
    for (bool bytewise : {false, true}) {
      SCOPED_TRACE(bytewise ? "bytewise" : "at once");
      HttpBodySkipper skipper;
      c.chunked ? skipper.startChunked() : skipper.startLength(c.length);
      size_t used = 0;
      if (bytewise) {
        while (used < c.data.size() && !skipper.done() && !skipper.failed()) {
          used += skipper.consume(std::string_view(c.data).substr(used, 1));
        }
      } else {
        used = skipper.consume(c.data);
      }
      EXPECT_EQ(skipper.done(), c.done);
      EXPECT_EQ(skipper.failed(), c.failed);
      if (!c.failed) {
        EXPECT_EQ(used, c.done ? c.consumed : c.data.size());
      }
    }
  }
}

// =============================================================================================
// The server over real sockets.

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

// A server on 127.0.0.1 and a free port, run on its own thread.
class RunningServer {
 public:
  explicit RunningServer(HttpEchoOptions options, bool countAllocations = false)
      : server_(withFreePort(std::move(options))) {
    api::Status status = server_.listen();
    EXPECT_TRUE(status.ok()) << status.error().message;
    done_ = finished_.get_future();
    thread_ = std::thread([this, countAllocations] {
      tCountAllocations = countAllocations;
      server_.run();
      tCountAllocations = false;
      finished_.set_value();
    });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }

  uint16_t port() const { return server_.port(); }
  HttpEchoServer& server() { return server_; }

  // Stops the server and says whether run() returned before the deadline.
  bool stopAndWait(Clock::duration timeout = 10s) {
    server_.stop();
    return done_.wait_for(timeout) == std::future_status::ready;
  }
  bool finished() { return done_.wait_for(0s) == std::future_status::ready; }

 private:
  static HttpEchoOptions withFreePort(HttpEchoOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
  }

  HttpEchoServer server_;
  std::promise<void> finished_;
  std::future<void> done_;
  std::thread thread_;
};

HttpEchoOptions textOptions(std::string text = "Nginx-v1") {
  HttpEchoOptions options;
  options.text = std::move(text);
  return options;
}

const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpEchoServer, AnswersTheText) {
  RunningServer server(textOptions());
  Client client(server.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(kGet));
  auto r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Nginx-v1\n");
  EXPECT_EQ(r->headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(r->headers["content-length"], "9");
  EXPECT_EQ(r->headers.count("connection"), 0u);
}

TEST(HttpEchoServer, KeepAliveServesManyRequestsOnOneConnection) {
  RunningServer server(textOptions());
  Client client(server.port());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(client.send(kGet));
    auto r = client.read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->body, "Nginx-v1\n");
  }
}

TEST(HttpEchoServer, PipelinedRequestsAreAnsweredInOrder) {
  HttpEchoOptions options = textOptions();
  options.json = true;
  RunningServer server(options);
  Client client(server.port());
  std::string burst;
  for (int i = 0; i < 50; ++i) {
    burst +=
        (i % 10 == 5 ? "HEAD /" : "GET /") + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  // Split mid-request, to cross read boundaries.
  ASSERT_TRUE(client.send(burst.substr(0, 301)));
  ASSERT_TRUE(client.send(burst.substr(301)));
  for (int i = 0; i < 50; ++i) {
    bool head = i % 10 == 5;
    auto r = client.read(head);
    ASSERT_TRUE(r) << "response " << i;
    EXPECT_EQ(r->status, 200);
    if (head) {
      EXPECT_EQ(r->body, "");
      continue;
    }
    json::value body = json::parse(r->body);
    EXPECT_EQ(body.at("path").as_string(), "/" + std::to_string(i));
  }
}

TEST(HttpEchoServer, HeadHasTheHeadersButNoBody) {
  RunningServer server(textOptions());
  Client client(server.port());
  ASSERT_TRUE(client.send("HEAD / HTTP/1.1\r\n\r\n" + kGet));
  auto head = client.read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], "9");
  // The GET right behind it parses cleanly, so no body bytes were sent for the HEAD.
  auto get = client.read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "Nginx-v1\n");
}

TEST(HttpEchoServer, ConnectionCloseIsHonoured) {
  RunningServer server(textOptions());
  Client client(server.port());
  // The third request must not be answered: the second asked to close.
  ASSERT_TRUE(client.send(kGet + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + kGet));
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers.count("connection"), 0u);
  auto second = client.read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->headers["connection"], "close");
  EXPECT_EQ(second->body, "Nginx-v1\n");
  EXPECT_TRUE(client.closedByServer());
}

TEST(HttpEchoServer, Http10ClosesUnlessKeepAlive) {
  RunningServer server(textOptions());
  {
    Client client(server.port());
    ASSERT_TRUE(client.send("GET / HTTP/1.0\r\n\r\n"));
    auto r = client.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(client.closedByServer());
  }
  Client client(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = client.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->headers["connection"], "keep-alive");
  }
}

TEST(HttpEchoServer, Status) {
  HttpEchoOptions options = textOptions("down");
  options.status = 503;
  RunningServer server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send(kGet));
  auto r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "down\n");
}

TEST(HttpEchoServer, NoContentHasNoBody) {
  HttpEchoOptions options = textOptions("ignored");
  options.status = 204;
  RunningServer server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send(kGet + kGet));
  for (int i = 0; i < 2; ++i) {
    auto r = client.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(r->headers.count("content-length"), 0u);
    EXPECT_EQ(r->body, "");
  }
}

TEST(HttpEchoServer, Json) {
  HttpEchoOptions options = textOptions("say \"hi\"");
  options.json = true;
  options.podName = "nginx-v1-abc";
  options.podIp = "127.42.0.5";
  RunningServer server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send("GET /a/b?c=%22d%22&e=\\ HTTP/1.1\r\n\r\n"));
  auto r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_EQ(r->body.back(), '\n');
  json::value body = json::parse(r->body);
  EXPECT_EQ(body, json::parse(R"({"text":"say \"hi\"","pod":"nginx-v1-abc","ip":"127.42.0.5",
                                  "path":"/a/b?c=%22d%22&e=\\"})"));
}

TEST(HttpEchoServer, HealthPathIsAlwaysOk) {
  HttpEchoOptions options = textOptions();
  options.status = 503;
  options.failRate = 1;
  options.latency = 1h;  // would time the test out if the health path waited
  RunningServer server(options);
  Client client(server.port());
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\n\r\nGET /healthz?verbose HTTP/1.1\r\n\r\n"));
  for (int i = 0; i < 2; ++i) {
    auto r = client.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok");
  }
}

// The statuses of `n` sequential requests on one connection, as a string of 'o' (200) and 'x'.
std::string failurePattern(const HttpEchoOptions& options, int n) {
  RunningServer server(options);
  Client client(server.port());
  std::string pattern;
  for (int i = 0; i < n; ++i) {
    if (!client.send(kGet)) return "send failed";
    auto r = client.read();
    if (!r) return "read failed";
    pattern += r->status == 200 ? 'o' : r->status == 500 ? 'x' : '?';
  }
  return pattern;
}

TEST(HttpEchoServer, FailRateIsRepeatableWithASeed) {
  HttpEchoOptions options = textOptions();
  options.failRate = 0.3;
  options.seed = 7;
  const std::string first = failurePattern(options, 400);
  EXPECT_EQ(first, failurePattern(options, 400));
  // 400 draws at 0.3: 120 expected; the seed fixes the count, the bounds say the draw is sane.
  auto failures = std::count(first.begin(), first.end(), 'x');
  EXPECT_GT(failures, 80);
  EXPECT_LT(failures, 160);
  EXPECT_EQ(std::count(first.begin(), first.end(), '?'), 0);

  options.seed = 8;
  EXPECT_NE(first, failurePattern(options, 400));

  options.failRate = 0;
  EXPECT_EQ(failurePattern(options, 50), std::string(50, 'o'));
  options.failRate = 1;
  EXPECT_EQ(failurePattern(options, 50), std::string(50, 'x'));
}

TEST(HttpEchoServer, LatencyDoesNotHoldUpOtherConnections) {
  HttpEchoOptions options = textOptions();
  options.latency = 300ms;
  RunningServer server(options);
  Client slow(server.port());
  Client probe(server.port());
  const auto start = Clock::now();
  ASSERT_TRUE(slow.send(kGet));
  // The health path has no latency: it is answered while the slow request waits.
  ASSERT_TRUE(probe.send("GET /healthz HTTP/1.1\r\n\r\n"));
  auto health = probe.read();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(slow.readable(0ms)) << "the delayed answer came before the health check's";
  auto r = slow.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "Nginx-v1\n");
  EXPECT_GE(Clock::now() - start, 300ms);

  // Twenty delayed requests at once take about one delay, not twenty.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<Client>(server.port()));
  const auto burstStart = Clock::now();
  for (auto& c : clients) ASSERT_TRUE(c->send(kGet));
  for (auto& c : clients) ASSERT_TRUE(c->read());
  EXPECT_LT(Clock::now() - burstStart, 20 * 300ms / 4);
}

TEST(HttpEchoServer, SkipsRequestBodies) {
  RunningServer server(textOptions());
  Client client(server.port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world" + kGet +
                          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n0\r\n\r\n" +
                          kGet));
  for (int i = 0; i < 4; ++i) {
    auto r = client.read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
  }
  // A big body in pieces is skipped without being stored.
  std::string big(1 << 20, 'x');
  ASSERT_TRUE(
      client.send("PUT / HTTP/1.1\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n"));
  ASSERT_TRUE(client.send(big));
  ASSERT_TRUE(client.send(kGet));
  for (int i = 0; i < 2; ++i) {
    auto r = client.read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
  }
}

TEST(HttpEchoServer, ExpectContinue) {
  RunningServer server(textOptions());
  Client client(server.port());
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("hello"));
  auto r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpEchoServer, MalformedRequestsAre400AndClose) {
  RunningServer server(textOptions());
  for (std::string request : {"GET / HTTP/2.0\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n",
                              "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                              "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    SCOPED_TRACE(request);
    Client client(server.port());
    ASSERT_TRUE(client.send(kGet + request));
    auto ok = client.read();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    auto bad = client.read();
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(bad->body, "Bad Request\n");
    EXPECT_EQ(bad->headers["connection"], "close");
    EXPECT_TRUE(client.closedByServer());
  }
}

TEST(HttpEchoServer, OversizedHeadIs431) {
  RunningServer server(textOptions());
  Client client(server.port());
  // 20 KiB of headers are fine (the buffer grows), 40 KiB are not.
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
  auto r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n"));
  r = client.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(client.closedByServer());
}

TEST(HttpEchoServer, ThousandsOfConcurrentConnections) {
  // Two descriptors per connection in this process (client and server side).
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const size_t connections = std::min<size_t>(3000, (limit.rlim_cur - 100) / 2);
  ASSERT_GE(connections, 400u) << "too few file descriptors allowed";

  RunningServer server(textOptions());
  std::vector<std::unique_ptr<Client>> clients;
  for (size_t i = 0; i < connections; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  // Every connection is open at once; each is answered, twice, on the same connection.
  for (int round = 0; round < 2; ++round) {
    for (auto& c : clients) ASSERT_TRUE(c->send(kGet));
    for (size_t i = 0; i < clients.size(); ++i) {
      auto r = clients[i]->read();
      ASSERT_TRUE(r) << "connection " << i;
      ASSERT_EQ(r->body, "Nginx-v1\n");
    }
  }
}

TEST(HttpEchoServer, WarmConnectionsDoNotAllocatePerRequest) {
  if (!HTTP_ECHO_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocation counting is off under sanitizers";
  for (bool jsonMode : {false, true}) {
    SCOPED_TRACE(jsonMode ? "json" : "text");
    HttpEchoOptions options = textOptions();
    options.json = jsonMode;
    options.failRate = 0.5;
    options.seed = 1;
    options.latency = 1ms;
    RunningServer server(options, /*countAllocations=*/true);
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(std::make_unique<Client>(server.port()));
    std::string pipelined;
    for (int i = 0; i < 4; ++i)
      pipelined += "GET /some/path?x=" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
    pipelined += "HEAD / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    auto round = [&] {
      for (auto& c : clients) ASSERT_TRUE(c->send(pipelined));
      for (auto& c : clients) {
        for (int i = 0; i < 6; ++i) ASSERT_TRUE(c->read(/*head=*/i == 4)) << i;
      }
    };
    const uint64_t start = gAllocations.load();
    round();  // warm up: buffers reach their size
    round();
    const uint64_t before = gAllocations.load();
    EXPECT_GT(before, start) << "allocations are not being counted";
    for (int i = 0; i < 20; ++i) round();
    EXPECT_EQ(gAllocations.load() - before, 0u) << "heap allocations for 960 requests";
  }
}

TEST(HttpEchoServer, GracefulStop) {
  HttpEchoOptions options = textOptions();
  options.latency = 300ms;
  RunningServer server(options);
  Client idle(server.port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(idle.read());
  auto busy = std::make_unique<Client>(server.port());
  ASSERT_TRUE(busy->send(kGet));
  {
    // Make sure the server has the busy request before stopping: it accepts in order.
    Client probe(server.port());
    ASSERT_TRUE(probe.send("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(probe.read());
  }

  server.server().stop();
  EXPECT_TRUE(idle.closedByServer()) << "an idle connection stays open after stop";
  auto r = busy->read();
  ASSERT_TRUE(r) << "the request in flight was not answered";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Nginx-v1\n");
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(busy->closedByServer());
  busy.reset();  // as a client does after "Connection: close", which ends the server's linger
  EXPECT_TRUE(server.stopAndWait()) << "run() did not return";
  Client late(server.port());
  EXPECT_FALSE(late.connected()) << "still accepting after stop";
}

TEST(HttpEchoServer, StopBeforeRun) {
  HttpEchoServer server(textOptions());
  server.stop();
  std::promise<void> finished;
  auto done = finished.get_future();
  std::thread runner([&] {
    server.run();
    finished.set_value();
  });
  EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
  runner.join();
}

TEST(HttpEchoServer, ListenErrorsNameTheAddress) {
  RunningServer taken(textOptions());
  HttpEchoOptions options = textOptions();
  options.port = taken.port();
  HttpEchoServer server(options);
  api::Status status = server.listen();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "listen 127.0.0.1:" + std::to_string(taken.port()) + ": Address already in use");

  options.host = "nonsense";
  status = HttpEchoServer(options).listen();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "listen nonsense:" + std::to_string(taken.port()) + ": not an IP address");
}

// Binds a low port without privileges (in a child that gives up root, when run as root) and
// returns the error message.
std::string unprivilegedLowPortError() {
  int out[2];
  if (::pipe(out) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(out[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    HttpEchoOptions options;
    options.host = "127.0.0.1";
    options.port = 1;
    api::Status status = HttpEchoServer(options).listen();
    std::string message = status.ok() ? "bound" : status.error().message;
    (void)!::write(out[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string message;
  char buf[512];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) message.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return message;
}

TEST(HttpEchoServer, LowPortWithoutPrivilegeSaysWhatIsNeeded) {
  std::string message = unprivilegedLowPortError();
  if (message == "bound") GTEST_SKIP() << "unprivileged processes may bind low ports here";
  EXPECT_EQ(message,
            "listen 127.0.0.1:1: Permission denied (ports below 1024 need root or "
            "CAP_NET_BIND_SERVICE)");
}

// =============================================================================================
// `sluice http-echo` as a process: flags, the start line, SIGTERM.

class ChildProcess {
 public:
  // Runs runHttpEcho(args) in a forked child with stdout on a pipe.
  explicit ChildProcess(std::vector<std::string> args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int rc = runHttpEcho(static_cast<int>(args.size()), argv.data());
      std::fflush(stdout);
      ::_exit(rc);
    }
    ::close(out[1]);
    stdout_ = out[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  // The first line of stdout, waiting until the deadline.
  std::optional<std::string> firstLine(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    std::string text;
    while (text.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{stdout_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char buf[256];
      ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      text.append(buf, static_cast<size_t>(n));
    }
    return text.substr(0, text.find('\n'));
  }

  // The exit status once the child exits (polling waitpid until the deadline).
  std::optional<int> wait(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
};

TEST(RunHttpEcho, ServesAndExitsZeroOnSigterm) {
  ChildProcess child(
      {"http-echo", "--listen", "127.0.0.1:0", "--text", "Nginx-v2", "--latency", "200ms"});
  auto line = child.firstLine();
  ASSERT_TRUE(line) << "no start line";
  ASSERT_TRUE(line->starts_with("listening on 127.0.0.1:")) << *line;
  const uint16_t port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));

  auto client = std::make_unique<Client>(port);
  ASSERT_TRUE(client->send(kGet));
  // Wait until the child holds the request (a health check on another connection is answered
  // in order after it was accepted) then stop it mid-request.
  Client probe(port);
  ASSERT_TRUE(probe.send("GET /healthz HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(probe.read());
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  auto r = client->read();
  ASSERT_TRUE(r) << "the request in flight was not answered";
  EXPECT_EQ(r->body, "Nginx-v2\n");
  client.reset();
  EXPECT_EQ(child.wait(), 0);
}

TEST(RunHttpEcho, BadFlagsExitTwo) {
  ChildProcess child({"http-echo", "--status", "nope"});
  EXPECT_EQ(child.wait(), 2);
}

TEST(RunHttpEcho, ListenFailureExitsOne) {
  // The port is taken by a plain socket, not a RunningServer: no other thread may run when the
  // test forks (a lock held by another thread at fork, such as the sanitizer allocator's, would
  // stay locked forever in the child).
  int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  socklen_t len = sizeof at;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&at), &len);
  ChildProcess child({"http-echo", "--listen", "127.0.0.1:" + std::to_string(ntohs(at.sin_port))});
  EXPECT_EQ(child.wait(), 1);
  ::close(taken);
}

}  // namespace
}  // namespace sluice::echo
