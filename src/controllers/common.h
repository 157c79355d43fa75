// What controllers share beyond the runtime (work queue, workers, event recorder): helpers over
// owner references and pod state.
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
#include "runtime/event_recorder.h"
#include "runtime/workers.h"
#include "runtime/workqueue.h"

namespace sluice::controllers {

namespace json = boost::json;
using runtime::EventRecorder;
using runtime::Workers;
using runtime::WorkQueue;

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
