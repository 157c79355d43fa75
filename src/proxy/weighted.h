// Exact weighted choice among a rule's backends, shared by every proxy worker.
//
// The control thread precomputes one cycle of smooth weighted round-robin (the interleaving
// nginx's upstream module uses: each step every backend gains its weight, the richest is picked
// and pays the total), and the workers walk it with one shared atomic cursor. So weights 80/20
// give exactly 8 and 2 of every 10 requests, in the order A A B A A A A B A A rather than in
// bursts, whichever workers take the requests. Weights are reduced by their greatest common
// divisor; a cycle longer than kMaxCycle (weights like 999,999/1) is scaled down to it, which
// moves no share by more than 1/kMaxCycle per backend. A backend of weight 0 is never picked.
//
// Lock-free: next() is one relaxed fetch_add. A schedule is kept across snapshots while the
// weights stay the same, so the cycle goes on where it was when endpoints change.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace sluice::proxy {

class WeightedSchedule {
 public:
  static constexpr size_t kMaxCycle = 1 << 16;

  explicit WeightedSchedule(std::span<const int64_t> weights);
  // The index of the backend for the next request, or -1 when every weight is 0.
  int next() {
    if (cycle_.empty()) return -1;
    uint64_t n = cursor_.fetch_add(1, std::memory_order_relaxed);
    return cycle_[n % cycle_.size()];
  }
  const std::vector<int64_t>& weights() const { return weights_; }
  // One cycle, as next() walks it.
  const std::vector<uint8_t>& cycle() const { return cycle_; }

 private:
  std::vector<int64_t> weights_;
  std::vector<uint8_t> cycle_;  // backend indices (a rule has at most 16 backendRefs)
  std::atomic<uint64_t> cursor_{0};
};

}  // namespace sluice::proxy
