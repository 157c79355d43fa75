#include "base/clock.h"

#include <cassert>
#include <thread>

namespace sluice::base {

namespace {

class RealClock : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline) const override {
    return cv.wait_until(lock, deadline) == std::cv_status::no_timeout ||
           std::chrono::steady_clock::now() < deadline;
  }
};

}  // namespace

void Clock::sleepFor(std::chrono::nanoseconds d) const {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  auto deadline = steadyNow() + std::chrono::duration_cast<SteadyTime::duration>(d);
  while (waitUntil(lock, cv, deadline)) {
  }
}

Clock& realClock() {
  static RealClock clock;
  return clock;
}

// 2024-01-01T00:00:00Z: a fixed, recognisable start keeps test output reproducible.
FakeClock::FakeClock() : FakeClock(WallTime(std::chrono::seconds(1704067200))) {}

FakeClock::FakeClock(WallTime start) : wall_(start), steady_(std::chrono::hours(1)) {}

WallTime FakeClock::now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

SteadyTime FakeClock::steadyNow() const {
  std::lock_guard lock(mu_);
  return steady_;
}

bool FakeClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          SteadyTime deadline) const {
  if (steadyNow() >= deadline) return false;
  // Notifications wake the waiter at once; an advance() is seen within a millisecond.
  cv.wait_for(lock, std::chrono::milliseconds(1));
  return steadyNow() < deadline;
}

void FakeClock::advance(std::chrono::nanoseconds d) {
  assert(d.count() >= 0);
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  steady_ += std::chrono::duration_cast<SteadyTime::duration>(d);
}

}  // namespace sluice::base
