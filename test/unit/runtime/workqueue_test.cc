#include "runtime/workqueue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sluice::runtime {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(WorkQueueTest, QueuedKeyIsAddedOnce) {
  WorkQueue q;
  q.add("ns/a");
  q.add("ns/b");
  q.add("ns/a");
  EXPECT_EQ(q.length(), 2u);
  EXPECT_EQ(q.get(), "ns/a");
  EXPECT_EQ(q.get(), "ns/b");
  EXPECT_EQ(q.length(), 0u);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsProcessedAgainAfterDone) {
  WorkQueue q;
  q.add("ns/a");
  ASSERT_EQ(q.get(), "ns/a");
  // Not handed to a second worker while the first still holds it...
  q.add("ns/a");
  q.add("ns/a");
  EXPECT_EQ(q.length(), 0u);
  // ...but queued once as soon as the first is done with it.
  q.done("ns/a");
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  EXPECT_EQ(q.length(), 0u);
}

TEST(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  WorkQueue q;
  q.add("ns/a");
  ASSERT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  EXPECT_EQ(q.length(), 0u);
  // The key can be queued again afterwards.
  q.add("ns/a");
  EXPECT_EQ(q.length(), 1u);
}

TEST(WorkQueueTest, AddAfterReleasesKeysInDeadlineOrder) {
  WorkQueue q;
  auto start = Clock::now();
  q.addAfter("ns/late", 80ms);
  q.addAfter("ns/early", 20ms);
  q.add("ns/now");
  EXPECT_EQ(q.length(), 1u);  // delayed keys wait outside the queue

  EXPECT_EQ(q.get(), "ns/now");
  EXPECT_EQ(q.get(), "ns/early");
  EXPECT_GE(Clock::now() - start, 20ms);
  EXPECT_EQ(q.get(), "ns/late");
  EXPECT_GE(Clock::now() - start, 80ms);
}

TEST(WorkQueueTest, AddAfterWithoutDelayAddsAtOnce) {
  WorkQueue q;
  q.addAfter("ns/a", 0ms);
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
}

TEST(WorkQueueTest, DelayedKeyDueWhileProcessingIsRequeuedAfterDone) {
  WorkQueue q;
  q.add("ns/a");
  ASSERT_EQ(q.get(), "ns/a");
  q.addAfter("ns/a", 1ms);
  q.addAfter("ns/b", 30ms);
  // "ns/a" comes due first but is still being processed: the next key handed out is "ns/b".
  EXPECT_EQ(q.get(), "ns/b");
  EXPECT_EQ(q.length(), 0u);
  q.done("ns/a");
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
}

// Failures back off 5 ms, 10 ms, 20 ms, ... per key: each retry waits at least twice as long as
// the one before.
TEST(WorkQueueTest, RateLimitedBackOffDoublesPerFailure) {
  WorkQueue q;
  for (int failure = 0; failure < 5; ++failure) {
    auto start = Clock::now();
    q.addRateLimited("ns/a");
    EXPECT_EQ(q.length(), 0u);
    ASSERT_EQ(q.get(), "ns/a");
    EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(5 << failure))
        << "failure " << failure;
    q.done("ns/a");
  }
}

TEST(WorkQueueTest, BackOffIsPerKey) {
  WorkQueue q;
  for (int failure = 0; failure < 4; ++failure) {
    q.addRateLimited("ns/flaky");
    ASSERT_EQ(q.get(), "ns/flaky");
    q.done("ns/flaky");
  }
  // "ns/flaky" now waits 80 ms, a first failure of another key 5 ms.
  q.addRateLimited("ns/flaky");
  q.addRateLimited("ns/other");
  EXPECT_EQ(q.get(), "ns/other");
  EXPECT_EQ(q.get(), "ns/flaky");
}

TEST(WorkQueueTest, ForgetResetsBackOff) {
  WorkQueue q;
  for (int failure = 0; failure < 6; ++failure) {
    q.addRateLimited("ns/a");
    ASSERT_EQ(q.get(), "ns/a");
    q.done("ns/a");
  }
  // Six failures: the next retry would wait 320 ms. After forget it waits 5 ms again, so it
  // comes before a key due in 100 ms.
  q.forget("ns/a");
  q.addAfter("ns/marker", 100ms);
  q.addRateLimited("ns/a");
  EXPECT_EQ(q.get(), "ns/a");
  EXPECT_EQ(q.get(), "ns/marker");
}

