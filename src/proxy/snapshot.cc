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

std::string plainResponse(std::string_view status, const std::string& body) {
  return "HTTP/1.1 " + std::string(status) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string portKey(const std::string& ns, const std::string& name, int64_t port) {
  return ns + "/" + name + "/" + std::to_string(port);
}

// Where each accepted route attaches: Service port keys and Gateway listeners.
struct Attached {
  std::map<std::string, std::vector<HttpRouteTable::Source>> http;  // by port key
  std::map<std::string, const api::gateway::RouteBinding*> tcp;     // by port key
  std::map<std::string, const api::gateway::RouteBinding*> routes;  // "ns/name" -> binding
};

// Listeners of one Gateway on one port share it (telling routes apart by hostname), so a
// Gateway's port is the unit the data plane serves.
std::string listenerKey(const std::string& ns, const std::string& gateway, int32_t port) {
  return "gateway:" + ns + "/" + gateway + "/" + std::to_string(port);
}

Attached attachments(const api::gateway::Bindings& bindings, const RouteTable& services) {
  Attached out;
  for (const auto& r : bindings.routes) {
    if (r.kind == api::gateway::RouteKind::HTTP) out.routes[r.ns + "/" + r.name] = &r;
    for (const auto& parent : r.parents) {
      if (!parent.accepted.ok) continue;
      for (const auto& a : parent.attachments) {
        std::vector<std::string> keys;
        if (a.kind == api::gateway::Attachment::Kind::Listener) {
          keys.push_back(listenerKey(a.ns, a.name, a.port));
        } else if (a.port) {
          keys.push_back(portKey(a.ns, a.name, a.port));
        } else {
          for (const auto& p : services.ports)
            if (p.ns == a.ns && p.service == a.name) keys.push_back(p.key);
        }
        for (const auto& key : keys) {
          if (r.kind == api::gateway::RouteKind::HTTP) {
            auto hostnames = a.kind == api::gateway::Attachment::Kind::Listener
                                 ? a.hostnames
                                 : std::vector<std::string>{};  // GAMMA ignores hostnames
            // A route on two listeners of one port is one source with both's hostnames.
            auto& sources = out.http[key];
            auto same = std::find_if(sources.begin(), sources.end(),
                                     [&](const auto& src) { return src.route == r.route.get(); });
            if (same == sources.end()) {
              sources.push_back({r.route.get(), std::move(hostnames)});
            } else if (same->hostnames.empty() || hostnames.empty()) {
              same->hostnames.clear();  // any host
            } else {
              for (auto& h : hostnames)
                if (std::find(same->hostnames.begin(), same->hostnames.end(), h) ==
                    same->hostnames.end())
                  same->hostnames.push_back(std::move(h));
            }
          } else {
            auto& t = out.tcp[key];
            // Of several TCPRoutes on one port, the oldest (then by name) wins.
            auto rank = [](const api::gateway::RouteBinding* b) {
              return std::make_pair(api::getString(*b->route, "metadata.creationTimestamp"),
                                    b->ns + "/" + b->name);
            };
            if (!t || rank(&r) < rank(t)) t = &r;
          }
        }
      }
    }
  }
  return out;
}

BackendRoute backendRoute(const std::string& ns, const std::string& name, int64_t port,
                          int64_t weight, const std::string& problem, const std::string& message,
                          const std::map<std::string, size_t>& portIndex) {
  BackendRoute b;
  b.name = ns + "/" + name + ":" + std::to_string(port);
  b.weight = weight;
  auto it = problem.empty() ? portIndex.find(portKey(ns, name, port)) : portIndex.end();
  if (it != portIndex.end()) {
    b.port = it->second;
  } else {
    b.answer =
        plainResponse("500 Internal Server Error",
                      "backend " + b.name + " is not usable: " +
                          (message.empty() ? std::string("no such Service port") : message) + "\n");
  }
  return b;
}

RuleRoute ruleRoute(const std::string& ns, const std::string& name, size_t index,
                    const api::gateway::RuleBinding* binding, const HttpRule* rule,
                    const std::map<std::string, size_t>& portIndex) {
  RuleRoute out;
  out.key = ns + "/" + name + "/" + std::to_string(index);
  if (binding)
    for (const auto& b : binding->backends)
      out.backends.push_back(
          backendRoute(b.ns, b.name, b.port, b.weight, b.problem, b.message, portIndex));
  // Mirrors as the binding resolved them (ReferenceGrants included), in filter order.
  if (rule)
    for (size_t i = 0; i < rule->mirrors.size(); ++i) {
      const auto& m = rule->mirrors[i];
      if (binding && i < binding->mirrors.size()) {
        const auto& b = binding->mirrors[i];
        out.mirrors.push_back(
            backendRoute(b.ns, b.name, b.port, 1, b.problem, b.message, portIndex));
      } else {
        out.mirrors.push_back(
            backendRoute(m.ns, m.name, m.port, 1, "BackendNotFound", "not resolved", portIndex));
      }
    }
  return out;
}

void addGatewayListeners(const api::gateway::Bindings& bindings, RouteTable& table,
                         std::map<std::string, ListenRoute>& listen) {
  for (const auto& g : bindings.gateways) {
    if (g.address.empty()) continue;
    std::map<int32_t, const api::gateway::ListenerBinding*> ports;  // the first listener of each
    for (const auto& l : g.listeners)
      if (l.usable() && (l.protocol == "HTTP" || l.protocol == "TCP")) ports.emplace(l.port, &l);
    for (const auto& [port, l] : ports) {
      PortRoute route;
      route.key = listenerKey(g.ns, g.name, port);
      route.ns = g.ns;
      route.service = g.name;
      route.port = static_cast<uint16_t>(port);
      route.listenPort = route.port;
      route.http = l->protocol == "HTTP";
      route.unavailable = plainResponse("404 Not Found", "no route for this request\n");
      ListenRoute at;
      if (!parseAddress(g.address, route.port, at.at)) continue;
      at.address = addressText(at.at);
      at.port = table.ports.size();
      listen.emplace(at.address, std::move(at));
      table.ports.push_back(std::move(route));
    }
  }
}

// Attaches the routes to their ports (Service ports and Gateway listeners).
void attachRoutes(const Attached& attached, RouteTable& table) {
  std::map<std::string, size_t> portIndex;
  for (size_t i = 0; i < table.ports.size(); ++i) portIndex[table.ports[i].key] = i;
  for (auto& port : table.ports) {
    if (auto it = attached.http.find(port.key); it != attached.http.end() && port.http) {
      PortRoutes routes;
      routes.table = HttpRouteTable::compile(it->second, &table.problems);
      for (const HttpRule& rule : routes.table->rules()) {
        auto b = attached.routes.find(rule.routeNs + "/" + rule.routeName);
        const api::gateway::RuleBinding* binding = nullptr;
        if (b != attached.routes.end() && rule.ruleIndex < b->second->rules.size())
          binding = &b->second->rules[rule.ruleIndex];
        routes.rules.push_back(
            ruleRoute(rule.routeNs, rule.routeName, rule.ruleIndex, binding, &rule, portIndex));
      }
      port.routes = std::move(routes);
    } else if (auto t = attached.tcp.find(port.key); t != attached.tcp.end() && !port.http) {
      const auto* r = t->second;
      PortRoutes routes;
      routes.rules.push_back(ruleRoute(r->ns, r->name, 0, r->rules.empty() ? nullptr : &r->rules[0],
                                       nullptr, portIndex));
      port.routes = std::move(routes);
    }
  }
}

void recordGenerations(const api::gateway::Objects& objects, RouteTable& table) {
  auto record = [&](const char* kind, const std::vector<ObjectPtr>& list) {
    for (const auto& o : list)
      table.generations[std::string(kind) + "/" + api::namespaceOf(*o) + "/" + api::nameOf(*o)] =
          api::getInt(*o, "metadata.generation");
  };
  record("Gateway", objects.gateways);
  record("HTTPRoute", objects.httpRoutes);
  record("TCPRoute", objects.tcpRoutes);
}

}  // namespace

