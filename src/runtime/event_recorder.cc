#include "runtime/event_recorder.h"

#include <cstdio>

#include "api/object.h"

namespace sluice::runtime {

EventRecorder::EventRecorder(client::Client& client, std::string component,
                             const base::Clock& clock, base::Logger log)
    : client_(client), component_(std::move(component)), clock_(clock), log_(std::move(log)) {}

void EventRecorder::record(const json::value& object, const std::string& type,
                           const std::string& reason, const std::string& message) {
  const auto* evType = api::findByKind("v1", "Event");
  std::string ns = api::namespaceOf(object);
  if (ns.empty()) ns = "default";
  std::string now = api::formatTimestamp(clock_.now());
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
    auto r = client_.patch(*evType, ns, existing, api::PatchType::Merge,
                           json::object{{"count", count}, {"lastTimestamp", now}});
    if (r) return;
  }
  char suffix[32];
  std::snprintf(
      suffix, sizeof suffix, ".%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch())
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
  if (!created) {
    log_->warn("cannot record event {} {} for {}/{}: {}", type, reason, ns, api::nameOf(object),
               created.error().message);
  } else {
    std::lock_guard lock(mu_);
    seen_[key] = {name, 1};
    if (seen_.size() > 4096) seen_.erase(seen_.begin());
  }
}

}  // namespace sluice::runtime
