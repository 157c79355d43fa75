#include "node/container_lifecycle.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "api/object.h"
#include "node/log_files.h"

namespace sluice::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const base::SteadyTime T0 = base::SteadyTime{} + 1000h;
const base::WallTime W0 = base::WallTime{} + 24h * 365 * 54;

ContainerRuntime exitedWith(int code) {
  ContainerRuntime c;
  c.name = "main";
  c.everStarted = true;
  c.last = Termination{code, 0, code ? "Error" : "Completed", "", ""};
  return c;
}

TEST(ContainerLifecycle, StartAction) {
  struct Case {
    std::string name;
    ContainerRuntime c;
    std::string policy;
    StartAction want;
  };
  ContainerRuntime fresh;
  ContainerRuntime running = fresh;
  running.running = true;
  running.everStarted = true;
  ContainerRuntime backingOff = exitedWith(1);
  backingOff.nextStart = T0 + 5s;
  ContainerRuntime backedOff = exitedWith(1);
  backedOff.nextStart = T0;
  std::vector<Case> cases = {
      {"never started", fresh, "Always", StartAction::Start},
      {"never started, even under Never", fresh, "Never", StartAction::Start},
      {"running", running, "Always", StartAction::None},
      {"Always restarts a clean exit", exitedWith(0), "Always", StartAction::Start},
      {"OnFailure restarts a failure", exitedWith(2), "OnFailure", StartAction::Start},
      {"OnFailure leaves a clean exit", exitedWith(0), "OnFailure", StartAction::None},
      {"Never leaves a failure", exitedWith(2), "Never", StartAction::None},
      {"backing off", backingOff, "Always", StartAction::Wait},
      {"back-off over (at its exact time)", backedOff, "Always", StartAction::Start},
      {"a failed start waits for its retry too",
       [] {
         ContainerRuntime c;
         c.waitingReason = "ErrImagePull";
         c.nextStart = T0 + 1s;
         return c;
       }(),
       "Always", StartAction::Wait},
  };
  for (const auto& c : cases) EXPECT_EQ(startAction(c.c, c.policy, T0), c.want) << c.name;
}

// Crash after crash: the kubelet's back-off, 0 (immediate), 10, 20, 40, ... 300.
TEST(ContainerLifecycle, CrashBackoffDoublesToFiveMinutes) {
  ContainerRuntime c;
  c.name = "main";
  std::vector<int64_t> waits;
  auto now = T0;
  for (int i = 0; i < 9; ++i) {
    recordStarted(c, 100 + i, now, W0);
    now += 1s;  // crashes a second after starting
    recordExit(c, {1, 0}, false, now, W0);
    waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(c.nextStart - now).count());
    now = c.nextStart;
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{0, 10, 20, 40, 80, 160, 300, 300, 300}));
  EXPECT_EQ(c.restartCount, 8);
}

TEST(ContainerLifecycle, BackoffStartsOverAfterTenMinutesOfRunning) {
  ContainerRuntime c;
  recordStarted(c, 1, T0, W0);
  recordExit(c, {1, 0}, false, T0 + 1s, W0);  // immediate
  recordStarted(c, 2, T0 + 1s, W0);
  recordExit(c, {1, 0}, false, T0 + 2s, W0);  // 10 s
  EXPECT_EQ(c.nextStart, T0 + 12s);
  recordStarted(c, 3, T0 + 12s, W0);
  // Ran for just over 10 minutes: immediate again.
  auto end = T0 + 12s + 10min + 1s;
  recordExit(c, {1, 0}, false, end, W0);
  EXPECT_EQ(c.nextStart, end);
  EXPECT_EQ(c.backoff, 10s);
}

TEST(ContainerLifecycle, AProbeKillRestartsAtOnceWhateverTheBackoff) {
  ContainerRuntime c;
  c.backoff = 160s;
  recordStarted(c, 7, T0, W0);
  c.stopping = true;
  recordExit(c, {143, 15}, false, T0 + 5s, W0);
  EXPECT_EQ(c.nextStart, T0 + 5s);
  EXPECT_FALSE(c.stopping);
  EXPECT_EQ(c.backoff, 300s);  // the back-off still grows
}

