#include "proxy/balancer.h"

#include "proxy/client_ip_affinity.h"
#include "proxy/round_robin.h"

namespace sluice::proxy {

std::unique_ptr<LoadBalancer> newLoadBalancer(const Balancing& balancing,
                                              const base::Clock& clock) {
  switch (balancing.policy) {
    case Balancing::Policy::ClientIp:
      return std::make_unique<ClientIpAffinity>(clock, balancing.affinityTimeout);
    case Balancing::Policy::RoundRobin:
      break;
  }
  return std::make_unique<RoundRobin>();
}

}  // namespace sluice::proxy
