#include "api/cidr.h"

#include <arpa/inet.h>

#include <cstdlib>

namespace sluice::api {

Result<std::pair<uint32_t, uint32_t>> parseLoopbackCidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return Error::badRequest(cidr + ": want ADDRESS/BITS");
  in_addr addr{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1)
    return Error::badRequest(cidr + ": invalid IPv4 address");
  int bits = std::atoi(cidr.c_str() + slash + 1);
  if (bits < 8 || bits > 30) return Error::badRequest(cidr + ": prefix length must be 8-30");
  uint32_t base = ntohl(addr.s_addr);
  uint32_t mask = bits == 0 ? 0 : ~((1u << (32 - bits)) - 1);
  uint32_t first = (base & mask) + 1;
  uint32_t last = (base & mask) + ~mask - 1;
  if ((first >> 24) != 127)
    return Error::badRequest(cidr + ": addresses must be loopback (127.0.0.0/8)");
  return std::make_pair(first, last);
}

std::string ipToString(uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

uint32_t IpPool::allocate() {
  for (uint64_t tries = 0; tries <= static_cast<uint64_t>(last_ - first_); ++tries) {
    uint32_t ip = next_;
    next_ = next_ >= last_ ? first_ : next_ + 1;
    uint8_t low = ip & 0xff;
    if (low == 0 || low == 255 || used_.count(ip)) continue;
    used_.insert(ip);
    return ip;
  }
  return 0;
}

bool IpPool::claim(uint32_t ip) {
  if (!contains(ip) || used_.count(ip)) return false;
  used_.insert(ip);
  return true;
}

}  // namespace sluice::api
