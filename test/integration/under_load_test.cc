// Acceptance: a release under load fails no request. 32 clients send `GET /` to the seed's
// LoadBalancer Service without pause while nginx-v2 scales 1 → 0 → 1, the Service's selector
// switches v1 → v2 → v1 (blue-green) and nginx-v1 rolls to a new image; each phase must answer
// every request it started.
//
// NewConnectionPerRequest mirrors `hey -c 32 -disable-keepalive`, run for as long as the release
// takes, against the seed's L4 Service. KeepAlive holds one connection per client against a port
// with `appProtocol: http`, which the load balancer serves at L7: it balances request by request
// over its own upstream connections, so a selector switch moves a client's very next request to the
// new version.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness.h"

namespace sluice::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int kClients = 32;
constexpr auto kRequestTimeout = seconds(5);
// Answers to see after each step before the next: every endpoint (at most 5) gets dozens.
constexpr int kAnswersPerStep = 200;

// 200 ms between rollout steps keeps the rolling update to a few seconds.
std::vector<std::string> serverArgs() {
  auto args = seedServerArgs();
  args.insert(args.end(), {"--rollout-step-interval", "200ms"});
  return args;
}

// The seed's gray Service with its port marked as HTTP.
const char* kHttpService = R"(apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  type: LoadBalancer
  selector:
    app: nginx
  ports:
  - name: service0
    port: 80
    protocol: TCP
    targetPort: 80
    appProtocol: http
)";

enum class Outcome { kV1, kV2, kFailed };

// One request of the load and what it got.
struct Request {
  Clock::time_point start, end;
  int client = 0;
  bool newConnection = false;  // it opened a connection (every request, without keep-alive)
  Outcome outcome = Outcome::kFailed;
  std::string error;  // why it failed
};

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// A client's connection: non-blocking, every step bounded by the request's deadline.
class ClientConnection {
 public:
  struct Answer {
    std::string statusLine;
    int status = 0;
    bool close = false;  // the server said "Connection: close"
    std::string body;
  };

  ClientConnection() = default;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;
  ~ClientConnection() { close(); }

  bool isOpen() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // "" when connected, else what went wrong.
  std::string connect(const sockaddr_in& to, Clock::time_point deadline) {
    close();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return errnoText("socket");
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) return "";
    if (errno != EINPROGRESS) return errnoText("connect");
    if (!await(POLLOUT, deadline)) return "connect: timed out";
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    errno = error;
    return error ? errnoText("connect") : "";
  }

  // Whether the server closed the connection (or sent something unasked) while it was idle: a
  // client checks before reusing one, as Go's HTTP transport does, so that only a close racing
  // with the next request fails it.
  bool closedWhileIdle() {
    char c;
    ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }

  std::string send(std::string_view request, Clock::time_point deadline) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!await(POLLOUT, deadline)) return "send: timed out";
      } else {
        return errnoText("send");
      }
    }
    return "";
  }

  // Reads one answer, its body by Content-Length; with `thenEof`, also the server's close that
  // "Connection: close" asked for. "" when whole, else what went wrong.
  std::string receive(Answer& answer, bool thenEof, Clock::time_point deadline) {
    std::string in;
    std::string why;
    size_t headEnd;
    while ((headEnd = in.find("\r\n\r\n")) == std::string::npos)
      if (readMore(in, deadline, why) <= 0) return why;
    std::istringstream head(in.substr(0, headEnd));
    std::getline(head, answer.statusLine);
    if (!answer.statusLine.empty() && answer.statusLine.back() == '\r')
      answer.statusLine.pop_back();
    if (answer.statusLine.rfind("HTTP/1.", 0) != 0 || answer.statusLine.size() < 12)
      return "malformed status line \"" + answer.statusLine + "\"";
    answer.status = std::atoi(answer.statusLine.c_str() + 9);
    long length = -1;
    for (std::string line; std::getline(head, line);) {
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower.rfind("content-length:", 0) == 0) length = std::atol(line.c_str() + 15);
      if (lower.rfind("connection:", 0) == 0 && lower.find("close") != std::string::npos)
        answer.close = true;
    }
    if (length < 0) return "no Content-Length in \"" + answer.statusLine + "\"";
    size_t whole = headEnd + 4 + static_cast<size_t>(length);
    while (in.size() < whole)
      if (readMore(in, deadline, why) <= 0) return why;
    if (in.size() > whole) return std::to_string(in.size() - whole) + " bytes after the answer";
    answer.body = in.substr(headEnd + 4);
    if (thenEof) {
      ssize_t n = readMore(in, deadline, why);
      if (n > 0) return "bytes after the answer where its close was due";
      if (n < 0) return "whole answer, then " + why + " where its close was due";
    }
    return "";
  }

 private:
  bool await(short events, Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, events, 0};
    return poll(&p, 1, static_cast<int>(left.count())) > 0;
  }

  // Appends what arrives: the bytes read, 0 at EOF, -1 on an error or the deadline (`why` says
  // which, and how much of the answer had come).
  ssize_t readMore(std::string& in, Clock::time_point deadline, std::string& why) {
    std::string got = " after " + std::to_string(in.size()) + " bytes of the answer";
    while (true) {
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        in.append(buf, static_cast<size_t>(n));
        return n;
      }
      if (n == 0) {
        why = "EOF" + got;
        return 0;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        why = errnoText("read") + got;
        return -1;
      }
      if (!await(POLLIN, deadline)) {
        why = "timed out" + got;
        return -1;
      }
    }
  }

  int fd_ = -1;
};

