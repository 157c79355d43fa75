#include "node/prober.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace sluice::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A probe function that answers from a script per probe kind (passing when the script is empty)
// and records every run with the fake time it ran at.
class FakeProbes {
 public:
  explicit FakeProbes(const base::FakeClock& clock) : clock_(clock) {}

  ProbeFunction function() {
    return [this](const ProbeTarget& t) {
      std::lock_guard lock(mu_);
      runs_.push_back({t.kind, clock_.steadyNow(), t});
      auto& script = scripts_[t.kind];
      if (script.empty()) return std::string();
      std::string why = script.front();
      script.pop_front();
      return why;
    };
  }
  // Queues the next outcomes of `kind`: "" passes, anything else fails with that reason.
  void script(ProbeKind kind, std::vector<std::string> outcomes) {
    std::lock_guard lock(mu_);
    for (auto& o : outcomes) scripts_[kind].push_back(std::move(o));
  }
  struct RunRecord {
    ProbeKind kind;
    base::SteadyTime at;
    ProbeTarget target;
  };
  std::vector<RunRecord> runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }
  // Seconds after `start` at which `kind` ran.
  std::vector<int64_t> times(ProbeKind kind, base::SteadyTime start) {
    std::vector<int64_t> out;
    for (const auto& r : runs())
      if (r.kind == kind)
        out.push_back(std::chrono::duration_cast<std::chrono::seconds>(r.at - start).count());
    return out;
  }

 private:
  const base::FakeClock& clock_;
  std::mutex mu_;
  std::map<ProbeKind, std::deque<std::string>> scripts_;
  std::vector<RunRecord> runs_;
};

class ProberTest : public ::testing::Test {
 protected:
  ProberTest()
      : probes(clock), prober(clock, probes.function(), [this](const ProbeResult& r) {
          std::lock_guard lock(mu);
          results.push_back(r);
        }) {}

  // Adds container "main" of pod default/web started now, with `probes` (JSON) in its spec.
  uint64_t add(const std::string& probesJson) {
    auto spec = json::parse(R"({"name":"main","ports":[{"name":"http","containerPort":8080}],)" +
                            probesJson + "}");
    start = clock.steadyNow();
    return prober.add({"default/web", "uid-1", "main", spec, "127.42.0.9", start});
  }
  // Advances the fake clock by `d` and runs what is due.
  int advance(std::chrono::milliseconds d) {
    clock.advance(d);
    return prober.runDue();
  }
  std::vector<ProbeResult> takeResults() {
    std::lock_guard lock(mu);
    return std::exchange(results, {});
  }

  base::FakeClock clock;
  FakeProbes probes;
  std::mutex mu;
  std::vector<ProbeResult> results;
  Prober prober;
  base::SteadyTime start;
};

TEST(ProbeSettings, KubeletDefaultsAndMinimums) {
  struct Case {
    std::string name, probe;
    int64_t initialDelay, period, timeout, success, failure;
  };
  std::vector<Case> cases = {
      {"defaults", R"({"exec":{"command":["true"]}})", 0, 10, 1, 1, 3},
      {"as written",
       R"({"initialDelaySeconds":5,"periodSeconds":2,"timeoutSeconds":4,"successThreshold":2,
           "failureThreshold":6})",
       5, 2, 4, 2, 6},
      {"zeros take the minimums",
       R"({"initialDelaySeconds":0,"periodSeconds":0,"timeoutSeconds":0,"successThreshold":0,
           "failureThreshold":0})",
       0, 1, 1, 1, 1},
      {"negative delay is none", R"({"initialDelaySeconds":-3})", 0, 10, 1, 1, 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = ProbeSettings::fromSpec(json::parse(c.probe));
    EXPECT_EQ(s.initialDelay.count(), c.initialDelay);
    EXPECT_EQ(s.period.count(), c.period);
    EXPECT_EQ(s.timeout.count(), c.timeout);
    EXPECT_EQ(s.successThreshold, c.success);
    EXPECT_EQ(s.failureThreshold, c.failure);
  }
}

TEST_F(ProberTest, AContainerWithoutProbesIsNotProbed) {
  EXPECT_EQ(add(R"("image":"x")"), 0u);
  EXPECT_FALSE(prober.nextDue());
  EXPECT_EQ(advance(1h), 0);
}

