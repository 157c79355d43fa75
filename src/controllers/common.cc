#include "controllers/common.h"

#include <cstdio>

#include "api/object.h"

namespace sluice::controllers {

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
