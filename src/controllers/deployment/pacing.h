// Spaces the rollout steps of each Deployment at least `interval` apart (the server's
// --rollout-step-interval; see the README). Local pods start in milliseconds, so without it a
// rollout would race past a `rollout pause` issued right after `set image`; with the default 1s,
// `set image ... && rollout pause` stops after the first step, as on a real cluster.
//
// A step is what Kubernetes' rolloutRolling or rolloutRecreate does in one pass. The one change
// per pass of this controller can split one into two passes: creating the new ReplicaSet, then
// scaling the old ones down as the same step allows. The creation is therefore taken with
// `continues`, which lets the next rollout evaluation through at once.
//
// Threading: safe from any thread (workers sync different keys at once).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"

namespace sluice::controllers::deployment {

class StepPacer {
 public:
  // `clock` outlives the pacer. A zero interval never waits.
  StepPacer(const base::Clock& clock, std::chrono::milliseconds interval);

  // How long `key` must still wait before its next step, or nullopt if it may step now. A wait
  // is rounded up by a millisecond, so a key requeued after it finds the interval passed.
  // Passing a step opened with `continues` closes it.
  std::optional<std::chrono::milliseconds> waitBeforeStep(const std::string& key);
  // `key` took a step now. `continues`: the same step goes on in the next pass (see above).
  void stepTaken(const std::string& key, bool continues);
  // The Deployment is gone.
  void forget(const std::string& key);

  std::chrono::milliseconds interval() const { return interval_; }

 private:
  struct Last {
    base::SteadyTime at;
    bool continues = false;
  };
  const base::Clock& clock_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::map<std::string, Last> last_;
};

}  // namespace sluice::controllers::deployment
