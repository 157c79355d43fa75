// api::gateway::bind() by named cases: objects in YAML (as a user writes them, without the API
// server's defaults, which bind() must not need), and each binding summed up in one line, so a
// case reads as the spec's rule it checks.
#include "api/gateway_binding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/object.h"
#include "api/yaml.h"

namespace sluice::api::gateway {
namespace {

// The classes, a Gateway of sluice's ("gw", listeners http:80 and tcp:9000), one of another
// implementation's ("theirs"), namespaces with labels, and Services to route to.
const std::string kBase = R"(
kind: GatewayClass
metadata: {name: sluice}
spec: {controllerName: sluice.dev/gateway-controller}
---
kind: GatewayClass
metadata: {name: other}
spec: {controllerName: example.com/gateway}
---
kind: Gateway
metadata: {name: gw, namespace: default, generation: 2}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: tcp, port: 9000, protocol: TCP}
status:
  addresses: [{type: IPAddress, value: 127.44.0.7}]
---
kind: Gateway
metadata: {name: theirs, namespace: default}
spec:
  gatewayClassName: other
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
kind: Service
metadata: {name: nginx, namespace: default}
spec:
  ports: [{name: web, port: 80}, {name: admin, port: 8080}]
---
kind: Service
metadata: {name: nginx-v1, namespace: default}
spec: {ports: [{port: 80}]}
---
kind: Service
metadata: {name: shared, namespace: team-a}
spec: {ports: [{port: 80}]}
)";

Objects objectsOf(const std::string& yaml) {
  Objects out;
  auto docs = parseManifests(yaml, "test");
  EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.error().message);
  if (!docs) return out;
  for (auto& d : *docs) {
    auto p = std::make_shared<const json::value>(std::move(d));
    std::string kind = kindOf(*p);
    if (kind == "GatewayClass") out.gatewayClasses.push_back(p);
    if (kind == "Gateway") out.gateways.push_back(p);
    if (kind == "HTTPRoute") out.httpRoutes.push_back(p);
    if (kind == "TCPRoute") out.tcpRoutes.push_back(p);
    if (kind == "ReferenceGrant") out.referenceGrants.push_back(p);
    if (kind == "Service") out.services.push_back(p);
    if (kind == "Namespace") out.namespaces.push_back(p);
  }
  return out;
}

std::string outcome(const Outcome& o) {
  return std::string(o.ok ? "True" : "False") + " " + o.reason;
}

// "Gateway/gw[http]: True Accepted -> gw:80/http{a.example.com}" per parent, " | " between.
std::string parentsOf(const RouteBinding& r) {
  std::string out;
  for (const auto& p : r.parents) {
    if (!out.empty()) out += " | ";
    out += getString(json::value(p.parentRef), "kind") + "/" +
           getString(json::value(p.parentRef), "name");
    if (auto s = getString(json::value(p.parentRef), "sectionName"); !s.empty())
      out += "[" + s + "]";
    out += ": " + outcome(p.accepted);
    for (const auto& a : p.attachments) {
      out += " -> " + a.name + ":" + std::to_string(a.port);
      if (!a.listener.empty()) out += "/" + a.listener;
      if (!a.hostnames.empty()) {
        out += "{";
        for (size_t i = 0; i < a.hostnames.size(); ++i) out += (i ? "," : "") + a.hostnames[i];
        out += "}";
      }
    }
  }
  return out;
}

const RouteBinding* findRoute(const Bindings& b, const std::string& name) {
  for (const auto& r : b.routes)
    if (r.name == name) return &r;
  return nullptr;
}

const GatewayBinding* findGateway(const Bindings& b, const std::string& name) {
  for (const auto& g : b.gateways)
    if (g.name == name) return &g;
  return nullptr;
}

std::string route(const std::string& spec, const std::string& name = "r",
                  const std::string& ns = "default", const std::string& kind = "HTTPRoute") {
  return "---\nkind: " + kind + "\nmetadata: {name: " + name + ", namespace: " + ns +
         ", generation: 3}\nspec:\n" + spec + "\n";
}

std::string listenersOf(const GatewayBinding& g);

// ---- parents: kinds and defaults, sectionName and port, allowedRoutes ----

