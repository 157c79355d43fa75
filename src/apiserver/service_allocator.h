// Service address allocation: ClusterIPs from --service-cidr, node ports from 30000-32767 and
// LoadBalancer ingress IPs from --loadbalancer-cidr, all on loopback so `curl <EXTERNAL_IP>`
// works on this machine. Allocation happens on the API write (registry admission), as the
// Kubernetes API server allocates ClusterIPs and node ports; a conflicting or exhausted
// allocation is an Invalid error on that write, never silent.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
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
  };
  static api::Result<std::unique_ptr<ServiceAllocator>> create(Options options);

  // Records what existing Services hold (at start-up).
  void observe(const boost::json::value& service);
  // Admission: fills clusterIP(s), nodePorts and the LoadBalancer ingress of `service`, given
  // the stored version `old` (null on create). Releases what an update gives up.
  api::Status admit(boost::json::object& service, const boost::json::object* old);
  // Frees what a deleted Service held.
  void release(const boost::json::value& service);

 private:
  ServiceAllocator() = default;

  std::mutex mu_;
  Options options_;
  api::IpPool clusterIps_, lbIps_;
  std::set<int> nodePorts_;
  int nextNodePort_ = 0;
};

}  // namespace sluice::apiserver
