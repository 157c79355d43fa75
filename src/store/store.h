// The store: versioned JSON objects under string keys, with etcd's semantics — one monotonic
// revision across all keys (it is every object's resourceVersion), optimistic concurrency,
// list by prefix, watch from a revision, and compaction of old history.
//
// Threading: every method is safe to call from any thread. Watch callbacks (`Watch::onReady`)
// run on the writer's thread with no store lock held and must not block.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/error.h"

namespace sluice::store {

namespace json = boost::json;

// An immutable snapshot of one object at one revision. `value->metadata.resourceVersion`
// equals `rv`.
struct Object {
  std::string key;
  int64_t rv = 0;
  std::shared_ptr<const json::value> value;
};

enum class EventType { Added, Modified, Deleted, Bookmark };

struct Event {
  EventType type = EventType::Added;
  Object object;  // for Deleted: the last state, with rv = the deletion's revision
};

// Which objects a list or watch sees. Watches report an object that starts matching as Added
// and one that stops matching as Deleted, as the Kubernetes API server does.
using Filter = std::function<bool(const json::value&)>;

// A running watch, consumed by one reader.
class Watch {
 public:
  virtual ~Watch() = default;
  // Moves pending events into `out`; returns false once the watch has ended (stopped, or
  // dropped because the reader fell too far behind — the reader should then re-list).
  virtual bool drain(std::vector<Event>& out) = 0;
  // Blocks until events are pending, the watch ends, or the timeout passes.
  virtual void wait(std::chrono::milliseconds timeout) = 0;
  // `notify` runs (on a writer's thread) whenever new events become pending or the watch ends.
  virtual void onReady(std::function<void()> notify) = 0;
  virtual void stop() = 0;
};

struct ListResult {
  std::vector<Object> items;
  int64_t rv = 0;             // the store's revision at the time of the list
  std::string continueToken;  // non-empty when `limit` cut the list short
  int64_t remaining = 0;
};

// Errors: reason NotFound (404), AlreadyExists (409), Conflict (409), Expired (410 Gone), or
// InternalError for persistence failures. Messages are generic; the API layer words them per
// resource.
class Store {
 public:
  virtual ~Store() = default;

  virtual api::Result<Object> get(const std::string& key) = 0;
  // Keys starting with `prefix`, in key order, that pass `filter`. `limit` 0 means no limit;
  // `continueToken` resumes a cut list (it names the last key returned).
  virtual api::Result<ListResult> list(const std::string& prefix, const Filter& filter,
                                       int64_t limit = 0,
                                       const std::string& continueToken = "") = 0;
  virtual api::Result<Object> create(const std::string& key, json::value value) = 0;

  // Atomic read-modify-write. `mutate` sees the current object and returns the new value; it
  // runs under the store's write lock, so it must be quick and pure. Returning an equal value
  // writes nothing and returns the current object (a no-op keeps its resourceVersion).
  using Mutation = std::function<api::Result<json::value>(const Object& current)>;
  virtual api::Result<Object> update(const std::string& key, const Mutation& mutate) = 0;

  // Deletes `key`. When `precondition` is set it runs under the lock first and may refuse.
  using Precondition = std::function<api::Status(const Object& current)>;
  virtual api::Result<Object> remove(const std::string& key,
                                     const Precondition& precondition = nullptr) = 0;

  // Events for keys under `prefix` newer than `fromRv`. `fromRv` 0 means "now": the current
  // state is first sent as Added events. A revision older than the compacted history gives
  // Expired (410), and the caller must re-list.
  virtual api::Result<std::shared_ptr<Watch>> watch(const std::string& prefix, int64_t fromRv,
                                                    Filter filter) = 0;

  virtual int64_t revision() = 0;
  // Forgets the history of events at or below `rv` (watches from older revisions get 410).
  virtual void compact(int64_t rv) = 0;
  // The oldest revision a watch can start from.
  virtual int64_t compactedRevision() = 0;
};

// The in-memory store: the fake for unit tests, and the core the SQLite store persists.
std::unique_ptr<Store> newMemoryStore(int64_t historyLimit = 10000);

// The embedded default: SQLite in WAL mode at `path`, durable at commit. History kept for watch
// resume across restarts; `historyLimit` events are retained before automatic compaction.
api::Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path,
                                                    int64_t historyLimit = 10000);

}  // namespace sluice::store
