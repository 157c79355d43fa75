#include "runtime/workqueue.h"

#include <algorithm>

namespace sluice::runtime {

void WorkQueue::addLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // re-queued by done()
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(key);
  std::lock_guard lock(mu_);
  if (shutdown_) return;
  delayed_.emplace(clock_.steadyNow() + delay, key);
  cv_.notify_all();
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    int n = failures_[key]++;
    // 5 ms * 2^n, capped at 60 s: the 14th failure in a row waits a minute.
    delay = std::chrono::milliseconds(std::min<long long>(60000, 5LL << std::min(n, 20)));
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

void WorkQueue::releaseDueLocked() {
  auto now = clock_.steadyNow();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    addLocked(key);
  }
}

std::optional<std::string> WorkQueue::popLocked() {
  if (queue_.empty()) return std::nullopt;
  std::string key = queue_.front();
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  while (true) {
    releaseDueLocked();
    if (shutdown_) return std::nullopt;
    if (auto key = popLocked()) return key;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      // A copy: the wait reads the deadline again after waking, when another worker may have
      // erased the entry.
      base::SteadyTime wakeAt = delayed_.begin()->first;
      clock_.waitUntil(lock, cv_, wakeAt);
    }
  }
}

std::optional<std::string> WorkQueue::tryGet() {
  std::lock_guard lock(mu_);
  releaseDueLocked();
  if (shutdown_) return std::nullopt;
  return popLocked();
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::length() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::optional<base::SteadyTime> WorkQueue::nextDelayed() {
  std::lock_guard lock(mu_);
  if (delayed_.empty()) return std::nullopt;
  return delayed_.begin()->first;
}

}  // namespace sluice::runtime
