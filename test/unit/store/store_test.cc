// The store contract, run against both implementations: the in-memory fake and SQLite.
#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace sluice::store {
namespace {

namespace json = boost::json;

json::value obj(const std::string& name, const std::string& app, int n = 0) {
  return json::object{
      {"metadata", json::object{{"name", name}, {"labels", json::object{{"app", app}}}}},
      {"spec", json::object{{"n", n}}}};
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sluice-store-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

enum class Kind { Memory, Sqlite };

class StoreTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override { store_ = open(); }
  std::unique_ptr<Store> open(int64_t history = 10000) {
    if (GetParam() == Kind::Memory) return newMemoryStore(history);
    auto s = openSqliteStore(dir_.path() + "/state.db", history);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return std::move(*s);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

std::vector<Event> drainFor(Watch& w, size_t want) {
  std::vector<Event> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    w.wait(std::chrono::milliseconds(100));
    w.drain(out);
  }
  return out;
}

TEST_P(StoreTest, CreateGetAndRevisionsAreMonotonic) {
  auto a = store_->create("/core/pods/ns/a", obj("a", "x"));
  ASSERT_TRUE(a.ok());
  auto b = store_->create("/core/pods/ns/b", obj("b", "x"));
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->rv, a->rv);
  EXPECT_EQ(json::value_to<std::string>(b->value->at("metadata").at("resourceVersion")),
            std::to_string(b->rv));
  auto got = store_->get("/core/pods/ns/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rv, a->rv);
  EXPECT_EQ(store_->revision(), b->rv);
}

TEST_P(StoreTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(store_->create("/k/a", obj("a", "x")).ok());
  auto again = store_->create("/k/a", obj("a", "x"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, "AlreadyExists");
  EXPECT_EQ(again.error().code, 409);
}

TEST_P(StoreTest, MissingKeyIsNotFound) {
  auto got = store_->get("/k/none");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, 404);
  auto upd = store_->update("/k/none",
                            [](const Object& o) -> api::Result<json::value> { return *o.value; });
  EXPECT_EQ(upd.error().code, 404);
  EXPECT_EQ(store_->remove("/k/none").error().code, 404);
}

TEST_P(StoreTest, UpdateWithStaleRevisionConflicts) {
  auto a = store_->create("/k/a", obj("a", "x"));
  ASSERT_TRUE(a.ok());
  int64_t seen = a->rv;
  auto bump = [&](int64_t expected, int n) {
    return store_->update("/k/a", [&](const Object& cur) -> api::Result<json::value> {
      if (cur.rv != expected) {
        api::Error e;
        e.code = 409;
        e.reason = "Conflict";
        return e;
      }
      return obj("a", "x", n);
    });
  };
  ASSERT_TRUE(bump(seen, 1).ok());
  auto stale = bump(seen, 2);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().reason, "Conflict");
}

TEST_P(StoreTest, NoOpUpdateKeepsResourceVersion) {
  auto a = store_->create("/k/a", obj("a", "x", 1));
  ASSERT_TRUE(a.ok());
  auto same = store_->update(
      "/k/a", [](const Object& cur) -> api::Result<json::value> { return *cur.value; });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->rv, a->rv);
  EXPECT_EQ(store_->revision(), a->rv);
}

TEST_P(StoreTest, ListByPrefixFilterAndPaging) {
  for (auto n : {"a", "b", "c", "d"})
    ASSERT_TRUE(
        store_
            ->create(std::string("/core/pods/ns1/") + n, obj(n, n == std::string("b") ? "y" : "x"))
            .ok());
  ASSERT_TRUE(store_->create("/core/pods/ns10/z", obj("z", "x")).ok());
  auto all = store_->list("/core/pods/ns1/", nullptr);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 4u);  // ns10 is not under ns1/
  auto onlyX = store_->list("/core/pods/ns1/", [](const json::value& v) {
    return v.at("metadata").at("labels").at("app") == "x";
  });
  EXPECT_EQ(onlyX->items.size(), 3u);
  auto page1 = store_->list("/core/pods/ns1/", nullptr, 3);
  ASSERT_EQ(page1->items.size(), 3u);
  EXPECT_EQ(page1->remaining, 1);
  ASSERT_FALSE(page1->continueToken.empty());
  auto page2 = store_->list("/core/pods/ns1/", nullptr, 3, page1->continueToken);
  ASSERT_EQ(page2->items.size(), 1u);
  EXPECT_EQ(page2->items[0].key, "/core/pods/ns1/d");
  EXPECT_TRUE(page2->continueToken.empty());
}

