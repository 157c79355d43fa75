// Routes attached to Gateways of class `sluice` through the real binary: the Gateway gets an
// address from the LoadBalancer range and listens on it; hostnames on listeners and routes
// intersect; routes attach across namespaces when the listener allows it, and to several
// Gateways at once; a new generation of a route is served; TCPRoute splits connections by
// weight. Named after the Gateway API conformance cases they follow.
#include <gtest/gtest.h>

#include <map>

#include "routing_fixture.h"

namespace sluice::testing {
namespace {

std::string gateway(const std::string& name, const std::string& listeners) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: " + name +
         "\nspec:\n  gatewayClassName: sluice\n  listeners:\n" + listeners;
}

std::string httpRoute(const std::string& name, const std::string& parents,
                      const std::string& rest) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: " + name +
         "\nspec:\n  parentRefs:\n" + parents + rest;
}

class GatewayAttachTest : public RoutingTest {
 protected:
  void versions() {
    backend("web-v1", "v1", 1, "web");
    backend("web-v2", "v2", 1, "web");
    waitReady("web-v1");
    waitReady("web-v2");
  }
  void expectVersion(const std::string& ip, int port, const std::string& host,
                     const std::string& target, const std::string& version) {
    eventually(
        ip, port, target, [&](const HttpResponse& r) { return versionOf(r) == version; }, {}, host);
  }
  void expectStatus(const std::string& ip, int port, const std::string& host,
                    const std::string& target, int status) {
    eventually(
        ip, port, target, [&](const HttpResponse& r) { return r.status == status; }, {}, host);
  }
};

TEST_F(GatewayAttachTest, HTTPRouteSimpleSameNamespace) {
  versions();
  apply(gateway("same", "  - {name: http, port: 8080, protocol: HTTP}\n"));
  apply(httpRoute("simple", "  - {name: same}\n",
                  "  rules:\n  - backendRefs: [{name: web-v1, port: 8080}]\n"));
  std::string address = gatewayAddress("same");
  ASSERT_FALSE(address.empty());
  expectVersion(address, 8080, "example.com", "/", "v1");
}