TEST(GatewayBinding, Parents) {
  struct Case {
    const char* name;
    std::string objects;  // after kBase
    const char* parents;  // of route "r"; "none" when sluice reports on no parent of it
  } cases[] = {
      {"GatewayByDefaultGroupAndKind", route("  parentRefs: [{name: gw}]"),
       "Gateway/gw: True Accepted -> gw:80/http"},
      {"ExplicitGroupKindNamespace",
       route("  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, "
             "namespace: default, name: gw}]"),
       "Gateway/gw: True Accepted -> gw:80/http"},
      {"OtherImplementationsGatewayGetsNoEntry", route("  parentRefs: [{name: theirs}]"), "none"},
      {"MissingGatewayGetsNoEntry", route("  parentRefs: [{name: nope}]"), "none"},
      {"UnknownParentKindGetsNoEntry",
       route("  parentRefs: [{group: example.com, kind: Mesh, name: m}]"), "none"},
      {"OnlySluicesParentsAreListed",
       route("  parentRefs: [{name: theirs}, {name: gw, sectionName: http}]"),
       "Gateway/gw[http]: True Accepted -> gw:80/http"},
      {"SectionNameSelectsOneListener", route("  parentRefs: [{name: gw, sectionName: http}]"),
       "Gateway/gw[http]: True Accepted -> gw:80/http"},
      {"SectionNameNamingNoListener", route("  parentRefs: [{name: gw, sectionName: nope}]"),
       "Gateway/gw[nope]: False NoMatchingParent"},
      {"PortSelects", route("  parentRefs: [{name: gw, port: 80}]"),
       "Gateway/gw: True Accepted -> gw:80/http"},
      {"PortWithNoListener", route("  parentRefs: [{name: gw, port: 81}]"),
       "Gateway/gw: False NoMatchingParent"},
      {"SectionNameAndPortMustAgree",
       route("  parentRefs: [{name: gw, sectionName: http, "
             "port: 9000}]"),
       "Gateway/gw[http]: False NoMatchingParent"},
      {"HTTPRouteOnATCPListenerOnly", route("  parentRefs: [{name: gw, sectionName: tcp}]"),
       "Gateway/gw[tcp]: False NotAllowedByListeners"},
      {"TCPRouteTakesTheTCPListener",
       route("  parentRefs: [{name: gw}]", "r", "default", "TCPRoute"),
       "Gateway/gw: True Accepted -> gw:9000/tcp"},
      {"OtherNamespaceNotAllowedBySame",
       route("  parentRefs: [{name: gw, namespace: default}]", "r", "team-a"),
       "Gateway/gw: False NotAllowedByListeners"},
      {"ServiceParentAllPorts", route("  parentRefs: [{group: '', kind: Service, name: nginx}]"),
       "Service/nginx: True Accepted -> nginx:80 -> nginx:8080"},
      {"ServiceParentPort",
       route("  parentRefs: [{group: '', kind: Service, name: nginx, port: 8080}]"),
       "Service/nginx: True Accepted -> nginx:8080"},
      {"ServiceParentSectionNameIsAPortName",
       route("  parentRefs: [{group: '', kind: Service, name: nginx, sectionName: web}]"),
       "Service/nginx[web]: True Accepted -> nginx:80"},
      {"ServiceParentMissingPort",
       route("  parentRefs: [{group: '', kind: Service, name: nginx, port: 81}]"),
       "Service/nginx: False NoMatchingParent"},
      {"ServiceParentMissing", route("  parentRefs: [{group: '', kind: Service, name: nope}]"),
       "Service/nope: False NoMatchingParent"},
      {"ServiceParentInAnotherNamespace",
       route("  parentRefs: [{group: '', kind: Service, name: shared, namespace: team-a}]"),
       "Service/shared: False UnsupportedValue"},
      {"GatewayAndServiceParents",
       route("  parentRefs: [{name: gw, sectionName: http}, "
             "{group: '', kind: Service, name: nginx-v1}]"),
       "Gateway/gw[http]: True Accepted -> gw:80/http | Service/nginx-v1: True Accepted -> "
       "nginx-v1:80"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + c.objects));
    const RouteBinding* r = findRoute(b, "r");
    EXPECT_EQ(r ? parentsOf(*r) : "none", c.parents);
  }
}

TEST(GatewayBinding, ParentRefStatusHasTheDefaultsFilledIn) {
  Bindings b = bind(objectsOf(kBase + route("  parentRefs: [{name: gw, sectionName: http}, "
                                            "{group: '', kind: Service, name: nginx, port: 80}]")));
  const RouteBinding* r = findRoute(b, "r");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->parents.size(), 2u);
  EXPECT_EQ(json::value(r->parents[0].parentRef),
            json::parse(R"({"group":"gateway.networking.k8s.io","kind":"Gateway",)"
                        R"("namespace":"default","name":"gw","sectionName":"http"})"));
  EXPECT_EQ(r->parents[0].index, 0u);
  EXPECT_EQ(json::value(r->parents[1].parentRef),
            json::parse(R"({"group":"","kind":"Service","namespace":"default","name":"nginx",)"
                        R"("port":80})"));
  EXPECT_EQ(r->parents[1].index, 1u);
  EXPECT_EQ(r->generation, 3);
  EXPECT_EQ(r->kind, RouteKind::HTTP);
}