TEST_P(StoreTest, WatchFromRevisionReplaysHistory) {
  auto a = store_->create("/k/a", obj("a", "x"));
  ASSERT_TRUE(
      store_
          ->update("/k/a",
                   [](const Object&) -> api::Result<json::value> { return obj("a", "x", 1); })
          .ok());
  ASSERT_TRUE(store_->remove("/k/a").ok());
  auto w = store_->watch("/k/", a->rv, nullptr);
  ASSERT_TRUE(w.ok());
  auto events = drainFor(**w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::Modified);
  EXPECT_EQ(events[1].type, EventType::Deleted);
}

TEST_P(StoreTest, WatchFromZeroSendsCurrentStateThenChanges) {
  ASSERT_TRUE(store_->create("/k/a", obj("a", "x")).ok());
  auto w = store_->watch("/k/", 0, nullptr);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(store_->create("/k/b", obj("b", "x")).ok());
  auto events = drainFor(**w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::Added);
  EXPECT_EQ(events[0].object.key, "/k/a");
  EXPECT_EQ(events[1].object.key, "/k/b");
}

TEST_P(StoreTest, WatchReportsSelectorTransitions) {
  ASSERT_TRUE(store_->create("/k/a", obj("a", "x")).ok());
  auto w = store_->watch("/k/", store_->revision(), [](const json::value& v) {
    return v.at("metadata").at("labels").at("app") == "x";
  });
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(
      store_
          ->update("/k/a", [](const Object&) -> api::Result<json::value> { return obj("a", "y"); })
          .ok());
  ASSERT_TRUE(
      store_
          ->update("/k/a", [](const Object&) -> api::Result<json::value> { return obj("a", "x"); })
          .ok());
  auto events = drainFor(**w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::Deleted);  // stopped matching
  EXPECT_EQ(events[1].type, EventType::Added);    // matches again
}

TEST_P(StoreTest, NotifyCallbackFires) {
  auto w = store_->watch("/k/", store_->revision(), nullptr);
  ASSERT_TRUE(w.ok());
  std::atomic<int> calls{0};
  (*w)->onReady([&] { ++calls; });
  ASSERT_TRUE(store_->create("/k/a", obj("a", "x")).ok());
  EXPECT_GE(calls.load(), 1);
}

TEST_P(StoreTest, CompactionMakesOldRevisionsGone) {
  auto a = store_->create("/k/a", obj("a", "x"));
  auto b = store_->create("/k/b", obj("b", "x"));
  store_->compact(b->rv);
  auto old = store_->watch("/k/", a->rv, nullptr);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, 410);
  EXPECT_EQ(old.error().reason, "Expired");
  EXPECT_TRUE(store_->watch("/k/", b->rv, nullptr).ok());
}

TEST_P(StoreTest, AutomaticCompactionBoundsHistory) {
  store_ = open(20);
  auto first = store_->create("/k/first", obj("f", "x"));
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(store_->create("/k/" + std::to_string(i), obj("n", "x")).ok());
  EXPECT_GT(store_->compactedRevision(), first->rv);
  EXPECT_EQ(store_->watch("/k/", first->rv, nullptr).error().code, 410);
}

INSTANTIATE_TEST_SUITE_P(Both, StoreTest, ::testing::Values(Kind::Memory, Kind::Sqlite),
                         [](const auto& info) {
                           return info.param == Kind::Memory ? "Memory" : "Sqlite";
                         });

TEST(SqliteStoreTest, StateAndHistorySurviveReopen) {
  TempDir dir;
  int64_t created = 0, updated = 0;
  {
    auto s = openSqliteStore(dir.path() + "/state.db");
    ASSERT_TRUE(s.ok());
    created = (*s)->create("/k/a", obj("a", "x"))->rv;
    updated =
        (*s)->update("/k/a",
                     [](const Object&) -> api::Result<json::value> { return obj("a", "x", 7); })
            ->rv;
  }
  auto s = openSqliteStore(dir.path() + "/state.db");
  ASSERT_TRUE(s.ok());
  auto got = (*s)->get("/k/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rv, updated);
  EXPECT_EQ(got->value->at("spec").at("n"), 7);
  EXPECT_EQ((*s)->revision(), updated);
  // A watch from a revision seen before the restart resumes with what followed it.
  auto w = (*s)->watch("/k/", created, nullptr);
  ASSERT_TRUE(w.ok());
  auto events = drainFor(**w, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::Modified);
  EXPECT_EQ(events[0].object.rv, updated);
  // New writes continue the same revision sequence.
  EXPECT_EQ((*s)->create("/k/b", obj("b", "x"))->rv, updated + 1);
}

TEST(SqliteStoreTest, UnwritableDirectoryIsAClearError) {
  auto s = openSqliteStore("/nonexistent-dir/for/sure/state.db");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/nonexistent-dir/for/sure/state.db"), std::string::npos);
}

}  // namespace
}  // namespace sluice::store
