// bind(): Gateways and their listeners first (acceptance, conflicts, supported kinds), then each
// route's parents against them, then each route's backends. Pure: the same objects always give
// the same bindings, so the status controllers and the load balancer agree.
#include "api/gateway_binding.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "api/gateway_resources.h"
#include "api/gateway_validation.h"
#include "api/object.h"
#include "api/selector.h"

namespace sluice::api::gateway {

namespace {

using Key = std::pair<std::string, std::string>;  // namespace, name

const std::string kGroup(kGatewayGroup);

Outcome yes(std::string reason, std::string message) {
  return {true, std::move(reason), std::move(message)};
}
Outcome no(std::string reason, std::string message) {
  return {false, std::move(reason), std::move(message)};
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

const json::array& arrayAt(const json::value& v, std::string_view path) {
  static const json::array kEmpty;
  const json::value* found = find(v, path);
  return found && found->is_array() ? found->as_array() : kEmpty;
}

// ---- hostnames ----

bool isWildcard(const std::string& h) {
  return h.size() > 2 && h[0] == '*' && h[1] == '.';
}

// "*.example.com" covers "a.example.com", "a.b.example.com" and "*.a.example.com": one or more
// labels in front of the suffix; never "example.com" itself.
bool insideWildcard(const std::string& wildcard, const std::string& host) {
  std::string_view suffix = std::string_view(wildcard).substr(1);  // ".example.com"
  return host.size() > suffix.size() && std::string_view(host).ends_with(suffix);
}

// ---- listeners ----

// The route kinds a protocol takes (the CRD's defaults for allowedRoutes.kinds); sluice serves
// only HTTP and TCP, but the others still name what would attach (attachedRoutes counts them).
std::vector<std::string> kindsFor(const std::string& protocol) {
  if (protocol == "HTTP" || protocol == "HTTPS") return {"HTTPRoute"};
  if (protocol == "TCP") return {"TCPRoute"};
  if (protocol == "TLS") return {"TLSRoute"};
  if (protocol == "UDP") return {"UDPRoute"};
  return {};
}

bool servedProtocol(const std::string& protocol) {
  return protocol == "HTTP" || protocol == "TCP";
}

// How a listener admits routes, beside its binding.
struct ListenerRules {
  std::string from = "Same";  // Same, All, Selector
  LabelSelector selector = LabelSelector::nothing();
  std::set<std::string> kinds;  // supported route kinds (group gateway.networking.k8s.io)
};

struct GatewayState {
  GatewayBinding binding;
  std::vector<ListenerRules> rules;  // parallel to binding.listeners
};

void bindListener(const json::value& spec, ListenerBinding& out, ListenerRules& rules) {
  out.name = getString(spec, "name");
  out.port = static_cast<int32_t>(getInt(spec, "port"));
  out.protocol = getString(spec, "protocol");
  out.hostname = getString(spec, "hostname");

  std::vector<std::string> possible = kindsFor(out.protocol);
  std::vector<std::string> invalid;
  const json::value* kinds = find(spec, "allowedRoutes.kinds");
  if (kinds && kinds->is_array() && !kinds->as_array().empty()) {
    for (const auto& k : kinds->as_array()) {
      std::string group = getString(k, "group", kGroup);
      std::string kind = getString(k, "kind");
      bool ok =
          group == kGroup && std::find(possible.begin(), possible.end(), kind) != possible.end();
      if (ok)
        rules.kinds.insert(kind);
      else
        invalid.push_back((group.empty() ? "" : group + "/") + kind);
    }
  } else {
    rules.kinds.insert(possible.begin(), possible.end());
  }
  for (const auto& k : rules.kinds)
    out.supportedKinds.push_back(json::object{{"group", kGroup}, {"kind", k}});
  out.resolvedRefs =
      invalid.empty() ? yes("ResolvedRefs", "All references resolved")
                      : no("InvalidRouteKinds",
                           "listener " + quoted(out.name) + ": route kind(s) " + joined(invalid) +
                               " cannot attach to a " + out.protocol + " listener");

  rules.from = getString(spec, "allowedRoutes.namespaces.from", "Same");
  out.accepted = yes("Accepted", "Listener is valid");
  if (rules.from == "Selector") {
    const json::value* selector = find(spec, "allowedRoutes.namespaces.selector");
    auto parsed = selector ? LabelSelector::fromJson(*selector)
                           : Result<LabelSelector>(LabelSelector::nothing());
    if (parsed)
      rules.selector = *parsed;
    else
      out.accepted = no("UnsupportedValue",
                        "listener " + quoted(out.name) +
                            ": allowedRoutes.namespaces.selector: " + parsed.error().message);
  }
  if (!servedProtocol(out.protocol))
    out.accepted =
        no("UnsupportedProtocol", "listener " + quoted(out.name) + ": protocol " + out.protocol +
                                      " is not supported (sluice serves HTTP and TCP)");
  out.conflicted = no("NoConflicts", "No conflicts");
}

// Listeners on one port must share a protocol (else ProtocolConflict, for every listener on
// that port), and among them no two may share a hostname (else HostnameConflict for both; TCP
// listeners have no hostname, so two on one port conflict).
void markConflicts(std::vector<ListenerBinding>& listeners) {
  std::map<int32_t, std::set<std::string>> protocols;
  for (const auto& l : listeners) protocols[l.port].insert(l.protocol);
  for (auto& l : listeners) {
    if (protocols[l.port].size() > 1) {
      l.conflicted = yes("ProtocolConflict",
                         "port " + std::to_string(l.port) + " has listeners of protocols " +
                             joined({protocols[l.port].begin(), protocols[l.port].end()}));
      continue;
    }
    std::string host = l.protocol == "TCP" || l.protocol == "UDP" ? "" : l.hostname;
    for (const auto& other : listeners) {
      if (&other == &l || other.port != l.port) continue;
      std::string otherHost =
          other.protocol == "TCP" || other.protocol == "UDP" ? "" : other.hostname;
      if (otherHost == host) {
        l.conflicted =
            yes("HostnameConflict", "listeners " + quoted(l.name) + " and " + quoted(other.name) +
                                        " share port " + std::to_string(l.port) + " and hostname " +
                                        quoted(host.empty() ? "*" : host));
        break;
      }
    }
  }
}

std::string assignedAddress(const json::value& gateway) {
  for (const auto& a : arrayAt(gateway, "status.addresses"))
    if (getString(a, "type", "IPAddress") == "IPAddress") return getString(a, "value");
  return "";
}

GatewayState bindGateway(const ObjectPtr& gateway) {
  GatewayState state;
  GatewayBinding& b = state.binding;
  b.gateway = gateway;
  b.ns = namespaceOf(*gateway);
  b.name = nameOf(*gateway);
  b.generation = getInt(*gateway, "metadata.generation");
  b.address = assignedAddress(*gateway);
  for (const auto& spec : arrayAt(*gateway, "spec.listeners")) {
    b.listeners.emplace_back();
    state.rules.emplace_back();
    bindListener(spec, b.listeners.back(), state.rules.back());
  }
  markConflicts(b.listeners);

  std::vector<std::string> unusable;
  for (auto& l : b.listeners) {
    if (l.usable()) {
      l.programmed = yes("Programmed", "Listener is programmed");
    } else {
      const Outcome& why = l.accepted.ok ? l.conflicted : l.accepted;
      l.programmed = no("Invalid", why.message);
      unusable.push_back(l.name);
    }
  }

  const json::array& requested = arrayAt(*gateway, "spec.addresses");
  std::string addressProblem;
  for (size_t i = 0; i < requested.size(); ++i)
    if (auto type = getString(requested[i], "type", "IPAddress"); type != "IPAddress")
      addressProblem = "spec.addresses[" + std::to_string(i) + "].type: " + type +
                       " is not supported (only IPAddress)";
  if (addressProblem.empty() && requested.size() > 1)
    addressProblem = "spec.addresses: sluice gives a Gateway one address; " +
                     std::to_string(requested.size()) + " were requested";

  if (!addressProblem.empty())
    b.accepted = no("UnsupportedAddress", addressProblem);
  else if (!unusable.empty())
    b.accepted = {unusable.size() < b.listeners.size(), "ListenersNotValid",
                  "listener(s) not valid: " + joined(unusable)};
  else
    b.accepted = yes("Accepted", "Gateway is accepted");

  if (!b.accepted.ok)
    b.programmed = no("Invalid", b.accepted.message);
  else if (b.address.empty())
    b.programmed = no("AddressNotAssigned", "no address assigned yet");
  else
    b.programmed = yes("Programmed", "Gateway is programmed on " + b.address);
  return state;
}

// ---- the index of what routes refer to ----

struct Index {
  std::map<Key, GatewayState*> gateways;
  std::map<Key, const json::value*> services;
  std::map<std::string, Labels> namespaceLabels;
  std::map<std::string, std::vector<const json::value*>> grants;  // by namespace

  Labels labelsOf(const std::string& ns) const {
    auto it = namespaceLabels.find(ns);
    Labels labels = it == namespaceLabels.end() ? Labels{} : it->second;
    labels["kubernetes.io/metadata.name"] = ns;
    return labels;
  }

  // A ReferenceGrant in `toNs` lets routes of `fromKind` in `fromNs` refer to Service `name`.
  bool granted(const std::string& fromKind, const std::string& fromNs, const std::string& toNs,
               const std::string& name) const {
    auto it = grants.find(toNs);
    if (it == grants.end()) return false;
    for (const json::value* grant : it->second) {
      bool fromOk = false, toOk = false;
      for (const auto& f : arrayAt(*grant, "spec.from"))
        fromOk = fromOk || (getString(f, "group") == kGroup && getString(f, "kind") == fromKind &&
                            getString(f, "namespace") == fromNs);
      for (const auto& t : arrayAt(*grant, "spec.to")) {
        std::string toName = getString(t, "name");
        toOk = toOk || (getString(t, "group") == "" && getString(t, "kind") == "Service" &&
                        (toName.empty() || toName == name));
      }
      if (fromOk && toOk) return true;
    }
    return false;
  }
};

// ---- parents ----

const char* kindName(RouteKind kind) {
  return kind == RouteKind::HTTP ? "HTTPRoute" : "TCPRoute";
}

using Listener = std::pair<const GatewayState*, size_t>;

struct Route {
  RouteKind kind;
  std::string ns, name;
  std::vector<std::string> hostnames;
};

bool namespaceAllowed(const ListenerRules& rules, const std::string& gatewayNs,
                      const std::string& routeNs, const Index& index) {
  if (rules.from == "All") return true;
  if (rules.from == "Selector") return rules.selector.matches(index.labelsOf(routeNs));
  return routeNs == gatewayNs;
}

// A Gateway parent: the listeners the parentRef selects (sectionName, port), then those that
// allow the route (kind and namespace: what attachedRoutes counts), then those whose hostnames
// intersect the route's, then those that serve (accepted and not conflicted).
void bindToGateway(const Route& route, GatewayState& gw, const json::value& ref, const Index& index,
                   ParentBinding& out, std::set<Listener>& counted) {
  GatewayBinding& b = gw.binding;
  const std::string section = getString(ref, "sectionName");
  const int64_t port = getInt(ref, "port");
  const std::string where = "Gateway " + b.ns + "/" + b.name;
  auto names = [&b](const std::vector<size_t>& which) {
    std::vector<std::string> out;
    for (size_t i : which) out.push_back(b.listeners[i].name);
    return joined(out);
  };

  std::vector<size_t> selected;
  for (size_t i = 0; i < b.listeners.size(); ++i)
    if ((section.empty() || b.listeners[i].name == section) &&
        (port == 0 || b.listeners[i].port == port))
      selected.push_back(i);
  if (selected.empty()) {
    std::string what = section.empty() ? "" : "named " + quoted(section);
    if (port != 0) what += (what.empty() ? "on port " : " on port ") + std::to_string(port);
    out.accepted = no("NoMatchingParent", where + " has no listener " + what);
    return;
  }

  std::vector<size_t> allowed;
  for (size_t i : selected) {
    const ListenerRules& rules = gw.rules[i];
    if (!rules.kinds.count(kindName(route.kind)) || !namespaceAllowed(rules, b.ns, route.ns, index))
      continue;
    allowed.push_back(i);
    if (counted.insert({&gw, i}).second) ++b.listeners[i].attachedRoutes;
  }
  if (allowed.empty()) {
    out.accepted =
        no("NotAllowedByListeners", where + ": listener(s) " + names(selected) + " do not allow " +
                                        kindName(route.kind) + "s from namespace " +
                                        quoted(route.ns) + " (allowedRoutes)");
    return;
  }

  std::vector<std::pair<size_t, std::vector<std::string>>> matched;
  for (size_t i : allowed) {
    if (route.kind == RouteKind::TCP) {
      matched.push_back({i, {}});
    } else if (auto hosts = intersectHostnames(b.listeners[i].hostname, route.hostnames)) {
      matched.push_back({i, std::move(*hosts)});
    }
  }
  if (matched.empty()) {
    std::vector<std::string> listenerHosts;
    for (size_t i : allowed)
      listenerHosts.push_back(b.listeners[i].name + " (" + b.listeners[i].hostname + ")");
    out.accepted = no("NoMatchingListenerHostname",
                      where + ": no hostname of the route (" + joined(route.hostnames) +
                          ") matches listener(s) " + joined(listenerHosts));
    return;
  }

  if (!b.accepted.ok) {
    out.accepted = no("NoMatchingParent", where + " is not accepted: " + b.accepted.message);
    return;
  }
  std::vector<size_t> used;
  for (auto& [i, hosts] : matched) {
    const ListenerBinding& l = b.listeners[i];
    if (!l.usable()) continue;
    used.push_back(i);
    out.attachments.push_back(
        {Attachment::Kind::Listener, b.ns, b.name, l.port, l.name, std::move(hosts)});
  }
  if (used.empty()) {
    out.accepted = no("NoMatchingParent",
                      where + ": listener " + quoted(b.listeners[matched[0].first].name) +
                          " is not usable: " + b.listeners[matched[0].first].programmed.message);
    return;
  }
  out.accepted = yes("Accepted", "Accepted by " + where + " listener(s) " + names(used));
}

// A Service parent (GAMMA): the Service in the route's namespace, narrowed to one port by
// port or by sectionName (a port's name).
void bindToService(const Route& route, const Key& service, const json::value& ref,
                   const Index& index, ParentBinding& out) {
  const std::string where = "Service " + service.first + "/" + service.second;
  if (service.first != route.ns) {
    out.accepted = no("UnsupportedValue",
                      where + " is in another namespace than the route: routes for a Service " +
                          "of another namespace (consumer routes) are not supported");
    return;
  }
  auto it = index.services.find(service);
  if (it == index.services.end()) {
    out.accepted = no("NoMatchingParent", where + " not found");
    return;
  }
  const std::string section = getString(ref, "sectionName");
  const int64_t port = getInt(ref, "port");
  std::vector<std::string> ports;
  for (const auto& p : arrayAt(*it->second, "spec.ports")) {
    if ((!section.empty() && getString(p, "name") != section) ||
        (port != 0 && getInt(p, "port") != port))
      continue;
    auto number = static_cast<int32_t>(getInt(p, "port"));
    ports.push_back(std::to_string(number));
    out.attachments.push_back(
        {Attachment::Kind::ServicePort, service.first, service.second, number, "", {}});
  }
  if (out.attachments.empty()) {
    std::string what = section.empty() ? "" : "named " + quoted(section);
    if (port != 0) what += (what.empty() ? "" : " ") + std::to_string(port);
    out.accepted = no("NoMatchingParent", where + " has no port " + what);
    return;
  }
  out.accepted = yes("Accepted", "Accepted for " + where + " port(s) " + joined(ports));
}

json::object parentRefStatus(const std::string& group, const std::string& kind,
                             const std::string& ns, const json::value& ref) {
  json::object out{
      {"group", group}, {"kind", kind}, {"namespace", ns}, {"name", getString(ref, "name")}};
  if (auto section = getString(ref, "sectionName"); !section.empty()) out["sectionName"] = section;
  if (auto port = getInt(ref, "port"); port != 0) out["port"] = port;
  return out;
}

// ---- backends ----

BackendBinding bindBackend(const Route& route, const json::value& ref, const std::string& field,
                           const Index& index) {
  BackendBinding b;
  b.ns = getString(ref, "namespace", route.ns);
  b.name = getString(ref, "name");
  b.port = static_cast<int32_t>(getInt(ref, "port"));
  b.weight = getInt(ref, "weight", 1);
  const std::string group = getString(ref, "group");
  const std::string kind = getString(ref, "kind", "Service");
  const std::string service = "Service " + b.ns + "/" + b.name;
  auto fail = [&b, &field](std::string problem, std::string message) {
    b.problem = std::move(problem);
    b.message = field + ": " + message;
  };
  if (!group.empty() || kind != "Service") {
    fail("InvalidKind", (group.empty() ? kind : kind + "." + group) +
                            " is not a supported backend kind (only Service)");
  } else if (b.ns != route.ns && !index.granted(kindName(route.kind), route.ns, b.ns, b.name)) {
    fail("RefNotPermitted", service + " is in another namespace and no ReferenceGrant in " +
                                quoted(b.ns) + " allows " + kindName(route.kind) + "s from " +
                                quoted(route.ns) + " to refer to it");
  } else if (auto it = index.services.find({b.ns, b.name}); it == index.services.end()) {
    fail("BackendNotFound", service + " not found");
  } else if (b.port == 0) {
    fail("BackendNotFound", "a port is required for " + service);
  } else {
    bool found = false;
    for (const auto& p : arrayAt(*it->second, "spec.ports"))
      found = found || getInt(p, "port") == b.port;
    if (!found) fail("BackendNotFound", service + " has no port " + std::to_string(b.port));
  }
  return b;
}

std::vector<std::string> stringsAt(const json::value& v, std::string_view path) {
  std::vector<std::string> out;
  for (const auto& s : arrayAt(v, path))
    if (s.is_string()) out.emplace_back(s.as_string());
  return out;
}

}  // namespace

std::optional<std::string> unservable(const json::value& route) {
  const json::array& rules = arrayAt(route, "spec.rules");
  for (size_t r = 0; r < rules.size(); ++r) {
    const std::string at = "spec.rules[" + std::to_string(r) + "]";
    const json::array& matches = arrayAt(rules[r], "matches");
    for (size_t m = 0; m < matches.size(); ++m) {
      const std::string matchAt = at + ".matches[" + std::to_string(m) + "]";
      auto regex = [&](const json::value& v,
                       const std::string& path) -> std::optional<std::string> {
        if (getString(v, "type") != "RegularExpression") return std::nullopt;
        if (auto error = gatewayRegexError(getString(v, "value")))
          return path + ".value: " + *error;
        return std::nullopt;
      };
      if (const json::value* path = find(matches[m], "path"))
        if (auto why = regex(*path, matchAt + ".path")) return why;
      for (const char* list : {"headers", "queryParams"}) {
        const json::array& conditions = arrayAt(matches[m], list);
        for (size_t c = 0; c < conditions.size(); ++c)
          if (auto why = regex(conditions[c], matchAt + "." + list + "[" + std::to_string(c) + "]"))
            return why;
      }
    }
    const json::array& filters = arrayAt(rules[r], "filters");
    for (size_t f = 0; f < filters.size(); ++f) {
      std::string type = getString(filters[f], "type");
      if (type == "ExtensionRef" || type == "CORS" || type == "ExternalAuth")
        return at + ".filters[" + std::to_string(f) + "].type: " + type +
               " is not supported by sluice";
    }
    const json::array& backends = arrayAt(rules[r], "backendRefs");
    for (size_t b = 0; b < backends.size(); ++b)
      if (!arrayAt(backends[b], "filters").empty())
        return at + ".backendRefs[" + std::to_string(b) +
               "].filters: filters on a backendRef are not supported by sluice";
    if (find(rules[r], "sessionPersistence.idleTimeout"))
      return at + ".sessionPersistence.idleTimeout: not supported by sluice";
  }
  return std::nullopt;
}

namespace {

std::optional<RouteBinding> bindRoute(RouteKind kind, const ObjectPtr& object, const Index& index) {
  Route route{
      kind, namespaceOf(*object), nameOf(*object),
      kind == RouteKind::HTTP ? stringsAt(*object, "spec.hostnames") : std::vector<std::string>{}};
  RouteBinding out;
  out.kind = kind;
  out.route = object;
  out.ns = route.ns;
  out.name = route.name;
  out.generation = getInt(*object, "metadata.generation");

  std::set<Listener> counted;  // a listener counts a route once, however many refs select it
  const json::array& refs = arrayAt(*object, "spec.parentRefs");
  for (size_t i = 0; i < refs.size(); ++i) {
    const json::value& ref = refs[i];
    const std::string group = getString(ref, "group", kGroup);
    const std::string parentKind = getString(ref, "kind", "Gateway");
    const Key parent{getString(ref, "namespace", route.ns), getString(ref, "name")};
    ParentBinding p;
    p.index = i;
    if (group == kGroup && parentKind == "Gateway") {
      auto it = index.gateways.find(parent);
      if (it == index.gateways.end()) continue;  // another implementation's, or missing
      bindToGateway(route, *it->second, ref, index, p, counted);
    } else if (group.empty() && parentKind == "Service") {
      bindToService(route, parent, ref, index, p);
    } else {
      continue;
    }
    p.parentRef = parentRefStatus(group, parentKind, parent.first, ref);
    out.parents.push_back(std::move(p));
  }
  if (out.parents.empty()) return std::nullopt;
  // What the data plane cannot serve makes the route not accepted anywhere, saying what.
  if (auto why = unservable(*object))
    for (auto& p : out.parents)
      if (p.accepted.ok) {
        p.accepted = no("UnsupportedValue", *why);
        p.attachments.clear();
      }

  std::vector<const BackendBinding*> problems;
  const json::array& rules = arrayAt(*object, "spec.rules");
  out.rules.resize(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    const std::string at = "spec.rules[" + std::to_string(r) + "]";
    const json::array& refs = arrayAt(rules[r], "backendRefs");
    for (size_t j = 0; j < refs.size(); ++j)
      out.rules[r].backends.push_back(
          bindBackend(route, refs[j], at + ".backendRefs[" + std::to_string(j) + "]", index));
    const json::array& filters = arrayAt(rules[r], "filters");
    for (size_t f = 0; f < filters.size(); ++f) {
      const json::value* mirror = find(filters[f], "requestMirror.backendRef");
      if (getString(filters[f], "type") != "RequestMirror" || !mirror) continue;
      out.rules[r].mirrors.push_back(
          bindBackend(route, *mirror,
                      at + ".filters[" + std::to_string(f) + "].requestMirror.backendRef", index));
    }
  }
  std::vector<std::string> messages;
  for (const auto& rule : out.rules) {
    for (const auto* list : {&rule.backends, &rule.mirrors})
      for (const auto& b : *list)
        if (!b.resolved()) {
          if (messages.empty()) out.resolvedRefs.reason = b.problem;
          messages.push_back(b.message);
        }
  }
  if (messages.empty()) {
    out.resolvedRefs = yes("ResolvedRefs", "All references resolved");
  } else {
    out.resolvedRefs.ok = false;
    std::string message;
    for (const auto& m : messages) message += (message.empty() ? "" : "; ") + m;
    out.resolvedRefs.message = message;
  }
  return out;
}

}  // namespace

Bindings bind(const Objects& objects) {
  Index index;
  std::set<std::string> ourClasses;
  for (const auto& c : objects.gatewayClasses)
    if (getString(*c, "spec.controllerName") == kSluiceGatewayController)
      ourClasses.insert(nameOf(*c));
  std::vector<GatewayState> gateways;
  for (const auto& g : objects.gateways)
    if (ourClasses.count(getString(*g, "spec.gatewayClassName")))
      gateways.push_back(bindGateway(g));
  // Taken after the vector is complete: the pointers stay valid while routes count on them.
  for (auto& g : gateways) index.gateways[{g.binding.ns, g.binding.name}] = &g;
  for (const auto& s : objects.services) index.services[{namespaceOf(*s), nameOf(*s)}] = s.get();
  for (const auto& n : objects.namespaces)
    index.namespaceLabels[nameOf(*n)] = labelsFrom(find(*n, "metadata.labels"));
  for (const auto& g : objects.referenceGrants) index.grants[namespaceOf(*g)].push_back(g.get());

  Bindings out;
  for (const auto& r : objects.httpRoutes)
    if (auto b = bindRoute(RouteKind::HTTP, r, index)) out.routes.push_back(std::move(*b));
  for (const auto& r : objects.tcpRoutes)
    if (auto b = bindRoute(RouteKind::TCP, r, index)) out.routes.push_back(std::move(*b));
  for (auto& g : gateways) out.gateways.push_back(std::move(g.binding));
  return out;
}

std::optional<std::vector<std::string>> intersectHostnames(
    const std::string& listenerHostname, const std::vector<std::string>& routeHostnames) {
  if (listenerHostname.empty()) return routeHostnames;
  if (routeHostnames.empty()) return std::vector<std::string>{listenerHostname};
  std::vector<std::string> out;
  auto add = [&out](const std::string& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  };
  for (const auto& h : routeHostnames) {
    if (h == listenerHostname)
      add(h);
    else if (isWildcard(listenerHostname) && insideWildcard(listenerHostname, h))
      add(h);
    else if (isWildcard(h) && insideWildcard(h, listenerHostname))
      add(listenerHostname);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace sluice::api::gateway
