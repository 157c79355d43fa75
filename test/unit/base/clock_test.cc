#include "base/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/random.h"

namespace sluice::base {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto wall = clock.now();
  auto steady = clock.steadyNow();
  EXPECT_EQ(clock.now(), wall);
  clock.advance(90s);
  EXPECT_EQ(clock.now() - wall, 90s);
  EXPECT_EQ(clock.steadyNow() - steady, 90s);
}

TEST(FakeClock, WaitUntilReturnsFalseOncePastTheDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  EXPECT_FALSE(clock.waitUntil(lock, cv, clock.steadyNow()));
  EXPECT_FALSE(clock.waitUntil(lock, cv, clock.steadyNow() - 1s));
}

TEST(FakeClock, WaiterWakesWhenAdvancedPastItsDeadline) {
  FakeClock clock;
  auto deadline = clock.steadyNow() + 10min;
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    std::mutex mu;
    std::condition_variable cv;
    std::unique_lock lock(mu);
    while (clock.waitUntil(lock, cv, deadline)) {
    }
    woke = true;
  });
  clock.advance(9min);
  // Still ten simulated minutes to go in total: the waiter cannot have passed its deadline.
  EXPECT_FALSE(woke.load());
  clock.advance(1min);
  waiter.join();  // returns only because the advance reached the deadline
  EXPECT_TRUE(woke.load());
}

TEST(FakeClock, SleepForReturnsOnceAdvanced) {
  FakeClock clock;
  std::atomic<bool> slept{false};
  std::thread sleeper([&] {
    clock.sleepFor(0s);  // already due: returns at once
    slept = true;
  });
  sleeper.join();
  EXPECT_TRUE(slept.load());
}

TEST(RealClock, WaitUntilTimesOut) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  auto deadline = realClock().steadyNow() + 2ms;
  while (realClock().waitUntil(lock, cv, deadline)) {
  }
  EXPECT_GE(realClock().steadyNow(), deadline);
}

TEST(Random, SeededIsReproducible) {
  auto a = newSeededRandom(7), b = newSeededRandom(7);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a->next(), b->next());
}

TEST(Random, BelowStaysInRange) {
  auto r = newSeededRandom(1);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r->below(3), 3u);
}

TEST(Random, UidIsVersion4) {
  auto r = newSeededRandom(42);
  auto uid = newUid(*r);
  ASSERT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[14], '4');
  EXPECT_TRUE(std::string("89ab").find(uid[19]) != std::string::npos) << uid;
  EXPECT_NE(newUid(*r), uid);
}

TEST(Random, SuffixUsesTheNoVowelAlphabet) {
  auto r = newSeededRandom(3);
  auto s = randomSuffix(*r, 64);
  ASSERT_EQ(s.size(), 64u);
  EXPECT_EQ(s.find_first_not_of("bcdfghjklmnpqrstvwxz2456789"), std::string::npos) << s;
}

}  // namespace
}  // namespace sluice::base
