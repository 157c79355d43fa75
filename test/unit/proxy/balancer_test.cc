// The balancing policies, by tables of named steps on a fake clock: which backend each pick
// gets as time passes, clients come and go and the port's backends change.
#include "proxy/balancer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "proxy/client_ip_affinity.h"
#include "proxy/round_robin.h"

namespace sluice::proxy {
namespace {

using namespace std::chrono_literals;

// Backends named by one letter each; the key orders them as the snapshot does.
std::vector<Backend> backends(const std::string& names) {
  std::vector<Backend> out;
  for (char c : names) {
    Backend b;
    b.key = static_cast<uint64_t>(c);
    out.push_back(b);
  }
  return out;
}

// The name of the backend a pick chose.
char picked(LoadBalancer& lb, const std::string& names, uint32_t client) {
  auto set = backends(names);
  size_t i = lb.pick({set, client});
  EXPECT_LT(i, set.size());
  return i < set.size() ? static_cast<char>(set[i].key) : '?';
}

TEST(RoundRobin, EachBackendInTurn) {
  struct Step {
    std::string backends;
    char want;
  };
  struct Case {
    std::string name;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"in turn", {{"ABC", 'A'}, {"ABC", 'B'}, {"ABC", 'C'}, {"ABC", 'A'}}},
      {"one backend", {{"A", 'A'}, {"A", 'A'}, {"A", 'A'}}},
      // The cursor counts picks, not positions: the 3rd pick is index 2 of whatever set is
      // current, so a new endpoint starts taking its share at once.
      {"the cursor goes on when the set changes",
       {{"AB", 'A'}, {"AB", 'B'}, {"ABC", 'C'}, {"ABC", 'A'}, {"A", 'A'}, {"AB", 'B'}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RoundRobin lb;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i));
      EXPECT_EQ(picked(lb, c.steps[i].backends, 1), c.steps[i].want);
    }
  }
}

TEST(RoundRobin, SplitIsExactAcrossThreads) {
  // The seed's 4 v1 + 1 v2: every 10 picks split 8:2, however the picks fall on workers.
  RoundRobin lb;
  const auto set = backends("VWXYZ");
  constexpr int kThreads = 4, kPicks = 10000;
  std::vector<std::map<size_t, int>> counts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPicks; ++i) ++counts[t][lb.pick({set, 1})];
    });
  for (auto& t : threads) t.join();
  std::map<size_t, int> total;
  for (const auto& c : counts)
    for (auto [i, n] : c) total[i] += n;
  for (size_t i = 0; i < set.size(); ++i) EXPECT_EQ(total[i], kThreads * kPicks / 5) << i;
}

uint32_t ip(const std::string& text) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &a), 1) << text;
  return a.s_addr;
}

