#include "apiserver/discovery.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "api/resources.h"

namespace sluice::apiserver {

namespace json = boost::json;
using api::ResourceType;

namespace {

// Kubernetes' version priority: GA > beta > alpha, then the higher number.
int versionPriority(const std::string& v) {
  int major = 0, minor = 0;
  char kind = 'g';  // GA
  auto beta = v.find("beta"), alpha = v.find("alpha");
  if (beta != std::string::npos) kind = 'b';
  if (alpha != std::string::npos) kind = 'a';
  std::sscanf(v.c_str(), "v%d", &major);
  size_t suffix = kind == 'b' ? beta + 4 : kind == 'a' ? alpha + 5 : std::string::npos;
  if (suffix != std::string::npos) std::sscanf(v.c_str() + suffix, "%d", &minor);
  int level = kind == 'g' ? 3 : kind == 'b' ? 2 : 1;
  return level * 1000000 + major * 1000 + minor;
}

const json::array kVerbs = {"create", "delete", "deletecollection", "get",
                            "list",   "patch",  "update",           "watch"};

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

// Group versions in discovery order, core first; within a group, by the priority its types
// list them (preferred first: v1, v1beta1, v1alpha2).
std::vector<std::pair<std::string, std::string>> groupVersions() {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& t : api::resourceTypes())
    for (const auto& v : t.servedVersions())
      if (seen.insert({t.group, v}).second) out.emplace_back(t.group, v);
  std::map<std::string, size_t> groupOrder;
  for (const auto& [group, version] : out) groupOrder.emplace(group, groupOrder.size());
  std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
    size_t ga = groupOrder[a.first], gb = groupOrder[b.first];
    if (ga != gb) return ga < gb;
    return versionPriority(a.second) > versionPriority(b.second);
  });
  return out;
}

// The versions of `group`, preferred first.
std::vector<std::string> versionsOf(const std::string& group) {
  std::vector<std::string> out;
  for (const auto& [g, v] : groupVersions())
    if (g == group) out.push_back(v);
  return out;
}

json::object subresourceKind(const ResourceType& t, const std::string& sub,
                             const std::string& version) {
  if (sub == "scale") return {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}};
  if (sub == "log") return {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}};
  return {{"group", t.group}, {"version", version}, {"kind", t.kind}};
}

json::array aggregatedResources(const std::string& group, const std::string& version) {
  json::array resources;
  for (const auto& t : api::resourceTypes()) {
    if (t.group != group || !t.serves(version)) continue;
    json::array subs;
    for (const auto& s : t.subresources) {
      subs.push_back(json::object{
          {"subresource", s},
          {"responseKind", subresourceKind(t, s, version)},
          {"verbs", s == "log" ? json::array{"get"} : json::array{"get", "patch", "update"}}});
    }
    json::object r{
        {"resource", t.plural},
        {"responseKind", json::object{{"group", t.group}, {"version", version}, {"kind", t.kind}}},
        {"scope", t.namespaced ? "Namespaced" : "Cluster"},
        {"singularResource", t.singular},
        {"verbs", kVerbs}};
    if (!t.shortNames.empty()) r["shortNames"] = strings(t.shortNames);
    if (!t.categories.empty()) r["categories"] = strings(t.categories);
    if (!subs.empty()) r["subresources"] = std::move(subs);
    resources.push_back(std::move(r));
  }
  return resources;
}

json::object aggregatedGroup(const std::string& group) {
  json::array versions;
  for (const auto& version : versionsOf(group))
    versions.push_back(json::object{{"version", version},
                                    {"resources", aggregatedResources(group, version)},
                                    {"freshness", "Current"}});
  json::object meta{{"creationTimestamp", nullptr}};
  if (!group.empty()) meta["name"] = group;
  return json::object{{"metadata", std::move(meta)}, {"versions", std::move(versions)}};
}

}  // namespace

json::value versionInfo() {
  return json::object{{"major", "1"},
                      {"minor", "33"},
                      {"gitVersion", "v1.33.1+sluice"},
                      {"gitCommit", "0000000000000000000000000000000000000000"},
                      {"gitTreeState", "clean"},
                      {"buildDate", "2026-11-01T00:00:00Z"},
                      {"goVersion", "go1.24.2"},
                      {"compiler", "gc"},
                      {"platform", "linux/amd64"}};
}