TEST(GatewayBinding, AllowedRoutes) {
  auto gateway = [](const std::string& allowedRoutes) {
    return "---\nkind: Gateway\nmetadata: {name: g2, namespace: default}\nspec:\n"
           "  gatewayClassName: sluice\n  listeners:\n"
           "  - {name: l, port: 80, protocol: HTTP, allowedRoutes: " +
           allowedRoutes + "}\n";
  };
  struct Case {
    const char* name;
    std::string allowedRoutes;
    const char* routeNs;
    const char* routeKind;
    const char* accepted;
    int attachedRoutes;
  } cases[] = {
      {"SameByDefault", "{}", "default", "HTTPRoute", "True Accepted", 1},
      {"SameRefusesOtherNamespaces", "{namespaces: {from: Same}}", "team-a", "HTTPRoute",
       "False NotAllowedByListeners", 0},
      {"AllTakesAnyNamespace", "{namespaces: {from: All}}", "team-a", "HTTPRoute", "True Accepted",
       1},
      {"SelectorOnNamespaceLabels",
       "{namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}", "team-a", "HTTPRoute",
       "True Accepted", 1},
      {"SelectorNotMatching", "{namespaces: {from: Selector, selector: {matchLabels: {team: b}}}}",
       "team-a", "HTTPRoute", "False NotAllowedByListeners", 0},
      {"SelectorRefusesItsOwnNamespaceToo",
       "{namespaces: {from: Selector, selector: {matchLabels: {team: a}}}}", "default", "HTTPRoute",
       "False NotAllowedByListeners", 0},
      {"SelectorOnTheNameLabelEveryNamespaceHas",
       "{namespaces: {from: Selector, selector: {matchLabels: "
       "{kubernetes.io/metadata.name: team-b}}}}",
       "team-b", "HTTPRoute", "True Accepted", 1},
      {"SelectorWithExpressions",
       "{namespaces: {from: Selector, selector: {matchExpressions: "
       "[{key: team, operator: In, values: [a, c]}]}}}",
       "team-a", "HTTPRoute", "True Accepted", 1},
      {"KindsDefaultByProtocol", "{}", "default", "TCPRoute", "False NotAllowedByListeners", 0},
      {"KindsListed", "{kinds: [{kind: HTTPRoute}]}", "default", "HTTPRoute", "True Accepted", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string objects =
        kBase + gateway(c.allowedRoutes) +
        route("  parentRefs: [{name: g2, namespace: default}]", "r", c.routeNs, c.routeKind);
    Bindings b = bind(objectsOf(objects));
    const RouteBinding* r = findRoute(b, "r");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->parents.size(), 1u);
    EXPECT_EQ(outcome(r->parents[0].accepted), c.accepted) << r->parents[0].accepted.message;
    const GatewayBinding* g = findGateway(b, "g2");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->listeners.at(0).attachedRoutes, c.attachedRoutes);
  }
}

// ---- hostnames ----