TEST(ContainerLifecycle, ExitRecordsTheTermination) {
  struct Case {
    ExitStatus exit;
    bool oom;
    std::string reason;
  };
  std::vector<Case> cases = {
      {{0, 0}, false, "Completed"},
      {{3, 0}, false, "Error"},
      {{137, 9}, false, "Error"},
      {{137, 9}, true, "OOMKilled"},
  };
  for (const auto& tc : cases) {
    ContainerRuntime c;
    recordStarted(c, 42, T0, W0);
    recordExit(c, tc.exit, tc.oom, T0 + 3s, W0 + 3s);
    EXPECT_FALSE(c.running);
    EXPECT_EQ(c.pid, 0);
    ASSERT_TRUE(c.last);
    EXPECT_EQ(c.last->exitCode, tc.exit.exitCode);
    EXPECT_EQ(c.last->signal, tc.exit.signal);
    EXPECT_EQ(c.last->reason, tc.reason);
    EXPECT_EQ(c.last->startedAt, api::formatTimestamp(W0));
    EXPECT_EQ(c.last->finishedAt, api::formatTimestamp(W0 + 3s));
  }
}

TEST(ContainerLifecycle, AStartClearsWhatTheLastRunLeft) {
  ContainerRuntime c;
  c.waitingReason = "RunContainerError";
  c.waitingMessage = "no such file";
  recordStarted(c, 5, T0, W0);
  EXPECT_EQ(c.restartCount, 0);  // the first start is no restart
  EXPECT_TRUE(c.running);
  EXPECT_TRUE(c.everStarted);
  EXPECT_EQ(c.waitingReason, "");
  EXPECT_EQ(c.waitingMessage, "");
  EXPECT_EQ(c.startedAt, api::formatTimestamp(W0));
  c.startupPassed = c.readinessPassed = true;
  recordExit(c, {1, 0}, false, T0 + 1s, W0);
  recordStarted(c, 6, T0 + 1s, W0 + 1s);
  EXPECT_EQ(c.restartCount, 1);
  EXPECT_EQ(c.pid, 6);
  EXPECT_FALSE(c.startupPassed);
  EXPECT_FALSE(c.readinessPassed);
}

TEST(ContainerLifecycle, AMissingImageIsErrImagePullThenImagePullBackOff) {
  ContainerRuntime c;
  auto e = recordImageMissing(c, "nginx:v9", "not in the catalog", T0);
  EXPECT_EQ(c.waitingReason, "ErrImagePull");
  EXPECT_EQ(c.waitingMessage, "not in the catalog");
  EXPECT_EQ(c.nextStart, T0 + 1s);
  EXPECT_EQ(e.type, "Warning");
  EXPECT_EQ(e.reason, "Failed");
  EXPECT_EQ(e.message, "Failed to pull image \"nginx:v9\": not in the catalog");

  std::vector<int64_t> waits;
  for (int i = 0; i < 3; ++i) {
    auto now = c.nextStart;
    e = recordImageMissing(c, "nginx:v9", "not in the catalog", now);
    waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(c.nextStart - now).count());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{20, 40, 80}));
  EXPECT_EQ(c.waitingReason, "ImagePullBackOff");
  EXPECT_EQ(c.waitingMessage, "Back-off pulling image \"nginx:v9\": not in the catalog");
  EXPECT_EQ(e.type, "Normal");
  EXPECT_EQ(e.reason, "BackOff");
  EXPECT_EQ(e.message, "Back-off pulling image \"nginx:v9\"");
}