// What the requests started in a time range got.
struct Tally {
  int v1 = 0, v2 = 0, failed = 0, connections = 0;
  std::vector<std::array<int, 2>> perClient = std::vector<std::array<int, 2>>(kClients);
  std::vector<std::string> failures;  // the first few

  int answered() const { return v1 + v2; }
  int clientsAnswered() const {
    return static_cast<int>(std::count_if(perClient.begin(), perClient.end(),
                                          [](const auto& c) { return c[0] + c[1] > 0; }));
  }
  // The clients that got `version` ("v1" or "v2"), with how many answers from it.
  std::string clientsThatGot(int version) const {
    std::string out;
    for (int c = 0; c < kClients; ++c)
      if (perClient[c][version - 1] > 0)
        out += (out.empty() ? "" : ", ") + std::string("client ") + std::to_string(c) + " ×" +
               std::to_string(perClient[c][version - 1]);
    return out;
  }
  std::string str() const {
    std::string out = std::to_string(answered()) + " answers (v1 " + std::to_string(v1) + ", v2 " +
                      std::to_string(v2) + "), " + std::to_string(failed) + " failed, " +
                      std::to_string(connections) + " connections opened";
    for (const auto& f : failures) out += "\n    " + f;
    if (failed > static_cast<int>(failures.size()))
      out +=
          "\n    ... and " + std::to_string(failed - static_cast<int>(failures.size())) + " more";
    return out;
  }
};