TEST(GatewayBinding, IntersectHostnames) {
  using Hosts = std::vector<std::string>;
  struct Case {
    const char* name;
    std::string listener;
    Hosts route;
    std::optional<Hosts> served;  // nullopt: no intersection; {} any host
  } cases[] = {
      {"NeitherHasHostnames", "", {}, Hosts{}},
      {"ListenerOnly", "a.example.com", {}, Hosts{"a.example.com"}},
      {"RouteOnly", "", {"a.example.com", "*.b.com"}, Hosts{"a.example.com", "*.b.com"}},
      {"Equal", "a.example.com", {"a.example.com"}, Hosts{"a.example.com"}},
      {"Different", "a.example.com", {"b.example.com"}, std::nullopt},
      {"ListenerWildcardTakesASubdomain",
       "*.example.com",
       {"a.example.com"},
       Hosts{"a.example.com"}},
      {"ListenerWildcardTakesDeeperSubdomains",
       "*.example.com",
       {"a.b.example.com"},
       Hosts{"a.b.example.com"}},
      {"ListenerWildcardNotTheApex", "*.example.com", {"example.com"}, std::nullopt},
      {"ListenerWildcardTakesANarrowerWildcard",
       "*.example.com",
       {"*.a.example.com"},
       Hosts{"*.a.example.com"}},
      {"SameWildcard", "*.example.com", {"*.example.com"}, Hosts{"*.example.com"}},
      {"RouteWildcardGivesTheListenersHost",
       "a.example.com",
       {"*.example.com"},
       Hosts{"a.example.com"}},
      {"RouteWildcardOverABroaderListenerWildcard",
       "*.a.example.com",
       {"*.example.com"},
       Hosts{"*.a.example.com"}},
      {"RouteWildcardNotTheApex", "example.com", {"*.example.com"}, std::nullopt},
      {"NonMatchingOnesDropped",
       "*.example.com",
       {"a.example.com", "a.example.net"},
       Hosts{"a.example.com"}},
      {"SuffixMustBeWholeLabels", "*.example.com", {"aexample.com"}, std::nullopt},
      {"DuplicatesOnce",
       "a.example.com",
       {"*.example.com", "a.example.com"},
       Hosts{"a.example.com"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(intersectHostnames(c.listener, c.route), c.served);
  }
}

TEST(GatewayBinding, ListenerHostnames) {
  const std::string gateway = R"(
---
kind: Gateway
metadata: {name: hosts, namespace: default}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: wild, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: exact, port: 80, protocol: HTTP, hostname: foo.example.org}
)";
  struct Case {
    const char* name;
    std::string spec;
    const char* parents;
  } cases[] = {
      {"NoRouteHostnamesTakesEveryListener", "  parentRefs: [{name: hosts}]",
       "Gateway/hosts: True Accepted -> hosts:80/wild{*.example.com} -> "
       "hosts:80/exact{foo.example.org}"},
      {"OneListenerMatches", "  parentRefs: [{name: hosts}]\n  hostnames: [a.example.com]",
       "Gateway/hosts: True Accepted -> hosts:80/wild{a.example.com}"},
      {"NoneMatch", "  parentRefs: [{name: hosts}]\n  hostnames: [a.example.net]",
       "Gateway/hosts: False NoMatchingListenerHostname"},
      {"SectionNamedListenerDoesNotMatch",
       "  parentRefs: [{name: hosts, sectionName: exact}]\n  hostnames: [a.example.com]",
       "Gateway/hosts[exact]: False NoMatchingListenerHostname"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + gateway + route(c.spec)));
    const RouteBinding* r = findRoute(b, "r");
    ASSERT_TRUE(r);
    EXPECT_EQ(parentsOf(*r), c.parents);
  }
  // The conformance case HTTPRouteHostnameIntersection's listeners: two on one port.
  const std::string conformance = R"(
---
kind: Gateway
metadata: {name: hosts, namespace: default}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: listener-1, port: 8080, protocol: HTTP, hostname: very.specific.com}
  - {name: listener-2, port: 8080, protocol: HTTP, hostname: "*.wildcard.io"}
)";
  Bindings both = bind(objectsOf(
      kBase + conformance +
      route("  parentRefs: [{name: hosts}]\n  hostnames: [non.matching.com, "
            "\"*.nonmatchingwildcard.io\", very.specific.com]",
            "specific") +
      route("  parentRefs: [{name: hosts}]\n  hostnames: [\"*.wildcard.io\"]", "wildcard")));
  EXPECT_EQ(parentsOf(*findRoute(both, "specific")),
            "Gateway/hosts: True Accepted -> hosts:8080/listener-1{very.specific.com}");
  EXPECT_EQ(parentsOf(*findRoute(both, "wildcard")),
            "Gateway/hosts: True Accepted -> hosts:8080/listener-2{*.wildcard.io}");
  EXPECT_EQ(listenersOf(*findGateway(both, "hosts")),
            "listener-1: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, "
            "[HTTPRoute]; listener-2: True Accepted, False NoConflicts, True ResolvedRefs, True "
            "Programmed, [HTTPRoute]");

  // Hostname mismatch still counts as attached (attachedRoutes is parentRefs x allowedRoutes).
  Bindings b = bind(objectsOf(
      kBase + gateway + route("  parentRefs: [{name: hosts}]\n  hostnames: [a.example.net]")));
  EXPECT_EQ(findGateway(b, "hosts")->listeners.at(0).attachedRoutes, 1);
  EXPECT_EQ(findGateway(b, "hosts")->listeners.at(1).attachedRoutes, 1);
}

// ---- backends and ReferenceGrants ----

// "ns/name:port w=N" or "PROBLEM" per backendRef of rule 0, then the route's ResolvedRefs.
std::string backendsOf(const RouteBinding& r) {
  std::string out;
  for (const auto* list : {&r.rules.at(0).backends, &r.rules.at(0).mirrors})
    for (const auto& b : *list) {
      out += b.ns + "/" + b.name + ":" + std::to_string(b.port) + " w=" + std::to_string(b.weight) +
             (b.resolved() ? "" : " " + b.problem) + ", ";
    }
  return out + "ResolvedRefs " + outcome(r.resolvedRefs);
}

