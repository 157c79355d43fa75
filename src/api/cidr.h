// IPv4 ranges for the loopback address pools (pods, ClusterIPs, LoadBalancer IPs). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "api/error.h"

namespace sluice::api {

// "127.42.0.0/16" -> the first and last usable addresses (host order). Only loopback ranges
// (127.0.0.0/8) with prefix lengths 8-30 are accepted; errors name the value.
Result<std::pair<uint32_t, uint32_t>> parseLoopbackCidr(const std::string& cidr);
std::string ipToString(uint32_t ip);

}  // namespace sluice::api
