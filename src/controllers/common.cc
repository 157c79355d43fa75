#include "controllers/common.h"

#include <cstdio>

#include "api/object.h"

namespace sluice::controllers {

Workers::Workers(WorkQueue& queue, std::function<api::Status(const std::string&)> sync, int count)
    : queue_(queue) {
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this, sync] {
      while (auto key = queue_.get()) {
        auto st = sync(*key);
        if (st.ok())
          queue_.forget(*key);
        else
          queue_.addRateLimited(*key);
        queue_.done(*key);
      }
    });
  }
}

Workers::~Workers() {
  stop();
}

void Workers::stop() {
  queue_.shutdown();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

EventRecorder::EventRecorder(client::Client& client, std::string component, Clock clock)
    : client_(client), component_(std::move(component)), clock_(std::move(clock)) {}

void EventRecorder::record(const json::value& object, const std::string& type,
                           const std::string& reason, const std::string& message) {
  const auto* evType = api::findByKind("v1", "Event");
  std::string ns = api::namespaceOf(object);
  if (ns.empty()) ns = "default";
  std::string now = api::formatTimestamp(clock_());
  std::string key = api::uidOf(object) + "\x1f" + reason + "\x1f" + message;
  std::string existing;
  int64_t count = 0;
  {
    std::lock_guard lock(mu_);
    auto it = seen_.find(key);
    if (it != seen_.end()) {
      existing = it->second.first;
      count = ++it->second.second;
    }
  }
  if (!existing.empty()) {
    auto r = client_.patch(*evType, ns, existing, apiserver::PatchType::Merge,
                           json::object{{"count", count}, {"lastTimestamp", now}});
    if (r) return;
  }
  char suffix[32];
  std::snprintf(
      suffix, sizeof suffix, ".%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock_().time_since_epoch())
              .count()));
  std::string name = api::nameOf(object) + suffix;
  json::object involved{{"kind", api::kindOf(object)},
                        {"namespace", api::namespaceOf(object)},
                        {"name", api::nameOf(object)},
                        {"uid", api::uidOf(object)},
                        {"apiVersion", api::getString(object, "apiVersion")},
                        {"resourceVersion", api::getString(object, "metadata.resourceVersion")}};
  json::object ev{{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", json::object{{"name", name}, {"namespace", ns}}},
                  {"involvedObject", involved},
                  {"reason", reason},
                  {"message", message},
                  {"source", json::object{{"component", component_}}},
                  {"firstTimestamp", now},
                  {"lastTimestamp", now},
                  {"count", 1},
                  {"type", type},
                  {"reportingComponent", component_}};
  auto created = client_.create(*evType, ns, ev);
  if (created) {
    std::lock_guard lock(mu_);
    seen_[key] = {name, 1};
    if (seen_.size() > 4096) seen_.erase(seen_.begin());
  }
}

const json::value* controllerRef(const json::value& object) {
  auto* refs = api::find(object, "metadata.ownerReferences");
  if (!refs || !refs->is_array()) return nullptr;
  for (const auto& r : refs->as_array())
    if (api::getBool(r, "controller")) return &r;
  return nullptr;
}

bool isControlledBy(const json::value& object, const std::string& ownerUid) {
  auto* ref = controllerRef(object);
  return ref && api::getString(*ref, "uid") == ownerUid;
}

json::object makeControllerRef(const json::value& owner) {
  return json::object{{"apiVersion", api::getString(owner, "apiVersion")},
                      {"kind", api::kindOf(owner)},
                      {"name", api::nameOf(owner)},
                      {"uid", api::uidOf(owner)},
                      {"controller", true},
                      {"blockOwnerDeletion", true}};
}

bool isPodActive(const json::value& pod) {
  auto phase = api::getString(pod, "status.phase");
  return phase != "Succeeded" && phase != "Failed" && !api::find(pod, "metadata.deletionTimestamp");
}

namespace {
const json::value* readyCondition(const json::value& pod) {
  auto* conds = api::find(pod, "status.conditions");
  if (!conds || !conds->is_array()) return nullptr;
  for (const auto& c : conds->as_array())
    if (api::getString(c, "type") == "Ready") return &c;
  return nullptr;
}
}  // namespace

bool isPodReady(const json::value& pod) {
  auto* c = readyCondition(pod);
  return c && api::getString(*c, "status") == "True";
}

std::optional<std::chrono::system_clock::time_point> podAvailableAt(const json::value& pod,
                                                                    int64_t minReadySeconds) {
  auto* c = readyCondition(pod);
  if (!c || api::getString(*c, "status") != "True") return std::nullopt;
  std::chrono::system_clock::time_point since;
  if (!api::parseTimestamp(api::getString(*c, "lastTransitionTime"), since))
    return std::chrono::system_clock::time_point{};
  return since + std::chrono::seconds(minReadySeconds);
}

bool isPodAvailable(const json::value& pod, int64_t minReadySeconds,
                    std::chrono::system_clock::time_point now) {
  auto at = podAvailableAt(pod, minReadySeconds);
  if (!at) return false;
  if (minReadySeconds == 0) return true;
  return *at <= now;
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace sluice::controllers
