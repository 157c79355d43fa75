// `sluice http-echo`: the small HTTP server that sluice ships as an image, for demos, tests and
// benchmarks (the seed's nginx:v1|v2 images map to it). It answers every request with a fixed
// text (or a JSON document naming the pod), a chosen status, an optional delay and an optional
// fraction of failures, and answers a health path with 200 "ok" whatever else it is told.
//
// It must never be the bottleneck of a benchmark, so it is written for speed: one thread running
// Boost.Asio's epoll reactor (single-threaded, so no locks, and Asio brings timers and signal
// handling on the same loop; a hand-written epoll loop would gain nothing measurable), HTTP/1.1
// keep-alive and pipelining, responses copied from pre-rendered bytes, and no heap allocation
// per request once a connection is warm (buffers are per connection and reused; Asio recycles
// its operation memory). Thousands of concurrent connections cost a few KiB each.
//
// Requests are framed by the load balancer's parser (http/http.h), so the proxy and this server
// apply one set of rules about where a request ends: what the proxy would refuse as ambiguous
// (bare LF line ends, Content-Length with Transfer-Encoding, ...) is answered 400 here too.
//
// Flags (argv[0] is "http-echo"; `--flag value` or `--flag=value`):
//   --text TEXT          the body; a newline is appended (default: $POD_NAME, else "http-echo")
//   --listen HOST:PORT   default $POD_IP:$PORT, each falling back to 127.0.0.1 and 8080;
//                        ":PORT" keeps the default host
//   --status N           the status of every answer (200..599; default 200)
//   --latency DURATION   delay before each answer, e.g. 5ms, 1.5s (Go syntax); other
//                        connections are not held up
//   --fail-rate F        the fraction (0..1) of requests answered 500 instead
//   --seed N             seeds --fail-rate's choices, for repeatable runs (default: random)
//   --json               answer {"text":TEXT,"pod":$POD_NAME,"ip":$POD_IP,"path":TARGET}
//   --health-path PATH   always 200 "ok", no delay or failure (default /healthz; "" disables)
//
// It prints "listening on ADDR:PORT" once and nothing per request. SIGTERM or SIGINT stops it
// gracefully: no new connections, idle ones closed, requests in flight answered (with
// "Connection: close"), then exit 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"

namespace sluice::echo {

// Entry point of `sluice http-echo`; returns the process exit code (0 after a graceful stop,
// 1 when it cannot listen, 2 for bad flags).
int runHttpEcho(int argc, char** argv);

struct HttpEchoOptions {
  std::string text = "http-echo";
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int status = 200;
  std::chrono::nanoseconds latency{0};
  double failRate = 0;
  std::optional<uint64_t> seed;  // unset: seeded from std::random_device
  bool json = false;
  std::string healthPath = "/healthz";
  std::string podName;  // for --json
  std::string podIp;
  // After a stop, connections still busy this long are closed anyway.
  std::chrono::milliseconds drainTimeout{10000};
};

// Reads the flags (args excludes argv[0]); `getenv` supplies POD_IP, PORT and POD_NAME. A flag
// given twice takes its last value. Errors are BadRequest and name the flag and what it wants,
// e.g. `--status: must be an HTTP status 200..599, got "42"`.
using GetEnv = std::function<std::optional<std::string>(std::string_view name)>;
api::Result<HttpEchoOptions> parseHttpEchoFlags(const std::vector<std::string>& args,
                                                const GetEnv& getenv);
// The text --help prints.
std::string_view httpEchoUsage();

// The server, for embedding (tests, benchmarks). Not thread-safe except stop().
class HttpEchoServer {
 public:
  explicit HttpEchoServer(HttpEchoOptions options);
  ~HttpEchoServer();
  HttpEchoServer(const HttpEchoServer&) = delete;
  HttpEchoServer& operator=(const HttpEchoServer&) = delete;

  // Binds and listens. Errors name the address, e.g. "listen 127.42.0.3:80: Permission denied
  // (ports below 1024 need root or CAP_NET_BIND_SERVICE)".
  api::Status listen();
  // The bound address and port ("127.0.0.1", 41234); valid after listen().
  std::string address() const;
  uint16_t port() const;
  // Makes SIGTERM and SIGINT stop the server (as stop() does) while run() runs.
  void stopOnSignals();
  // Serves on the calling thread until a stop has drained every connection.
  void run();
  // Starts a graceful stop; callable from any thread, before or during run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::echo
