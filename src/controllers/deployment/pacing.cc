#include "controllers/deployment/pacing.h"

namespace sluice::controllers::deployment {

StepPacer::StepPacer(const base::Clock& clock, std::chrono::milliseconds interval)
    : clock_(clock), interval_(interval) {}

std::optional<std::chrono::milliseconds> StepPacer::waitBeforeStep(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = last_.find(key);
  if (it == last_.end()) return std::nullopt;
  if (it->second.continues) {
    it->second.continues = false;
    return std::nullopt;
  }
  auto now = clock_.steadyNow();
  auto due = it->second.at + interval_;
  if (now >= due) return std::nullopt;
  // Worked: interval 1s, last step at 10s, now 10.5004s → 499.6 ms, truncated to 499, + 1 = 500.
  return std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
         std::chrono::milliseconds(1);
}

void StepPacer::stepTaken(const std::string& key, bool continues) {
  std::lock_guard lock(mu_);
  last_[key] = Last{clock_.steadyNow(), continues};
}

void StepPacer::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  last_.erase(key);
}

}  // namespace sluice::controllers::deployment
