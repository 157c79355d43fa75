// The Gateway API kinds against the real binary: served like the built-in kinds (discovery at
// every version, Tables, watch, describe), validated as the v1.6 CRDs validate, with the
// built-in GatewayClass; through `sluice` and through real kubectl 1.33.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

#define EXPECT_OK(r) EXPECT_EQ((r).exitCode, 0) << "stdout: " << (r).out << "\nstderr: " << (r).err

std::string gatewayFile(const std::string& name) {
  return sourceDir() + "/examples/gateway/" + name;
}

// Table output without the AGE column (the last one), which ticks between two commands.
std::string withoutAge(const std::string& table) {
  return std::regex_replace(table, std::regex(R"(\s+(AGE|[0-9]+[smhdy][0-9a-z]*)\n)"), "\n");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kBadWeight = R"(apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata:
  name: bad-weight
spec:
  parentRefs:
  - {group: "", kind: Service, name: nginx, port: 80}
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 80, weight: 1000001}
)";

const std::string kBadWeightCause =
    "spec.rules[0].backendRefs[0].weight: Invalid value: 1000001: "
    "spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000";

const std::string kGateway = R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: web
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
)";

// `get gtw` of Gateway `web` once it is programmed on `address`.
std::string programmedGatewayTable(const std::string& address) {
  auto pad = [](std::string s, size_t width) {
    s.resize(std::max(s.size(), width), ' ');
    return s;
  };
  size_t width = std::max<size_t>(7, address.size()) + 3;
  return "NAME   CLASS    " + pad("ADDRESS", width) + "PROGRAMMED\n" + "web    sluice   " +
         pad(address, width) + "True\n";
}

class GatewayApiTest : public ::testing::Test {
 protected:
  GatewayApiTest() : server("", ranges.flags()) {}

