// The weighted cycle: exact shares per cycle, smooth interleaving, zero weights, scaling of
// very long cycles, and one cursor shared by threads.
#include "proxy/weighted.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <vector>

namespace sluice::proxy {
namespace {

std::map<int, int> counts(WeightedSchedule& s, int n) {
  std::map<int, int> out;
  for (int i = 0; i < n; ++i) ++out[s.next()];
  return out;
}

TEST(WeightedScheduleTest, EightyTwentyGivesEightAndTwoOfEveryTen) {
  std::vector<int64_t> w = {80, 20};
  WeightedSchedule s(w);
  EXPECT_EQ(s.cycle().size(), 5u) << "reduced by the gcd";
  for (int block = 0; block < 100; ++block) {
    auto c = counts(s, 10);
    EXPECT_EQ(c[0], 8) << "block " << block;
    EXPECT_EQ(c[1], 2) << "block " << block;
  }
}

TEST(WeightedScheduleTest, SmoothInterleavingNotBursts) {
  std::vector<int64_t> w = {4, 1};
  WeightedSchedule s(w);
  // nginx's smooth weighted round-robin: A A B A A (no two Bs together, As spread).
  EXPECT_EQ(s.cycle(), (std::vector<uint8_t>{0, 0, 1, 0, 0}));
}

struct ShareCase {
  std::string name;
  std::vector<int64_t> weights;
};

TEST(WeightedScheduleTest, SharesAreExactOverTenThousand) {
  std::vector<ShareCase> cases = {
      {"95/5", {95, 5}},
      {"99/1", {99, 1}},
      {"70/30/0", {70, 30, 0}},
      {"1/1/1", {1, 1, 1}},
      {"50/0/50", {50, 0, 50}},
      {"16 backends", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
  };
  for (const auto& c : cases) {
    WeightedSchedule s(c.weights);
    int64_t total = 0;
    for (auto w : c.weights) total += w;
    auto got = counts(s, 10000);
    for (size_t i = 0; i < c.weights.size(); ++i) {
      double want = 100.0 * static_cast<double>(c.weights[i]) / static_cast<double>(total);
      double share = got[static_cast<int>(i)] / 100.0;
      EXPECT_NEAR(share, want, 0.2) << c.name << " backend " << i;
      if (c.weights[i] == 0) {
        EXPECT_EQ(got[static_cast<int>(i)], 0) << c.name;
      }
    }
  }
}

TEST(WeightedScheduleTest, AllZeroPicksNothing) {
  std::vector<int64_t> w = {0, 0};
  WeightedSchedule s(w);
  EXPECT_EQ(s.next(), -1);
  std::vector<int64_t> none;
  WeightedSchedule empty(none);
  EXPECT_EQ(empty.next(), -1);
}

TEST(WeightedScheduleTest, LongCyclesAreScaledWithinOneInKMaxCycle) {
  std::vector<int64_t> w = {999999, 1};  // gcd 1: a cycle of a million
  WeightedSchedule s(w);
  EXPECT_EQ(s.cycle().size(), WeightedSchedule::kMaxCycle);
  size_t ones = 0;
  for (auto b : s.cycle()) ones += b == 1;
  EXPECT_EQ(ones, 1u) << "a non-zero weight keeps at least one slot";
  std::vector<int64_t> big = {600000, 400001};
  WeightedSchedule t(big);
  size_t first = 0;
  for (auto b : t.cycle()) first += b == 0;
  EXPECT_NEAR(static_cast<double>(first) / WeightedSchedule::kMaxCycle, 600000.0 / 1000001.0,
              1.0 / WeightedSchedule::kMaxCycle);
}

TEST(WeightedScheduleTest, SharedCursorStaysExactAcrossThreads) {
  std::vector<int64_t> w = {80, 20};
  WeightedSchedule s(w);
  std::vector<std::map<int, int>> perThread(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] { perThread[static_cast<size_t>(t)] = counts(s, 2500); });
  for (auto& t : threads) t.join();
  int a = 0, b = 0;
  for (auto& m : perThread) {
    a += m[0];
    b += m[1];
  }
  EXPECT_EQ(a, 8000);
  EXPECT_EQ(b, 2000);
}

}  // namespace
}  // namespace sluice::proxy
