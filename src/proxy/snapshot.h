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
#pragma once

#include <netinet/in.h>

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/balancer.h"

namespace sluice::proxy {

struct EndpointRoute {
  sockaddr_in address{};
  uint64_t key = 0;      // Backend::key
  std::string endpoint;  // "ip:port", as metrics name it
  std::string version;   // the Pod's `version` label, or ""
};

struct PortRoute {
  std::string key;  // "namespace/name/port"
  std::string ns, service;
  uint16_t port = 0;
  bool http = false;
  Balancing balancing;
  std::vector<EndpointRoute> endpoints;  // sorted by key
  std::string unavailable;               // the complete 503 response for "no ready endpoints"
};

struct ListenRoute {
  std::string address;  // "ip:port"
  sockaddr_in at{};
  size_t port = 0;  // index into RouteTable::ports
};

struct RouteTable {
  std::vector<PortRoute> ports;
  std::vector<ListenRoute> listeners;  // sorted by address, one per address
};

// Objects as the informers hold them (client::ObjectPtr).
using ObjectPtr = std::shared_ptr<const boost::json::value>;

struct RouteInputs {
  std::vector<ObjectPtr> services;
  // The Endpoints object "namespace/name", or null.
  std::function<ObjectPtr(const std::string& key)> endpoints;
  // The Pod "namespace/name", or null (read for its `version` label only).
  std::function<ObjectPtr(const std::string& key)> pods;
};

RouteTable buildRouteTable(const RouteInputs& inputs);

// "ip:port".
std::string addressText(const sockaddr_in& address);

}  // namespace sluice::proxy
