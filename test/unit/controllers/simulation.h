// Controllers driven on the test's thread against a FakeCluster on a FakeClock: no threads and
// no real waits, so minutes of simulated time take milliseconds. Each round pumps the informers
// (which queues keys), syncs every ready key (pumping after each sync, so the next sees what the
// last one wrote), then lets a fake kubelet act; when nothing is due, the clock jumps to the
// earliest delayed key of any controller (a paced step, a pod turning available, a back-off).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "fake_cluster.h"

namespace sluice::controllers::fakes {

class Simulation {
 public:
  using Filter = std::function<bool(const json::value& pod)>;

  // The cluster must have been made with `clock`; both outlive the simulation.
  Simulation(FakeCluster& cluster, base::FakeClock& clock) : cluster_(cluster), clock_(clock) {}

  // A controller with processNext() and nextDelayed(), never started (no workers). It outlives
  // the simulation.
  template <class Controller>
  void add(Controller& controller) {
    add([&controller] { return controller.processNext(); },
        [&controller] { return controller.nextDelayed(); });
  }
  // The same as two functions, for a test that wraps each sync.
  void add(std::function<bool()> processNext,
           std::function<std::optional<base::SteadyTime>()> nextDelayed) {
    controllers_.push_back({std::move(processNext), std::move(nextDelayed)});
  }

  // The kubelet: pods that `accepts` (all, by default) become Running and Ready at the current
  // time as soon as they exist; pods whose graceful deletion started are removed at once unless
  // held. A filter that accepts nothing leaves pod status to the test.
  void setKubeletFilter(Filter accepts) { accepts_ = std::move(accepts); }
  void holdTerminatingPods(bool hold) { holdTerminating_ = hold; }
  // Runs after every round, for tests that check an invariant at each step.
  void onRound(std::function<void()> observe) { observe_ = std::move(observe); }

  // Rounds until nothing more happens without time passing.
  void settle() {
    for (int rounds = 0; round(); ++rounds) {
      if (rounds > kMaxRounds) {
        ADD_FAILURE() << "no quiet point after " << kMaxRounds << " rounds: a hot loop?";
        return;
      }
    }
  }

  // Settles, then advances the clock to the next delayed key and settles again, until `done`
  // holds (true), or `limit` of simulated time passes or nothing remains to wait for (false).
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const base::SteadyTime end = clock_.steadyNow() + limit;
    while (true) {
      settle();
      if (done()) return true;
      auto next = nextDelayed();
      if (!next || *next > end) return false;
      if (*next <= clock_.steadyNow()) {
        ADD_FAILURE() << "a delayed key is due but no controller takes it";
        return false;
      }
      jumpTo(*next);
    }
  }

  // Lets `d` of simulated time pass, running whatever falls due on the way, in order.
  void advance(std::chrono::milliseconds d) {
    const base::SteadyTime end = clock_.steadyNow() + d;
    while (true) {
      settle();
      auto next = nextDelayed();
      if (!next || *next > end) break;
      if (*next <= clock_.steadyNow()) {
        ADD_FAILURE() << "a delayed key is due but no controller takes it";
        return;
      }
      jumpTo(*next);
    }
    jumpTo(end);
    settle();
  }

 private:
  static constexpr int kMaxRounds = 10000;

  struct Controller {
    std::function<bool()> processNext;
    std::function<std::optional<base::SteadyTime>()> nextDelayed;
  };

  void pump() { EXPECT_TRUE(cluster_.informers().pump()); }

  // One round; whether anything happened in it.
  bool round() {
    bool acted = false;
    pump();
    for (bool synced = true; synced;) {
      synced = false;
      for (auto& c : controllers_) {
        if (!c.processNext()) continue;
        synced = acted = true;
        pump();
      }
    }
    if (kubeletStep()) {
      acted = true;
      pump();
    }
    if (observe_) observe_();
    return acted;
  }

  bool kubeletStep() {
    bool acted = false;
    for (const auto& pod : cluster_.list(podType())) {
      if (api::find(pod, "metadata.deletionTimestamp")) {
        if (holdTerminating_) continue;
        api::DeleteOptions now;
        now.gracePeriodSeconds = 0;
        auto removed =
            cluster_.registry().remove(podType(), api::namespaceOf(pod), api::nameOf(pod), now);
        EXPECT_TRUE(removed.ok()) << removed.error().message;
        acted = true;
      } else if (isPodActive(pod) && !isPodReady(pod) && (!accepts_ || accepts_(pod))) {
        auto ready = markPodReady(cluster_.registry(), pod, clock_.now());
        EXPECT_TRUE(ready.ok()) << ready.error().message;
        acted = true;
      }
    }
    return acted;
  }

  std::optional<base::SteadyTime> nextDelayed() {
    std::optional<base::SteadyTime> earliest;
    for (auto& c : controllers_)
      if (auto at = c.nextDelayed(); at && (!earliest || *at < *earliest)) earliest = at;
    return earliest;
  }

  void jumpTo(base::SteadyTime at) {
    if (at > clock_.steadyNow()) clock_.advance(at - clock_.steadyNow());
  }

  FakeCluster& cluster_;
  base::FakeClock& clock_;
  std::vector<Controller> controllers_;
  Filter accepts_;
  bool holdTerminating_ = false;
  std::function<void()> observe_;
};

}  // namespace sluice::controllers::fakes
