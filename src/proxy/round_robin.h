// Each backend in turn: the k-th pick on a port (counting every worker's) is backend k mod n.
// Lock-free: one relaxed atomic increment, so the split is exact however the picks fall on
// workers (5 backends, 10 picks: each twice).
#pragma once

#include <atomic>
#include <cstdint>

#include "proxy/balancer.h"

namespace sluice::proxy {

class RoundRobin : public LoadBalancer {
 public:
  size_t pick(const PickContext& context) override;

 private:
  std::atomic<uint64_t> next_{0};
};

}  // namespace sluice::proxy