std::string addressText(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

RouteTable buildRouteTable(const RouteInputs& inputs) {
  RouteTable table;
  api::gateway::Bindings bindings = api::gateway::bind(inputs.gateway);
  std::map<std::string, ListenRoute> listen;  // by address: sorted, first claim wins
  struct Addresses {
    std::string clusterIp;
    std::vector<std::string> ingress;
    int64_t nodePort = 0;
  };
  std::vector<Addresses> addresses;
  for (const auto& svcPtr : inputs.services) {
    const json::value& svc = *svcPtr;
    if (api::getString(svc, "spec.type", "ClusterIP") == "ExternalName") continue;
    std::string ns = api::getString(svc, "metadata.namespace");
    std::string name = api::getString(svc, "metadata.name");
    Addresses at;
    at.clusterIp = api::getString(svc, "spec.clusterIP");
    if (auto* ing = api::find(svc, "status.loadBalancer.ingress"); ing && ing->is_array())
      for (const auto& i : ing->as_array())
        if (auto ip = api::getString(i, "ip"); !ip.empty()) at.ingress.push_back(ip);
    auto ep = inputs.endpoints(ns.empty() ? name : ns + "/" + name);
    auto* ports = api::find(svc, "spec.ports");
    if (!ports || !ports->is_array()) continue;
    for (const auto& p : ports->as_array()) {
      if (api::getString(p, "protocol", "TCP") != "TCP") continue;
      PortRoute route;
      route.port = static_cast<uint16_t>(api::getInt(p, "port"));
      route.listenPort = route.port;
      route.key = portKey(ns, name, route.port);
      route.ns = ns;
      route.service = name;
      std::string appProtocol = api::getString(p, "appProtocol");
      route.http = appProtocol == "http" || appProtocol == "kubernetes.io/http";
      route.balancing = balancingOf(svc);
      route.unavailable = unavailableResponse(ns, name, route.port);
      route.endpoints = endpointsOf(ep.get(), api::getString(p, "name"), inputs);
      table.ports.push_back(std::move(route));
      at.nodePort = api::getInt(p, "nodePort");
      addresses.push_back(at);
    }
  }
  Attached attached = attachments(bindings, table);
  // An HTTPRoute makes its Service port L7 (a mesh's sidecar would speak HTTP there too).
  for (auto& port : table.ports)
    if (attached.http.count(port.key)) port.http = true;
  for (size_t index = 0; index < table.ports.size(); ++index) {
    const PortRoute& route = table.ports[index];
    bool tcpRouted = attached.tcp.count(route.key) > 0;
    if (!route.http && route.endpoints.empty() && !tcpRouted) continue;
    auto want = [&](const std::string& ip, uint16_t at) {
      ListenRoute l;
      if (!parseAddress(ip, at, l.at)) return;
      l.address = addressText(l.at);
      l.port = index;
      listen.emplace(l.address, std::move(l));
    };
    const Addresses& at = addresses[index];
    if (!at.clusterIp.empty() && at.clusterIp != "None") want(at.clusterIp, route.port);
    for (const auto& ip : at.ingress) want(ip, route.port);
    if (at.nodePort > 0) want("127.0.0.1", static_cast<uint16_t>(at.nodePort));
  }
  addGatewayListeners(bindings, table, listen);
  attachRoutes(attached, table);
  recordGenerations(inputs.gateway, table);
  for (auto& [address, l] : listen) table.listeners.push_back(std::move(l));
  return table;
}

}  // namespace sluice::proxy
