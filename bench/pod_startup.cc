// Pod create → Ready latency: creates N pods one after another through the API (as kubectl
// would) and measures, for each, the time from sending the create to seeing Ready=True on a
// watch. Prints median, p90, p99 and max.
// Usage: pod_startup KUBECONFIG [COUNT] [probe|noprobe] [IMAGE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "api/object.h"
#include "client/client.h"
#include "client/kubeconfig.h"

using namespace sluice;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pod_startup KUBECONFIG [COUNT] [IMAGE]\n");
    return 2;
  }
  int count = argc > 2 ? std::atoi(argv[2]) : 100;
  bool withProbe = argc <= 3 || std::string(argv[3]) != "noprobe";
  std::string image = argc > 4 ? argv[4] : "example.com/nginx:v1";
  auto access = client::loadKubeconfig(argv[1]);
  if (!access) {
    std::fprintf(stderr, "%s\n", access.error().message.c_str());
    return 1;
  }
  client::HttpClient api(*access);
  const auto* podType = api::findByKind("v1", "Pod");
  client::ListOptions lo;
  lo.labelSelector = "bench=pod-startup";
  auto list = api.list(*podType, "default", lo);
  if (!list) return 1;
  lo.resourceVersion = api::getString(*list, "metadata.resourceVersion");
  auto watch = api.watch(*podType, "default", lo);
  if (!watch) return 1;

  std::vector<double> millis;
  for (int i = 0; i < count; ++i) {
    std::string name = "startup-" + std::to_string(i);
    boost::json::object probe{{"tcpSocket", boost::json::object{{"port", 80}}},
                              {"periodSeconds", 1}};
    boost::json::object container{{"name", "web"}, {"image", image}};
    if (withProbe) container["readinessProbe"] = probe;
    boost::json::object meta{{"name", name},
                             {"labels", boost::json::object{{"bench", "pod-startup"}}}};
    boost::json::object pod{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", meta},
        {"spec", boost::json::object{{"containers", boost::json::array{container}}}}};
    auto start = Clock::now();
    auto created = api.create(*podType, "default", pod);
    if (!created) {
      std::fprintf(stderr, "create %s: %s\n", name.c_str(), created.error().message.c_str());
      return 1;
    }
    bool ready = false;
    while (!ready) {
      auto ev = (*watch)->next(std::chrono::seconds(30));
      if (!ev) {
        std::fprintf(stderr, "timed out waiting for %s\n", name.c_str());
        return 1;
      }
      if (api::nameOf(ev->object) != name) continue;
      if (auto* conds = api::find(ev->object, "status.conditions"); conds && conds->is_array())
        for (const auto& c : conds->as_array())
          if (api::getString(c, "type") == "Ready" && api::getString(c, "status") == "True")
            ready = true;
    }
    millis.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(millis.begin(), millis.end());
  auto pct = [&](double p) {
    return millis[std::min(millis.size() - 1, static_cast<size_t>(p * millis.size()))];
  };
  std::printf("pods=%d %s create->Ready ms: median=%.1f p90=%.1f p99=%.1f max=%.1f\n", count,
              withProbe ? "(tcpSocket readiness probe, period 1s)" : "(no probe)", pct(0.5),
              pct(0.9), pct(0.99), millis.back());
  for (int i = 0; i < count; ++i) {
    client::DeleteOptions d;
    d.gracePeriodSeconds = 0;
    if (auto r = api.remove(*podType, "default", "startup-" + std::to_string(i), d); !r)
      std::fprintf(stderr, "delete startup-%d: %s\n", i, r.error().message.c_str());
  }
  return 0;
}
