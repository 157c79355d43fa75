#include <deque>

#include "api/resources.h"

namespace sluice::api {

namespace {

// One view per (type, non-preferred version), built once; a deque keeps their addresses.
const std::deque<ResourceType>& views() {
  static const std::deque<ResourceType> all = [] {
    std::deque<ResourceType> out;
    for (const auto& t : resourceTypes()) {
      for (const auto& v : t.otherVersions) {
        ResourceType view = t;
        view.version = v;
        view.otherVersions.clear();
        for (const auto& other : t.servedVersions())
          if (other != v) view.otherVersions.push_back(other);
        out.push_back(std::move(view));
      }
    }
    return out;
  }();
  return all;
}

}  // namespace

const ResourceType& preferredVersion(const ResourceType& type) {
  const ResourceType* preferred = findByPlural(type.group, type.plural);
  return preferred ? *preferred : type;
}

const ResourceType* atVersion(const ResourceType& type, std::string_view version) {
  const ResourceType& preferred = preferredVersion(type);
  if (preferred.version == version) return &preferred;
  for (const auto& view : views())
    if (view.group == type.group && view.plural == type.plural && view.version == version)
      return &view;
  return nullptr;
}

const ResourceType* findByKindAtOtherVersion(std::string_view apiVersion, std::string_view kind) {
  for (const auto& view : views())
    if (view.kind == kind && view.apiVersion() == apiVersion) return &view;
  return nullptr;
}

}  // namespace sluice::api
