// The routing table from Services, Endpoints and Pods, by tables of named cases: which ports
// exist, in which mode and balancing, over which endpoints, and which addresses lead to them.
#include "proxy/snapshot.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace sluice::proxy {
namespace {

namespace json = boost::json;

// One line per port and per listener, e.g.
//   "web/nginx/80 L7 ClientIP(60s) [127.42.0.5:8080 v1, 127.42.0.6:8080 v2]"
//   "listen 127.43.0.10:80 -> web/nginx/80"
std::vector<std::string> describe(const RouteTable& table) {
  std::vector<std::string> out;
  for (const PortRoute& p : table.ports) {
    std::string line = p.key + (p.http ? " L7" : " L4");
    if (p.balancing.policy == Balancing::Policy::ClientIp)
      line += " ClientIP(" + std::to_string(p.balancing.affinityTimeout.count()) + "s)";
    line += " [";
    for (size_t i = 0; i < p.endpoints.size(); ++i) {
      const EndpointRoute& e = p.endpoints[i];
      line += (i ? ", " : "") + e.endpoint + (e.version.empty() ? "" : " " + e.version);
      EXPECT_EQ(addressText(e.address), e.endpoint);
    }
    out.push_back(line + "]");
  }
  for (const ListenRoute& l : table.listeners) {
    EXPECT_EQ(addressText(l.at), l.address);
    out.push_back("listen " + l.address + " -> " + table.ports.at(l.port).key);
  }
  return out;
}

struct Objects {
  std::vector<std::string> services, endpoints, pods;  // JSON documents
};

RouteTable build(const Objects& objects) {
  auto parse = [](const std::vector<std::string>& docs) {
    std::map<std::string, ObjectPtr> byKey;
    std::vector<ObjectPtr> list;
    for (const auto& d : docs) {
      auto o = std::make_shared<const json::value>(json::parse(d));
      const auto& meta = o->at("metadata").as_object();
      byKey[std::string(meta.at("namespace").as_string()) + "/" +
            std::string(meta.at("name").as_string())] = o;
      list.push_back(o);
    }
    return std::make_pair(byKey, list);
  };
  auto [services, serviceList] = parse(objects.services);
  auto [endpoints, endpointList] = parse(objects.endpoints);
  auto [pods, podList] = parse(objects.pods);
  auto lookup = [](std::map<std::string, ObjectPtr> m) {
    return [m = std::move(m)](const std::string& key) -> ObjectPtr {
      auto it = m.find(key);
      return it == m.end() ? nullptr : it->second;
    };
  };
  return buildRouteTable({serviceList, lookup(endpoints), lookup(pods)});
}

// A Service "web/<name>" (ClusterIP 127.43.0.<n>) with the given spec fields beside the IP.
std::string service(const std::string& name, int n, const std::string& spec,
                    const std::string& status = "{}") {
  return R"({"metadata":{"namespace":"web","name":")" + name +
         R"("},"spec":{"clusterIP":"127.43.0.)" + std::to_string(n) + "\"," + spec +
         R"(},"status":)" + status + "}";
}

std::string endpoints(const std::string& name, const std::string& subsets) {
  return R"({"metadata":{"namespace":"web","name":")" + name + R"("},"subsets":)" + subsets + "}";
}

std::string pod(const std::string& name, const std::string& version) {
  return R"({"metadata":{"namespace":"web","name":")" + name + R"(","labels":{"version":")" +
         version + R"("}}})";
}

// A ready address of pod `name` at 127.42.0.<n>.
std::string address(int n, const std::string& name) {
  return R"({"ip":"127.42.0.)" + std::to_string(n) +
         R"(","targetRef":{"kind":"Pod","namespace":"web","name":")" + name + R"("}})";
}

