// Test harness for integration tests: runs the real `sluice` binary (server and CLI), real
// kubectl binaries and curl, in temp dirs on loopback, and stops everything it starts.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::testing {

struct ProcessResult {
  int exitCode = -1;  // -1 when killed by the timeout
  std::string out;
  std::string err;
};

// Runs argv to completion (killed after `timeout`), feeding `input` on stdin.
ProcessResult run(const std::vector<std::string>& argv, const std::string& input = "",
                  std::chrono::seconds timeout = std::chrono::seconds(60));

// A process running in the background with its output collected; killed on destruction.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  // What it printed so far.
  std::string out();
  std::string err();
  void signal(int sig);
  // Waits for exit; returns the exit status (or -1 on timeout).
  int wait(std::chrono::seconds timeout);
  int pid() const { return pid_; }

 private:
  void pump(int timeoutMs);
  int pid_ = -1;
  int outFd_ = -1, errFd_ = -1;
  std::string out_, err_;
  bool exited_ = false;
  int status_ = -1;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls `condition` until it holds or `timeout` passes; no fixed sleeps.
bool waitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);

// A `sluice server` in a temp data dir on 127.0.0.1 with a free port.
class Server {
 public:
  explicit Server(const std::string& dataDir = "", std::vector<std::string> extraArgs = {});
  ~Server();
  // Starts (or restarts) the server and waits for its kubeconfig.
  void start();
  void stop();  // SIGTERM and wait
  void kill();  // SIGKILL and wait
  const std::string& dataDir() const { return dataDir_; }
  std::string kubeconfig() const { return dataDir_ + "/kubeconfig"; }
  std::string url() const { return url_; }
  std::string token() const;
  Background* process() { return process_.get(); }

  // `sluice --kubeconfig K args...`
  ProcessResult sluice(const std::vector<std::string>& args, const std::string& input = "");
  // A real kubectl of the given minor version ("1.33"); nullopt when not installed.
  std::optional<ProcessResult> kubectl(const std::string& version,
                                       const std::vector<std::string>& args,
                                       const std::string& input = "");
  // curl against the API with the admin token: returns {status, body}.
  std::pair<int, std::string> curl(const std::string& method, const std::string& path,
                                   const std::string& body = "",
                                   const std::string& contentType = "application/json",
                                   bool withToken = true);

 private:
  std::optional<TempDir> ownDir_;
  std::string dataDir_;
  std::string url_;
  std::string cacheDir_;
  std::vector<std::string> extraArgs_;
  std::unique_ptr<Background> process_;
};

std::string sluiceBinary();
std::string sourceDir();
// examples/seed/NAME in the source tree.
std::string seedFile(const std::string& name);

// Loopback ranges for one server of this test process: pods, ClusterIPs and LoadBalancer IPs,
// each a /24 that no other test process running beside it gets (they derive from the pid and a
// per-process count, so two servers in one process differ too).
struct PrivateRanges {
  std::string pods, services, loadBalancers;  // "127.A.B.0/24"
  // --cluster-cidr, --service-cidr and --loadbalancer-cidr with them.
  std::vector<std::string> flags() const;
};
PrivateRanges privateRanges();
// "127.A.B." of "127.A.B.0/24": what every address in the range starts with.
std::string rangePrefix(const std::string& cidr);
// Server flags for the seed's workloads: the ranges, and the seed's image catalog.
std::vector<std::string> seedServerArgs(const PrivateRanges& ranges = privateRanges());
// Path of kubectl.1.NN (on PATH, or beside the kubectl on PATH), or "" when not installed.
std::string kubectlBinary(const std::string& version);
// CI=true: tests that need a real peer fail instead of skipping when it is missing.
bool inCi();

// In a test body: skips the test when kubectl.1.NN is missing, or fails it under CI=true, so a
// CI run cannot pass without testing against real kubectl.
#define SLUICE_REQUIRE_KUBECTL(version)                                                          \
  do {                                                                                           \
    if (::sluice::testing::kubectlBinary(version).empty()) {                                     \
      if (::sluice::testing::inCi())                                                             \
        FAIL() << "kubectl." << (version) << " is not installed (needed by this test under CI)"; \
      GTEST_SKIP() << "kubectl." << (version) << " is not installed";                            \
    }                                                                                            \
  } while (0)

// `GET /` on a new connection to ip:port (5 s timeout): the body, or "" on any failure.
std::string httpGet(const std::string& ip, int port);

// How many ready addresses the Endpoints of Service `service` list.
int readyAddresses(Server& server, const std::string& service);

// Whether every pod matching `selector` answers `GET /` on its IP and `port`. Ready means
// started for pods without a readiness probe, so a process may still be binding its port when
// it is listed.
bool allPodsAnswer(Server& server, const std::string& selector, int port = 80);

}  // namespace sluice::testing
