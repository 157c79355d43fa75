// The embedded default store: the in-memory core made durable in one SQLite file.
//
// Schema: `objects` holds the current state (one row per key), `events` the history a watch can
// resume from (row id = revision), `meta` the revision counter and the compaction point. Every
// change is one transaction over the three, in WAL mode with synchronous=FULL, so a change that
// returned is on disk and a crash loses nothing that was acknowledged.
#include <sqlite3.h>

#include "store/core.h"

namespace sluice::store {

namespace {

class Db {
 public:
  ~Db() {
    if (db_) sqlite3_close(db_);
  }
  api::Status open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      return fail("open " + path);
    sqlite3_busy_timeout(db_, 5000);
    return exec(
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, rv INTEGER NOT NULL,"
        " value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS events(rv INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
        " key TEXT NOT NULL, value TEXT NOT NULL, prev TEXT);"
        "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);");
  }
  api::Status exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return api::Error::internal("sqlite: " + msg);
    }
    return {};
  }
  api::Status fail(const std::string& what) {
    return api::Error::internal("sqlite: " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "?"));
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() { return stmt_; }
  bool valid() const { return stmt_ != nullptr; }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bindNull(int i) { sqlite3_bind_null(stmt_, i); }
  std::string text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, col)) : std::string();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqlitePersistence : public Persistence {
 public:
  explicit SqlitePersistence(std::unique_ptr<Db> db)
      : db_(std::move(db)),
        begin_(db_->get(), "BEGIN IMMEDIATE"),
        commit_(db_->get(), "COMMIT"),
        rollback_(db_->get(), "ROLLBACK"),
        upsert_(db_->get(),
                "INSERT INTO objects(key, rv, value) VALUES(?1, ?2, ?3) "
                "ON CONFLICT(key) DO UPDATE SET rv = excluded.rv, value = excluded.value"),
        erase_(db_->get(), "DELETE FROM objects WHERE key = ?1"),
        event_(db_->get(), "INSERT INTO events(rv, type, key, value, prev) VALUES(?1,?2,?3,?4,?5)"),
        setMeta_(db_->get(),
                 "INSERT INTO meta(name, value) VALUES(?1, ?2) "
                 "ON CONFLICT(name) DO UPDATE SET value = excluded.value"),
        trim_(db_->get(), "DELETE FROM events WHERE rv <= ?1") {}

  api::Status commit(const Change& c) override {
    if (!step(begin_)) return db_->fail("begin");
    auto st = write(c);
    if (!st) {
      step(rollback_);
      return st;
    }
    if (!step(commit_)) {
      step(rollback_);
      return db_->fail("commit");
    }
    return {};
  }

  api::Status compact(int64_t rv) override {
    if (!step(begin_)) return db_->fail("begin");
    trim_.reset();
    trim_.bind(1, rv);
    setMeta_.reset();
    setMeta_.bind(1, std::string("compacted"));
    setMeta_.bind(2, rv);
    if (!step(trim_) || !step(setMeta_)) {
      step(rollback_);
      return db_->fail("compact");
    }
    if (!step(commit_)) return db_->fail("commit");
    return {};
  }

 private:
  api::Status write(const Change& c) {
    std::string value = json::serialize(*c.object.value);
    if (c.type == EventType::Deleted) {
      erase_.reset();
      erase_.bind(1, c.object.key);
      if (!step(erase_)) return db_->fail("delete");
    } else {
      upsert_.reset();
      upsert_.bind(1, c.object.key);
      upsert_.bind(2, c.object.rv);
      upsert_.bind(3, value);
      if (!step(upsert_)) return db_->fail("write");
    }
    event_.reset();
    event_.bind(1, c.object.rv);
    event_.bind(2, static_cast<int64_t>(c.type));
    event_.bind(3, c.object.key);
    event_.bind(4, value);
    if (c.prev)
      event_.bind(5, json::serialize(*c.prev));
    else
      event_.bindNull(5);
    if (!step(event_)) return db_->fail("event");
    setMeta_.reset();
    setMeta_.bind(1, std::string("revision"));
    setMeta_.bind(2, c.object.rv);
    if (!step(setMeta_)) return db_->fail("revision");
    return {};
  }

  static bool step(Stmt& s) {
    int rc = sqlite3_step(s.get());
    sqlite3_reset(s.get());
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
  }

  std::unique_ptr<Db> db_;
  Stmt begin_, commit_, rollback_, upsert_, erase_, event_, setMeta_, trim_;
};

api::Result<json::value> parseStored(const std::string& text, const std::string& key) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return api::Error::internal("corrupt stored object " + key + ": " + ec.message());
  return v;
}

api::Result<InitialState> load(Db& db) {
  InitialState state;
  {
    Stmt s(db.get(), "SELECT name, value FROM meta");
    if (!s.valid()) return db.fail("read meta").error();
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      auto name = s.text(0);
      int64_t v = sqlite3_column_int64(s.get(), 1);
      if (name == "revision") state.revision = v;
      if (name == "compacted") state.compacted = v;
    }
  }
  {
    Stmt s(db.get(), "SELECT key, rv, value FROM objects");
    if (!s.valid()) return db.fail("read objects").error();
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      std::string key = s.text(0);
      auto v = parseStored(s.text(2), key);
      if (!v) return v.error();
      state.objects[key] = Object{key, sqlite3_column_int64(s.get(), 1),
                                  std::make_shared<const json::value>(std::move(*v))};
    }
  }
  {
    Stmt s(db.get(), "SELECT rv, type, key, value, prev FROM events WHERE rv > ?1 ORDER BY rv");
    if (!s.valid()) return db.fail("read events").error();
    s.bind(1, state.compacted);
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      Change c;
      c.object.rv = sqlite3_column_int64(s.get(), 0);
      c.type = static_cast<EventType>(sqlite3_column_int64(s.get(), 1));
      c.object.key = s.text(2);
      auto v = parseStored(s.text(3), c.object.key);
      if (!v) return v.error();
      c.object.value = std::make_shared<const json::value>(std::move(*v));
      if (sqlite3_column_type(s.get(), 4) != SQLITE_NULL) {
        auto p = parseStored(s.text(4), c.object.key);
        if (!p) return p.error();
        c.prev = std::make_shared<const json::value>(std::move(*p));
      }
      state.history.push_back(std::move(c));
    }
  }
  return state;
}

}  // namespace

api::Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, int64_t historyLimit) {
  auto db = std::make_unique<Db>();
  if (auto st = db->open(path); !st) return st.error();
  auto state = load(*db);
  if (!state) return state.error();
  return std::unique_ptr<Store>(std::make_unique<CoreStore>(
      std::make_unique<SqlitePersistence>(std::move(db)), std::move(*state), historyLimit));
}

}  // namespace sluice::store
