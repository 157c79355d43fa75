// Informers: list + watch + a local cache of one resource type, with event handlers. Controllers
// read the cache and never the store. On a watch that ends it re-watches from the last
// resourceVersion it saw; on 410 Expired it lists again; every `resyncPeriod` it re-delivers
// every cached object as an update so level-triggered controllers converge.
//
// Threading: handlers run on the informer's own thread, one at a time; cache reads are safe from
// any thread.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/resources.h"
#include "client/client.h"

namespace sluice::client {

using ObjectPtr = std::shared_ptr<const json::value>;

struct InformerHandlers {
  std::function<void(const ObjectPtr&)> onAdd;
  std::function<void(const ObjectPtr& oldObj, const ObjectPtr& newObj)> onUpdate;
  std::function<void(const ObjectPtr&)> onDelete;
};

class Informer {
 public:
  Informer(Client& client, const api::ResourceType& type, std::string ns = "",
           ListOptions options = {},
           std::chrono::milliseconds resyncPeriod = std::chrono::seconds(30));
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Handlers must be added before start().
  void addHandlers(InformerHandlers handlers);
  void start();
  void stop();
  // Blocks until the first list has been delivered (or timeout); false on timeout.
  bool waitForSync(std::chrono::milliseconds timeout) const;

  // Cache key: "namespace/name" (or "name" for cluster-scoped types).
  static std::string keyOf(const json::value& object);
  ObjectPtr get(const std::string& key) const;
  std::vector<ObjectPtr> list(const std::function<bool(const json::value&)>& filter = {}) const;
  std::vector<ObjectPtr> listNamespace(const std::string& ns) const;
  const api::ResourceType& type() const { return type_; }

 private:
  void run();
  bool relist(std::string& rv);
  void apply(const std::string& type, const json::value& object);
  void resync();

  Client& client_;
  const api::ResourceType& type_;
  std::string ns_;
  ListOptions options_;
  std::chrono::milliseconds resyncPeriod_;
  std::vector<InformerHandlers> handlers_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, ObjectPtr> cache_;
  bool synced_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::unique_ptr<EventStream> stream_;
  std::mutex streamMu_;
};

}  // namespace sluice::client
