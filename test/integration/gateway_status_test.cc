// Status of Gateways and routes through the real binary: the status-only parts of the Gateway
// API conformance cases, named <ConformanceName>Status (the traffic parts are in
// gateway_routing_test.cc and gateway_attach_test.cc). Manifests go in by real kubectl 1.33 when
// it is installed, else by `sluice apply`; every test has a namespace of its own on one server.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

const char* kController = "sluice.dev/gateway-controller";

class GatewayStatusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ranges = new PrivateRanges(privateRanges());
    server = new Server("", ranges->flags());
  }
  static void TearDownTestSuite() {
    delete server;
    server = nullptr;
    delete ranges;
    ranges = nullptr;
  }

  // The test's namespace: its name in kebab case.
  std::string ns() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string out;
    for (char c : name) {
      if (std::isupper(static_cast<unsigned char>(c))) {
        if (!out.empty()) out += '-';
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else if (std::isalnum(static_cast<unsigned char>(c))) {
        out += c;
      }
    }
    out = out.substr(0, 60);
    if (server->sluice({"get", "namespace", out}).exitCode != 0)
      server->sluice({"create", "namespace", out});
    return out;
  }
  // Applies `yaml` in `namespaceName` (the test's by default) with kubectl 1.33 when installed.
  void apply(const std::string& yaml, std::string namespaceName = "") {
    if (namespaceName.empty()) namespaceName = ns();
    std::vector<std::string> args{"apply", "-n", namespaceName, "-f", "-"};
    ProcessResult r = kubectlBinary("1.33").empty() ? server->sluice(args, yaml)
                                                    : *server->kubectl("1.33", args, yaml);
    ASSERT_EQ(r.exitCode, 0) << r.err << "\n" << yaml;
  }
  json::value get(const std::string& kind, const std::string& name) {
    auto r = server->sluice({"get", kind, name, "-n", ns(), "-o", "json"});
    if (r.exitCode != 0) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    return ec ? json::value() : v;
  }
  // "True Accepted @2" of condition `type` in `conditions`, "" when absent.
  static std::string condition(const json::value* conditions, const std::string& type) {
    if (conditions && conditions->is_array())
      for (const auto& c : conditions->as_array())
        if (c.is_object() && c.as_object().contains("type") && c.at("type") == type.c_str()) {
          const auto& o = c.as_object();
          auto text = [&o](const char* k) {
            return o.contains(k) && o.at(k).is_string() ? std::string(o.at(k).as_string()) : "";
          };
          int64_t gen = o.contains("observedGeneration") && o.at("observedGeneration").is_int64()
                            ? o.at("observedGeneration").as_int64()
                            : 0;
          return text("status") + " " + text("reason") + " @" + std::to_string(gen);
        }
    return "";
  }
  // sluice's entry for parent `parent` of HTTPRoute `route`: "Accepted: ...; ResolvedRefs: ...".
  std::string routeParent(const std::string& route, const std::string& parent) {
    json::value r = get("httproute", route);
    if (!r.is_object()) return "no route";
    const json::value* status = r.as_object().if_contains("status");
    const json::value* parents =
        status && status->is_object() ? status->as_object().if_contains("parents") : nullptr;
    if (!parents || !parents->is_array()) return "no parents";
    for (const auto& p : parents->as_array()) {
      if (p.at("controllerName") != kController || p.at("parentRef").at("name") != parent.c_str())
        continue;
      const json::value* conds = p.as_object().if_contains("conditions");
      return "Accepted: " + condition(conds, "Accepted") +
             "; ResolvedRefs: " + condition(conds, "ResolvedRefs");
    }
    return "no entry of sluice's";
  }
  // Waits until `read()` gives `want`; fails with the last value read.
  void expectEventually(const std::function<std::string()>& read, const std::string& want) {
    std::string last;
    bool ok = waitFor([&] {
      last = read();
      return last == want;
    });
    EXPECT_TRUE(ok) << "want: " << want << "\nlast: " << last;
  }
  void expectRouteParent(const std::string& route, const std::string& parent,
                         const std::string& want) {
    expectEventually([&] { return routeParent(route, parent); }, want);
  }
  // A Gateway `gw` with one HTTP listener, and Service `web` to route to.
  void gatewayAndService() {
    apply(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
  - {port: 8080}
)");
  }
  static std::string route(const std::string& name, const std::string& rules) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: " + name +
           "\nspec:\n  parentRefs:\n  - {name: gw}\n  rules:\n" + rules;
  }

  static PrivateRanges* ranges;
  static Server* server;
};

PrivateRanges* GatewayStatusTest::ranges = nullptr;
Server* GatewayStatusTest::server = nullptr;

