// A work queue of object keys for level-triggered controllers, like client-go's: a key is queued
// at most once; a key being processed that is added again is processed again after `done`;
// failures back off exponentially per key (5 ms doubling to 60 s) until `forget`. Delays are
// measured on the injected clock, so a test with a FakeClock releases delayed keys by advancing
// it.
//
// Threading: every method is safe from any thread; `get` blocks the calling worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "base/clock.h"

namespace sluice::runtime {

class WorkQueue {
 public:
  // `clock` must outlive the queue.
  explicit WorkQueue(const base::Clock& clock = base::realClock()) : clock_(clock) {}

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  // Blocks until a key is ready; nullopt once shut down.
  std::optional<std::string> get();
  // A ready key (delayed keys count once their time has come), or nullopt at once: for tests
  // that drive a controller without worker threads.
  std::optional<std::string> tryGet();
  void done(const std::string& key);
  void shutdown();
  // Keys ready now (not the delayed ones).
  size_t length();
  // When the earliest delayed key becomes ready, if any.
  std::optional<base::SteadyTime> nextDelayed();

 private:
  void addLocked(const std::string& key);
  void releaseDueLocked();
  std::optional<std::string> popLocked();

  const base::Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;  // queued or to be re-queued
  std::set<std::string> processing_;
  std::multimap<base::SteadyTime, std::string> delayed_;
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace sluice::runtime
