// http-echo's server over real sockets: answers, keep-alive and pipelining, framing, latency,
// failures, graceful stop, listen errors, and no heap allocation per request on a warm connection.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

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

#include "echo/http_echo.h"
#include "echo_client.h"

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
using namespace testutil;

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
  // The last three are framings the proxy refuses too (one parser for both): a bare LF, both
  // lengths at once, and a bare LF inside chunked framing.
  for (std::string request :
       {"GET / HTTP/2.0\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "GET / HTTP/1.1\nHost: x\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n"}) {
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

}  // namespace
}  // namespace sluice::echo