DiscoveryDocument discoveryRoot(bool core, const std::string& accept,
                                const std::string& serverAddress) {
  bool wantsV2 = accept.find("as=APIGroupDiscoveryList") != std::string::npos &&
                 accept.find("v=v2;") != std::string::npos;
  bool wantsV2beta1 = accept.find("v=v2beta1") != std::string::npos &&
                      accept.find("as=APIGroupDiscoveryList") != std::string::npos;
  if (wantsV2 || wantsV2beta1) {
    std::string v = wantsV2 ? "v2" : "v2beta1";
    json::array items;
    std::set<std::string> done;
    for (const auto& [group, version] : groupVersions()) {
      if (core != group.empty() || !done.insert(group).second) continue;
      items.push_back(aggregatedGroup(group));
    }
    return {"application/json;g=apidiscovery.k8s.io;v=" + v + ";as=APIGroupDiscoveryList",
            json::object{{"kind", "APIGroupDiscoveryList"},
                         {"apiVersion", "apidiscovery.k8s.io/" + v},
                         {"metadata", json::object{}},
                         {"items", std::move(items)}}};
  }
  if (core) {
    return {"application/json",
            json::object{{"kind", "APIVersions"},
                         {"versions", json::array{"v1"}},
                         {"serverAddressByClientCIDRs",
                          json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                                   {"serverAddress", serverAddress}}}}}};
  }
  json::array groups;
  std::set<std::string> done;
  for (const auto& [group, version] : groupVersions()) {
    if (group.empty() || !done.insert(group).second) continue;
    groups.push_back(*discoveryGroup(group));
  }
  return {
      "application/json",
      json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}}};
}

std::optional<json::value> discoveryGroup(const std::string& group) {
  auto versions = versionsOf(group);
  if (group.empty() || versions.empty()) return std::nullopt;
  json::array list;
  for (const auto& v : versions)
    list.push_back(json::object{{"groupVersion", group + "/" + v}, {"version", v}});
  json::value preferred = list.front();
  return json::object{{"kind", "APIGroup"},
                      {"apiVersion", "v1"},
                      {"name", group},
                      {"versions", std::move(list)},
                      {"preferredVersion", std::move(preferred)}};
}

std::optional<json::value> discoveryResources(const std::string& group,
                                              const std::string& version) {
  json::array resources;
  for (const auto& t : api::resourceTypes()) {
    if (t.group != group || !t.serves(version)) continue;
    json::object r{{"name", t.plural},
                   {"singularName", t.singular},
                   {"namespaced", t.namespaced},
                   {"kind", t.kind},
                   {"verbs", kVerbs}};
    if (!t.shortNames.empty()) r["shortNames"] = strings(t.shortNames);
    if (!t.categories.empty()) r["categories"] = strings(t.categories);
    resources.push_back(std::move(r));
    for (const auto& s : t.subresources) {
      auto kind = subresourceKind(t, s, version);
      json::object sr{
          {"name", t.plural + "/" + s},
          {"singularName", ""},
          {"namespaced", t.namespaced},
          {"kind", kind["kind"]},
          {"verbs", s == "log" ? json::array{"get"} : json::array{"get", "patch", "update"}}};
      if (s == "scale") {
        sr["group"] = "autoscaling";
        sr["version"] = "v1";
      }
      resources.push_back(std::move(sr));
    }
  }
  if (resources.empty()) return std::nullopt;
  return json::object{{"kind", "APIResourceList"},
                      {"apiVersion", "v1"},
                      {"groupVersion", group.empty() ? version : group + "/" + version},
                      {"resources", std::move(resources)}};
}

json::value openApiV3Index() {
  json::object paths;
  for (const auto& [group, version] : groupVersions()) {
    std::string rel = group.empty() ? "api/" + version : "apis/" + group + "/" + version;
    paths[rel] = json::object{{"serverRelativeURL", "/openapi/v3/" + rel + "?hash=sluice1"}};
  }
  return json::object{{"paths", std::move(paths)}};
}

std::optional<json::value> openApiV3Document(const std::string& relative) {
  // Only what kubectl checks: that PATCH of each kind takes `fieldValidation`. No schemas and
  // no strategic-merge request body, so kubectl computes apply patches from its built-in types.
  json::object paths;
  for (const auto& t : api::resourceTypes())
    for (const auto& version : t.servedVersions()) {
      std::string rel = t.group.empty() ? "api/" + version : "apis/" + t.group + "/" + version;
      if (rel != relative) continue;
      std::string path =
          "/" + rel + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
      paths[path] = json::object{
          {"patch",
           json::object{{"x-kubernetes-group-version-kind",
                         json::object{{"group", t.group}, {"version", version}, {"kind", t.kind}}},
                        {"parameters", json::array{json::object{{"name", "fieldValidation"},
                                                                {"in", "query"}}}}}}};
    }
  if (paths.empty()) return std::nullopt;
  return json::object{{"openapi", "3.0.0"},
                      {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.33.1"}}},
                      {"paths", std::move(paths)}};
}

}  // namespace sluice::apiserver
