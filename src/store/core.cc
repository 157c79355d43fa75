#include "store/core.h"

#include <algorithm>

namespace sluice::store {

namespace {

constexpr size_t kMaxPendingEvents = 100000;

api::Error storeNotFound(const std::string& key) {
  api::Error e;
  e.code = 404;
  e.reason = "NotFound";
  e.message = key + " not found";
  return e;
}

// A copy of `value` with metadata.resourceVersion set to `rv`.
std::shared_ptr<const json::value> stamp(json::value value, int64_t rv) {
  if (value.is_object()) {
    auto& meta = value.as_object()["metadata"];
    if (!meta.is_object()) meta = json::object{};
    meta.as_object()["resourceVersion"] = std::to_string(rv);
  }
  return std::make_shared<const json::value>(std::move(value));
}

bool hasPrefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

// Equal ignoring metadata.resourceVersion.
bool sameContent(const json::value& a, const json::value& b) {
  if (!a.is_object() || !b.is_object()) return a == b;
  const auto& ao = a.as_object();
  const auto& bo = b.as_object();
  if (ao.size() != bo.size()) return false;
  for (const auto& [k, v] : ao) {
    auto it = bo.find(k);
    if (it == bo.end()) return false;
    if (k == "metadata" && v.is_object() && it->value().is_object()) {
      json::object am = v.as_object(), bm = it->value().as_object();
      am.erase("resourceVersion");
      bm.erase("resourceVersion");
      if (am != bm) return false;
    } else if (v != it->value()) {
      return false;
    }
  }
  return true;
}

}  // namespace

class CoreStore::WatchImpl : public Watch {
 public:
  WatchImpl(std::string prefix, Filter filter)
      : prefix(std::move(prefix)), filter(std::move(filter)) {}

  bool drain(std::vector<Event>& out) override {
    std::lock_guard lock(mu_);
    for (auto& e : pending_) out.push_back(std::move(e));
    pending_.clear();
    return !ended_;
  }
  void wait(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !pending_.empty() || ended_; });
  }
  void onReady(std::function<void()> notify) override {
    bool fire;
    {
      std::lock_guard lock(mu_);
      notify_ = std::move(notify);
      fire = !pending_.empty() || ended_;
    }
    if (fire) signal();
  }
  void stop() override {
    {
      std::lock_guard lock(mu_);
      ended_ = true;
      notify_ = nullptr;
    }
    cv_.notify_all();
  }

  // Called under the store lock: converts a change into what this watch should see.
  // Returns true when the watch needs a notification.
  bool offer(const Change& c) {
    if (!hasPrefix(c.object.key, prefix)) return false;
    bool curMatch = c.type != EventType::Deleted && (!filter || filter(*c.object.value));
    bool prevMatch = false;
    if (c.type == EventType::Deleted)
      prevMatch = !filter || filter(*c.object.value);
    else if (c.prev)
      prevMatch = !filter || filter(*c.prev);
    Event e;
    if (c.type == EventType::Deleted) {
      if (!prevMatch) return false;
      e = {EventType::Deleted, c.object};
    } else if (curMatch && prevMatch) {
      e = {EventType::Modified, c.object};
    } else if (curMatch) {
      e = {EventType::Added, c.object};
    } else if (prevMatch) {
      // Stopped matching: reported as a deletion of the previous state at the new revision.
      e = {EventType::Deleted, Object{c.object.key, c.object.rv, stamp(*c.prev, c.object.rv)}};
    } else {
      return false;
    }
    return push(std::move(e));
  }

  bool push(Event e) {
    std::lock_guard lock(mu_);
    if (ended_) return false;
    if (pending_.size() >= kMaxPendingEvents) {
      // The reader fell too far behind; end the watch so it re-lists rather than lose events.
      ended_ = true;
      pending_.clear();
    } else {
      pending_.push_back(std::move(e));
    }
    return true;
  }

  bool ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }

  void signal() {
    std::function<void()> notify;
    {
      std::lock_guard lock(mu_);
      notify = notify_;
    }
    cv_.notify_all();
    if (notify) notify();
  }

  const std::string prefix;
  const Filter filter;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> pending_;
  bool ended_ = false;
  std::function<void()> notify_;
};

CoreStore::CoreStore(std::unique_ptr<Persistence> persistence, InitialState state,
                     int64_t historyLimit)
    : persistence_(std::move(persistence)),
      objects_(std::move(state.objects)),
      history_(std::move(state.history)),
      revision_(state.revision),
      compacted_(state.compacted),
      historyLimit_(std::max<int64_t>(historyLimit, 16)) {}

CoreStore::~CoreStore() {
  std::lock_guard lock(mu_);
  for (auto& w : watches_)
    if (auto s = w.lock()) s->stop();
}

api::Result<Object> CoreStore::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return storeNotFound(key);
  return it->second;
}

