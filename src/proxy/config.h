// What the proxy's control side hands to its workers: an immutable snapshot of every Service
// port (its backends, mode and counters) and the listening sockets that lead to it. Workers
// swap their snapshot whole when a new one is published; nothing in it changes afterwards except
// the state of each port's balancing policy, which all workers share on purpose (balancer.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/backend.h"
#include "proxy/balancer.h"
#include "proxy/http_route.h"
#include "proxy/metrics.h"
#include "proxy/weighted.h"

namespace sluice::proxy {

// A backendRef of a route rule as served: the backend Service port's ready endpoints and its
// balancing policy (shared with traffic sent to that Service directly), or nothing when the
// reference does not resolve (its share is answered 500).
struct RouteBackend {
  std::string name;  // "namespace/service:port", as metrics and describe name it
  int64_t weight = 1;
  bool resolved = false;
  std::vector<Backend> backends;  // sorted by key
  std::shared_ptr<LoadBalancer> balancer;
  std::string unavailable;         // the complete 503 response for "no ready endpoints"
  std::string token;               // session persistence: the opaque value that pins a client here
  std::string sessionLine;         // the response header line that hands out `token`
  std::shared_ptr<Series> series;  // this rule's requests to this backend
};

// A rule of an HTTPRoute (or TCPRoute) at this port, as served.
struct RuleConfig {
  const HttpRule* rule = nullptr;  // into RoutesConfig::table; null for a TCPRoute
  std::vector<RouteBackend> backends;
  std::shared_ptr<WeightedSchedule> schedule;  // kept across snapshots while weights stay
  std::vector<RouteBackend> mirrors;           // aligned with rule->mirrors
  // Requests the rule has seen, for the mirrors' exact fractions (shared by every worker).
  std::shared_ptr<std::atomic<uint64_t>> requests = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<Series> series;  // answers of the rule itself (500, redirects)
};

// The Gateway API routes at one port: a Service port with routes attached (GAMMA) or a
// Gateway listener.
struct RoutesConfig {
  std::shared_ptr<const HttpRouteTable> table;  // HTTPRoutes; null for a TCPRoute
  std::vector<RuleConfig> rules;                // aligned with table->rules(); one for a TCPRoute
  std::string notFound;                         // the complete 404 response: no rule matches
  std::string unresolved;                       // the complete 500 response: no usable backend
};

struct PortConfig {
  std::string key;  // "namespace/name/port"
  std::string ns, service;
  uint16_t port = 0;
  bool http = false;                       // appProtocol: http → L7
  std::vector<Backend> backends;           // sorted by key
  std::shared_ptr<LoadBalancer> balancer;  // kept across snapshots; see balancer.h
  std::shared_ptr<Series> series;          // the port's own: requests answered by the proxy itself
  std::string unavailable;                 // the complete 503 response for "no ready endpoints"
  uint16_t listenPort = 0;                 // the port clients connect to (redirects)
  // Gateway API routes here (HTTPRoutes on an L7 port, a TCPRoute on an L4 one); null: the
  // port balances over its own endpoints, as a Service does.
  std::shared_ptr<const RoutesConfig> routes;
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
  uint64_t sequence = 0;  // the snapshot's number, increasing
  // The generation of every Gateway API object ("HTTPRoute/namespace/name") the snapshot was
  // built from.
  std::map<std::string, int64_t> generations;
};

}  // namespace sluice::proxy
