// How Gateway API objects bind together: which parents each route attaches to, with what
// outcome, and which Service each backendRef resolves to. One pure function, read by both sides
// that must agree on it: the route and Gateway status controllers (what they report) and the
// load balancer's snapshot builder (what it serves). Given the same objects they see the same
// bindings, so a route reported Accepted is the route that is served, and a backendRef reported
// unresolved is the share that answers 500.
//
// The rules, from the Gateway API v1.6 specification:
// - A parentRef (group default gateway.networking.k8s.io, kind default Gateway, namespace default
//   the route's) is sluice's to report on when it names a Gateway whose class's controllerName is
//   api::kSluiceGatewayController, or a Service (group "", kind Service: the GAMMA pattern).
//   Parents of other implementations, and Gateways that do not exist, get no entry (the spec
//   leaves them to their own controllers).
// - A Gateway parent: the listeners it selects (sectionName names one; port narrows to those
//   on that port) must exist (else NoMatchingParent), allow the route's kind and namespace
//   (allowedRoutes; else NotAllowedByListeners), and for HTTPRoute share a hostname with the
//   route (else NoMatchingListenerHostname).
// - A Service parent: the Service must exist in the route's namespace (a Service in another
//   namespace would make a consumer route, which sluice does not support: UnsupportedValue); a
//   port, or a sectionName naming a port, narrows it to that port.
// - A backendRef (group "", kind Service by default; namespace default the route's; weight
//   default 1): InvalidKind for any other kind, RefNotPermitted for another namespace without a
//   ReferenceGrant there allowing it, BackendNotFound for a missing Service or port.
// - A missing parent Service, or one without the port: NoMatchingParent.
// - Listeners: HTTP and TCP are served; other protocols are Accepted False UnsupportedProtocol.
//   On one port, listeners of different protocols conflict (ProtocolConflict, all of them), and
//   listeners sharing a hostname (any two TCP listeners) HostnameConflict. A route selecting only
//   listeners that are not usable, or a Gateway that is not accepted, is NoMatchingParent; yet
//   attachedRoutes counts it, since the spec bases that count on parentRefs and allowedRoutes
//   alone (not hostnames, not listener or route status).
// - A Gateway: Accepted False UnsupportedAddress unless spec.addresses is empty or one
//   IPAddress; ListenersNotValid when a listener is not usable (True while one still is);
//   Programmed False AddressNotAssigned until status.addresses holds its address.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::api::gateway {

namespace json = boost::json;
using ObjectPtr = std::shared_ptr<const json::value>;

// The objects as the informers hold them (every namespace).
struct Objects {
  std::vector<ObjectPtr> gatewayClasses, gateways, httpRoutes, tcpRoutes, referenceGrants, services;
  // Namespaces, for allowedRoutes.namespaces.from: Selector (their labels). A namespace missing
  // here has only the label kubernetes.io/metadata.name=<name>, which every namespace carries.
  std::vector<ObjectPtr> namespaces;
};

// A condition's outcome as a controller writes it (metav1.Condition without the times).
struct Outcome {
  bool ok = true;      // status "True"
  std::string reason;  // e.g. "Accepted", "NoMatchingParent"
  std::string message;
};

enum class RouteKind { HTTP, TCP };

struct BackendBinding {
  std::string ns, name;  // the Service
  int32_t port = 0;      // the Service port (number)
  int64_t weight = 1;
  // "" when resolved; otherwise the ResolvedRefs reason: InvalidKind, RefNotPermitted,
  // BackendNotFound.
  std::string problem;
  std::string message;
  bool resolved() const { return problem.empty(); }
};

struct RuleBinding {
  std::vector<BackendBinding> backends;  // one per spec.rules[i].backendRefs, in order
  // HTTPRoute: one per RequestMirror filter in spec.rules[i].filters, in order (weight unused).
  // Their problems count in ResolvedRefs as the backends' do.
  std::vector<BackendBinding> mirrors;
};

// Where an accepted route's rules apply.
struct Attachment {
  enum class Kind { ServicePort, Listener };
  Kind kind = Kind::ServicePort;
  std::string ns, name;  // the parent Service, or the Gateway
  int32_t port = 0;      // the Service port, or the listener's port
  std::string listener;  // Listener: the listener's name
  // Listener, HTTPRoute: the hostnames the route serves there (the intersection of the route's
  // and the listener's; empty = any host).
  std::vector<std::string> hostnames;
};

struct ParentBinding {
  size_t index = 0;        // in spec.parentRefs
  json::object parentRef;  // as status.parents[].parentRef writes it (defaults filled in)
  Outcome accepted;
  std::vector<Attachment> attachments;  // empty unless accepted.ok
};

struct RouteBinding {
  RouteKind kind = RouteKind::HTTP;
  ObjectPtr route;
  std::string ns, name;
  int64_t generation = 0;
  std::vector<ParentBinding> parents;  // only the parents sluice reports on
  Outcome resolvedRefs;                // ResolvedRefs: False with the first problem's reason
  std::vector<RuleBinding> rules;      // one per spec.rules, in order
};

struct ListenerBinding {
  std::string name;
  int32_t port = 0;
  std::string protocol;  // HTTP, TCP (others are not accepted)
  std::string hostname;  // "" = any
  Outcome accepted, programmed, resolvedRefs, conflicted;
  int32_t attachedRoutes = 0;
  json::array supportedKinds;  // [{group, kind}]
  bool usable() const { return accepted.ok && !conflicted.ok; }
};

struct GatewayBinding {
  ObjectPtr gateway;
  std::string ns, name;
  int64_t generation = 0;
  // The address the Gateway listens on: status.addresses[0] as the Gateway controller assigned
  // it; "" until then.
  std::string address;
  Outcome accepted, programmed;
  std::vector<ListenerBinding> listeners;
};

struct Bindings {
  std::vector<GatewayBinding> gateways;  // sluice's Gateways only
  std::vector<RouteBinding> routes;      // every HTTPRoute and TCPRoute with a parent of sluice's
};

Bindings bind(const Objects& objects);

// Why sluice's data plane cannot serve `route` as written (the field path and the reason: a
// regular expression RE2 cannot compile, a filter type or field sluice does not implement), or
// nullopt. Such a route is not Accepted (UnsupportedValue, with this message) on any parent;
// the data plane keeps serving the route's last generation it could serve.
std::optional<std::string> unservable(const json::value& route);

// The hostnames a route serves on a listener: nullopt when they do not intersect, an empty list
// for any host. An empty listener hostname takes the route's hostnames as they are; a route
// without hostnames takes the listener's. Otherwise each route hostname is kept when it equals
// the listener's or is inside the listener's wildcard ("*.example.com" takes "a.example.com" and
// "*.a.example.com", not "example.com"), and a route wildcard yields the listener's more
// precise hostname ("*.example.com" on listener "a.example.com" gives "a.example.com").
std::optional<std::vector<std::string>> intersectHostnames(
    const std::string& listenerHostname, const std::vector<std::string>& routeHostnames);

}  // namespace sluice::api::gateway