TEST(GatewayBinding, Backends) {
  const std::string grant = R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: '', kind: Service}]
)";
  const std::string grantNamed = R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: '', kind: Service, name: other}]
)";
  const std::string grantForTCP = R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: TCPRoute, namespace: default}]
  to: [{group: '', kind: Service}]
)";
  const std::string grantFromElsewhere = R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-b}]
  to: [{group: '', kind: Service}]
)";
  const std::string grantInWrongNamespace = R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: '', kind: Service}]
)";
  auto rule = [](const std::string& backendRefs) {
    return route("  parentRefs: [{name: gw, sectionName: http}]\n  rules:\n  - backendRefs: " +
                 backendRefs);
  };
  struct Case {
    const char* name;
    std::string objects;
    const char* backends;
  } cases[] = {
      {"DefaultsServiceWeightOneSameNamespace", rule("[{name: nginx-v1, port: 80}]"),
       "default/nginx-v1:80 w=1, ResolvedRefs True ResolvedRefs"},
      {"ExplicitCoreService",
       rule("[{group: '', kind: Service, name: nginx-v1, namespace: default, port: 80, "
            "weight: 90}]"),
       "default/nginx-v1:80 w=90, ResolvedRefs True ResolvedRefs"},
      {"WeightZeroKept", rule("[{name: nginx-v1, port: 80, weight: 0}]"),
       "default/nginx-v1:80 w=0, ResolvedRefs True ResolvedRefs"},
      {"UnknownKind", rule("[{group: unknown.example.com, kind: Foo, name: x, port: 80}]"),
       "default/x:80 w=1 InvalidKind, ResolvedRefs False InvalidKind"},
      {"ServiceOfAnotherGroup", rule("[{group: example.com, kind: Service, name: x, port: 80}]"),
       "default/x:80 w=1 InvalidKind, ResolvedRefs False InvalidKind"},
      {"MissingService", rule("[{name: nope, port: 80}]"),
       "default/nope:80 w=1 BackendNotFound, ResolvedRefs False BackendNotFound"},
      {"MissingPort", rule("[{name: nginx-v1, port: 81}]"),
       "default/nginx-v1:81 w=1 BackendNotFound, ResolvedRefs False BackendNotFound"},
      {"NoPort", rule("[{name: nginx-v1}]"),
       "default/nginx-v1:0 w=1 BackendNotFound, ResolvedRefs False BackendNotFound"},
      {"CrossNamespaceWithoutGrant", rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1 RefNotPermitted, ResolvedRefs False RefNotPermitted"},
      {"CrossNamespaceWithGrant", grant + rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1, ResolvedRefs True ResolvedRefs"},
      {"GrantNamingAnotherService",
       grantNamed + rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1 RefNotPermitted, ResolvedRefs False RefNotPermitted"},
      {"GrantForAnotherRouteKind",
       grantForTCP + rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1 RefNotPermitted, ResolvedRefs False RefNotPermitted"},
      {"GrantFromAnotherNamespace",
       grantFromElsewhere + rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1 RefNotPermitted, ResolvedRefs False RefNotPermitted"},
      {"GrantMustBeInTheTargetNamespace",
       grantInWrongNamespace + rule("[{name: shared, namespace: team-a, port: 80}]"),
       "team-a/shared:80 w=1 RefNotPermitted, ResolvedRefs False RefNotPermitted"},
      {"GrantedButMissing", grant + rule("[{name: gone, namespace: team-a, port: 80}]"),
       "team-a/gone:80 w=1 BackendNotFound, ResolvedRefs False BackendNotFound"},
      {"FirstProblemGivesTheReason",
       rule("[{name: nginx-v1, port: 80}, {name: nope, port: 80}, {kind: Foo, name: x}]"),
       "default/nginx-v1:80 w=1, default/nope:80 w=1 BackendNotFound, default/x:0 w=1 "
       "InvalidKind, ResolvedRefs False BackendNotFound"},
      {"NoBackendRefs",
       route("  parentRefs: [{name: gw}]\n  rules:\n  - matches: "
             "[{path: {type: PathPrefix, value: /}}]"),
       "ResolvedRefs True ResolvedRefs"},
      {"MirrorsResolvedToo",
       route("  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: nginx-v1, port: "
             "80}]\n    filters:\n    - type: RequestMirror\n      requestMirror: {backendRef: "
             "{name: nope, port: 80}}"),
       "default/nginx-v1:80 w=1, default/nope:80 w=1 BackendNotFound, ResolvedRefs False "
       "BackendNotFound"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + c.objects));
    const RouteBinding* r = findRoute(b, "r");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->rules.size(), 1u);
    EXPECT_EQ(backendsOf(*r), c.backends) << r->resolvedRefs.message;
    // A route's parent acceptance does not depend on its backends.
    EXPECT_EQ(outcome(r->parents.at(0).accepted), "True Accepted");
  }
}

TEST(GatewayBinding, MessagesNameTheField) {
  Bindings b = bind(objectsOf(kBase + route("  parentRefs: [{name: gw}]\n  rules:\n"
                                            "  - backendRefs: [{name: nginx-v1, port: 80}]\n"
                                            "  - backendRefs: [{name: nope, port: 80}]")));
  const RouteBinding* r = findRoute(b, "r");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->resolvedRefs.message,
            "spec.rules[1].backendRefs[0]: Service default/nope not found");
  EXPECT_EQ(r->rules.at(1).backends.at(0).message, r->resolvedRefs.message);
}

TEST(GatewayBinding, TCPRouteBackendsAndGrants) {
  Bindings b = bind(
      objectsOf(kBase + R"(
---
kind: ReferenceGrant
metadata: {name: g, namespace: team-a}
spec:
  from: [{group: gateway.networking.k8s.io, kind: TCPRoute, namespace: default}]
  to: [{group: '', kind: Service, name: shared}]
)" +
                route("  parentRefs: [{name: gw, sectionName: tcp}]\n  rules:\n"
                      "  - backendRefs: [{name: shared, namespace: team-a, port: 80, weight: 3}]",
                      "r", "default", "TCPRoute")));
  const RouteBinding* r = findRoute(b, "r");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, RouteKind::TCP);
  EXPECT_EQ(backendsOf(*r), "team-a/shared:80 w=3, ResolvedRefs True ResolvedRefs");
  EXPECT_EQ(parentsOf(*r), "Gateway/gw[tcp]: True Accepted -> gw:9000/tcp");
}