TEST_F(ProberTest, FirstRunAfterInitialDelayThenEveryPeriod) {
  add(R"("readinessProbe":{"initialDelaySeconds":5,"periodSeconds":3,"exec":{"command":["x"]}})");
  ASSERT_TRUE(prober.nextDue());
  EXPECT_EQ(*prober.nextDue() - start, 5s);
  EXPECT_EQ(prober.runDue(), 0);
  EXPECT_EQ(advance(4999ms), 0);
  EXPECT_EQ(advance(1ms), 1);  // 5 s
  EXPECT_EQ(*prober.nextDue() - start, 8s);
  EXPECT_EQ(advance(2s), 0);  // 7 s
  EXPECT_EQ(advance(1s), 1);  // 8 s
  EXPECT_EQ(advance(3s), 1);  // 11 s
  EXPECT_EQ(probes.times(ProbeKind::Readiness, start), (std::vector<int64_t>{5, 8, 11}));
}

TEST_F(ProberTest, DefaultPeriodIsTenSecondsFromTheStart) {
  add(R"("livenessProbe":{"tcpSocket":{"port":"http"}})");
  EXPECT_EQ(prober.runDue(), 1);  // no initial delay: at once
  for (int i = 0; i < 30; ++i) advance(1s);
  EXPECT_EQ(probes.times(ProbeKind::Liveness, start), (std::vector<int64_t>{0, 10, 20, 30}));
}

TEST_F(ProberTest, TheProbeFunctionGetsTheProbeTheContainerAndTheTimeout) {
  add(R"("readinessProbe":{"timeoutSeconds":4,"httpGet":{"path":"/ready","port":"http"}},
         "livenessProbe":{"tcpSocket":{"port":8080}})");
  EXPECT_EQ(prober.runDue(), 2);
  auto runs = probes.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].target.kind, ProbeKind::Readiness);
  EXPECT_EQ(runs[0].target.timeout, 4s);
  EXPECT_EQ(runs[0].target.podIp, "127.42.0.9");
  EXPECT_EQ(json::serialize(runs[0].target.probe.at("httpGet").at("path")), "\"/ready\"");
  EXPECT_EQ(json::serialize(runs[0].target.container.at("ports")),
            R"([{"name":"http","containerPort":8080}])");
  EXPECT_EQ(runs[1].target.kind, ProbeKind::Liveness);
  EXPECT_EQ(runs[1].target.timeout, 1s);  // the default
}

TEST_F(ProberTest, ReadinessFlipsAfterItsThresholdsAndReportsEveryFailure) {
  add(R"("readinessProbe":{"periodSeconds":1,"successThreshold":2,"failureThreshold":2,
                           "exec":{"command":["x"]}})");
  probes.script(ProbeKind::Readiness, {"", "", "refused", "refused", "refused", "", ""});
  struct Want {
    std::string failure;
    bool changed, passing;
  };
  std::vector<Want> want = {
      {"", false, false},         // one success of two: still not ready
      {"", true, true},           // ready
      {"refused", false, true},   // one failure of two: still ready
      {"refused", true, false},   // not ready
      {"refused", false, false},  // stays not ready, reported again
      {"", false, false},        {"", true, true},
  };
  prober.runDue();
  for (size_t i = 1; i < want.size(); ++i) advance(1s);
  auto got = takeResults();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].kind, ProbeKind::Readiness);
    EXPECT_EQ(got[i].failure, want[i].failure);
    EXPECT_EQ(got[i].changed, want[i].changed);
    EXPECT_EQ(got[i].passing, want[i].passing);
    EXPECT_FALSE(got[i].restart);
    EXPECT_EQ(got[i].podKey, "default/web");
    EXPECT_EQ(got[i].podUid, "uid-1");
    EXPECT_EQ(got[i].container, "main");
  }
}

TEST_F(ProberTest, LivenessAsksForARestartAtItsFailureThresholdThenStops) {
  auto handle =
      add(R"("livenessProbe":{"periodSeconds":2,"failureThreshold":3,"exec":{"command":["x"]}},
             "readinessProbe":{"periodSeconds":2,"exec":{"command":["x"]}})");
  probes.script(ProbeKind::Liveness, {"dead", "", "dead", "dead", "dead"});
  prober.runDue();
  for (int i = 0; i < 4; ++i) advance(2s);
  std::vector<ProbeResult> liveness;
  for (auto& r : takeResults())
    if (r.kind == ProbeKind::Liveness) liveness.push_back(r);
  ASSERT_EQ(liveness.size(), 5u);
  // A success in between starts the count over: the restart comes with the third failure in a
  // row, not the third failure.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_FALSE(liveness[i].restart) << i;
    EXPECT_TRUE(liveness[i].passing) << i;
    EXPECT_FALSE(liveness[i].changed) << i;
  }
  EXPECT_TRUE(liveness[4].restart);
  EXPECT_EQ(liveness[4].failure, "dead");
  EXPECT_EQ(liveness[4].handle, handle);
  // The container is no longer probed at all, readiness included.
  EXPECT_FALSE(prober.nextDue());
  auto before = probes.runs().size();
  EXPECT_EQ(advance(1h), 0);
  EXPECT_EQ(probes.runs().size(), before);
}