TEST(ClientIpAffinity, KeepsAClientOnItsBackendWithinTheTimeout) {
  struct Step {
    std::chrono::seconds at;  // since the case started
    std::string client;
    std::string backends;
    char want;
  };
  struct Case {
    std::string name;
    std::chrono::seconds timeout;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"clients keep their first choice",
       10800s,
       {{0s, "10.0.0.1", "AB", 'A'},
        {1s, "10.0.0.2", "AB", 'B'},
        {2s, "10.0.0.1", "AB", 'A'},
        {3s, "10.0.0.2", "AB", 'B'},
        {4s, "10.0.0.3", "AB", 'A'}}},
      // Each pick renews the entry: 10 s timeout, used at 0, 9, 18 stays; at 28 (10 s after
      // the last use) it has expired and the next round-robin choice is taken (the cursor
      // moved on every pick: the 4th pick over AB is B).
      {"each pick renews it",
       10s,
       {{0s, "10.0.0.1", "AB", 'A'},
        {9s, "10.0.0.1", "AB", 'A'},
        {18s, "10.0.0.1", "AB", 'A'},
        {28s, "10.0.0.1", "AB", 'B'},
        {29s, "10.0.0.1", "AB", 'B'}}},
      {"expired at exactly the timeout",
       10s,
       {{0s, "10.0.0.1", "AB", 'A'}, {10s, "10.0.0.1", "AB", 'B'}}},
      {"a client whose backend left gets the next choice and keeps it",
       10800s,
       {{0s, "10.0.0.1", "ABC", 'A'},
        {1s, "10.0.0.1", "BC", 'C'},
        {2s, "10.0.0.1", "ABC", 'C'},
        {3s, "10.0.0.1", "C", 'C'}}},
      {"the kept backend is found wherever it moved in the set",
       10800s,
       {{0s, "10.0.0.1", "BC", 'B'}, {1s, "10.0.0.1", "ABC", 'B'}, {2s, "10.0.0.1", "BD", 'B'}}},
      // One cursor for kept and new picks alike: the third pick is a new client's, and the
      // cursor is at 2 although the second pick kept a backend.
      {"kept picks move the cursor too",
       10800s,
       {{0s, "10.0.0.1", "AB", 'A'}, {0s, "10.0.0.1", "AB", 'A'}, {0s, "10.0.0.2", "AB", 'A'}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    base::FakeClock clock;
    const auto start = clock.steadyNow();
    ClientIpAffinity lb(clock, c.timeout);
    for (size_t i = 0; i < c.steps.size(); ++i) {
      const Step& step = c.steps[i];
      SCOPED_TRACE("step " + std::to_string(i) + " at " + std::to_string(step.at.count()) + "s");
      clock.advance(start + step.at - clock.steadyNow());
      EXPECT_EQ(picked(lb, step.backends, ip(step.client)), step.want);
    }
  }
}

TEST(ClientIpAffinity, ForgetsExpiredClientsOnceTheTableIsLarge) {
  base::FakeClock clock;
  ClientIpAffinity lb(clock, 10s);
  const auto set = backends("AB");
  // More clients than a stripe keeps without a sweep (16 stripes of 4096), all live: the sweep
  // finds nothing to drop, and the next comes only once a stripe has doubled.
  const uint32_t first = 16 * 5000;
  for (uint32_t i = 0; i < first; ++i) lb.pick({set, htonl(0x0a000000 + i)});
  EXPECT_EQ(lb.tableSize(), first);
  clock.advance(10s);
  // As many new clients again and more: every stripe passes its threshold, and drops the
  // expired clients before adding the new.
  const uint32_t second = 16 * 8000;
  for (uint32_t i = 0; i < second; ++i) lb.pick({set, htonl(0x0b000000 + i)});
  EXPECT_EQ(lb.tableSize(), second);
}

TEST(ClientIpAffinity, ClientsStayPutWhileWorkersPickAtOnce) {
  base::FakeClock clock;
  ClientIpAffinity lb(clock, 10800s);
  const auto set = backends("ABCDE");
  constexpr int kThreads = 4, kClients = 500, kRounds = 20;
  std::vector<std::vector<size_t>> seen(kThreads, std::vector<size_t>(kClients * kRounds));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r)
        for (int c = 0; c < kClients; ++c)
          seen[t][r * kClients + c] = lb.pick({set, htonl(0x0a000000 + c)});
    });
  for (auto& t : threads) t.join();
  // Whichever thread picked first for a client, every pick for it gives the same backend.
  for (int c = 0; c < kClients; ++c)
    for (int t = 0; t < kThreads; ++t)
      for (int r = 0; r < kRounds; ++r)
        ASSERT_EQ(seen[t][r * kClients + c], seen[0][c]) << "client " << c;
}

TEST(NewLoadBalancer, ThePolicyTheSettingsName) {
  base::FakeClock clock;
  auto roundRobin = newLoadBalancer({}, clock);
  EXPECT_NE(dynamic_cast<RoundRobin*>(roundRobin.get()), nullptr);
  auto affinity = newLoadBalancer({Balancing::Policy::ClientIp, 30s}, clock);
  auto* clientIp = dynamic_cast<ClientIpAffinity*>(affinity.get());
  ASSERT_NE(clientIp, nullptr);
  EXPECT_EQ(clientIp->timeout(), 30s);
}

}  // namespace
}  // namespace sluice::proxy