// ---- listeners and Gateways ----

// "name: accepted conflicted resolvedRefs programmed kinds" per listener, "; " between.
std::string listenersOf(const GatewayBinding& g) {
  std::string out;
  for (const auto& l : g.listeners) {
    if (!out.empty()) out += "; ";
    out += l.name + ": " + outcome(l.accepted) + ", " + outcome(l.conflicted) + ", " +
           outcome(l.resolvedRefs) + ", " + outcome(l.programmed) + ", [";
    for (size_t i = 0; i < l.supportedKinds.size(); ++i)
      out += (i ? "," : "") + getString(l.supportedKinds[i], "kind");
    out += "]";
  }
  return out;
}

std::string gatewayWith(const std::string& listeners, const std::string& extraSpec = "",
                        const std::string& status = "") {
  return "---\nkind: Gateway\nmetadata: {name: g2, namespace: default, generation: 4}\nspec:\n"
         "  gatewayClassName: sluice\n" +
         extraSpec + "  listeners:\n" + listeners + status;
}

TEST(GatewayBinding, Listeners) {
  struct Case {
    const char* name;
    std::string listeners;
    const char* expected;
  } cases[] = {
      {"HTTPAndTCP",
       "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 9000, protocol: TCP}\n",
       "a: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [HTTPRoute]; "
       "b: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [TCPRoute]"},
      {"SamePortDifferentHostnames",
       "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n"
       "  - {name: b, port: 80, protocol: HTTP, hostname: b.example.com}\n",
       "a: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [HTTPRoute]; "
       "b: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [HTTPRoute]"},
      {"SamePortSameHostname",
       "  - {name: a, port: 80, protocol: HTTP, hostname: a.example.com}\n"
       "  - {name: b, port: 80, protocol: HTTP, hostname: a.example.com}\n"
       "  - {name: c, port: 80, protocol: HTTP}\n",
       "a: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [HTTPRoute]; "
       "b: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [HTTPRoute]; "
       "c: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [HTTPRoute]"},
      {"SamePortNoHostnames",
       "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 80, protocol: HTTP}\n",
       "a: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [HTTPRoute]; "
       "b: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [HTTPRoute]"},
      {"TwoTCPOnOnePort",
       "  - {name: a, port: 9000, protocol: TCP}\n  - {name: b, port: 9000, protocol: TCP}\n",
       "a: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [TCPRoute]; "
       "b: True Accepted, True HostnameConflict, True ResolvedRefs, False Invalid, [TCPRoute]"},
      {"SamePortDifferentProtocols",
       "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 80, protocol: TCP}\n"
       "  - {name: c, port: 81, protocol: HTTP}\n",
       "a: True Accepted, True ProtocolConflict, True ResolvedRefs, False Invalid, [HTTPRoute]; "
       "b: True Accepted, True ProtocolConflict, True ResolvedRefs, False Invalid, [TCPRoute]; "
       "c: True Accepted, False NoConflicts, True ResolvedRefs, True Programmed, [HTTPRoute]"},
      {"UnsupportedProtocols",
       "  - {name: s, port: 443, protocol: HTTPS}\n  - {name: t, port: 8443, protocol: TLS}\n"
       "  - {name: u, port: 53, protocol: UDP}\n",
       "s: False UnsupportedProtocol, False NoConflicts, True ResolvedRefs, False Invalid, "
       "[HTTPRoute]; t: False UnsupportedProtocol, False NoConflicts, True ResolvedRefs, False "
       "Invalid, [TLSRoute]; u: False UnsupportedProtocol, False NoConflicts, True ResolvedRefs, "
       "False Invalid, [UDPRoute]"},
      {"InvalidRouteKinds",
       "  - {name: a, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: HTTPRoute}, "
       "{kind: TCPRoute}, {group: example.com, kind: FooRoute}]}}\n",
       "a: True Accepted, False NoConflicts, False InvalidRouteKinds, True Programmed, "
       "[HTTPRoute]"},
      {"NoValidRouteKinds",
       "  - {name: a, port: 9000, protocol: TCP, allowedRoutes: {kinds: [{kind: HTTPRoute}]}}\n",
       "a: True Accepted, False NoConflicts, False InvalidRouteKinds, True Programmed, []"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + gatewayWith(c.listeners)));
    const GatewayBinding* g = findGateway(b, "g2");
    ASSERT_TRUE(g);
    EXPECT_EQ(listenersOf(*g), c.expected);
  }
}

