#include "api/resources.h"

#include <algorithm>
#include <cctype>

#include "api/gateway_resources.h"

namespace sluice::api {

const std::vector<ResourceType>& resourceTypes() {
  static const std::vector<ResourceType> builtIn = {
      {"", "v1", "Pod", "pods", "pod", {"po"}, {"all"}, true, {"status", "log"}},
      {"", "v1", "Service", "services", "service", {"svc"}, {"all"}, true, {"status"}},
      {"apps",
       "v1",
       "Deployment",
       "deployments",
       "deployment",
       {"deploy"},
       {"all"},
       true,
       {"status", "scale"}},
      {"apps",
       "v1",
       "ReplicaSet",
       "replicasets",
       "replicaset",
       {"rs"},
       {"all"},
       true,
       {"status", "scale"}},
      {"", "v1", "Namespace", "namespaces", "namespace", {"ns"}, {}, false, {"status"}},
      {"", "v1", "Endpoints", "endpoints", "endpoints", {"ep"}, {}, true, {}},
      {"", "v1", "Event", "events", "event", {"ev"}, {}, true, {}},
      {"", "v1", "Node", "nodes", "node", {"no"}, {}, false, {"status"}},
      {"discovery.k8s.io",
       "v1",
       "EndpointSlice",
       "endpointslices",
       "endpointslice",
       {},
       {},
       true,
       {}},
  };
  static const std::vector<ResourceType> types = withGatewayResourceTypes(builtIn);
  return types;
}

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

const ResourceType* findByKind(std::string_view apiVersion, std::string_view kind) {
  for (const auto& t : resourceTypes())
    if (t.kind == kind && t.apiVersion() == apiVersion) return &t;
  return findByKindAtOtherVersion(apiVersion, kind);
}

const ResourceType* findByKind(std::string_view kind) {
  for (const auto& t : resourceTypes())
    if (t.kind == kind) return &t;
  return nullptr;
}

const ResourceType* findByPlural(std::string_view group, std::string_view plural) {
  for (const auto& t : resourceTypes())
    if (t.plural == plural && t.group == group) return &t;
  return nullptr;
}

const ResourceType* resolveResource(std::string_view input) {
  std::string name = lower(input);
  std::string group;
  bool hasGroup = false;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    group = name.substr(dot + 1);
    name = name.substr(0, dot);
    hasGroup = true;
  }
  for (const auto& t : resourceTypes()) {
    if (hasGroup && t.group != group && !(group == "v1" && t.group.empty()) &&
        t.apiVersion() != group)
      continue;
    if (t.plural == name || t.singular == name || lower(t.kind) == name) return &t;
    for (const auto& s : t.shortNames)
      if (s == name) return &t;
  }
  return nullptr;
}

}  // namespace sluice::api