TEST_F(ProberTest, StartupGatesReadinessAndLivenessThenRunsNoMore) {
  add(R"("startupProbe":{"periodSeconds":1,"failureThreshold":5,"exec":{"command":["x"]}},
         "readinessProbe":{"initialDelaySeconds":1,"periodSeconds":5,"exec":{"command":["x"]}},
         "livenessProbe":{"initialDelaySeconds":30,"periodSeconds":5,"exec":{"command":["x"]}})");
  probes.script(ProbeKind::Startup, {"not yet", "not yet"});
  prober.runDue();  // 0 s: startup fails
  advance(1s);      // 1 s: fails
  EXPECT_TRUE(probes.times(ProbeKind::Readiness, start).empty());
  advance(1s);  // 2 s: passes; readiness was due at 1 s, so it runs on the next pass
  auto results = takeResults();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].kind, ProbeKind::Startup);
  EXPECT_TRUE(results[2].changed);
  EXPECT_TRUE(results[2].passing);
  EXPECT_EQ(prober.runDue(), 1);  // readiness, still at 2 s
  for (int i = 0; i < 40; ++i) advance(1s);
  EXPECT_EQ(probes.times(ProbeKind::Startup, start), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(probes.times(ProbeKind::Readiness, start),
            (std::vector<int64_t>{2, 7, 12, 17, 22, 27, 32, 37, 42}));
  // Liveness waits out its own initial delay from the container's start.
  EXPECT_EQ(probes.times(ProbeKind::Liveness, start), (std::vector<int64_t>{30, 35, 40}));
}

TEST_F(ProberTest, AStartupProbeThatNeverPassesAsksForARestart) {
  add(R"("startupProbe":{"periodSeconds":1,"failureThreshold":2,"exec":{"command":["x"]}},
         "livenessProbe":{"exec":{"command":["x"]}})");
  probes.script(ProbeKind::Startup, {"no", "no"});
  prober.runDue();
  advance(1s);
  auto results = takeResults();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].restart);
  EXPECT_TRUE(results[1].restart);
  EXPECT_EQ(results[1].kind, ProbeKind::Startup);
  EXPECT_TRUE(probes.times(ProbeKind::Liveness, start).empty());
  EXPECT_FALSE(prober.nextDue());
}

TEST_F(ProberTest, AResultForARemovedContainerIsDropped) {
  uint64_t handle = 0;
  Prober* self = nullptr;
  Prober racing(
      clock,
      [&](const ProbeTarget&) {
        // The container exits while its probe runs.
        self->remove(handle);
        return std::string("refused");
      },
      [this](const ProbeResult& r) { results.push_back(r); });
  self = &racing;
  handle = racing.add({"default/web",
                       "uid-1",
                       "main",
                       json::parse(R"({"readinessProbe":{"exec":{"command":["x"]}}})"),
                       "",
                       {}});
  EXPECT_EQ(racing.runDue(), 1);
  EXPECT_TRUE(takeResults().empty());
  EXPECT_FALSE(racing.nextDue());
}

TEST_F(ProberTest, HandlesAreDistinctAndRemoveStopsOneContainer) {
  auto a = add(R"("readinessProbe":{"periodSeconds":1,"exec":{"command":["x"]}})");
  auto b = add(R"("readinessProbe":{"periodSeconds":1,"exec":{"command":["x"]}})");
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(prober.runDue(), 2);
  prober.remove(a);
  EXPECT_EQ(advance(1s), 1);
  auto results = takeResults();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].handle, b);
}

// The scheduler thread sleeps on the clock until the earliest probe is due.
TEST_F(ProberTest, TheSchedulerRunsProbesWhenTheFakeClockReachesThem) {
  auto waitForRuns = [&](size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (probes.runs().size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    return probes.runs().size();
  };
  prober.start();
  add(R"("readinessProbe":{"initialDelaySeconds":3,"periodSeconds":4,"exec":{"command":["x"]}})");
  auto first = start;
  EXPECT_EQ(probes.runs().size(), 0u);
  clock.advance(3s);
  EXPECT_EQ(waitForRuns(1), 1u);
  clock.advance(4s);
  EXPECT_EQ(waitForRuns(2), 2u);
  // A container added later is picked up without waiting for the earlier one's next run.
  add(R"("livenessProbe":{"exec":{"command":["x"]}})");
  EXPECT_EQ(waitForRuns(3), 3u);
  prober.stop();
  EXPECT_EQ(probes.times(ProbeKind::Readiness, first), (std::vector<int64_t>{3, 7}));
}

}  // namespace
}  // namespace sluice::node