TEST(WorkQueueTest, ShutdownUnblocksWaitingGet) {
  WorkQueue q;
  auto waiting = std::async(std::launch::async, [&] { return q.get(); });
  EXPECT_EQ(waiting.wait_for(20ms), std::future_status::timeout);
  q.shutdown();
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), std::nullopt);
}

TEST(WorkQueueTest, ShutdownUnblocksGetWaitingForDelayedKey) {
  WorkQueue q;
  q.addAfter("ns/a", 60s);
  auto waiting = std::async(std::launch::async, [&] { return q.get(); });
  EXPECT_EQ(waiting.wait_for(20ms), std::future_status::timeout);
  q.shutdown();
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), std::nullopt);
}

// Several workers wait for the same delayed key; whichever wakes first takes it. (Under the
// sanitizer build this also checks that no waiter reads a deadline another one already removed.)
TEST(WorkQueueTest, WorkersWaitingForDelayedKeysEachGetOne) {
  WorkQueue q;
  auto worker = [&] {
    auto key = q.get();
    if (key) q.done(*key);
    return key;
  };
  std::vector<std::future<std::optional<std::string>>> workers;
  for (int i = 0; i < 4; ++i) workers.push_back(std::async(std::launch::async, worker));
  EXPECT_EQ(workers[0].wait_for(20ms), std::future_status::timeout);
  for (int i = 0; i < 4; ++i) q.addAfter("ns/" + std::to_string(i), 10ms);

  std::set<std::string> got;
  for (auto& w : workers) {
    ASSERT_EQ(w.wait_for(5s), std::future_status::ready);
    auto key = w.get();
    ASSERT_TRUE(key.has_value());
    got.insert(*key);
  }
  EXPECT_EQ(got, (std::set<std::string>{"ns/0", "ns/1", "ns/2", "ns/3"}));
}

TEST(WorkQueueTest, ShutDownQueueIgnoresAddsAndReturnsNothing) {
  WorkQueue q;
  q.shutdown();
  q.add("ns/a");
  q.addAfter("ns/b", 1ms);
  EXPECT_EQ(q.length(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
}

TEST(WorkQueueTest, AddWakesBlockedGet) {
  WorkQueue q;
  auto waiting = std::async(std::launch::async, [&] { return q.get(); });
  EXPECT_EQ(waiting.wait_for(20ms), std::future_status::timeout);
  q.add("ns/a");
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), "ns/a");
}

// With a fake clock the queue is driven without threads or real waits: delayed keys become ready
// exactly when the clock reaches their time.
TEST(WorkQueueTest, FakeClockReleasesDelayedKeysWhenAdvanced) {
  base::FakeClock clock;
  WorkQueue q(clock);
  q.addAfter("ns/a", 30s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  ASSERT_TRUE(q.nextDelayed().has_value());
  EXPECT_EQ(*q.nextDelayed() - clock.steadyNow(), 30s);
  clock.advance(29s);
  EXPECT_EQ(q.tryGet(), std::nullopt);
  clock.advance(1s);
  EXPECT_EQ(q.tryGet(), "ns/a");
  EXPECT_EQ(q.nextDelayed(), std::nullopt);
}

// 5 ms, 10 ms, 20 ms, ...: exactly, on a fake clock.
TEST(WorkQueueTest, FakeClockBackOffIsExact) {
  base::FakeClock clock;
  WorkQueue q(clock);
  for (int failure = 0; failure < 15; ++failure) {
    q.addRateLimited("ns/a");
    auto expected = std::chrono::milliseconds(std::min(60000LL, 5LL << failure));
    EXPECT_EQ(*q.nextDelayed() - clock.steadyNow(), expected) << "failure " << failure;
    clock.advance(expected - 1ms);
    EXPECT_EQ(q.tryGet(), std::nullopt);
    clock.advance(1ms);
    ASSERT_EQ(q.tryGet(), "ns/a");
    q.done("ns/a");
  }
}

// A worker blocked in get() on a fake clock wakes when the clock is advanced past its key.
TEST(WorkQueueTest, FakeClockWakesBlockedGet) {
  base::FakeClock clock;
  WorkQueue q(clock);
  q.addAfter("ns/a", 10min);
  auto waiting = std::async(std::launch::async, [&] { return q.get(); });
  EXPECT_EQ(waiting.wait_for(20ms), std::future_status::timeout);
  clock.advance(10min);
  ASSERT_EQ(waiting.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(waiting.get(), "ns/a");
}

}  // namespace
}  // namespace sluice::runtime