api::Result<ListResult> CoreStore::list(const std::string& prefix, const Filter& filter,
                                        int64_t limit, const std::string& continueToken) {
  std::lock_guard lock(mu_);
  ListResult out;
  out.rv = revision_;
  auto it =
      continueToken.empty() ? objects_.lower_bound(prefix) : objects_.upper_bound(continueToken);
  if (!continueToken.empty() && !hasPrefix(continueToken, prefix))
    return api::Error::badRequest("continue token does not match the list");
  for (; it != objects_.end() && hasPrefix(it->first, prefix); ++it) {
    if (filter && !filter(*it->second.value)) continue;
    if (limit > 0 && static_cast<int64_t>(out.items.size()) == limit) {
      out.continueToken = out.items.back().key;
      for (; it != objects_.end() && hasPrefix(it->first, prefix); ++it)
        if (!filter || filter(*it->second.value)) ++out.remaining;
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

api::Status CoreStore::commitLocked(Change change,
                                    std::vector<std::shared_ptr<WatchImpl>>& notify) {
  if (persistence_) {
    if (auto st = persistence_->commit(change); !st) return st;
  }
  revision_ = change.object.rv;
  if (change.type == EventType::Deleted)
    objects_.erase(change.object.key);
  else
    objects_[change.object.key] = change.object;

  auto it = watches_.begin();
  while (it != watches_.end()) {
    auto w = it->lock();
    if (!w || w->ended()) {
      it = watches_.erase(it);
      continue;
    }
    if (w->offer(change)) notify.push_back(w);
    ++it;
  }
  history_.push_back(std::move(change));
  if (static_cast<int64_t>(history_.size()) > historyLimit_) {
    // Compact a tenth at a time so compaction is not paid on every write.
    size_t drop = history_.size() - static_cast<size_t>(historyLimit_ * 9 / 10);
    compactLocked(history_[drop - 1].object.rv);
  }
  return {};
}

void CoreStore::notifyAll(const std::vector<std::shared_ptr<WatchImpl>>& watches) {
  for (const auto& w : watches) w->signal();
}

api::Result<Object> CoreStore::create(const std::string& key, json::value value) {
  std::vector<std::shared_ptr<WatchImpl>> notify;
  Object created;
  {
    std::lock_guard lock(mu_);
    if (objects_.count(key)) {
      api::Error e;
      e.code = 409;
      e.reason = "AlreadyExists";
      e.message = key + " already exists";
      return e;
    }
    int64_t rv = revision_ + 1;
    created = Object{key, rv, stamp(std::move(value), rv)};
    if (auto st = commitLocked(Change{EventType::Added, created, nullptr}, notify); !st)
      return st.error();
  }
  notifyAll(notify);
  return created;
}

api::Result<Object> CoreStore::update(const std::string& key, const Mutation& mutate) {
  std::vector<std::shared_ptr<WatchImpl>> notify;
  Object updated;
  {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return storeNotFound(key);
    Object current = it->second;
    auto next = mutate(current);
    if (!next) return next.error();
    if (sameContent(*next, *current.value)) return current;
    int64_t rv = revision_ + 1;
    updated = Object{key, rv, stamp(std::move(*next), rv)};
    if (auto st = commitLocked(Change{EventType::Modified, updated, current.value}, notify); !st)
      return st.error();
  }
  notifyAll(notify);
  return updated;
}

api::Result<Object> CoreStore::remove(const std::string& key, const Precondition& precondition) {
  std::vector<std::shared_ptr<WatchImpl>> notify;
  Object deleted;
  {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return storeNotFound(key);
    if (precondition) {
      if (auto st = precondition(it->second); !st) return st.error();
    }
    int64_t rv = revision_ + 1;
    deleted = Object{key, rv, stamp(*it->second.value, rv)};
    if (auto st = commitLocked(Change{EventType::Deleted, deleted, it->second.value}, notify); !st)
      return st.error();
  }
  notifyAll(notify);
  return deleted;
}

api::Result<std::shared_ptr<Watch>> CoreStore::watch(const std::string& prefix, int64_t fromRv,
                                                     Filter filter) {
  auto w = std::make_shared<WatchImpl>(prefix, std::move(filter));
  {
    std::lock_guard lock(mu_);
    if (fromRv == 0) {
      for (auto it = objects_.lower_bound(prefix);
           it != objects_.end() && hasPrefix(it->first, prefix); ++it) {
        if (!w->filter || w->filter(*it->second.value))
          w->push(Event{EventType::Added, it->second});
      }
    } else {
      if (fromRv < compacted_) {
        return api::Error::gone("too old resource version: " + std::to_string(fromRv) + " (" +
                                std::to_string(compacted_) + ")");
      }
      for (const auto& change : history_)
        if (change.object.rv > fromRv) w->offer(change);
    }
    watches_.push_back(w);
  }
  return std::shared_ptr<Watch>(w);
}

int64_t CoreStore::revision() {
  std::lock_guard lock(mu_);
  return revision_;
}

void CoreStore::compactLocked(int64_t rv) {
  if (rv <= compacted_) return;
  if (persistence_) {
    // A failed compaction only keeps more history than asked; never fatal.
    (void)persistence_->compact(rv);
  }
  while (!history_.empty() && history_.front().object.rv <= rv) history_.pop_front();
  compacted_ = rv;
}

void CoreStore::compact(int64_t rv) {
  std::lock_guard lock(mu_);
  compactLocked(std::min(rv, revision_));
}

int64_t CoreStore::compactedRevision() {
  std::lock_guard lock(mu_);
  return compacted_;
}

std::unique_ptr<Store> newMemoryStore(int64_t historyLimit) {
  return std::make_unique<CoreStore>(nullptr, InitialState{}, historyLimit);
}

}  // namespace sluice::store
