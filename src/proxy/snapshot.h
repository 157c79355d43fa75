// The load balancer's routing table as the Kubernetes objects describe it: for every Service
// port, its mode (L4 or L7), its balancing settings and its ready endpoints, and for every
// address the proxy should listen on, the port it leads to.
//
// Pure: built from plain JSON objects (Services, Endpoints, Pods as the informers hold them),
// with no sockets, clocks, counters or policy state, so it is table-tested on its own. The
// proxy's control thread (proxy.cc) turns a RouteTable into the workers' Config: it binds the
// listening sockets, keeps each port's balancer and attaches the metric series.
//
// The rules (kube-proxy's, for one node):
// - ExternalName Services have no ports to balance; ports other than TCP are left out.
// - A port is L7 when its appProtocol is "http" or "kubernetes.io/http".
// - A port's endpoints are the ready addresses of the Service's Endpoints, on the target port
//   named like the Service port (or the only port a subset lists), sorted by address so every
//   table orders them the same way; each carries its Pod's `version` label, when it has one.
// - It is reached on the ClusterIP (unless headless), every LoadBalancer ingress IP, and
//   127.0.0.1:nodePort. An L4 port is listened on only while it has endpoints, so clients get
//   "connection refused" at once; an L7 port always, to answer 503 saying why. When two ports
//   claim one address, the first in the Services' order keeps it.
//
// And the Gateway API's (bindings from api/gateway_binding.h, the same the status controllers
// report):
// - A Service port with an accepted HTTPRoute attached (GAMMA) is L7, and its requests go by the
//   routes; with a TCPRoute (and no HTTPRoute), its connections go by the TCPRoute's first rule.
// - A Gateway with an address gets a port per usable listener, listened on at address:port.
// - A backendRef resolves to the Service port it names; one that does not resolve keeps its
//   share of the weight and answers 500 with the binding's message, as the spec asks.
#pragma once

#include <netinet/in.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/gateway_binding.h"
#include "proxy/balancer.h"
#include "proxy/http_route.h"

namespace sluice::proxy {

struct EndpointRoute {
  sockaddr_in address{};
  uint64_t key = 0;      // Backend::key
  std::string endpoint;  // "ip:port", as metrics name it
  std::string version;   // the Pod's `version` label, or ""
};

// A backendRef (or a RequestMirror's backend) of a route rule.
struct BackendRoute {
  std::string name;  // "namespace/service:port"
  int64_t weight = 1;
  // The backend Service port: an index into RouteTable::ports, or npos when the reference does
  // not resolve, in which case `answer` is the complete 500 response saying why.
  size_t port = static_cast<size_t>(-1);
  std::string answer;
};

struct RuleRoute {
  std::string key;  // "namespace/route/ruleIndex"
  std::vector<BackendRoute> backends;
  std::vector<BackendRoute> mirrors;  // aligned with the HttpRule's mirrors
};

// The Gateway API routes at a port.
struct PortRoutes {
  std::shared_ptr<const HttpRouteTable> table;  // HTTPRoutes; null for a TCPRoute
  std::vector<RuleRoute> rules;                 // aligned with table->rules(); one for TCP
};

struct PortRoute {
  std::string key;  // "namespace/name/port"
  std::string ns, service;
  uint16_t port = 0;
  bool http = false;
  Balancing balancing;
  std::vector<EndpointRoute> endpoints;  // sorted by key
  std::string unavailable;               // the complete 503 response for "no ready endpoints"
  uint16_t listenPort = 0;               // the Service port, or the Gateway listener's
  std::optional<PortRoutes> routes;      // Gateway API routes attached here
};

struct ListenRoute {
  std::string address;  // "ip:port"
  sockaddr_in at{};
  size_t port = 0;  // index into RouteTable::ports
};

struct RouteTable {
  std::vector<PortRoute> ports;
  std::vector<ListenRoute> listeners;  // sorted by address, one per address
  // The generation of every Gateway API object the table was built from ("HTTPRoute/ns/name").
  std::map<std::string, int64_t> generations;
  std::vector<std::string> problems;  // rules left out ("ns/name rule 1: why")
};

// Objects as the informers hold them (client::ObjectPtr).
using ObjectPtr = std::shared_ptr<const boost::json::value>;

struct RouteInputs {
  std::vector<ObjectPtr> services;
  // The Endpoints object "namespace/name", or null.
  std::function<ObjectPtr(const std::string& key)> endpoints;
  // The Pod "namespace/name", or null (read for its `version` label only).
  std::function<ObjectPtr(const std::string& key)> pods;
  // The Gateway API objects (their Services are `services`).
  api::gateway::Objects gateway;
};

RouteTable buildRouteTable(const RouteInputs& inputs);

// "ip:port".
std::string addressText(const sockaddr_in& address);

}  // namespace sluice::proxy
