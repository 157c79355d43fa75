// The seed's gray and blue-green releases end to end, through the built-in load balancer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <sstream>

#include "harness.h"

namespace sluice::testing {
namespace {

std::map<std::string, int> split(const std::string& ip, int count) {
  std::map<std::string, int> seen;
  for (int i = 0; i < count; ++i) seen[httpGet(ip, 80)]++;
  return seen;
}

void seedWalkthrough(Server& server,
                     const std::function<ProcessResult(std::vector<std::string>)>& k) {
  for (const char* f : {"nginx-v1.yaml", "nginx-v2.yaml", "service-gray.yaml"}) {
    auto r = k({"apply", "-f", seedFile(f)});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  ASSERT_TRUE(
      waitFor([&] { return readyAddresses(server, "nginx") == 4; }, std::chrono::seconds(30)));
  ASSERT_TRUE(waitFor([&] { return allPodsAnswer(server, "app=nginx"); }));
  std::string ip =
      server.sluice({"get", "svc", "nginx", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"})
          .out;
  ASSERT_FALSE(ip.empty());

  // 2 x v1, 2 x v2: half and half over 1000 new connections.
  auto s = split(ip, 1000);
  EXPECT_EQ(s["Nginx-v1\n"] + s["Nginx-v2\n"], 1000) << s.size();
  EXPECT_NEAR(s["Nginx-v2\n"] / 10.0, 50.0, 3.0);

  // kubectl scale to 4:1: v2 gets 20 %.
  ASSERT_EQ(k({"scale", "deployment/nginx-v1", "--replicas=4"}).out,
            "deployment.apps/nginx-v1 scaled\n");
  ASSERT_EQ(k({"scale", "deployment/nginx-v2", "--replicas=1"}).out,
            "deployment.apps/nginx-v2 scaled\n");
  ASSERT_TRUE(
      waitFor([&] { return readyAddresses(server, "nginx") == 5; }, std::chrono::seconds(30)));
  ASSERT_TRUE(waitFor(
      [&] {
        auto pods = server.sluice({"get", "pods", "-l", "app=nginx", "-o", "name"}).out;
        return std::count(pods.begin(), pods.end(), '\n') == 5;  // surplus pods gone
      },
      std::chrono::seconds(30)));
  ASSERT_TRUE(waitFor([&] { return allPodsAnswer(server, "app=nginx"); }));
  s = split(ip, 1000);
  EXPECT_EQ(s["Nginx-v1\n"] + s["Nginx-v2\n"], 1000);
  EXPECT_NEAR(s["Nginx-v2\n"] / 10.0, 20.0, 3.0);
  // Ten connections: exactly 8:2 (round-robin over 5 endpoints).
  s = split(ip, 10);
  EXPECT_EQ(s["Nginx-v1\n"], 8);
  EXPECT_EQ(s["Nginx-v2\n"], 2);

  // The load balancer's metrics count the connections per endpoint and version.
  auto [code, metrics] = server.curl("GET", "/metrics");
  EXPECT_EQ(code, 200);
  uint64_t v1 = 0, v2 = 0;
  std::stringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("sluice_proxy_connections_total{namespace=\"default\",service=\"nginx\"", 0) !=
        0)
      continue;
    uint64_t n = std::stoull(line.substr(line.rfind(' ') + 1));
    (line.find("version=\"v1\"") != std::string::npos ? v1 : v2) += n;
  }
  EXPECT_EQ(v1 + v2, 2010u) << metrics;
  EXPECT_GE(v2, 200u);

  // Blue-green: the v1-only Service, then the seed's selector patch.
  ASSERT_EQ(k({"apply", "-f", seedFile("service-blue-green.yaml")}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return readyAddresses(server, "nginx") == 4; }));
  s = split(ip, 100);
  EXPECT_EQ(s["Nginx-v1\n"], 100);
  auto r = k({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"});
  ASSERT_EQ(r.out, "service/nginx patched\n") << r.err;
  ASSERT_TRUE(waitFor([&] { return readyAddresses(server, "nginx") == 1; }));
  s = split(ip, 1000);
  EXPECT_EQ(s["Nginx-v2\n"], 1000);

  // No ready endpoint: connections are refused at once.
  ASSERT_EQ(k({"scale", "deployment/nginx-v2", "--replicas=0"}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return readyAddresses(server, "nginx") == 0; }));
  EXPECT_TRUE(waitFor([&] { return httpGet(ip, 80).empty(); }));
  // ... and the Service's events say why.
  EXPECT_TRUE(waitFor([&] {
    return server.sluice({"describe", "svc", "nginx"})
               .out.find(
                   "Service has no ready endpoints: no pods match the selector "
                   "app=nginx,version=v2") != std::string::npos;
  })) << server.sluice({"describe", "svc", "nginx"}).out;
}

TEST(SeedEndToEnd, WithSluice) {
  Server server("", seedServerArgs());
  seedWalkthrough(server, [&](std::vector<std::string> a) { return server.sluice(a); });
}

TEST(SeedEndToEnd, WithKubectl133) {
  SLUICE_REQUIRE_KUBECTL("1.33");
  Server server("", seedServerArgs());
  seedWalkthrough(server, [&](std::vector<std::string> a) { return *server.kubectl("1.33", a); });
}

}  // namespace
}  // namespace sluice::testing
