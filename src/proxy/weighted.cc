#include "proxy/weighted.h"

#include <algorithm>
#include <numeric>

namespace sluice::proxy {

WeightedSchedule::WeightedSchedule(std::span<const int64_t> weights)
    : weights_(weights.begin(), weights.end()) {
  std::vector<int64_t> w;
  for (int64_t x : weights) w.push_back(std::max<int64_t>(x, 0));
  int64_t divisor = 0;
  for (int64_t x : w) divisor = std::gcd(divisor, x);
  if (divisor == 0) return;  // all zero
  int64_t total = 0;
  for (int64_t& x : w) total += (x /= divisor);
  if (static_cast<uint64_t>(total) > kMaxCycle) {
    // Scale to the largest cycle, by largest remainders, keeping every non-zero weight non-zero.
    std::vector<int64_t> scaled(w.size());
    std::vector<std::pair<double, size_t>> remainders;
    int64_t sum = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      double exact = static_cast<double>(w[i]) * kMaxCycle / static_cast<double>(total);
      scaled[i] = static_cast<int64_t>(exact);
      if (w[i] > 0 && scaled[i] == 0) scaled[i] = 1;
      sum += scaled[i];
      remainders.push_back({exact - static_cast<double>(scaled[i]), i});
    }
    std::sort(remainders.rbegin(), remainders.rend());
    for (size_t k = 0; sum < static_cast<int64_t>(kMaxCycle) && k < remainders.size(); ++k) {
      ++scaled[remainders[k].second];
      ++sum;
    }
    w = std::move(scaled);
    total = sum;
  }
  cycle_.reserve(static_cast<size_t>(total));
  std::vector<int64_t> current(w.size(), 0);
  for (int64_t step = 0; step < total; ++step) {
    size_t best = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      current[i] += w[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    cycle_.push_back(static_cast<uint8_t>(best));
  }
}

}  // namespace sluice::proxy
