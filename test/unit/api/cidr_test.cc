#include "api/cidr.h"

#include <gtest/gtest.h>

namespace sluice::api {
namespace {

TEST(LoopbackCidr, ParsesAndRejects) {
  auto r = parseLoopbackCidr("127.42.0.0/16");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ipToString(r->first), "127.42.0.1");
  EXPECT_EQ(ipToString(r->second), "127.42.255.254");
  for (const char* bad : {"10.0.0.0/16", "127.42.0.0", "127.42.0.0/31", "nonsense/16"}) {
    auto b = parseLoopbackCidr(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().message.find(bad), std::string::npos) << b.error().message;
  }
}

TEST(IpPool, AllocatesRoundRobinSkippingTakenAndBroadcastLikeAddresses) {
  auto r = parseLoopbackCidr("127.9.0.0/23");  // 127.9.0.1 .. 127.9.1.254
  ASSERT_TRUE(r.ok());
  IpPool pool(r->first, r->second);
  EXPECT_EQ(ipToString(pool.allocate()), "127.9.0.1");
  EXPECT_TRUE(pool.claim(r->first + 1));    // 127.9.0.2 taken by hand
  EXPECT_FALSE(pool.claim(r->first + 1));   // ... once
  EXPECT_FALSE(pool.claim(r->second + 5));  // outside the range
  EXPECT_EQ(ipToString(pool.allocate()), "127.9.0.3");
  pool.release(r->first);
  // Round-robin goes on from where it was; .255 and .0 are never handed out.
  uint32_t last = 0;
  for (int i = 0; i < 600; ++i) {
    uint32_t ip = pool.allocate();
    if (!ip) break;
    EXPECT_NE(ip & 0xff, 0u);
    EXPECT_NE(ip & 0xff, 255u);
    last = ip;
  }
  EXPECT_NE(last, 0u);
  EXPECT_EQ(pool.allocate(), 0u);  // exhausted
  pool.release(r->first + 7);
  EXPECT_EQ(ipToString(pool.allocate()), "127.9.0.8");
}

}  // namespace
}  // namespace sluice::api
