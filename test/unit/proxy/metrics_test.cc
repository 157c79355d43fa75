#include "proxy/metrics.h"

#include <gtest/gtest.h>

namespace sluice::proxy {
namespace {

using namespace std::chrono_literals;

TEST(ProxyMetrics, SeriesOfGoneEndpointsAreForgottenAfterTheGracePeriod) {
  Metrics m(2);
  auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  auto kept = m.series("ns", "web", 80, "127.0.0.1:80", "v1");
  auto gone = m.series("ns", "web", 80, "127.0.0.2:80", "v2");
  gone->slots[1].request(200, 1500);
  EXPECT_NE(m.render(0).find("127.0.0.2:80"), std::string::npos);

  m.sweep({kept.get()}, t0, 600s);  // `gone` left: the clock starts
  m.sweep({kept.get()}, t0 + 599s, 600s);
  EXPECT_NE(m.render(0).find("127.0.0.2:80"), std::string::npos) << "still within the grace";
  m.sweep({kept.get()}, t0 + 600s, 600s);
  EXPECT_EQ(m.render(0).find("127.0.0.2:80"), std::string::npos);
  EXPECT_NE(m.render(0).find("127.0.0.1:80"), std::string::npos);

  // Back within the grace: the clock resets.
  auto flapping = m.series("ns", "web", 80, "127.0.0.3:80", "v1");
  m.sweep({kept.get()}, t0, 600s);
  m.sweep({kept.get(), flapping.get()}, t0 + 500s, 600s);
  m.sweep({kept.get()}, t0 + 700s, 600s);
  EXPECT_NE(m.render(0).find("127.0.0.3:80"), std::string::npos);
}

TEST(ProxyMetrics, RenderSumsWorkerSlotsIntoCountersAndHistograms) {
  Metrics m(2);
  auto s = m.series("ns", "web", 80, "127.0.0.1:80", "v2");
  s->slots[0].connections.add(2);
  s->slots[1].connections.add(3);
  s->slots[0].request(200, 400);    // 0.4 ms: the 0.0005 bucket
  s->slots[1].request(200, 3000);   // 3 ms: 0.005
  s->slots[1].request(503, 20000);  // 20 ms: 0.025
  auto text = m.render(0);
  const std::string labels =
      "namespace=\"ns\",service=\"web\",port=\"80\",endpoint=\"127.0.0.1:80\",version=\"v2\"";
  for (const std::string& line : {
           "sluice_proxy_connections_total{" + labels + "} 5",
           "sluice_proxy_requests_total{" + labels + ",code=\"200\"} 2",
           "sluice_proxy_requests_total{" + labels + ",code=\"503\"} 1",
           "sluice_proxy_request_duration_seconds_bucket{" + labels + ",le=\"0.0005\"} 1",
           "sluice_proxy_request_duration_seconds_bucket{" + labels + ",le=\"0.001\"} 1",
           "sluice_proxy_request_duration_seconds_bucket{" + labels + ",le=\"0.005\"} 2",
           "sluice_proxy_request_duration_seconds_bucket{" + labels + ",le=\"0.025\"} 3",
           "sluice_proxy_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} 3",
           "sluice_proxy_request_duration_seconds_sum{" + labels + "} 0.0234",
           "sluice_proxy_request_duration_seconds_count{" + labels + "} 3",
       })
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n" << text;
}

}  // namespace
}  // namespace sluice::proxy
