// IPv4 ranges for the loopback address pools (pods, ClusterIPs, LoadBalancer IPs). Pure.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "api/error.h"

namespace sluice::api {

// "127.42.0.0/16" -> the first and last usable addresses (host order). Only loopback ranges
// (127.0.0.0/8) with prefix lengths 8-30 are accepted; errors name the value.
Result<std::pair<uint32_t, uint32_t>> parseLoopbackCidr(const std::string& cidr);
std::string ipToString(uint32_t ip);

// Addresses handed out from one range: round-robin from where the last one was taken, skipping
// .0 and .255 and those in use. Not thread-safe; callers lock.
class IpPool {
 public:
  IpPool() = default;
  IpPool(uint32_t first, uint32_t last) : first_(first), last_(last), next_(first) {}

  bool contains(uint32_t ip) const { return ip >= first_ && ip <= last_; }
  bool inUse(uint32_t ip) const { return used_.count(ip) > 0; }
  // The next free address, or 0 when the range is exhausted.
  uint32_t allocate();
  // Takes a given address: false when it is outside the range or taken.
  bool claim(uint32_t ip);
  // Records an address as taken regardless of the range (state found at start-up).
  void markUsed(uint32_t ip) { used_.insert(ip); }
  void release(uint32_t ip) { used_.erase(ip); }

 private:
  uint32_t first_ = 0, last_ = 0, next_ = 0;
  std::set<uint32_t> used_;
};

}  // namespace sluice::api