TEST_F(GatewayStatusTest, HTTPRouteInvalidNonExistentBackendRefStatus) {
  gatewayAndService();
  apply(route("missing", "  - backendRefs: [{name: does-not-exist, port: 8080}]\n"));
  expectRouteParent("missing", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: False "
                    "BackendNotFound @1");
}

TEST_F(GatewayStatusTest, HTTPRouteInvalidBackendRefUnknownKindStatus) {
  gatewayAndService();
  apply(route("unknown-kind",
              "  - backendRefs: [{group: unknown.example.com, kind: Unknown, "
              "name: web, port: 8080}]\n"));
  expectRouteParent("unknown-kind", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: False InvalidKind @1");
}

TEST_F(GatewayStatusTest, HTTPRouteInvalidCrossNamespaceBackendRefStatus) {
  gatewayAndService();
  std::string other = ns() + "-other";
  server->sluice({"create", "namespace", other});
  apply(
      "apiVersion: v1\nkind: Service\nmetadata: {name: elsewhere}\nspec:\n  ports: [{port: "
      "8080}]\n",
      other);
  apply(route("cross",
              "  - backendRefs: [{name: elsewhere, namespace: " + other + ", port: 8080}]\n"));
  expectRouteParent("cross", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: False RefNotPermitted @1");
}

TEST_F(GatewayStatusTest, HTTPRouteReferenceGrantStatus) {
  gatewayAndService();
  std::string other = ns() + "-other";
  server->sluice({"create", "namespace", other});
  apply(
      "apiVersion: v1\nkind: Service\nmetadata: {name: granted}\nspec:\n  ports: [{port: "
      "8080}]\n---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\n"
      "metadata: {name: allow}\nspec:\n  from:\n  - {group: gateway.networking.k8s.io, kind: "
      "HTTPRoute, namespace: " +
          ns() + "}\n  to:\n  - {group: \"\", kind: Service, name: granted}\n",
      other);
  apply(route("granted",
              "  - backendRefs: [{name: granted, namespace: " + other + ", port: 8080}]\n"));
  expectRouteParent("granted", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: True "
                    "ResolvedRefs @1");
  // Without the grant the reference is refused again, at the same generation.
  auto r = server->sluice({"delete", "referencegrant", "allow", "-n", other});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  expectRouteParent("granted", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: False RefNotPermitted @1");
}

TEST_F(GatewayStatusTest, HTTPRouteObservedGenerationBumpStatus) {
  gatewayAndService();
  apply(route("bump", "  - backendRefs: [{name: web, port: 8080}]\n"));
  expectRouteParent("bump", "gw", "Accepted: True Accepted @1; ResolvedRefs: True ResolvedRefs @1");
  apply(route("bump", "  - backendRefs: [{name: web, port: 8080, weight: 5}]\n"));
  expectRouteParent("bump", "gw", "Accepted: True Accepted @2; ResolvedRefs: True ResolvedRefs @2");
  json::value r = get("httproute", "bump");
  EXPECT_EQ(r.at("metadata").at("generation"), 2);
}

TEST_F(GatewayStatusTest, HTTPRouteNoBackendRefsStatus) {
  gatewayAndService();
  apply(route("no-backends", "  - matches: [{path: {type: PathPrefix, value: /}}]\n"));
  expectRouteParent("no-backends", "gw",
                    "Accepted: True Accepted @1; ResolvedRefs: True ResolvedRefs @1");
}

TEST_F(GatewayStatusTest, HTTPRouteServiceParentStatus) {
  gatewayAndService();
  apply(
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: mesh}\n"
      "spec:\n  parentRefs:\n  - {group: \"\", kind: Service, name: web, port: 8080}\n"
      "  - {group: \"\", kind: Service, name: nope}\n"
      "  rules:\n  - backendRefs: [{name: web, port: 8080}]\n");
  expectRouteParent("mesh", "web",
                    "Accepted: True Accepted @1; ResolvedRefs: True ResolvedRefs @1");
  expectRouteParent("mesh", "nope",
                    "Accepted: False NoMatchingParent @1; ResolvedRefs: True ResolvedRefs @1");
}

// A Gateway gets an address from the LoadBalancer range; kubectl shows it with PROGRAMMED True;
// its listener counts the route attached to it.
TEST_F(GatewayStatusTest, GatewayWithAttachedRoutesStatus) {
  SLUICE_REQUIRE_KUBECTL("1.33");
  gatewayAndService();
  apply(route("attached", "  - backendRefs: [{name: web, port: 8080}]\n"));
  std::string address;
  expectEventually(
      [&] {
        auto r = *server->kubectl("1.33", {"get", "gateway", "gw", "-n", ns(), "-o",
                                           "jsonpath={.status.addresses[0].value}"});
        address = r.out;
        return address.rfind(rangePrefix(ranges->loadBalancers), 0) == 0 ? "in range" : address;
      },
      "in range");
  auto pad = [](std::string s, size_t width) {
    s.resize(std::max(s.size(), width), ' ');
    return s;
  };
  size_t width = std::max<size_t>(7, address.size()) + 3;
  expectEventually(
      [&] {
        auto r = *server->kubectl("1.33", {"get", "gateway", "-n", ns()});
        return std::regex_replace(r.out, std::regex(R"(\s+(AGE|[0-9]+[smhdy][0-9a-z]*)\n)"), "\n");
      },
      "NAME   CLASS    " + pad("ADDRESS", width) + "PROGRAMMED\n" + "gw     sluice   " +
          pad(address, width) + "True\n");
  expectEventually(
      [&] {
        auto r = *server->kubectl(
            "1.33", {"get", "gateway", "gw", "-n", ns(), "-o",
                     "jsonpath={.status.listeners[0].name} {.status.listeners[0].attachedRoutes} "
                     "{.status.conditions[?(@.type==\"Accepted\")].status}"});
        return r.out;
      },
      "http 1 True");
}

TEST_F(GatewayStatusTest, GatewayObservedGenerationBumpStatus) {
  gatewayAndService();
  auto conditions = [&] {
    json::value g = get("gateway", "gw");
    if (!g.is_object() || !g.as_object().contains("status")) return std::string("no status");
    const json::value* conds = g.at("status").as_object().if_contains("conditions");
    return condition(conds, "Accepted") + ", " + condition(conds, "Programmed");
  };
  expectEventually(conditions, "True Accepted @1, True Programmed @1");
  apply(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
  - {name: tcp, port: 9000, protocol: TCP}
)");
  expectEventually(conditions, "True Accepted @2, True Programmed @2");
  json::value g = get("gateway", "gw");
  EXPECT_EQ(g.at("status").at("listeners").as_array().size(), 2u);
}

// spec.addresses: a free address of the range is assigned as asked, one in use is not
// (Programmed False, AddressNotAssigned), and a deleted Gateway's address is free again.
TEST_F(GatewayStatusTest, GatewayStaticAddressesStatus) {
  std::string prefix = rangePrefix(ranges->loadBalancers);
  auto gateway = [](const std::string& name, const std::string& address) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " + name +
           "}\nspec:\n  gatewayClassName: sluice\n  addresses: [{type: IPAddress, value: \"" +
           address + "\"}]\n  listeners:\n  - {name: http, port: 8080, protocol: HTTP}\n";
  };
  auto state = [&](const std::string& name) {
    json::value g = get("gateway", name);
    if (!g.is_object() || !g.as_object().contains("status")) return std::string("no status");
    const auto& status = g.at("status").as_object();
    std::string address;
    if (const auto* a = status.if_contains("addresses");
        a && a->is_array() && !a->as_array().empty())
      address = std::string(a->as_array()[0].at("value").as_string());
    return address + " " + condition(status.if_contains("conditions"), "Programmed");
  };
  apply(gateway("fixed", prefix + "200"));
  expectEventually([&] { return state("fixed"); }, prefix + "200 True Programmed @1");
  apply(gateway("taken", prefix + "200"));
  expectEventually([&] { return state("taken"); }, " False AddressNotAssigned @1");

  auto r = server->sluice({"delete", "gateway", "fixed", "-n", ns()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  apply(gateway("again", prefix + "200"));
  expectEventually([&] { return state("again"); }, prefix + "200 True Programmed @1");
}

// A restarted server knows which addresses its Gateways hold: a LoadBalancer Service created
// after the restart does not get the Gateway's.
TEST(GatewayAddresses, KeptAcrossARestart) {
  PrivateRanges ranges = privateRanges();
  TempDir dir;
  Server server(dir.path() + "/data", ranges.flags());
  auto r = server.sluice({"apply", "-f", "-"}, R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
)");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto address = [&] {
    return server.sluice({"get", "gateway", "gw", "-o", "jsonpath={.status.addresses[0].value}"})
        .out;
  };
  std::string before = address();
  EXPECT_EQ(before, rangePrefix(ranges.loadBalancers) + "1");

  server.stop();
  server.start();
  r = server.sluice({"apply", "-f", "-"}, R"(apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  ports: [{port: 8080}]
)");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string external;
  EXPECT_TRUE(waitFor([&] {
    external =
        server.sluice({"get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"})
            .out;
    return !external.empty();
  }));
  EXPECT_EQ(external, rangePrefix(ranges.loadBalancers) + "2");
  EXPECT_EQ(address(), before);
}

}  // namespace
}  // namespace sluice::testing