TEST(BuildRouteTable, FromServicesEndpointsAndPods) {
  const std::string http80 = R"("ports":[{"port":80,"appProtocol":"http"}])";
  const std::string tcp80 = R"("ports":[{"port":80}])";
  const std::string twoReady = R"([{"addresses":[)" + address(6, "b") + "," + address(5, "a") +
                               R"(],"ports":[{"port":8080}]}])";
  struct Case {
    std::string name;
    Objects objects;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"L4 port over ready endpoints, sorted, with their pods' versions",
       {{service("nginx", 10, tcp80)},
        {endpoints("nginx", twoReady)},
        {pod("a", "v1"), pod("b", "v2")}},
       {"web/nginx/80 L4 [127.42.0.5:8080 v1, 127.42.0.6:8080 v2]",
        "listen 127.43.0.10:80 -> web/nginx/80"}},
      {"an L4 port without endpoints is not listened on (connection refused)",
       {{service("nginx", 10, tcp80)}, {}, {}},
       {"web/nginx/80 L4 []"}},
      {"an L7 port without endpoints is listened on (503 saying why)",
       {{service("nginx", 10, http80)}, {}, {}},
       {"web/nginx/80 L7 []", "listen 127.43.0.10:80 -> web/nginx/80"}},
      {"kubernetes.io/http is L7 too",
       {{service("nginx", 10, R"("ports":[{"port":80,"appProtocol":"kubernetes.io/http"}])")},
        {},
        {}},
       {"web/nginx/80 L7 []", "listen 127.43.0.10:80 -> web/nginx/80"}},
      {"LoadBalancer: ClusterIP, every ingress IP and the node port",
       {{service(
            "nginx", 10, R"("type":"LoadBalancer","ports":[{"port":80,"nodePort":30080}])",
            R"({"loadBalancer":{"ingress":[{"ip":"127.44.0.1"},{"ip":"127.44.0.2"},{"hostname":"x"}]}})")},
        {endpoints("nginx", twoReady)},
        {}},
       {"web/nginx/80 L4 [127.42.0.5:8080, 127.42.0.6:8080]",
        "listen 127.0.0.1:30080 -> web/nginx/80", "listen 127.43.0.10:80 -> web/nginx/80",
        "listen 127.44.0.1:80 -> web/nginx/80", "listen 127.44.0.2:80 -> web/nginx/80"}},
      {"headless: no ClusterIP listener",
       {{R"({"metadata":{"namespace":"web","name":"db"},"spec":{"clusterIP":"None","ports":[{"port":5432,"nodePort":30432}]}})"},
        {endpoints("db", twoReady)},
        {}},
       {"web/db/5432 L4 [127.42.0.5:8080, 127.42.0.6:8080]",
        "listen 127.0.0.1:30432 -> web/db/5432"}},
      {"ExternalName and non-TCP ports are left out",
       {{service("ext", 11, R"("type":"ExternalName","externalName":"example.com")"),
         service("dns", 12, R"("ports":[{"port":53,"protocol":"UDP"},{"port":54}])")},
        {endpoints("dns", R"([{"addresses":[)" + address(7, "d") + R"(],"ports":[{"port":53}]}])")},
        {}},
       {"web/dns/54 L4 [127.42.0.7:53]", "listen 127.43.0.12:54 -> web/dns/54"}},
      {"each Service port takes the target port of its name",
       {{service("app", 13,
                 R"("ports":[{"name":"http","port":80},{"name":"metrics","port":9090}])")},
        {endpoints(
            "app",
            R"([{"addresses":[)" + address(5, "a") +
                R"(],"ports":[{"name":"metrics","port":9100},{"name":"http","port":8080}]}])")},
        {}},
       {"web/app/80 L4 [127.42.0.5:8080]", "web/app/9090 L4 [127.42.0.5:9100]",
        "listen 127.43.0.13:80 -> web/app/80", "listen 127.43.0.13:9090 -> web/app/9090"}},
      {"subsets without the port, without addresses, and bad addresses add nothing",
       {{service("app", 13, R"("ports":[{"name":"http","port":80}])")},
        {endpoints("app",
                   R"([{"addresses":[)" + address(5, "a") +
                       R"(],"ports":[{"name":"grpc","port":9000},{"name":"admin","port":9001}]},
                              {"notReadyAddresses":[)" +
                       address(6, "b") + R"(],"ports":[{"port":8080}]},
                              {"addresses":[{"ip":"not-an-ip"},{"ip":"127.42.0.8"}],"ports":[{"port":8080}]}])")},
        {}},
       {"web/app/80 L4 [127.42.0.8:8080]", "listen 127.43.0.13:80 -> web/app/80"}},
      {"sessionAffinity: ClientIP, with its timeout or Kubernetes' default",
       {{service(
             "a", 14,
             R"("sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},)" +
                 http80),
         service("b", 15, R"("sessionAffinity":"ClientIP",)" + http80),
         service(
             "c", 16,
             R"("sessionAffinity":"None","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},)" +
                 http80)},
        {},
        {}},
       {"web/a/80 L7 ClientIP(60s) []", "web/b/80 L7 ClientIP(10800s) []", "web/c/80 L7 []",
        "listen 127.43.0.14:80 -> web/a/80", "listen 127.43.0.15:80 -> web/b/80",
        "listen 127.43.0.16:80 -> web/c/80"}},
      {"two ports claiming one address: the first keeps it",
       {{service("first", 20, R"("ports":[{"port":80,"nodePort":30080}])"),
         service("second", 21, R"("ports":[{"port":80,"nodePort":30080}])")},
        {endpoints("first", twoReady), endpoints("second", twoReady)},
        {}},
       {"web/first/80 L4 [127.42.0.5:8080, 127.42.0.6:8080]",
        "web/second/80 L4 [127.42.0.5:8080, 127.42.0.6:8080]",
        "listen 127.0.0.1:30080 -> web/first/80", "listen 127.43.0.20:80 -> web/first/80",
        "listen 127.43.0.21:80 -> web/second/80"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(describe(build(c.objects)), c.want);
  }
}

TEST(BuildRouteTable, PortFieldsAndTheUnavailableAnswer) {
  auto table =
      build({{service("nginx", 10, R"("ports":[{"port":80,"appProtocol":"http"}])")}, {}, {}});
  ASSERT_EQ(table.ports.size(), 1u);
  const PortRoute& p = table.ports[0];
  EXPECT_EQ(p.ns, "web");
  EXPECT_EQ(p.service, "nginx");
  EXPECT_EQ(p.port, 80);
  EXPECT_EQ(p.balancing, Balancing{});
  const std::string body = "no endpoints available for service \"web/nginx\" port 80\n";
  EXPECT_EQ(p.unavailable,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body);
}

TEST(BuildRouteTable, EndpointKeysOrderAddressesThenPorts) {
  auto table = build({{service("nginx", 10, R"("ports":[{"port":80}])")},
                      {endpoints("nginx", R"([{"addresses":[)" + address(5, "a") +
                                              R"(],"ports":[{"port":8080}]}])")},
                      {}});
  ASSERT_EQ(table.ports.size(), 1u);
  ASSERT_EQ(table.ports[0].endpoints.size(), 1u);
  // 127.42.0.5:8080 -> 0x7f2a0005 << 16 | 8080
  EXPECT_EQ(table.ports[0].endpoints[0].key, (uint64_t{0x7f2a0005} << 16) | 8080);
}

}  // namespace
}  // namespace sluice::proxy
