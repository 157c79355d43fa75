// Internal: the in-memory store core shared by the fake and the SQLite store. Durability is a
// `Persistence` hook that every change passes through before it becomes visible.
#pragma once

#include <condition_variable>
#include <map>

#include "store/store.h"

namespace sluice::store {

// One change in the history: the new state (or, for Deleted, the last state) and the state
// before it (null for Added), so watches can report selector transitions.
struct Change {
  EventType type = EventType::Added;
  Object object;
  std::shared_ptr<const json::value> prev;
};

class Persistence {
 public:
  virtual ~Persistence() = default;
  // Makes `change` durable; called under the store's write lock before memory changes. An error
  // aborts the write.
  virtual api::Status commit(const Change& change) = 0;
  virtual api::Status compact(int64_t rv) = 0;
};

// State loaded at start-up.
struct InitialState {
  std::map<std::string, Object> objects;
  std::deque<Change> history;
  int64_t revision = 0;
  int64_t compacted = 0;
};

class CoreStore : public Store {
 public:
  CoreStore(std::unique_ptr<Persistence> persistence, InitialState state, int64_t historyLimit);
  ~CoreStore() override;

  api::Result<Object> get(const std::string& key) override;
  api::Result<ListResult> list(const std::string& prefix, const Filter& filter, int64_t limit,
                               const std::string& continueToken) override;
  api::Result<Object> create(const std::string& key, json::value value) override;
  api::Result<Object> update(const std::string& key, const Mutation& mutate) override;
  api::Result<Object> remove(const std::string& key, const Precondition& precondition) override;
  api::Result<std::shared_ptr<Watch>> watch(const std::string& prefix, int64_t fromRv,
                                            Filter filter) override;
  int64_t revision() override;
  void compact(int64_t rv) override;
  int64_t compactedRevision() override;

  class WatchImpl;

 private:
  // Applies a change under `mu_`; collects the watches to notify once the lock is released.
  api::Status commitLocked(Change change, std::vector<std::shared_ptr<WatchImpl>>& notify);
  void compactLocked(int64_t rv);
  static void notifyAll(const std::vector<std::shared_ptr<WatchImpl>>& watches);

  std::mutex mu_;
  std::unique_ptr<Persistence> persistence_;
  std::map<std::string, Object> objects_;
  std::deque<Change> history_;
  int64_t revision_ = 0;
  int64_t compacted_ = 0;
  int64_t historyLimit_;
  std::vector<std::weak_ptr<WatchImpl>> watches_;
};

}  // namespace sluice::store