TEST_F(GatewayAttachTest, HTTPRouteHostnameIntersection) {
  versions();
  apply(gateway("hosts",
                R"(  - {name: listener-1, port: 8080, protocol: HTTP, hostname: "very.specific.com"}
  - {name: listener-2, port: 8080, protocol: HTTP, hostname: "*.wildcard.io"}
)"));
  // Matches listener-1 only by its exact host, listener-2 by two hosts under its wildcard.
  apply(
      httpRoute("specific", "  - {name: hosts}\n",
                "  hostnames: [non.matching.com, \"*.nonmatchingwildcard.io\", very.specific.com]\n"
                "  rules:\n  - backendRefs: [{name: web-v1, port: 8080}]\n"));
  apply(httpRoute("wildcard", "  - {name: hosts}\n",
                  "  hostnames: [\"*.wildcard.io\"]\n"
                  "  rules:\n  - backendRefs: [{name: web-v2, port: 8080}]\n"));
  std::string address = gatewayAddress("hosts");
  ASSERT_FALSE(address.empty());
  expectVersion(address, 8080, "very.specific.com", "/", "v1");
  expectVersion(address, 8080, "foo.wildcard.io", "/", "v2");
  expectStatus(address, 8080, "non.matching.com", "/", 404);
  expectStatus(address, 8080, "wildcard.io", "/", 404);
}

TEST_F(GatewayAttachTest, HTTPRouteListenerHostnameMatching) {
  versions();
  apply(
      gateway("listeners", R"(  - {name: listener-1, port: 8080, protocol: HTTP, hostname: bar.com}
  - {name: listener-2, port: 8080, protocol: HTTP, hostname: foo.bar.com}
  - {name: listener-3, port: 8080, protocol: HTTP, hostname: "*.bar.com"}
)"));
  apply(httpRoute("one", "  - {name: listeners, sectionName: listener-1}\n",
                  "  rules:\n  - backendRefs: [{name: web-v1, port: 8080}]\n"));
  apply(httpRoute("two", "  - {name: listeners, sectionName: listener-2}\n",
                  "  rules:\n  - backendRefs: [{name: web-v2, port: 8080}]\n"));
  std::string address = gatewayAddress("listeners");
  ASSERT_FALSE(address.empty());
  expectVersion(address, 8080, "bar.com", "/", "v1");
  expectVersion(address, 8080, "foo.bar.com", "/", "v2");
  expectStatus(address, 8080, "baz.bar.com", "/", 404);
  expectStatus(address, 8080, "foo.com", "/", 404);
}

TEST_F(GatewayAttachTest, HTTPRouteCrossNamespace) {
  versions();
  std::string gwNs = ns() + "-infra";
  server->sluice({"create", "namespace", gwNs});
  auto r = server->sluice({"apply", "-n", gwNs, "-f", "-"},
                          gateway("shared",
                                  "  - name: http\n    port: 8080\n    protocol: HTTP\n"
                                  "    allowedRoutes: {namespaces: {from: All}}\n"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  apply(httpRoute("cross", "  - {name: shared, namespace: " + gwNs + "}\n",
                  "  rules:\n  - backendRefs: [{name: web-v2, port: 8080}]\n"));
  std::string address;
  ASSERT_TRUE(waitFor([&] {
    address = server
                  ->sluice({"get", "gateway", "shared", "-n", gwNs, "-o",
                            "jsonpath={.status.addresses[0].value}"})
                  .out;
    return !address.empty();
  }));
  expectVersion(address, 8080, "example.com", "/", "v2");
}

TEST_F(GatewayAttachTest, HTTPRouteMultipleGateways) {
  versions();
  apply(gateway("one", "  - {name: http, port: 8080, protocol: HTTP}\n"));
  apply(gateway("two", "  - {name: http, port: 8080, protocol: HTTP}\n"));
  apply(httpRoute("both", "  - {name: one}\n  - {name: two}\n",
                  "  rules:\n  - backendRefs: [{name: web-v1, port: 8080}]\n"));
  std::string a = gatewayAddress("one"), b = gatewayAddress("two");
  ASSERT_FALSE(a.empty());
  ASSERT_NE(a, b) << "each Gateway gets its own address";
  expectVersion(a, 8080, "example.com", "/", "v1");
  expectVersion(b, 8080, "example.com", "/", "v1");
}

TEST_F(GatewayAttachTest, HTTPRouteObservedGenerationBump) {
  versions();
  apply(gateway("gen", "  - {name: http, port: 8080, protocol: HTTP}\n"));
  apply(httpRoute("bump", "  - {name: gen}\n",
                  "  rules:\n  - backendRefs: [{name: web-v1, port: 8080}]\n"));
  std::string address = gatewayAddress("gen");
  ASSERT_FALSE(address.empty());
  expectVersion(address, 8080, "example.com", "/", "v1");
  apply(httpRoute("bump", "  - {name: gen}\n",
                  "  rules:\n  - backendRefs: [{name: web-v2, port: 8080}]\n"));
  // Generation 2 is served once the route's status says so: from then on every request is v2.
  std::string namespaceName = ns();
  ASSERT_TRUE(waitFor([&] {
    auto g = server->sluice({"get", "httproute", "bump", "-n", namespaceName, "-o",
                             "jsonpath={.status.parents[0].conditions[?(@.type==\"Accepted\")]"
                             ".observedGeneration}"});
    return g.out == "2";
  })) << "the route's Accepted condition never reached generation 2";
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(versionOf(request(address, 8080, "/")), "v2") << "request " << i;
}

TEST_F(GatewayAttachTest, TCPRouteWeightedRouting) {
  versions();
  apply(gateway("tcp", "  - {name: tcp, port: 9000, protocol: TCP}\n"));
  apply(R"(apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata:
  name: weighted
spec:
  parentRefs:
  - {name: tcp, sectionName: tcp}
  rules:
  - backendRefs:
    - {name: web-v1, port: 8080, weight: 70}
    - {name: web-v2, port: 8080, weight: 30}
)");
  std::string address = gatewayAddress("tcp");
  ASSERT_FALSE(address.empty());
  // Connections split 7/3 of every 10: HTTP over each TCP connection tells which backend.
  std::map<std::string, int> counts;
  ASSERT_TRUE(waitFor([&] {
    counts.clear();
    for (int i = 0; i < 10; ++i) ++counts[versionOf(request(address, 9000, "/"))];
    return counts["v1"] == 7 && counts["v2"] == 3;
  })) << "v1 "
      << counts["v1"] << ", v2 " << counts["v2"];
  counts.clear();
  for (int i = 0; i < 1000; ++i) ++counts[versionOf(request(address, 9000, "/"))];
  EXPECT_EQ(counts["v1"], 700);
  EXPECT_EQ(counts["v2"], 300);
}

}  // namespace
}  // namespace sluice::testing
