// What the proxy's control side hands to its workers: an immutable snapshot of every Service
// port (its backends, mode and counters) and the listening sockets that lead to it. Workers
// swap their snapshot whole when a new one is published; nothing in it changes afterwards except
// the state of each port's balancing policy, which all workers share on purpose (balancer.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/backend.h"
#include "proxy/balancer.h"
#include "proxy/metrics.h"

namespace sluice::proxy {

struct PortConfig {
  std::string key;  // "namespace/name/port"
  std::string ns, service;
  uint16_t port = 0;
  bool http = false;                       // appProtocol: http → L7
  std::vector<Backend> backends;           // sorted by key
  std::shared_ptr<LoadBalancer> balancer;  // kept across snapshots; see balancer.h
  std::shared_ptr<Series> series;          // the port's own: requests answered by the proxy itself
  std::string unavailable;                 // the complete 503 response for "no ready endpoints"
};

// A non-blocking listening socket; closed when the last worker and the control side let go of it.
struct ListenSocket {
  explicit ListenSocket(int fd_, std::string address_) : fd(fd_), address(std::move(address_)) {}
  ~ListenSocket();
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  int fd;
  std::string address;  // "ip:port", for messages
};

struct Config {
  std::vector<std::shared_ptr<const PortConfig>> ports;
  struct Listener {
    std::shared_ptr<ListenSocket> socket;
    size_t port;  // index into ports
  };
  std::vector<Listener> listeners;
};

}  // namespace sluice::proxy
