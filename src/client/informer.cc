#include "client/informer.h"

#include "api/object.h"

namespace sluice::client {

Informer::Informer(Client& client, const api::ResourceType& type, Options options)
    : client_(client), type_(type), options_(std::move(options)) {
  if (!options_.clock) options_.clock = &base::realClock();
  if (!options_.log) options_.log = base::nullLogger();
}

Informer::~Informer() {
  stop();
}

void Informer::addHandlers(InformerHandlers handlers) {
  handlers_.push_back(std::move(handlers));
}

void Informer::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  {
    // Under mu_, so a thread between checking stopping_ and waiting in pause() cannot miss it.
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  {
    std::lock_guard lock(streamMu_);
    if (stream_) stream_->stop();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_; });
}

bool Informer::hasSynced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

std::string Informer::keyOf(const json::value& object) {
  std::string ns = api::namespaceOf(object);
  return ns.empty() ? api::nameOf(object) : ns + "/" + api::nameOf(object);
}

ObjectPtr Informer::get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::list(const std::function<bool(const json::value&)>& filter) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  for (const auto& [k, v] : cache_)
    if (!filter || filter(*v)) out.push_back(v);
  return out;
}

std::vector<ObjectPtr> Informer::listNamespace(const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  std::string prefix = ns + "/";
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.rfind(prefix, 0) == 0;
       ++it)
    out.push_back(it->second);
  return out;
}

bool Informer::relist() {
  auto listed = client_.list(type_, options_.ns, options_.list);
  if (!listed) {
    options_.log->warn("list {}: {}", type_.groupResource(), listed.error().message);
    return false;
  }
  rv_ = api::getString(*listed, "metadata.resourceVersion");
  std::map<std::string, ObjectPtr> fresh;
  if (auto* items = api::find(*listed, "items"); items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      json::value obj = item;
      obj.as_object()["apiVersion"] = type_.apiVersion();
      obj.as_object()["kind"] = type_.kind;
      // The key first: in `a[k] = f(std::move(obj))` the right side is evaluated first.
      std::string key = keyOf(obj);
      fresh[key] = std::make_shared<const json::value>(std::move(obj));
    }
  }
  // Deliver the difference between the old cache and the fresh list.
  std::map<std::string, ObjectPtr> old;
  {
    std::lock_guard lock(mu_);
    old.swap(cache_);
    cache_ = fresh;
  }
  for (const auto& [k, obj] : old) {
    if (fresh.count(k)) continue;
    for (auto& h : handlers_)
      if (h.onDelete) h.onDelete(obj);
  }
  for (const auto& [k, obj] : fresh) {
    auto it = old.find(k);
    for (auto& h : handlers_) {
      if (it == old.end()) {
        if (h.onAdd) h.onAdd(obj);
      } else if (h.onUpdate) {
        h.onUpdate(it->second, obj);
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    synced_ = true;
  }
  cv_.notify_all();
  return true;
}

void Informer::apply(const std::string& type, const json::value& object) {
  auto obj = std::make_shared<const json::value>(object);
  std::string key = keyOf(object);
  ObjectPtr old;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) old = it->second;
    if (type == "DELETED")
      cache_.erase(key);
    else
      cache_[key] = obj;
  }
  for (auto& h : handlers_) {
    if (type == "DELETED") {
      if (h.onDelete) h.onDelete(obj);
    } else if (old) {
      if (h.onUpdate) h.onUpdate(old, obj);
    } else if (h.onAdd) {
      h.onAdd(obj);
    }
  }
}

void Informer::resync() {
  std::vector<ObjectPtr> all = list();
  for (const auto& obj : all)
    for (auto& h : handlers_)
      if (h.onUpdate) h.onUpdate(obj, obj);
}

bool Informer::openWatch() {
  ListOptions wo = options_.list;
  wo.resourceVersion = rv_;
  auto stream = client_.watch(type_, options_.ns, wo);
  if (!stream) {
    options_.log->warn("watch {} from resourceVersion {}: {}", type_.groupResource(), rv_,
                       stream.error().message);
    return false;
  }
  std::lock_guard lock(streamMu_);
  stream_ = std::move(*stream);
  return true;
}

void Informer::closeStream() {
  std::lock_guard lock(streamMu_);
  if (stream_) stream_->stop();
  stream_.reset();
}

bool Informer::handle(const WatchEvent& ev) {
  if (ev.type == "ERROR") {
    // 410 Expired (or any error): list again.
    options_.log->info("watch {}: {}; listing again", type_.groupResource(),
                       api::getString(ev.object, "message"));
    return false;
  }
  std::string evRv = api::getString(ev.object, "metadata.resourceVersion");
  if (!evRv.empty()) rv_ = evRv;
  if (ev.type != "BOOKMARK") apply(ev.type, ev.object);
  return true;
}

bool Informer::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  auto deadline = options_.clock->steadyNow() + d;
  while (!stopping_ && options_.clock->waitUntil(lock, cv_, deadline)) {
  }
  return !stopping_;
}

bool Informer::pump() {
  if (needList_) {
    if (!relist()) return false;
    needList_ = false;
    closeStream();
  }
  if (!stream_ && !openWatch()) {
    needList_ = true;
    return false;
  }
  while (auto ev = stream_->next(std::chrono::milliseconds(0))) {
    if (!handle(*ev)) {
      needList_ = true;
      closeStream();
      return pump();
    }
  }
  if (stream_->closed()) closeStream();
  return true;
}

void Informer::run() {
  constexpr auto kMinBackoff = std::chrono::milliseconds(100);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
  auto backoff = kMinBackoff;
  // A failed list, a failed watch, or a watch that ends at once all wait `backoff` before the
  // next attempt, so a server that lists fine but refuses watches is not hammered.
  auto failed = [&] {
    bool go = pause(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
    return go;
  };
  nextResync_ = options_.clock->steadyNow() + options_.resyncPeriod;
  while (!stopping_) {
    if (needList_) {
      if (!relist()) {
        if (!failed()) break;
        continue;
      }
      needList_ = false;
    }
    if (!openWatch()) {
      needList_ = true;
      if (!failed()) break;
      continue;
    }
    bool delivered = false;
    while (!stopping_) {
      auto ev = stream_->next(std::chrono::milliseconds(200));
      if (options_.clock->steadyNow() >= nextResync_) {
        resync();
        nextResync_ = options_.clock->steadyNow() + options_.resyncPeriod;
      }
      if (!ev) {
        if (stream_->closed()) break;
        continue;
      }
      delivered = true;
      if (!handle(*ev)) {
        needList_ = true;
        break;
      }
    }
    closeStream();
    if (delivered) {
      backoff = kMinBackoff;
    } else if (!stopping_ && !failed()) {
      break;
    }
  }
}

}  // namespace sluice::client