TEST(GatewayBinding, GatewayConditions) {
  const std::string http = "  - {name: a, port: 80, protocol: HTTP}\n";
  const std::string addressed = "status:\n  addresses: [{type: IPAddress, value: 127.44.0.9}]\n";
  struct Case {
    const char* name;
    std::string gateway;
    const char* accepted;
    const char* programmed;
    const char* address;
  } cases[] = {
      {"NoAddressYet", gatewayWith(http), "True Accepted", "False AddressNotAssigned", ""},
      {"Addressed", gatewayWith(http, "", addressed), "True Accepted", "True Programmed",
       "127.44.0.9"},
      {"SomeListenersInvalid",
       gatewayWith(http + "  - {name: s, port: 443, protocol: HTTPS}\n", "", addressed),
       "True ListenersNotValid", "True Programmed", "127.44.0.9"},
      {"AllListenersInvalid",
       gatewayWith("  - {name: s, port: 443, protocol: HTTPS}\n", "", addressed),
       "False ListenersNotValid", "False Invalid", "127.44.0.9"},
      {"RequestedIPAddress",
       gatewayWith(http, "  addresses: [{type: IPAddress, value: 127.44.0.9}]\n", addressed),
       "True Accepted", "True Programmed", "127.44.0.9"},
      {"RequestedTypeDefaultsToIPAddress",
       gatewayWith(http, "  addresses: [{value: 127.44.0.9}]\n", addressed), "True Accepted",
       "True Programmed", "127.44.0.9"},
      {"HostnameAddressUnsupported",
       gatewayWith(http, "  addresses: [{type: Hostname, value: gw.example.com}]\n"),
       "False UnsupportedAddress", "False Invalid", ""},
      {"TwoAddressesUnsupported",
       gatewayWith(http, "  addresses: [{value: 127.44.0.9}, {value: 127.44.0.10}]\n"),
       "False UnsupportedAddress", "False Invalid", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + c.gateway));
    const GatewayBinding* g = findGateway(b, "g2");
    ASSERT_TRUE(g);
    EXPECT_EQ(outcome(g->accepted), c.accepted) << g->accepted.message;
    EXPECT_EQ(outcome(g->programmed), c.programmed) << g->programmed.message;
    EXPECT_EQ(g->address, c.address);
    EXPECT_EQ(g->generation, 4);
  }
}

