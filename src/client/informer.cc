#include "client/informer.h"

#include "api/object.h"

namespace sluice::client {

Informer::Informer(Client& client, const api::ResourceType& type, std::string ns,
                   ListOptions options, std::chrono::milliseconds resyncPeriod)
    : client_(client),
      type_(type),
      ns_(std::move(ns)),
      options_(std::move(options)),
      resyncPeriod_(resyncPeriod) {}

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
  stopping_ = true;
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

bool Informer::relist(std::string& rv) {
  auto listed = client_.list(type_, ns_, options_);
  if (!listed) return false;
  rv = api::getString(*listed, "metadata.resourceVersion");
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

void Informer::run() {
  std::string rv;
  auto backoff = std::chrono::milliseconds(100);
  auto nextResync = std::chrono::steady_clock::now() + resyncPeriod_;
  bool needList = true;
  while (!stopping_) {
    if (needList) {
      if (!relist(rv)) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, backoff, [&] { return stopping_.load(); });
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      needList = false;
      backoff = std::chrono::milliseconds(100);
    }
    ListOptions wo = options_;
    wo.resourceVersion = rv;
    auto stream = client_.watch(type_, ns_, wo);
    if (!stream) {
      needList = true;
      continue;
    }
    {
      std::lock_guard lock(streamMu_);
      stream_ = std::move(*stream);
    }
    while (!stopping_) {
      auto ev = stream_->next(std::chrono::milliseconds(200));
      if (std::chrono::steady_clock::now() >= nextResync) {
        resync();
        nextResync = std::chrono::steady_clock::now() + resyncPeriod_;
      }
      if (!ev) {
        if (stream_->closed()) break;
        continue;
      }
      if (ev->type == "ERROR") {
        // 410 Expired (or any error): list again.
        needList = true;
        break;
      }
      std::string evRv = api::getString(ev->object, "metadata.resourceVersion");
      if (!evRv.empty()) rv = evRv;
      if (ev->type == "BOOKMARK") continue;
      apply(ev->type, ev->object);
    }
    std::lock_guard lock(streamMu_);
    if (stream_) stream_->stop();
    stream_.reset();
  }
}

}  // namespace sluice::client
