// The L4 path (tunnel.cc) through a real worker: bulk transfer both ways through splice.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>

#include "worker_fixture.h"

namespace sluice::proxy {
namespace {

using namespace testutil;

TEST(ProxyWorkerL4, BulkTransferBothWaysIsExact) {
  // An echo backend: everything comes back, in order, through the splice path.
  uint16_t port;
  int lfd = listenLoopback(port);
  std::thread echo([lfd] {
    int c = accept(lfd, nullptr, nullptr);
    char buf[65536];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0)
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(c, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) return;
        off += w;
      }
    shutdown(c, SHUT_WR);
    close(c);
  });
  Fixture proxy(false, {port});
  int c = proxy.connect();
  std::string data(8 << 20, '\0');
  std::mt19937 rng(7);
  for (auto& ch : data) ch = static_cast<char>(rng());
  std::thread writer([&] {
    send(c, data);
    shutdown(c, SHUT_WR);
  });
  std::string back;
  back.reserve(data.size());
  while (readSome(c, back)) {
  }
  writer.join();
  echo.join();
  close(c);
  close(lfd);
  ASSERT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  auto in = "direction=\"in\"} " + std::to_string(data.size());
  EXPECT_TRUE(proxy.waitForMetrics([&](const std::string& m) {
    return m.find(in) != std::string::npos;
  })) << proxy.metrics();
}

}  // namespace
}  // namespace sluice::proxy