TEST(GatewayBinding, OnlySluicesGatewaysAreBound) {
  Bindings b = bind(objectsOf(kBase + R"(
---
kind: Gateway
metadata: {name: classless, namespace: default}
spec:
  gatewayClassName: missing
  listeners: [{name: http, port: 80, protocol: HTTP}]
)"));
  ASSERT_EQ(b.gateways.size(), 1u);
  EXPECT_EQ(b.gateways[0].name, "gw");
  EXPECT_EQ(b.gateways[0].address, "127.44.0.7");
  EXPECT_TRUE(b.routes.empty());
}

TEST(GatewayBinding, RoutesOnUnusableListenersAreCountedNotAccepted) {
  struct Case {
    const char* name;
    std::string listeners;
    const char* parents;
    int attachedRoutes;
  } cases[] = {
      {"Conflicted",
       "  - {name: a, port: 80, protocol: HTTP}\n  - {name: b, port: 80, protocol: TCP}\n",
       "Gateway/g2[a]: False NoMatchingParent", 1},
      {"UnsupportedProtocol", "  - {name: a, port: 443, protocol: HTTPS}\n",
       "Gateway/g2[a]: False NoMatchingParent", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bindings b = bind(objectsOf(kBase + gatewayWith(c.listeners) +
                                route("  parentRefs: [{name: g2, sectionName: a}]")));
    const RouteBinding* r = findRoute(b, "r");
    ASSERT_TRUE(r);
    EXPECT_EQ(parentsOf(*r), c.parents);
    EXPECT_EQ(findGateway(b, "g2")->listeners.at(0).attachedRoutes, c.attachedRoutes);
  }
}

TEST(GatewayBinding, AttachedRoutesCounts) {
  Bindings b = bind(
      objectsOf(kBase + route("  parentRefs: [{name: gw}]", "r1") +
                // Two refs selecting the same listener: one route, counted once.
                route("  parentRefs: [{name: gw, sectionName: http}, {name: gw, port: 80}]", "r2") +
                route("  parentRefs: [{name: gw}]", "t1", "default", "TCPRoute") +
                // Not allowed (another namespace): not counted.
                route("  parentRefs: [{name: gw, namespace: default}]", "r3", "team-a") +
                route("  parentRefs: [{name: theirs}]", "r4")));
  const GatewayBinding* g = findGateway(b, "gw");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->listeners.at(0).name, "http");
  EXPECT_EQ(g->listeners.at(0).attachedRoutes, 2);
  EXPECT_EQ(g->listeners.at(1).attachedRoutes, 1);
  EXPECT_FALSE(findRoute(b, "r4"));  // no parent of sluice's
  ASSERT_TRUE(findRoute(b, "r2"));
  EXPECT_EQ(parentsOf(*findRoute(b, "r2")),
            "Gateway/gw[http]: True Accepted -> gw:80/http | Gateway/gw: True Accepted -> "
            "gw:80/http");
}

TEST(GatewayBinding, NotAcceptedGatewayAcceptsNoRoutes) {
  Bindings b =
      bind(objectsOf(kBase +
                     gatewayWith("  - {name: a, port: 80, protocol: HTTP}\n",
                                 "  addresses: [{type: Hostname, value: gw.example.com}]\n") +
                     route("  parentRefs: [{name: g2}]")));
  EXPECT_EQ(parentsOf(*findRoute(b, "r")), "Gateway/g2: False NoMatchingParent");
  EXPECT_EQ(findGateway(b, "g2")->listeners.at(0).attachedRoutes, 1);
}

// ---- what the data plane cannot serve ----

TEST(GatewayBinding, UnservableRoutesAreNotAcceptedAndSayWhere) {
  struct Case {
    std::string rules, want;
  };
  const std::vector<Case> cases = {
      {"  - matches: [{path: {type: RegularExpression, value: \"/a/(?!b)\"}}]",
       "False UnsupportedValue spec.rules[0].matches[0].path.value: "},
      {"  - {}\n  - matches: [{headers: [{name: x, type: RegularExpression, value: \"(\"}]}]",
       "False UnsupportedValue spec.rules[1].matches[0].headers[0].value: "},
      {"  - filters: [{type: ExtensionRef, extensionRef: {group: g, kind: K, name: n}}]",
       "False UnsupportedValue spec.rules[0].filters[0].type: ExtensionRef is not supported by "
       "sluice"},
      {"  - backendRefs: [{name: s, port: 80, filters: [{type: RequestHeaderModifier}]}]",
       "False UnsupportedValue spec.rules[0].backendRefs[0].filters: filters on a backendRef are "
       "not supported by sluice"},
      {"  - sessionPersistence: {idleTimeout: 10m}",
       "False UnsupportedValue spec.rules[0].sessionPersistence.idleTimeout: not supported by "
       "sluice"},
      {"  - matches: [{path: {type: RegularExpression, value: \"/items/[0-9]+\"}}]",
       "True Accepted"},
  };
  for (const auto& c : cases) {
    Bindings b = bind(objectsOf(kBase + route("  parentRefs: [{name: gw}]\n  rules:\n" + c.rules)));
    const RouteBinding* r = findRoute(b, "r");
    ASSERT_TRUE(r) << c.rules;
    const Outcome& o = r->parents.at(0).accepted;
    std::string got = std::string(o.ok ? "True " : "False ") + o.reason + " " + o.message;
    EXPECT_EQ(got.rfind(c.want, 0), 0u) << c.rules << "\ngot: " << got;
    if (!o.ok) {
      EXPECT_TRUE(r->parents.at(0).attachments.empty());
    }
  }
}

}  // namespace
}  // namespace sluice::api::gateway
