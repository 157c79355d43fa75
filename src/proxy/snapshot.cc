#include "proxy/snapshot.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "api/object.h"

namespace sluice::proxy {

namespace json = boost::json;

namespace {

bool parseAddress(const std::string& ip, uint16_t port, sockaddr_in& out) {
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  return port != 0 && inet_pton(AF_INET, ip.c_str(), &out.sin_addr) == 1;
}

uint64_t backendKey(const sockaddr_in& a) {
  return (uint64_t{ntohl(a.sin_addr.s_addr)} << 16) | ntohs(a.sin_port);
}

std::string unavailableResponse(const std::string& ns, const std::string& name, uint16_t port) {
  std::string body = "no endpoints available for service \"" + ns + "/" + name + "\" port " +
                     std::to_string(port) + "\n";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

Balancing balancingOf(const json::value& svc) {
  Balancing balancing;
  // Only ClientIP reads the timeout: a timeout set without it must not look like a change of
  // settings (which would start the port's round-robin over).
  if (api::getString(svc, "spec.sessionAffinity") == "ClientIP") {
    balancing.policy = Balancing::Policy::ClientIp;
    balancing.affinityTimeout = std::chrono::seconds(
        api::getInt(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 10800));
  }
  return balancing;
}

// The ready addresses of `ep` for the Service port named `portName` (the only port when the
// Endpoints have one), sorted so that every table orders them the same way.
std::vector<EndpointRoute> endpointsOf(const json::value* ep, const std::string& portName,
                                       const RouteInputs& inputs) {
  std::vector<EndpointRoute> out;
  if (!ep) return out;
  auto* subsets = api::find(*ep, "subsets");
  if (!subsets || !subsets->is_array()) return out;
  for (const auto& s : subsets->as_array()) {
    uint16_t target = 0;
    if (auto* eps = api::find(s, "ports"); eps && eps->is_array())
      for (const auto& e : eps->as_array())
        if (api::getString(e, "name") == portName || eps->as_array().size() == 1)
          target = static_cast<uint16_t>(api::getInt(e, "port"));
    if (!target) continue;
    auto* addrs = api::find(s, "addresses");
    if (!addrs || !addrs->is_array()) continue;
    for (const auto& addr : addrs->as_array()) {
      EndpointRoute e;
      if (!parseAddress(api::getString(addr, "ip"), target, e.address)) continue;
      e.key = backendKey(e.address);
      e.endpoint = addressText(e.address);
      if (auto pod = inputs.pods(api::getString(addr, "targetRef.namespace") + "/" +
                                 api::getString(addr, "targetRef.name")))
        e.version = api::getString(*pod, "metadata.labels.version");
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const EndpointRoute& a, const EndpointRoute& b) { return a.key < b.key; });
  return out;
}

}  // namespace

std::string addressText(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

RouteTable buildRouteTable(const RouteInputs& inputs) {
  RouteTable table;
  std::map<std::string, ListenRoute> listen;  // by address: sorted, first claim wins
  for (const auto& svcPtr : inputs.services) {
    const json::value& svc = *svcPtr;
    if (api::getString(svc, "spec.type", "ClusterIP") == "ExternalName") continue;
    std::string ns = api::getString(svc, "metadata.namespace");
    std::string name = api::getString(svc, "metadata.name");
    std::string clusterIp = api::getString(svc, "spec.clusterIP");
    std::vector<std::string> ingress;
    if (auto* ing = api::find(svc, "status.loadBalancer.ingress"); ing && ing->is_array())
      for (const auto& i : ing->as_array())
        if (auto ip = api::getString(i, "ip"); !ip.empty()) ingress.push_back(ip);
    auto ep = inputs.endpoints(ns.empty() ? name : ns + "/" + name);
    auto* ports = api::find(svc, "spec.ports");
    if (!ports || !ports->is_array()) continue;
    for (const auto& p : ports->as_array()) {
      if (api::getString(p, "protocol", "TCP") != "TCP") continue;
      PortRoute route;
      route.port = static_cast<uint16_t>(api::getInt(p, "port"));
      route.key = ns + "/" + name + "/" + std::to_string(route.port);
      route.ns = ns;
      route.service = name;
      std::string appProtocol = api::getString(p, "appProtocol");
      route.http = appProtocol == "http" || appProtocol == "kubernetes.io/http";
      route.balancing = balancingOf(svc);
      route.unavailable = unavailableResponse(ns, name, route.port);
      route.endpoints = endpointsOf(ep.get(), api::getString(p, "name"), inputs);
      const size_t index = table.ports.size();
      if (route.http || !route.endpoints.empty()) {
        auto want = [&](const std::string& ip, uint16_t at) {
          ListenRoute l;
          if (!parseAddress(ip, at, l.at)) return;
          l.address = addressText(l.at);
          l.port = index;
          listen.emplace(l.address, std::move(l));
        };
        if (!clusterIp.empty() && clusterIp != "None") want(clusterIp, route.port);
        for (const auto& ip : ingress) want(ip, route.port);
        if (auto np = api::getInt(p, "nodePort"); np > 0)
          want("127.0.0.1", static_cast<uint16_t>(np));
      }
      table.ports.push_back(std::move(route));
    }
  }
  for (auto& [address, l] : listen) table.listeners.push_back(std::move(l));
  return table;
}

}  // namespace sluice::proxy