  void applyExamples() {
    auto r = server.sluice({"apply", "-f", seedFile("service-gray.yaml"), "-f",
                            gatewayFile("services.yaml"), "-f", gatewayFile("httproute.yaml")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out,
              "service/nginx created\nservice/nginx-v1 created\nservice/nginx-v2 created\n"
              "httproute.gateway.networking.k8s.io/nginx created\n");
  }

  json::value getJson(const std::string& path) {
    auto [status, body] = server.curl("GET", path);
    EXPECT_EQ(status, 200) << path << ": " << body;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    return ec ? json::value() : v;
  }

  // The Gateway `web` gets an address from the LoadBalancer range and is programmed on it;
  // `get` (by sluice, or kubectl 1.33 when `kubectl` is set) shows both.
  void expectProgrammedGateway(bool kubectl) {
    std::string address, table;
    bool ok = waitFor([&] {
      address =
          server.sluice({"get", "gtw", "web", "-o", "jsonpath={.status.addresses[0].value}"}).out;
      table = withoutAge(kubectl ? server.kubectl("1.33", {"get", "gtw"})->out
                                 : server.sluice({"get", "gtw"}).out);
      return !address.empty() && table == programmedGatewayTable(address);
    });
    EXPECT_TRUE(ok) << table;
    EXPECT_EQ(address.rfind(rangePrefix(ranges.loadBalancers), 0), 0u) << address;
  }

  PrivateRanges ranges = privateRanges();
  Server server;
  TempDir work;
};

TEST_F(GatewayApiTest, BuiltInGatewayClassExistsAfterStart) {
  // Accepted by sluice's GatewayClass controller (at first it has the CRD's pending status).
  ProcessResult r;
  EXPECT_TRUE(waitFor([&] {
    r = server.sluice({"get", "gatewayclass"});
    return withoutAge(r.out) ==
           "NAME     CONTROLLER                      ACCEPTED\n"
           "sluice   sluice.dev/gateway-controller   True\n";
  })) << r.out
      << r.err;
  r = server.sluice({"get", "gc", "sluice", "-o", "jsonpath={.spec.controllerName}"});
  EXPECT_EQ(r.out, "sluice.dev/gateway-controller");
  r = server.sluice({"get", "gc", "sluice", "-o",
                     "jsonpath={.status.conditions[0].reason}/"
                     "{.status.conditions[0].observedGeneration}"});
  EXPECT_EQ(r.out, "Accepted/1");
  // Still one after a restart.
  server.stop();
  server.start();
  r = server.sluice({"get", "gatewayclasses", "-o", "name"});
  EXPECT_EQ(r.out, "gatewayclass.gateway.networking.k8s.io/sluice\n");
}

TEST_F(GatewayApiTest, ApplyExamplesAndGetColumns) {
  applyExamples();
  auto r = server.sluice({"get", "httproute"});
  EXPECT_OK(r);
  EXPECT_EQ(withoutAge(r.out), "NAME    HOSTNAMES\nnginx\n");
  // Applied again: "configured", as kubectl says against kube-apiserver, because the three-way
  // merge patch replaces whole lists and the live ones hold the CRD's defaults. Nothing changes.
  r = server.sluice({"apply", "-f", gatewayFile("httproute.yaml")});
  EXPECT_EQ(r.out, "httproute.gateway.networking.k8s.io/nginx configured\n");

  writeFile(work.path() + "/gateway.yaml", kGateway);
  r = server.sluice({"apply", "-f", work.path() + "/gateway.yaml"});
  EXPECT_EQ(r.out, "gateway.gateway.networking.k8s.io/web created\n") << r.err;
  expectProgrammedGateway(false);

  // Defaults as the CRD has them.
  r = server.sluice({"get", "httproute", "nginx", "-o",
                     "jsonpath={.spec.rules[0].backendRefs[0].kind}/"
                     "{.spec.rules[0].matches[0].path.type}/{.metadata.generation}"});
  EXPECT_EQ(r.out, "Service/PathPrefix/1");
  r = server.sluice(
      {"get", "gtw", "web", "-o", "jsonpath={.spec.listeners[0].allowedRoutes.namespaces.from}"});
  EXPECT_EQ(r.out, "Same");

  // A change of weights bumps the generation (what status' observedGeneration will follow); a
  // strategic merge patch is refused as kube-apiserver refuses it for custom resources.
  r = server.sluice(
      {"patch", "httproute", "nginx", "--type", "json", "-p",
       R"([{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":20}])"});
  EXPECT_OK(r);
  r = server.sluice({"get", "httproute", "nginx", "-o", "jsonpath={.metadata.generation}"});
  EXPECT_EQ(r.out, "2");
  r = server.sluice({"patch", "httproute", "nginx", "-p", R"({"spec":{"hostnames":["a.b"]}})"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_TRUE(contains(r.err, "application/merge-patch+json")) << r.err;
}

TEST_F(GatewayApiTest, YamlRoundTripAtV1AndV1beta1) {
  applyExamples();
  const std::string v1 = "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/nginx";
  const std::string beta =
      "/apis/gateway.networking.k8s.io/v1beta1/namespaces/default/httproutes/nginx";
  json::value atV1 = getJson(v1);
  json::value atBeta = getJson(beta);
  EXPECT_EQ(atV1.at("apiVersion"), "gateway.networking.k8s.io/v1");
  EXPECT_EQ(atBeta.at("apiVersion"), "gateway.networking.k8s.io/v1beta1");
  EXPECT_EQ(atV1.at("spec"), atBeta.at("spec"));
  EXPECT_EQ(atV1.at("metadata"), atBeta.at("metadata"));
  json::value list = getJson("/apis/gateway.networking.k8s.io/v1beta1/httproutes");
  EXPECT_EQ(list.at("apiVersion"), "gateway.networking.k8s.io/v1beta1");
  EXPECT_EQ(list.at("items").as_array()[0].at("apiVersion"), "gateway.networking.k8s.io/v1beta1");

  // `-o yaml` at each version applies back unchanged.
  for (const std::string version : {"v1", "v1beta1"}) {
    auto r = server.sluice(
        {"get", "httproutes." + version + ".gateway.networking.k8s.io", "nginx", "-o", "yaml"});
    if (r.exitCode != 0) {  // the CLI resolves plural.group; fetch that version over the API
      auto [status, body] = server.curl("GET", version == "v1" ? v1 : beta);
      ASSERT_EQ(status, 200);
      writeFile(work.path() + "/route.json", body);
    } else {
      writeFile(work.path() + "/route.json", r.out);
    }
    r = server.sluice({"apply", "-f", work.path() + "/route.json"});
    EXPECT_OK(r);
    EXPECT_EQ(r.out, "httproute.gateway.networking.k8s.io/nginx configured\n") << version;
    EXPECT_EQ(getJson(v1).at("spec"), atV1.at("spec")) << version;
  }
  auto r = server.sluice({"get", "httproute", "nginx", "-o", "jsonpath={.metadata.generation}"});
  EXPECT_EQ(r.out, "1");

  // A v1beta1 manifest goes to the v1beta1 endpoint and is stored once.
  std::string manifest = readFile(gatewayFile("httproute.yaml"));
  manifest = std::regex_replace(manifest, std::regex("gateway.networking.k8s.io/v1\n"),
                                "gateway.networking.k8s.io/v1beta1\n");
  manifest = std::regex_replace(manifest, std::regex("name: nginx\nspec"), "name: beta\nspec");
  writeFile(work.path() + "/beta.yaml", manifest);
  r = server.sluice({"apply", "-f", work.path() + "/beta.yaml"});
  EXPECT_OK(r);
  EXPECT_EQ(getJson("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/beta")
                .at("apiVersion"),
            "gateway.networking.k8s.io/v1");
}

TEST_F(GatewayApiTest, BadWeightRefusedWithFieldPath) {
  writeFile(work.path() + "/bad.yaml", kBadWeight);
  auto r = server.sluice({"apply", "-f", work.path() + "/bad.yaml"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.err, "Error from server (Invalid): error when creating \"" + work.path() +
                       "/bad.yaml\": The HTTPRoute \"bad-weight\" is invalid: " + kBadWeightCause +
                       "\n");
  auto [status, body] =
      server.curl("POST", "/apis/gateway.networking.k8s.io/v1beta1/namespaces/default/httproutes",
                  readFile(work.path() + "/bad.yaml"), "application/yaml");
  EXPECT_EQ(status, 422);
  json::value st = json::parse(body);
  EXPECT_EQ(st.at("reason"), "Invalid");
  EXPECT_EQ(st.at("details").at("kind"), "HTTPRoute");
  EXPECT_EQ(st.at("details").at("group"), "gateway.networking.k8s.io");
  const auto& cause = st.at("details").at("causes").as_array().at(0);
  EXPECT_EQ(cause.at("field"), "spec.rules[0].backendRefs[0].weight");
  EXPECT_EQ(cause.at("reason"), "FieldValueInvalid");
}

TEST_F(GatewayApiTest, DiscoveryListsTheGroupAndVersions) {
  json::value group = getJson("/apis/gateway.networking.k8s.io");
  EXPECT_EQ(json::serialize(group.at("versions")),
            R"([{"groupVersion":"gateway.networking.k8s.io/v1","version":"v1"},)"
            R"({"groupVersion":"gateway.networking.k8s.io/v1beta1","version":"v1beta1"},)"
            R"({"groupVersion":"gateway.networking.k8s.io/v1alpha2","version":"v1alpha2"}])");
  EXPECT_EQ(group.at("preferredVersion").at("version"), "v1");

  auto names = [&](const std::string& version) {
    std::vector<std::string> out;
    json::value list = getJson("/apis/gateway.networking.k8s.io/" + version);
    for (const auto& r : list.at("resources").as_array())
      out.emplace_back(r.at("name").as_string());
    return out;
  };
  EXPECT_EQ(names("v1"),
            (std::vector<std::string>{"gatewayclasses", "gatewayclasses/status", "gateways",
                                      "gateways/status", "httproutes", "httproutes/status",
                                      "referencegrants", "tcproutes", "tcproutes/status"}));
  EXPECT_EQ(names("v1beta1"), (std::vector<std::string>{"gatewayclasses", "gatewayclasses/status",
                                                        "gateways", "gateways/status", "httproutes",
                                                        "httproutes/status", "referencegrants"}));
  EXPECT_EQ(names("v1alpha2"), (std::vector<std::string>{"tcproutes", "tcproutes/status"}));
  auto [status, body] =
      server.curl("GET", "/apis/gateway.networking.k8s.io/v1alpha2/namespaces/default/httproutes");
  EXPECT_EQ(status, 404) << body;

  json::value groups = getJson("/apis");
  bool listed = false;
  for (const auto& g : groups.at("groups").as_array())
    listed = listed || g.at("name") == "gateway.networking.k8s.io";
  EXPECT_TRUE(listed);

  auto r = server.sluice({"api-resources", "--api-group", "gateway.networking.k8s.io"});
  EXPECT_OK(r);
  EXPECT_TRUE(contains(r.out, "gatewayclasses")) << r.out;
  EXPECT_TRUE(contains(r.out, "refgrant")) << r.out;
}

TEST_F(GatewayApiTest, WatchStreamsRoutes) {
  applyExamples();
  Background watch(
      {sluiceBinary(), "--kubeconfig", server.kubeconfig(), "get", "httproutes", "-w"});
  ASSERT_TRUE(waitFor([&] { return contains(watch.out(), "nginx"); })) << watch.out();
  auto r = server.sluice({"patch", "httproute", "nginx", "--type", "merge", "-p",
                          R"({"spec":{"hostnames":["canary.example.com"]}})"});
  EXPECT_OK(r);
  EXPECT_TRUE(waitFor([&] { return contains(watch.out(), R"(["canary.example.com"])"); }))
      << watch.out();

  // A watch at v1beta1 gets its events at v1beta1.
  auto [status, body] = server.curl(
      "GET",
      "/apis/gateway.networking.k8s.io/v1beta1/namespaces/default/httproutes?watch=true&"
      "timeoutSeconds=1");
  EXPECT_EQ(status, 200);
  json::value event = json::parse(body.substr(0, body.find('\n')));
  EXPECT_EQ(event.at("type"), "ADDED");
  EXPECT_EQ(event.at("object").at("apiVersion"), "gateway.networking.k8s.io/v1beta1");
}

TEST_F(GatewayApiTest, DescribeAsKubectlsGenericDescriber) {
  applyExamples();
  auto r = server.sluice({"describe", "httproute", "nginx"});
  EXPECT_OK(r);
  for (const char* want :
       {"Name:         nginx\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n"
        "API Version:  gateway.networking.k8s.io/v1\nKind:         HTTPRoute\nMetadata:\n",
        "Spec:\n  Parent Refs:\n    Group:  \n    Kind:   Service\n    Name:   nginx\n",
        "    Backend Refs:\n      Group:   \n      Kind:    Service\n      Name:    nginx-v1\n"
        "      Port:    80\n      Weight:  90\n"})
    EXPECT_TRUE(contains(r.out, want)) << want << "\n---\n" << r.out;
  // Aligned with the lines before it, which depend on whether the status is written yet.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nEvents: +<none>\nTraffic \\(last 60 s")))
      << r.out;
  // Nothing went through the route yet.
  EXPECT_TRUE(contains(r.out, "    nginx-v1  requested 90.0 %  achieved - of 0 requests\n"))
      << r.out;
}

TEST_F(GatewayApiTest, RealKubectlAppliesGetsAndDescribes) {
  SLUICE_REQUIRE_KUBECTL("1.33");
  auto r =
      *server.kubectl("1.33", {"apply", "-f", seedFile("service-gray.yaml"), "-f",
                               gatewayFile("services.yaml"), "-f", gatewayFile("httproute.yaml")});
  EXPECT_OK(r);
  EXPECT_TRUE(contains(r.out, "httproute.gateway.networking.k8s.io/nginx created")) << r.out;
  r = *server.kubectl("1.33", {"apply", "-f", gatewayFile("httproute.yaml")});
  EXPECT_EQ(r.out, "httproute.gateway.networking.k8s.io/nginx configured\n") << r.err;
  r = *server.kubectl("1.33",
                      {"get", "httproute", "nginx", "-o", "jsonpath={.metadata.generation}"});
  EXPECT_EQ(r.out, "1");

  r = *server.kubectl("1.33", {"get", "httproute"});
  EXPECT_EQ(withoutAge(r.out), "NAME    HOSTNAMES\nnginx\n") << r.err;
  EXPECT_TRUE(waitFor([&] {
    r = *server.kubectl("1.33", {"get", "gatewayclass"});
    return withoutAge(r.out) ==
           "NAME     CONTROLLER                      ACCEPTED\n"
           "sluice   sluice.dev/gateway-controller   True\n";
  })) << r.out
      << r.err;
  writeFile(work.path() + "/gateway.yaml", kGateway);
  r = *server.kubectl("1.33", {"apply", "-f", work.path() + "/gateway.yaml"});
  EXPECT_OK(r);
  expectProgrammedGateway(true);

  // The same bytes as sluice's describe, which adds the achieved traffic split (from the
  // load balancer's counters) after the events.
  r = *server.kubectl("1.33", {"describe", "httproute", "nginx"});
  EXPECT_OK(r);
  std::string ours = server.sluice({"describe", "httproute", "nginx"}).out;
  size_t traffic = ours.find("Traffic (last 60 s");
  ASSERT_NE(traffic, std::string::npos) << ours;
  EXPECT_EQ(r.out, ours.substr(0, traffic));

  // A changed weight applied by kubectl (a JSON merge patch) bumps the generation.
  std::string manifest = readFile(gatewayFile("httproute.yaml"));
  manifest = std::regex_replace(manifest, std::regex("weight: 90"), "weight: 80");
  manifest = std::regex_replace(manifest, std::regex("weight: 10"), "weight: 20");
  writeFile(work.path() + "/route.yaml", manifest);
  r = *server.kubectl("1.33", {"apply", "-f", work.path() + "/route.yaml"});
  EXPECT_EQ(r.out, "httproute.gateway.networking.k8s.io/nginx configured\n") << r.err;
  r = *server.kubectl("1.33", {"get", "httproute", "nginx", "-o",
                               "jsonpath={.metadata.generation} "
                               "{.spec.rules[0].backendRefs[*].weight}"});
  EXPECT_EQ(r.out, "2 80 20");

  writeFile(work.path() + "/bad.yaml", kBadWeight);
  r = *server.kubectl("1.33", {"apply", "-f", work.path() + "/bad.yaml"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.err, "The HTTPRoute \"bad-weight\" is invalid: " + kBadWeightCause + "\n");

  r = *server.kubectl("1.33", {"api-resources", "--api-group", "gateway.networking.k8s.io"});
  EXPECT_OK(r);
  EXPECT_TRUE(contains(r.out, "gatewayclasses    gc           gateway.networking.k8s.io/v1"))
      << r.out;
  r = *server.kubectl("1.33", {"get", "httproutes.v1beta1.gateway.networking.k8s.io", "nginx", "-o",
                               "jsonpath={.apiVersion}"});
  EXPECT_EQ(r.out, "gateway.networking.k8s.io/v1beta1") << r.err;
}

}  // namespace
}  // namespace sluice::testing
