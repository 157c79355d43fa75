// Resource limits for containers: cgroups (v2, or v1's memory and cpu controllers) when the
// machine lets this process create them, otherwise an address-space rlimit for memory and no CPU
// limit. Which one is in force is reported on every pod that has limits, never silent.
#pragma once

#include <string>

#include "node/process.h"

namespace sluice::node {

class ResourceLimiter {
 public:
  enum class Mode { CgroupV2, CgroupV1, Rlimit };
  // Probes the machine: creates (and removes) a test cgroup under this process's own cgroup.
  static ResourceLimiter detect(const std::string& name);

  Mode mode() const { return mode_; }
  // E.g. "memory and CPU limits enforced with cgroup v1" or the reason cgroups are unavailable.
  std::string describe() const;
  // Sets up limits for container `id` and fills the spec's cgroup/rlimit fields.
  api::Status prepare(const std::string& id, long long memoryBytes, long long cpuMillis,
                      SpawnSpec& spec);
  // Whether the container's cgroup saw an OOM kill.
  bool oomKilled(const std::string& id) const;
  void release(const std::string& id);
  // Removes this limiter's parent cgroups (at shutdown).
  void cleanup();

 private:
  Mode mode_ = Mode::Rlimit;
  std::string why_;
  std::string memoryBase_, cpuBase_, unifiedBase_;
};

}  // namespace sluice::node
