// Services' control plane: address allocation and Endpoints/EndpointSlices.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <set>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

std::string jsonpath(Server& s, std::vector<std::string> args, const std::string& path) {
  args.push_back("-o");
  args.push_back("jsonpath=" + path);
  return s.sluice(args).out;
}

TEST(ServicesTest, LoadBalancerGetsClusterIpNodePortAndExternalIp) {
  auto ranges = privateRanges();
  Server server("", seedServerArgs(ranges));
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("service-gray.yaml")}).exitCode, 0);
  std::string clusterIp = jsonpath(server, {"get", "svc", "nginx"}, "{.spec.clusterIP}");
  std::string nodePort = jsonpath(server, {"get", "svc", "nginx"}, "{.spec.ports[0].nodePort}");
  std::string external =
      jsonpath(server, {"get", "svc", "nginx"}, "{.status.loadBalancer.ingress[0].ip}");
  EXPECT_EQ(clusterIp.rfind(rangePrefix(ranges.services), 0), 0u) << clusterIp;
  EXPECT_GE(std::atoi(nodePort.c_str()), 30000);
  EXPECT_LE(std::atoi(nodePort.c_str()), 32767);
  EXPECT_EQ(external.rfind(rangePrefix(ranges.loadBalancers), 0), 0u) << external;
  auto r = server.sluice({"get", "svc", "nginx"});
  EXPECT_NE(r.out.find(external), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("80:" + nodePort + "/TCP"), std::string::npos) << r.out;
  // The annotation of the seed is kept.
  EXPECT_EQ(
      jsonpath(server, {"get", "svc", "nginx"}, "{.metadata.annotations.kubernetes\\.io/elb\\.id}"),
      "586c97da-a47c-467c-a615-bd25a20de39c");
  // Re-applying and patching keep the allocations.
  ASSERT_EQ(
      server
          .sluice({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"})
          .exitCode,
      0);
  EXPECT_EQ(jsonpath(server, {"get", "svc", "nginx"}, "{.spec.clusterIP}"), clusterIp);
  EXPECT_EQ(jsonpath(server, {"get", "svc", "nginx"}, "{.status.loadBalancer.ingress[0].ip}"),
            external);

  // A second Service asking for the same ClusterIP or node port gets a clear error.
  std::string clash =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: clash\nspec:\n  type: NodePort\n  "
      "clusterIP: " +
      clusterIp + "\n  ports:\n  - port: 81\n    nodePort: " + nodePort + "\n";
  r = server.sluice({"apply", "-f", "-"}, clash);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("provided IP is already allocated"), std::string::npos) << r.err;
  std::string clash2 =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: clash\nspec:\n  type: NodePort\n  "
      "ports:\n  - port: 81\n    nodePort: " +
      nodePort + "\n";
  r = server.sluice({"apply", "-f", "-"}, clash2);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("provided port is already allocated"), std::string::npos) << r.err;
  // Deleting the Service frees its addresses for others.
  ASSERT_EQ(server.sluice({"delete", "svc", "nginx"}).exitCode, 0);
  r = server.sluice({"apply", "-f", "-"}, clash);
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(ServicesTest, EndpointsFollowPodsAndSelector) {
  Server server("", seedServerArgs());
  for (const char* f : {"nginx-v1.yaml", "nginx-v2.yaml", "service-gray.yaml"})
    ASSERT_EQ(server.sluice({"apply", "-f", seedFile(f)}).exitCode, 0);
  auto addresses = [&] {
    auto r = server.sluice({"get", "endpoints", "nginx", "-o", "json"});
    if (r.exitCode != 0) return -1;
    auto v = json::parse(r.out);
    int n = 0;
    if (auto* subsets = v.as_object().if_contains("subsets"))
      for (const auto& s : subsets->as_array())
        if (auto* a = s.as_object().if_contains("addresses"))
          n += static_cast<int>(a->as_array().size());
    return n;
  };
  EXPECT_TRUE(waitFor([&] { return addresses() == 4; })) << addresses();
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=4"}).exitCode, 0);
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v2", "--replicas=1"}).exitCode, 0);
  EXPECT_TRUE(waitFor([&] { return addresses() == 5; })) << addresses();
  // Blue-green: the selector names v2 only.
  ASSERT_EQ(
      server
          .sluice({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"})
          .exitCode,
      0);
  EXPECT_TRUE(waitFor([&] { return addresses() == 1; })) << addresses();
  auto slice = server.sluice(
      {"get", "endpointslices", "-l", "kubernetes.io/service-name=nginx", "-o", "json"});
  EXPECT_NE(slice.out.find("\"ready\": true"), std::string::npos) << slice.out;
  // A Service without a selector keeps hand-made Endpoints.
  std::string manual =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: manual\nspec:\n  ports:\n  - port: "
      "80\n---\n"
      "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: manual\nsubsets:\n- addresses:\n  - ip: "
      "127.9.9.9\n  ports:\n  - port: 80\n";
  ASSERT_EQ(server.sluice({"apply", "-f", "-"}, manual).exitCode, 0);
  ASSERT_EQ(server.sluice({"label", "svc", "manual", "touched=yes"}).exitCode, 0);
  EXPECT_EQ(jsonpath(server, {"get", "ep", "manual"}, "{.subsets[0].addresses[0].ip}"),
            "127.9.9.9");
}

TEST(ServicesTest, ClientIpAffinityKeepsABackend) {
  TempDir dir;
  writeFile(dir.path() + "/images.yaml",
            "images:\n  - image: echo-json\n    command: [\"{sluice}\", \"http-echo\", \"--json\", "
            "\"--text\", \"hi\"]\n");
  auto args = seedServerArgs();
  args.push_back("--image-catalog");
  args.push_back(dir.path() + "/images.yaml");
  Server server("", args);
  std::string manifests =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: echo\nspec:\n  replicas: 3\n"
      "  selector:\n    matchLabels: {app: echo}\n  template:\n    metadata:\n      labels: {app: "
      "echo}\n"
      "    spec:\n      containers:\n      - name: echo\n        image: echo-json\n        ports:\n"
      "        - containerPort: 8080\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: echo\nspec:\n  type: LoadBalancer\n"
      "  sessionAffinity: ClientIP\n  selector: {app: echo}\n  ports:\n  - port: 80\n    "
      "targetPort: 8080\n";
  ASSERT_EQ(server.sluice({"apply", "-f", "-"}, manifests).exitCode, 0);
  ASSERT_TRUE(waitFor(
      [&] {
        auto r = server.sluice({"get", "endpoints", "echo", "-o",
                                "jsonpath={range .subsets[*].addresses[*]}{.ip} {end}"});
        return std::count(r.out.begin(), r.out.end(), ' ') == 3;
      },
      std::chrono::seconds(30)));
  std::string ip = jsonpath(server, {"get", "svc", "echo"}, "{.status.loadBalancer.ingress[0].ip}");
  std::set<std::string> pods;
  for (int i = 0; i < 12; ++i) {
    auto r = run({"curl", "-s", "-m", "5", "http://" + ip + "/"});
    auto at = r.out.find("\"pod\":\"");
    ASSERT_NE(at, std::string::npos) << r.out;
    pods.insert(r.out.substr(at + 7, r.out.find('"', at + 7) - at - 7));
  }
  EXPECT_EQ(pods.size(), 1u);
  // Without affinity the same client is spread over all three.
  ASSERT_EQ(server.sluice({"patch", "svc", "echo", "-p", R"({"spec":{"sessionAffinity":"None"}})"})
                .exitCode,
            0);
  pods.clear();
  EXPECT_TRUE(waitFor([&] {
    auto r = run({"curl", "-s", "-m", "5", "http://" + ip + "/"});
    auto at = r.out.find("\"pod\":\"");
    if (at != std::string::npos)
      pods.insert(r.out.substr(at + 7, r.out.find('"', at + 7) - at - 7));
    return pods.size() == 3;
  }));
}

// appProtocol: http — the split holds per request on one client connection, a Service without
// ready endpoints answers 503 saying which, and /metrics counts requests by status code.
TEST(ServicesTest, HttpPortBalancesRequestsAndAnswers503WithoutEndpoints) {
  Server server("", seedServerArgs());
  for (const char* f : {"nginx-v1.yaml", "nginx-v2.yaml"})
    ASSERT_EQ(server.sluice({"apply", "-f", seedFile(f)}).exitCode, 0);
  ASSERT_EQ(server.sluice({"scale", "deployment", "nginx-v1", "nginx-v2", "--replicas=1"}).exitCode,
            0);
  std::string service =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer\n"
      "  selector: {app: nginx}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 80\n"
      "    appProtocol: http\n";
  ASSERT_EQ(server.sluice({"apply", "-f", "-"}, service).exitCode, 0);
  ASSERT_TRUE(
      waitFor([&] { return readyAddresses(server, "web") == 2; }, std::chrono::seconds(30)));
  ASSERT_TRUE(waitFor([&] { return allPodsAnswer(server, "app=nginx"); }));
  std::string ip = jsonpath(server, {"get", "svc", "web"}, "{.status.loadBalancer.ingress[0].ip}");
  std::string url = "http://" + ip + "/";

  // Eight requests on one connection (curl reuses it and says so on stderr): four each.
  auto r = run({"curl", "-sv", "-m", "10", url, url, url, url, url, url, url, url});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("Re-using existing connection"), std::string::npos) << r.err;
  size_t v1 = 0, v2 = 0;
  for (size_t at = 0; (at = r.out.find("Nginx-v", at)) != std::string::npos; ++at)
    (r.out[at + 7] == '1' ? v1 : v2)++;
  EXPECT_EQ(v1, 4u) << r.out;
  EXPECT_EQ(v2, 4u) << r.out;

  ASSERT_EQ(server.sluice({"scale", "deployment", "nginx-v1", "nginx-v2", "--replicas=0"}).exitCode,
            0);
  ASSERT_TRUE(
      waitFor([&] { return readyAddresses(server, "web") == 0; }, std::chrono::seconds(30)));
  std::string answer;
  ASSERT_TRUE(waitFor([&] {
    answer = run({"curl", "-s", "-m", "5", "-w", " %{http_code}", url}).out;
    return answer.find(" 503") != std::string::npos;
  })) << answer;
  EXPECT_EQ(answer, "no endpoints available for service \"default/web\" port 80\n 503");
  EXPECT_TRUE(waitFor([&] {
    auto events = server.sluice({"get", "events", "--field-selector", "involvedObject.name=web"});
    return events.out.find("NoReadyEndpoints") != std::string::npos;
  }));

  auto [status, metrics] = server.curl("GET", "/metrics");
  ASSERT_EQ(status, 200);
  EXPECT_NE(metrics.find("sluice_proxy_requests_total{namespace=\"default\",service=\"web\","
                         "port=\"80\",endpoint=\"\",code=\"503\"} 1"),
            std::string::npos)
      << metrics;
  // 4 per pod from the curl above, plus the probes' requests straight to the pods (not counted).
  for (const char* version : {"v1", "v2"}) {
    auto at = metrics.find(std::string("version=\"") + version + "\",code=\"200\"} ");
    ASSERT_NE(at, std::string::npos) << metrics;
    EXPECT_EQ(metrics.substr(metrics.find("} ", at) + 2, 2), "4\n") << metrics;
  }
  EXPECT_NE(metrics.find("sluice_proxy_request_duration_seconds_count{namespace=\"default\","
                         "service=\"web\""),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::testing
