// Informers: list + watch + a local cache of one resource type, with event handlers. Controllers
// read the cache and never the store. On a watch that ends it re-watches from the last
// resourceVersion it saw; on 410 Expired it lists again; every `resyncPeriod` it re-delivers
// every cached object as an update so level-triggered controllers converge. Failed lists and
// watches are retried with back-off (100 ms doubling to 5 s) and logged.
//
// One process keeps one informer per resource type: components get theirs from a
// SharedInformers and register handlers on it, so a Pod is cached and watched once however many
// components look at Pods.
//
// Threading: handlers run on the informer's own thread, one at a time (or on the caller's thread
// in pump()); cache reads are safe from any thread. Handlers are added before start().
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
#include "base/clock.h"
#include "base/log.h"
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
  struct Options {
    std::string ns;  // "" for every namespace
    ListOptions list;
    std::chrono::milliseconds resyncPeriod = std::chrono::seconds(30);
    const base::Clock* clock = &base::realClock();
    base::Logger log = base::nullLogger();
  };
  Informer(Client& client, const api::ResourceType& type, Options options);
  Informer(Client& client, const api::ResourceType& type) : Informer(client, type, Options{}) {}
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Handlers must be added before start().
  void addHandlers(InformerHandlers handlers);
  void start();
  void stop();
  // Blocks until the first list has been delivered (or timeout); false on timeout.
  [[nodiscard]] bool waitForSync(std::chrono::milliseconds timeout) const;
  bool hasSynced() const;
  // Without a thread (tests): lists if it has not yet (or must again) and delivers every watch
  // event already available, on the calling thread. Returns false when the list or watch failed.
  bool pump();

  // Cache key: "namespace/name" (or "name" for cluster-scoped types).
  static std::string keyOf(const json::value& object);
  ObjectPtr get(const std::string& key) const;
  std::vector<ObjectPtr> list(const std::function<bool(const json::value&)>& filter = {}) const;
  std::vector<ObjectPtr> listNamespace(const std::string& ns) const;
  const api::ResourceType& type() const { return type_; }

 private:
  void run();
  bool relist();
  bool openWatch();
  // Handles one watch event; false when the informer must list again.
  bool handle(const WatchEvent& ev);
  void apply(const std::string& type, const json::value& object);
  void resync();
  void closeStream();
  // Waits `d` on the clock or until stop(); false when stopping.
  bool pause(std::chrono::milliseconds d);

  Client& client_;
  const api::ResourceType& type_;
  Options options_;
  std::vector<InformerHandlers> handlers_;

  // Owned by the running thread (or pump()'s caller).
  std::string rv_;
  bool needList_ = true;
  base::SteadyTime nextResync_{};

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
