// What every controller shares: the worker loop over a work queue, an event recorder, and
// helpers over owner references and pod state.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/error.h"
#include "client/client.h"
#include "controllers/workqueue.h"

namespace sluice::controllers {

namespace json = boost::json;
using Clock = std::function<std::chrono::system_clock::time_point()>;

// Runs `sync(key)` on `count` threads until the queue shuts down. A failed sync is retried with
// back-off; a successful one resets the key's back-off.
class Workers {
 public:
  Workers(WorkQueue& queue, std::function<api::Status(const std::string&)> sync, int count = 1);
  ~Workers();
  void stop();

 private:
  WorkQueue& queue_;
  std::vector<std::thread> threads_;
};

// Records Events (v1) about objects, aggregating repeats of the same reason and message into a
// count, as Kubernetes' event recorder does.
class EventRecorder {
 public:
  EventRecorder(client::Client& client, std::string component, Clock clock);
  void record(const json::value& object, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  client::Client& client_;
  std::string component_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, int64_t>> seen_;  // key -> (event name, count)
};

// The ownerReference with controller=true, or nullptr.
const json::value* controllerRef(const json::value& object);
bool isControlledBy(const json::value& object, const std::string& ownerUid);
json::object makeControllerRef(const json::value& owner);

// Pod state as controllers see it.
bool isPodActive(const json::value& pod);  // not Succeeded/Failed, not being deleted
bool isPodReady(const json::value& pod);
// Ready for at least `minReadySeconds` at `now`.
bool isPodAvailable(const json::value& pod, int64_t minReadySeconds,
                    std::chrono::system_clock::time_point now);
// When a ready pod becomes available (ready transition + minReadySeconds); nullopt if not ready.
std::optional<std::chrono::system_clock::time_point> podAvailableAt(const json::value& pod,
                                                                    int64_t minReadySeconds);

// "namespace/name" -> {namespace, name}.
std::pair<std::string, std::string> splitKey(const std::string& key);

}  // namespace sluice::controllers