TEST(ContainerLifecycle, ConfigAndSpawnFailures) {
  ContainerRuntime c;
  auto e = recordConfigError(c, "env[0]: secretKeyRef is not supported", T0);
  EXPECT_EQ(c.waitingReason, "CreateContainerConfigError");
  EXPECT_EQ(c.nextStart, T0 + 10s);
  EXPECT_EQ(c.backoff, 0s);
  EXPECT_EQ(e.message, "Error: env[0]: secretKeyRef is not supported");

  ContainerRuntime s;
  e = recordSpawnFailure(s, "exec: no such file", T0);
  EXPECT_EQ(s.waitingReason, "RunContainerError");
  EXPECT_EQ(s.waitingMessage, "exec: no such file");
  EXPECT_EQ(s.nextStart, T0 + 10s);
  e = recordSpawnFailure(s, "exec: no such file", T0);
  EXPECT_EQ(s.nextStart, T0 + 20s);
  EXPECT_EQ(e.type, "Warning");
  EXPECT_EQ(e.reason, "Failed");
}

TEST(ContainerLifecycle, GracePeriods) {
  struct Case {
    std::string pod;
    int64_t deletion, probeKill;
  };
  std::vector<Case> cases = {
      {R"({})", 30, 30},
      {R"({"spec":{"terminationGracePeriodSeconds":5}})", 5, 5},
      {R"({"metadata":{"deletionGracePeriodSeconds":0},"spec":{"terminationGracePeriodSeconds":5}})",
       0, 5},
      {R"({"metadata":{"deletionGracePeriodSeconds":12}})", 12, 30},
  };
  for (const auto& c : cases) {
    auto pod = json::parse(c.pod);
    EXPECT_EQ(deletionGraceSeconds(pod), c.deletion) << c.pod;
    EXPECT_EQ(probeKillGraceSeconds(pod), c.probeKill) << c.pod;
  }
}

TEST(ContainerLifecycle, DrainWaitsForTheEndpointsThenSettles) {
  PodRuntime rt;
  rt.ip = "127.42.0.3";
  // Still listed: wait, at most until the 2 s bound.
  auto step = drainStep(rt, true, T0);
  EXPECT_TRUE(step.wait);
  EXPECT_EQ(step.until, T0 + 2s);
  step = drainStep(rt, true, T0 + 300ms);
  EXPECT_TRUE(step.wait);
  EXPECT_EQ(step.until, T0 + 2s);
  // Gone from the Endpoints at 500 ms: settle 100 ms.
  step = drainStep(rt, false, T0 + 500ms);
  EXPECT_TRUE(step.wait);
  EXPECT_EQ(step.until, T0 + 600ms);
  step = drainStep(rt, false, T0 + 599ms);
  EXPECT_TRUE(step.wait);
  EXPECT_EQ(step.until, T0 + 600ms);
  EXPECT_FALSE(drainStep(rt, false, T0 + 600ms).wait);
}

TEST(ContainerLifecycle, DrainIsBounded) {
  PodRuntime rt;
  rt.ip = "127.42.0.3";
  EXPECT_TRUE(drainStep(rt, true, T0).wait);
  EXPECT_TRUE(drainStep(rt, true, T0 + 1999ms).wait);
  EXPECT_FALSE(drainStep(rt, true, T0 + 2s).wait);
}

TEST(ContainerLifecycle, NothingToDrain) {
  PodRuntime noAddress;
  EXPECT_FALSE(drainStep(noAddress, true, T0).wait);
  PodRuntime signalled;
  signalled.ip = "127.42.0.3";
  signalled.terminating = true;
  EXPECT_FALSE(drainStep(signalled, true, T0).wait);
}

TEST(ContainerLifecycle, EndpointsListAddress) {
  auto ep = json::parse(R"({"subsets":[
      {"addresses":[{"ip":"127.42.0.1"},{"ip":"127.42.0.2"}],
       "notReadyAddresses":[{"ip":"127.42.0.9"}]},
      {"addresses":[{"ip":"127.42.0.5"}]}]})");
  EXPECT_TRUE(endpointsListAddress(ep, "127.42.0.2"));
  EXPECT_TRUE(endpointsListAddress(ep, "127.42.0.5"));
  EXPECT_FALSE(endpointsListAddress(ep, "127.42.0.9"));  // not ready: not served
  EXPECT_FALSE(endpointsListAddress(ep, "127.42.0.3"));
  EXPECT_FALSE(endpointsListAddress(json::parse("{}"), "127.42.0.1"));
}

