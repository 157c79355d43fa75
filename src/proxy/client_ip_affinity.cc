#include "proxy/client_ip_affinity.h"

#include <algorithm>

namespace sluice::proxy {

ClientIpAffinity::ClientIpAffinity(const base::Clock& clock, std::chrono::seconds timeout)
    : clock_(clock), timeout_(timeout) {}

size_t ClientIpAffinity::pick(const PickContext& context) {
  const auto& backends = context.backends;
  const size_t next = roundRobin_.pick(context);
  const base::SteadyTime now = clock_.steadyNow();
  // Addresses of one subnet differ in their last byte (network order: the top byte of the
  // integer), so mixing it in spreads neighbours over the stripes.
  uint32_t ip = context.clientIp;
  Stripe& stripe = stripes_[(ip ^ (ip >> 8) ^ (ip >> 16) ^ (ip >> 24)) % stripes_.size()];
  std::lock_guard lock(stripe.mu);
  auto& clients = stripe.clients;
  if (auto it = clients.find(ip); it != clients.end() && now - it->second.lastUsed < timeout_) {
    for (size_t i = 0; i < backends.size(); ++i)
      if (backends[i].key == it->second.backend) {
        it->second.lastUsed = now;
        return i;
      }
  }
  if (clients.size() > stripe.sweepAbove) {
    for (auto c = clients.begin(); c != clients.end();)
      c = now - c->second.lastUsed >= timeout_ ? clients.erase(c) : std::next(c);
    stripe.sweepAbove = std::max(kStripeSweepAbove, 2 * clients.size());
  }
  clients[ip] = {backends[next].key, now};
  return next;
}

size_t ClientIpAffinity::tableSize() const {
  size_t n = 0;
  for (const Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    n += s.clients.size();
  }
  return n;
}

}  // namespace sluice::proxy
