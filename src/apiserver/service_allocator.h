// Service address allocation: ClusterIPs from --service-cidr, node ports from 30000-32767 and
// LoadBalancer ingress IPs from --loadbalancer-cidr, all on loopback so `curl <EXTERNAL_IP>`
// works on this machine. Allocation happens on the API write (registry admission), as the
// Kubernetes API server allocates ClusterIPs and node ports; a conflicting or exhausted
// allocation is an Invalid error on that write, never silent.
//
// Gateways of sluice's classes take their status.addresses from the same LoadBalancer pool,
// under the same lock and on the same kind of write, so a Service and a Gateway can never be
// handed one address (two allocators over one range, or a controller picking a "free" address
// from what it last saw, could). Allocating on the write also puts the address in the object at
// the generation that asked for it, so the load balancer serving that generation serves it on
// that address. Unlike a Service's, a Gateway write never fails for want of an address: the
// Gateway API reports it in status (Programmed False, AddressNotAssigned).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "api/cidr.h"
#include "api/error.h"

namespace sluice::apiserver {

class ServiceAllocator {
 public:
  struct Options {
    std::string serviceCidr = "127.43.0.0/16";
    std::string loadBalancerCidr = "127.44.0.0/16";
    int nodePortMin = 30000;
    int nodePortMax = 32767;
    // Where the search for a free node port starts; 0: a random port of the range, as
    // kube-apiserver picks them, so servers side by side (tests, benchmarks) rarely want one
    // port of 127.0.0.1 at once.
    int firstNodePort = 0;
  };
  static api::Result<std::unique_ptr<ServiceAllocator>> create(Options options);

  // Records what existing Services hold (at start-up).
  void observe(const boost::json::value& service);
  // Admission: fills clusterIP(s), nodePorts and the LoadBalancer ingress of `service`, given
  // the stored version `old` (null on create). Releases what an update gives up.
  api::Status admit(boost::json::object& service, const boost::json::object* old);
  // Frees what a deleted Service held.
  void release(const boost::json::value& service);

  // Records the address an existing Gateway of sluice's holds (at start-up).
  void observeGateway(const boost::json::value& gateway);
  // Admission of a Gateway (`old` null on create); `ours` when its class names sluice's
  // controller. Sets status.addresses to [{type: IPAddress, value}]: the address spec.addresses
  // requests when it is in the range and free, else the one the Gateway holds, else the next
  // free one; none when the request cannot be met (in use, out of range, not one IPAddress),
  // the range is full, or the Gateway is not sluice's (what it held is released).
  void admitGateway(boost::json::object& gateway, const boost::json::object* old, bool ours);
  // Frees what a deleted Gateway held.
  void releaseGateway(const boost::json::value& gateway);

 private:
  ServiceAllocator() = default;

  std::mutex mu_;
  Options options_;
  api::IpPool clusterIps_, lbIps_;
  std::set<int> nodePorts_;
  std::map<std::string, uint32_t> gatewayIps_;  // by "namespace/name"
  int nextNodePort_ = 0;
};

}  // namespace sluice::apiserver
