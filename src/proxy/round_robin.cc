#include "proxy/round_robin.h"

namespace sluice::proxy {

size_t RoundRobin::pick(const PickContext& context) {
  return next_.fetch_add(1, std::memory_order_relaxed) % context.backends.size();
}

}  // namespace sluice::proxy
