// sessionAffinity: ClientIP, as kube-proxy implements it: a client address keeps the backend it
// was first given while it comes back within the timeout (each pick renews it) and that backend
// stays in the port's set; otherwise it gets the next round-robin choice, which it keeps from
// then on. The round-robin cursor moves on every pick, kept ones included, as it always has.
//
// Worked example, timeout 10 s, backends A B: client 1 at t=0 gets A, client 2 gets B, client 1
// at t=9 keeps A (renewed until t=19), client 1 at t=20 has expired and gets the next choice
// (B: the cursor moved on at t=9 too).
//
// Threading: pick() from any thread. The table is split into 16 stripes by client address, each
// under its own mutex held for one lookup; it is shared by every worker because a client's
// connections land on any of them. Time is steady time from the injected clock.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "base/clock.h"
#include "proxy/balancer.h"
#include "proxy/round_robin.h"

namespace sluice::proxy {

class ClientIpAffinity : public LoadBalancer {
 public:
  // `clock` outlives the policy.
  ClientIpAffinity(const base::Clock& clock, std::chrono::seconds timeout);

  size_t pick(const PickContext& context) override;

  std::chrono::seconds timeout() const { return timeout_; }
  // Clients in the table, live or expired but not yet forgotten. For tests.
  size_t tableSize() const;

  // A stripe forgets its expired clients once it holds more than this many, and then again once
  // it has doubled what the sweep left, so the table stays within about twice the live clients
  // and a sweep costs O(1) per new client however many clients are live.
  static constexpr size_t kStripeSweepAbove = 4096;

 private:
  struct Entry {
    uint64_t backend;  // Backend::key
    base::SteadyTime lastUsed;
  };
  struct alignas(64) Stripe {
    mutable std::mutex mu;
    std::unordered_map<uint32_t, Entry> clients;  // guarded by mu
    size_t sweepAbove = kStripeSweepAbove;        // guarded by mu
  };

  const base::Clock& clock_;
  const std::chrono::seconds timeout_;
  RoundRobin roundRobin_;
  std::array<Stripe, 16> stripes_;
};

}  // namespace sluice::proxy