// ContainerStarter with real processes: the catalog, the environment, the log file.
class ContainerStarterTest : public ::testing::Test {
 protected:
  ContainerStarterTest() {
    char tmpl[] = "/tmp/sluice-starter-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir + "/images.yaml")
        << "images:\n"
           "  - image: hello\n"
           "    command: [\"/bin/sh\", \"-c\", \"echo hello $POD_NAME $POD_IP $PORT\"]\n";
    rt.key = "default/web";
    rt.uid = "u1";
    rt.ns = "default";
    rt.name = "web";
    rt.ip = "127.42.0.4";
    rt.dir = dir + "/pods/default_web_u1";
  }
  ~ContainerStarterTest() override {
    reaper.stop();
    std::filesystem::remove_all(dir);
  }

  std::string dir;
  PodRuntime rt;
  CatalogFiles catalog{{"/nonexistent/images.yaml", "DIR"}};
  ProcessReaper reaper;
  ResourceLimiter limiter;
};

TEST_F(ContainerStarterTest, StartsTheCatalogsCommandWithTheRuntimeEnvironment) {
  CatalogFiles files({dir + "/images.yaml"});
  ContainerStarter starter(files, reaper, limiter, {"/usr/bin/sluice", ""}, base::nullLogger());
  auto pod = json::parse(R"({"metadata":{"name":"web","namespace":"default","uid":"u1"}})");
  auto spec = json::parse(R"({"name":"main","image":"hello","ports":[{"containerPort":8080}]})");
  auto& c = rt.containers["main"];
  c.name = "main";
  std::mutex m;
  std::condition_variable cv;
  std::optional<ExitStatus> exit;
  std::vector<PodEvent> events;
  starter.start(
      rt, pod, spec, c, T0, W0,
      [&](ExitStatus es) {
        std::lock_guard lock(m);
        exit = es;
        cv.notify_all();
      },
      events);
  ASSERT_TRUE(c.running) << c.waitingReason << ": " << c.waitingMessage;
  EXPECT_GT(c.pid, 0);
  EXPECT_EQ(c.restartCount, 0);
  EXPECT_EQ(c.logDir, rt.dir + "/main");
  std::vector<std::string> reasons;
  for (const auto& e : events) reasons.push_back(e.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"Pulled", "Created", "Started"}));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return exit.has_value(); }));
  }
  EXPECT_EQ(exit->exitCode, 0);
  std::ifstream in(logFilePath(c.logDir, 0));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hello web 127.42.0.4 8080\n");
}

TEST_F(ContainerStarterTest, AnImageNotInTheCatalogSaysWhereItLooked) {
  ContainerStarter starter(catalog, reaper, limiter, {"/usr/bin/sluice", ""}, base::nullLogger());
  auto pod = json::parse(R"({"metadata":{"name":"web","namespace":"default","uid":"u1"}})");
  auto spec = json::parse(R"({"name":"main","image":"nginx:v9"})");
  auto& c = rt.containers["main"];
  std::vector<PodEvent> events;
  starter.start(
      rt, pod, spec, c, T0, W0, [](ExitStatus) {}, events);
  EXPECT_FALSE(c.running);
  EXPECT_EQ(c.waitingReason, "ErrImagePull");
  EXPECT_EQ(c.waitingMessage,
            "image \"nginx:v9\" is not in the image catalog (/nonexistent/images.yaml, DIR): add "
            "an entry that maps it to a command");
  EXPECT_EQ(c.nextStart, T0 + 1s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "Failed");
}

}  // namespace
}  // namespace sluice::node
