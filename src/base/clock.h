// Time as components see it, behind one seam so tests can drive minutes of simulated time in
// milliseconds: wall time for timestamps written into objects, steady time for deadlines and
// intervals, and a wait that a fake clock can cut short.
//
// Threading: every method may be called from any thread. A Clock outlives every component it is
// given to (the server owns the real one; a test owns its FakeClock).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace sluice::base {

using WallTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // For timestamps (creationTimestamp, conditions' lastTransitionTime, event times).
  virtual WallTime now() const = 0;
  // For deadlines, back-off and intervals; never goes back.
  virtual SteadyTime steadyNow() const = 0;
  // Waits on `cv` as condition_variable::wait_until does (`lock` held on entry and on return),
  // until notified or until `deadline` has passed on this clock. Like any condition variable
  // wait it may wake early: callers re-check what they wait for. Returns false once the
  // deadline has passed.
  virtual bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         SteadyTime deadline) const = 0;
  // Sleeps until `d` has passed on this clock.
  void sleepFor(std::chrono::nanoseconds d) const;
};

// The machine's clocks. Stateless; the one instance lives for the whole program.
Clock& realClock();

// A clock that moves only when told to. Waits on it check the fake time at least every
// millisecond of real time, so a thread blocked in waitUntil sees an advance() promptly.
class FakeClock : public Clock {
 public:
  // Starts at 2024-01-01T00:00:00Z (wall) and at an arbitrary steady epoch.
  FakeClock();
  explicit FakeClock(WallTime start);

  WallTime now() const override;
  SteadyTime steadyNow() const override;
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline) const override;

  // Moves both clocks forward by `d` (d >= 0).
  void advance(std::chrono::nanoseconds d);

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  SteadyTime steady_;
};

}  // namespace sluice::base