// Clients that send `GET /` one after another until stopped, each on a new connection with
// "Connection: close" (`hey -disable-keepalive`), or each on one kept-alive connection that it
// reopens only when the server closes it. Every request is logged, with when it started, for
// tallies of any time range.
class Load {
 public:
  Load(const std::string& ip, int port, bool keepAlive) : keepAlive_(keepAlive) {
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &to_.sin_addr);
    log_.reserve(1 << 18);
    note("load starts: " + std::to_string(kClients) + " clients against " + ip + ":" +
         std::to_string(port));
    for (int i = 0; i < kClients; ++i) threads_.emplace_back([this, i] { client(i); });
  }
  ~Load() { stop(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  void stop() {
    stopping_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  Clock::time_point started() const { return started_; }

  // "+1.234s": when, since the load started.
  std::string at(Clock::time_point t) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+%.3fs", std::chrono::duration<double>(t - started_).count());
    return buf;
  }

  // Records a step of the test, for the timeline that failure messages show.
  void note(const std::string& what) {
    std::lock_guard lock(mu_);
    timeline_.emplace_back(Clock::now(), what);
  }

  std::string timeline() const {
    std::lock_guard lock(mu_);
    std::string out = "timeline:";
    for (const auto& [t, what] : timeline_) out += "\n  " + at(t) + " " + what;
    return out;
  }

  Tally tally(Clock::time_point from, Clock::time_point to = Clock::time_point::max()) const {
    Tally t;
    std::lock_guard lock(mu_);
    for (const auto& r : log_) {
      if (r.start < from || r.start >= to) continue;
      t.connections += r.newConnection;
      if (r.outcome == Outcome::kFailed) {
        if (++t.failed <= 5)
          t.failures.push_back(
              "request started " + at(r.start) + ", failed " + at(r.end) + ", client " +
              std::to_string(r.client) +
              (r.newConnection ? " (new connection): " : " (reused connection): ") + r.error);
      } else {
        int v = r.outcome == Outcome::kV1 ? 0 : 1;
        (v == 0 ? t.v1 : t.v2)++;
        t.perClient[r.client][v]++;
      }
    }
    return t;
  }

 private:
  void client(int id) {
    const std::string request = keepAlive_
                                    ? "GET / HTTP/1.1\r\nHost: nginx\r\n\r\n"
                                    : "GET / HTTP/1.1\r\nHost: nginx\r\nConnection: close\r\n\r\n";
    ClientConnection connection;
    while (!stopping_) {
      Request r;
      r.client = id;
      r.start = Clock::now();
      r.error = exchange(connection, request, r.start + kRequestTimeout, r);
      r.end = Clock::now();
      if (!r.error.empty()) {
        r.outcome = Outcome::kFailed;
        connection.close();
      }
      std::lock_guard lock(mu_);
      log_.push_back(std::move(r));
    }
  }

  // One request and its answer; "" when answered by v1 or v2 (r.outcome says which).
  std::string exchange(ClientConnection& connection, const std::string& request,
                       Clock::time_point deadline, Request& r) {
    if (connection.isOpen() && connection.closedWhileIdle()) connection.close();
    if (!connection.isOpen()) {
      r.newConnection = true;
      if (auto e = connection.connect(to_, deadline); !e.empty()) return e;
    }
    if (auto e = connection.send(request, deadline); !e.empty()) return e;
    ClientConnection::Answer answer;
    if (auto e = connection.receive(answer, !keepAlive_, deadline); !e.empty()) return e;
    if (!keepAlive_ || answer.close) connection.close();
    if (answer.status != 200) return "answer \"" + answer.statusLine + "\"";
    if (answer.body == "Nginx-v1\n") {
      r.outcome = Outcome::kV1;
    } else if (answer.body == "Nginx-v2\n") {
      r.outcome = Outcome::kV2;
    } else {
      return "unexpected body \"" + answer.body.substr(0, 80) + "\"";
    }
    return "";
  }

  const bool keepAlive_;
  sockaddr_in to_{};
  const Clock::time_point started_ = Clock::now();
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<Request> log_;
  std::vector<std::pair<Clock::time_point, std::string>> timeline_;
  std::vector<std::thread> threads_;
};

// "running", or how the server process ended.
std::string serverState(Server& server) {
  int status = server.process()->wait(seconds(0));
  return status < 0     ? "running"
         : status > 128 ? "killed by signal " + std::to_string(status - 128)
                        : "exited with status " + std::to_string(status);
}

// waitFor, but giving up at once when the server is gone.
bool waitWhileServerRuns(Server& server, const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = seconds(20)) {
  bool ok = false;
  waitFor([&] { return (ok = condition()) || serverState(server) != "running"; }, timeout);
  return ok;
}

// Waits until `n` requests started at or after `from` have been answered, at least one to
// every client.
::testing::AssertionResult answeredSince(Server& server, const Load& load, Clock::time_point from,
                                         int n) {
  bool ok = waitWhileServerRuns(
      server,
      [&] {
        auto t = load.tally(from);
        return t.answered() >= n && t.clientsAnswered() == kClients;
      },
      seconds(15));
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "want " << n << " answers to requests started from " << load.at(from)
         << ", one to every client; have " << load.tally(from).str();
}

// The images of the pods matching `selector` (terminating ones too), one per pod.
std::vector<std::string> podImages(Server& server, const std::string& selector) {
  auto r = server.sluice({"get", "pods", "-l", selector, "-o",
                          "jsonpath={range .items[*]}{.spec.containers[0].image} {end}"});
  std::istringstream in(r.out);
  std::vector<std::string> images;
  for (std::string image; in >> image;) images.push_back(image);
  return images;
}

struct Phase {
  std::string name;
  Clock::time_point from, to;
};

void releaseUnderLoad(bool keepAlive) {
  const auto began = Clock::now();
  Server server("", serverArgs());
  for (const char* f : {"nginx-v1.yaml", "nginx-v2.yaml"}) {
    auto r = server.sluice({"apply", "-f", seedFile(f)});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  auto r = keepAlive ? server.sluice({"apply", "-f", "-"}, kHttpService)
                     : server.sluice({"apply", "-f", seedFile("service-gray.yaml")});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  if (keepAlive) {
    ASSERT_EQ(
        server.sluice({"get", "svc", "nginx", "-o", "jsonpath={.spec.ports[0].appProtocol}"}).out,
        "http");
  }
  // The seed's 4:1 gray release.
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=4"}).exitCode, 0);
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v2", "--replicas=1"}).exitCode, 0);
  ASSERT_TRUE(waitFor(
      [&] {
        return readyAddresses(server, "nginx") == 5 && podImages(server, "app=nginx").size() == 5;
      },
      seconds(30)))
      << server.sluice({"get", "pods", "-o", "wide"}).out;
  ASSERT_TRUE(waitFor([&] { return allPodsAnswer(server, "app=nginx"); }));
  std::string ip =
      server.sluice({"get", "svc", "nginx", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"})
          .out;
  ASSERT_FALSE(ip.empty());

  Load load(ip, 80, keepAlive);
  // For failure messages: the steps so far and what the server logged last.
  auto context = [&] {
    std::string log = server.process()->err();
    if (log.size() > 4000) log = "..." + log.substr(log.size() - 4000);
    return load.timeline() + "\nserver: " + serverState(server) + "; its log:\n" + log;
  };
  std::vector<Phase> phases;
  // However the test ends: every phase answered every request it started (a phase cut short
  // counts up to now), a finished one answered plenty, and what each got is printed.
  auto checkPhases = [&] {
    std::ostringstream summary;
    summary << (keepAlive ? "keep-alive clients, appProtocol: http"
                          : "a new connection per request")
            << ": " << std::chrono::duration<double>(Clock::now() - began).count() << " s in all\n";
    for (const auto& p : phases) {
      bool finished = p.to != Clock::time_point::max();
      auto t = load.tally(p.from, p.to);
      summary << "  " << p.name << " (" << load.at(p.from) << " to "
              << (finished ? load.at(p.to) : "the end") << "): " << t.str() << "\n";
      EXPECT_EQ(t.failed, 0) << "phase \"" << p.name << "\": " << t.str() << "\n" << context();
      if (finished) {
        EXPECT_GE(t.answered(), 2 * kAnswersPerStep) << p.name;
      }
    }
    std::cout << summary.str();
  };
  struct AtExit {
    std::function<void()> run;
    ~AtExit() { run(); }
  } atExit{checkPhases};
  auto beginPhase = [&](const std::string& name) {
    auto now = Clock::now();
    if (!phases.empty()) phases.back().to = now;
    phases.push_back({name, phases.empty() ? load.started() : now, Clock::time_point::max()});
    load.note("phase: " + name);
  };
  // A CLI step, noted in the timeline when it starts and when it returns.
  auto step = [&](const std::vector<std::string>& args) {
    std::string line = "sluice";
    for (const auto& a : args) line += " " + a;
    load.note(line);
    auto result = server.sluice(args);
    load.note("  returned " + std::to_string(result.exitCode));
    return result;
  };
  auto endpointsAre = [&](int n) {
    bool ok = waitWhileServerRuns(
        server, [&] { return readyAddresses(server, "nginx") == n; }, seconds(30));
    load.note("Endpoints list " + std::to_string(readyAddresses(server, "nginx")) +
              " ready addresses (want " + std::to_string(n) + ")");
    return ok;
  };

  // 1. nginx-v2 scales 1 → 0 → 1; nginx-v1's 4 pods keep serving.
  beginPhase("scale nginx-v2 1 → 0 → 1");
  ASSERT_TRUE(answeredSince(server, load, load.started(), kAnswersPerStep)) << context();
  ASSERT_EQ(step({"scale", "deployment/nginx-v2", "--replicas=0"}).exitCode, 0);
  ASSERT_TRUE(endpointsAre(4)) << context();
  ASSERT_TRUE(waitWhileServerRuns(
      server, [&] { return podImages(server, "app=nginx,version=v2").empty(); }))
      << "nginx-v2's pod is still there\n"
      << context();
  load.note("nginx-v2's pod is gone");
  ASSERT_TRUE(answeredSince(server, load, Clock::now(), kAnswersPerStep)) << context();
  ASSERT_EQ(step({"scale", "deployment/nginx-v2", "--replicas=1"}).exitCode, 0);
  ASSERT_TRUE(endpointsAre(5)) << context();
  auto mark = Clock::now();
  EXPECT_TRUE(waitWhileServerRuns(
      server, [&] { return load.tally(mark).v2 > 0; }, seconds(10)))
      << "the new nginx-v2 pod got no request: " << load.tally(mark).str() << "\n"
      << context();
  ASSERT_TRUE(answeredSince(server, load, mark, kAnswersPerStep)) << context();

  // 2. Blue-green: the Service selects v1 only, then v2, then v1 again. Once its Endpoints
  // changed, every request started afterwards goes to the selected version; with keep-alive,
  // that includes each client's next request on its open connection.
  beginPhase("blue-green v1 → v2 → v1");
  auto switchTo = [&](int version, int endpoints) {
    ASSERT_TRUE(endpointsAre(endpoints)) << context();
    auto mark = Clock::now();
    ASSERT_TRUE(answeredSince(server, load, mark, kAnswersPerStep)) << context();
    auto t = load.tally(mark);
    int other = version == 1 ? 2 : 1;
    EXPECT_EQ(version == 1 ? t.v2 : t.v1, 0)
        << "requests started from " << load.at(mark) << ", after the switch to v" << version
        << ", were answered by v" << other << ": " << t.str() << "\nclients answered by v" << other
        << ": " << t.clientsThatGot(other) << "\n"
        << context();
  };
  if (keepAlive) {
    // Patched rather than applied: the seed's blue-green manifest has no appProtocol.
    ASSERT_EQ(step({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v1"}}})"})
                  .exitCode,
              0);
  } else {
    ASSERT_EQ(step({"apply", "-f", seedFile("service-blue-green.yaml")}).exitCode, 0);
  }
  switchTo(1, 4);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(step({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"})
                .exitCode,
            0);
  switchTo(2, 1);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_EQ(step({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v1"}}})"})
                .exitCode,
            0);
  switchTo(1, 4);
  if (::testing::Test::HasFatalFailure()) return;

  // 3. A rolling update of the selected Deployment to the v2 image (its pods keep the label
  // version=v1, so the Service keeps selecting them).
  beginPhase("rolling update of nginx-v1 to image nginx:v2");
  ASSERT_EQ(
      step({"set", "image", "deployment/nginx-v1", "container-0=example.com/nginx:v2"}).exitCode,
      0);
  r = step({"rollout", "status", "deployment/nginx-v1", "--timeout=60s"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err << context();
  ASSERT_TRUE(waitWhileServerRuns(
      server,
      [&] {
        auto images = podImages(server, "app=nginx,version=v1");
        return images.size() == 4 && std::all_of(images.begin(), images.end(), [](const auto& i) {
                 return i == "example.com/nginx:v2";
               });
      }))
      << "old pods remain\n"
      << context();
  load.note("only the new pods remain");
  ASSERT_TRUE(endpointsAre(4)) << context();
  mark = Clock::now();
  ASSERT_TRUE(answeredSince(server, load, mark, kAnswersPerStep)) << context();
  auto after = load.tally(mark);
  EXPECT_EQ(after.v1, 0) << "old pods answered after the rollout: " << after.str() << "\n"
                         << context();
  phases.back().to = Clock::now();
  load.note("load stops");
  load.stop();
}

TEST(UnderLoad, NewConnectionPerRequest) {
  releaseUnderLoad(false);
}

TEST(UnderLoad, KeepAlive) {
  releaseUnderLoad(true);
}

}  // namespace
}  // namespace sluice::testing
