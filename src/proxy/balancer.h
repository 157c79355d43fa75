// How a Service port chooses the endpoint for each new connection (L4) or request (L7): a small
// interface and one class per policy, as Envoy structures its load balancers.
//
//   RoundRobin        (round_robin.h)        each backend in turn
//   ClientIpAffinity  (client_ip_affinity.h) sessionAffinity: ClientIP; round-robin otherwise
//
// A policy holds its own state (a cursor, a table) and is handed the port's current backends at
// each pick, so endpoint changes need no new policy: the cursor goes on where it was and a
// client keeps its endpoint while that endpoint stays.
//
// Lifetime and threading: one LoadBalancer per Service port, created by the proxy's control
// thread and kept across snapshots while the port's balancing settings stay the same. It is
// shared by every worker, not one per worker, on purpose: 4 v1 + 1 v2 endpoints split exactly
// 8:2 over 10 connections whichever workers accept them, and a client's connections, which land
// on any worker, find the same affinity entry. So pick() is called from every worker thread at
// once. RoundRobin is lock-free (one relaxed atomic increment). ClientIpAffinity keeps its
// client table under 16 striped mutexes held for one hash lookup, so two workers wait for each
// other only when their clients fall in the same stripe at the same moment.
//
// What comes next drops in as new classes: a weighted policy (exact weights per group of
// backends, as Gateway API backendRefs[].weight needs) adds the group to Backend and spreads a
// shared cursor over a schedule the control thread precomputes (lock-free, exact over each
// cycle); session persistence (a cookie or header naming the endpoint) adds the request head to
// PickContext and needs no shared state at all. Policies that draw at random take a
// base::Random, as these take a base::Clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/clock.h"
#include "proxy/backend.h"

namespace sluice::proxy {

struct PickContext {
  std::span<const Backend> backends;  // the port's endpoints, sorted by key; never empty
  uint32_t clientIp = 0;              // IPv4, network byte order
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;
  // The index in `context.backends` of the endpoint to try first; on a refusal the data path
  // tries the ones after it in order. Never blocks for long, never throws.
  virtual size_t pick(const PickContext& context) = 0;
};

// A port's balancing settings, from its Service (spec.sessionAffinity, sessionAffinityConfig).
struct Balancing {
  enum class Policy { RoundRobin, ClientIp };
  Policy policy = Policy::RoundRobin;
  std::chrono::seconds affinityTimeout{10800};  // ClientIp only; Kubernetes' default, 3 hours
  bool operator==(const Balancing&) const = default;
};

// The policy for `balancing`. `clock` (steady time) outlives it.
std::unique_ptr<LoadBalancer> newLoadBalancer(const Balancing& balancing, const base::Clock& clock);

}  // namespace sluice::proxy
