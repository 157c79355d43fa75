#include "client/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/object.h"
#include "apiserver/in_process_client.h"
#include "apiserver/registry.h"
#include "base/clock.h"
#include "base/random.h"
#include "client/shared_informers.h"
#include "store/store.h"

namespace sluice::client {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const api::ResourceType& configType() {
  return *api::findByKind("v1", "Service");
}

json::value service(const std::string& name) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Service"},
                      {"metadata", json::object{{"name", name}}},
                      {"spec", json::object{{"selector", json::object{{"app", name}}},
                                            {"ports", json::array{json::object{{"port", 80}}}}}}};
}

// A real registry over the in-memory store, reached through the in-process client.
struct Cluster {
  base::FakeClock clock;
  std::unique_ptr<base::Random> random = base::newSeededRandom(1);
  std::unique_ptr<store::Store> store = store::newMemoryStore();
  apiserver::Registry registry{*store, clock, *random};
  std::unique_ptr<Client> client = apiserver::newInProcessClient(registry);
  Cluster() { EXPECT_TRUE(registry.bootstrap().ok()); }
  void create(const std::string& name) {
    ASSERT_TRUE(registry.create(configType(), "default", service(name)).ok());
  }
};

TEST(SharedInformers, OneInformerPerType) {
  Cluster c;
  SharedInformers informers(*c.client, c.clock);
  Informer& a = informers.informer(configType());
  Informer& b = informers.informer(configType());
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &informers.informer(*api::findByKind("v1", "Pod")));
}

// Two components registered on one informer both see every event, from one list and one watch.
TEST(SharedInformers, EveryConsumerSeesEveryEventWithoutThreads) {
  Cluster c;
  c.create("before");
  SharedInformers informers(*c.client, c.clock);
  std::vector<std::string> first, second;
  auto record = [](std::vector<std::string>& to, const char* what) {
    return [&to, what](const ObjectPtr& o) {
      to.push_back(std::string(what) + " " + api::nameOf(*o));
    };
  };
  informers.informer(configType())
      .addHandlers({record(first, "add"), nullptr, record(first, "delete")});
  informers.informer(configType())
      .addHandlers({record(second, "add"), nullptr, record(second, "delete")});
  ASSERT_TRUE(informers.pump());
  EXPECT_TRUE(informers.informer(configType()).hasSynced());
  c.create("after");
  ASSERT_TRUE(c.registry.remove(configType(), "default", "before").ok());
  ASSERT_TRUE(informers.pump());
  std::vector<std::string> want = {"add before", "add after", "delete before"};
  EXPECT_EQ(first, want);
  EXPECT_EQ(second, want);
  EXPECT_NE(informers.informer(configType()).get("default/after"), nullptr);
  EXPECT_EQ(informers.informer(configType()).get("default/before"), nullptr);
}

TEST(SharedInformers, ThreadedInformersSyncAndDeliver) {
  Cluster c;
  c.create("a");
  SharedInformers informers(*c.client);
  std::mutex mu;
  std::set<std::string> seen;
  informers.informer(configType())
      .addHandlers({[&](const ObjectPtr& o) {
                      std::lock_guard lock(mu);
                      seen.insert(api::nameOf(*o));
                    },
                    nullptr, nullptr});
  informers.start();
  ASSERT_TRUE(informers.waitForSync(10s));
  c.create("b");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (seen.count("b")) break;
    }
    std::this_thread::yield();
  }
  informers.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
}

// A client whose lists succeed and whose watches always fail: the informer must not relist in a
// hot loop, but wait 100 ms, 200 ms, 400 ms... of (fake) time between attempts.
class WatchRefusingClient : public Client {
 public:
  explicit WatchRefusingClient(Client& real) : real_(real) {}
  std::atomic<int> lists{0}, watches{0};

  api::Result<json::value> get(const api::ResourceType& t, const std::string& ns,
                               const std::string& n, const std::string& s) override {
    return real_.get(t, ns, n, s);
  }
  api::Result<json::value> list(const api::ResourceType& t, const std::string& ns,
                                const ListOptions& o) override {
    ++lists;
    return real_.list(t, ns, o);
  }
  api::Result<json::value> create(const api::ResourceType& t, const std::string& ns,
                                  const json::value& o, const WriteOptions& w) override {
    return real_.create(t, ns, o, w);
  }
  api::Result<json::value> update(const api::ResourceType& t, const std::string& ns,
                                  const std::string& n, const json::value& o, const std::string& s,
                                  const WriteOptions& w) override {
    return real_.update(t, ns, n, o, s, w);
  }
  api::Result<json::value> patch(const api::ResourceType& t, const std::string& ns,
                                 const std::string& n, PatchType pt, const json::value& p,
                                 const std::string& s, const WriteOptions& w) override {
    return real_.patch(t, ns, n, pt, p, s, w);
  }
  api::Result<json::value> remove(const api::ResourceType& t, const std::string& ns,
                                  const std::string& n, const DeleteOptions& d) override {
    return real_.remove(t, ns, n, d);
  }
  api::Result<std::unique_ptr<EventStream>> watch(const api::ResourceType&, const std::string&,
                                                  const ListOptions&) override {
    ++watches;
    return api::Error::internal("watch refused");
  }

 private:
  Client& real_;
};

template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return pred();
}

// Advances `clock` in 10 ms steps (letting the informer's thread run between steps) until
// `done()`, and returns how much fake time that took; gives up after a minute of fake time.
template <class Done>
std::chrono::milliseconds advanceUntil(base::FakeClock& clock, Done done) {
  std::chrono::milliseconds elapsed{0};
  while (!done() && elapsed < 60s) {
    clock.advance(10ms);
    elapsed += 10ms;
    // The informer's wait checks the fake time every millisecond of real time.
    auto until = std::chrono::steady_clock::now() + 3ms;
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  }
  return elapsed;
}

TEST(Informer, BacksOffWhenWatchesFailAfterAGoodList) {
  Cluster c;
  WatchRefusingClient refusing(*c.client);
  Informer::Options options;
  options.clock = &c.clock;
  Informer informer(refusing, configType(), options);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(10s));
  ASSERT_TRUE(eventually([&] { return refusing.watches.load() == 1; }));
  EXPECT_EQ(refusing.lists.load(), 1);
  // The next attempt (a hot loop would list again at once, before any fake time passed) comes no
  // sooner than 100 ms of fake time later, the one after that no sooner than 200 ms, then 400 ms:
  // each failure doubles the wait. (The step loop can only overshoot, so these are lower bounds.)
  EXPECT_GE(advanceUntil(c.clock, [&] { return refusing.lists.load() == 2; }), 100ms);
  EXPECT_GE(advanceUntil(c.clock, [&] { return refusing.lists.load() == 3; }), 200ms);
  EXPECT_GE(advanceUntil(c.clock, [&] { return refusing.lists.load() == 4; }), 400ms);
  EXPECT_EQ(refusing.lists.load(), 4);
  informer.stop();
}

}  // namespace
}  // namespace sluice::client
