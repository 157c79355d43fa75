#include "apiserver/discovery.h"

#include <set>

#include "api/resources.h"

namespace sluice::apiserver {

namespace json = boost::json;
using api::ResourceType;

namespace {

const json::array kVerbs = {"create", "delete", "deletecollection", "get",
                            "list",   "patch",  "update",           "watch"};

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

// Group versions in discovery order, core first.
std::vector<std::pair<std::string, std::string>> groupVersions() {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& t : api::resourceTypes()) {
    if (seen.insert({t.group, t.version}).second) out.emplace_back(t.group, t.version);
  }
  return out;
}

json::object subresourceKind(const ResourceType& t, const std::string& sub) {
  if (sub == "scale") return {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}};
  if (sub == "log") return {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}};
  return {{"group", t.group}, {"version", t.version}, {"kind", t.kind}};
}

json::object aggregatedGroup(const std::string& group, bool v2) {
  (void)v2;
  json::array resources;
  std::string version;
  for (const auto& t : api::resourceTypes()) {
    if (t.group != group) continue;
    version = t.version;
    json::array subs;
    for (const auto& s : t.subresources) {
      subs.push_back(json::object{
          {"subresource", s},
          {"responseKind", subresourceKind(t, s)},
          {"verbs", s == "log" ? json::array{"get"} : json::array{"get", "patch", "update"}}});
    }
    json::object r{{"resource", t.plural},
                   {"responseKind",
                    json::object{{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
                   {"scope", t.namespaced ? "Namespaced" : "Cluster"},
                   {"singularResource", t.singular},
                   {"verbs", kVerbs}};
    if (!t.shortNames.empty()) r["shortNames"] = strings(t.shortNames);
    if (!t.categories.empty()) r["categories"] = strings(t.categories);
    if (!subs.empty()) r["subresources"] = std::move(subs);
    resources.push_back(std::move(r));
  }
  json::object meta{{"creationTimestamp", nullptr}};
  if (!group.empty()) meta["name"] = group;
  return json::object{{"metadata", std::move(meta)},
                      {"versions", json::array{json::object{{"version", version},
                                                            {"resources", std::move(resources)},
                                                            {"freshness", "Current"}}}}};
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
    for (const auto& [group, version] : groupVersions()) {
      if (core != group.empty()) continue;
      items.push_back(aggregatedGroup(group, wantsV2));
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
  for (const auto& [group, version] : groupVersions()) {
    if (group.empty()) continue;
    groups.push_back(*discoveryGroup(group));
  }
  return {
      "application/json",
      json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}}};
}

std::optional<json::value> discoveryGroup(const std::string& group) {
  for (const auto& [g, version] : groupVersions()) {
    if (g != group || g.empty()) continue;
    json::object gv{{"groupVersion", g + "/" + version}, {"version", version}};
    return json::object{{"kind", "APIGroup"},
                        {"apiVersion", "v1"},
                        {"name", g},
                        {"versions", json::array{gv}},
                        {"preferredVersion", gv}};
  }
  return std::nullopt;
}

std::optional<json::value> discoveryResources(const std::string& group,
                                              const std::string& version) {
  json::array resources;
  for (const auto& t : api::resourceTypes()) {
    if (t.group != group || t.version != version) continue;
    json::object r{{"name", t.plural},
                   {"singularName", t.singular},
                   {"namespaced", t.namespaced},
                   {"kind", t.kind},
                   {"verbs", kVerbs}};
    if (!t.shortNames.empty()) r["shortNames"] = strings(t.shortNames);
    if (!t.categories.empty()) r["categories"] = strings(t.categories);
    resources.push_back(std::move(r));
    for (const auto& s : t.subresources) {
      auto kind = subresourceKind(t, s);
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
  for (const auto& t : api::resourceTypes()) {
    std::string rel = t.group.empty() ? "api/" + t.version : "apis/" + t.group + "/" + t.version;
    if (rel != relative) continue;
    std::string path =
        "/" + rel + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
    paths[path] = json::object{
        {"patch",
         json::object{{"x-kubernetes-group-version-kind",
                       json::object{{"group", t.group}, {"version", t.version}, {"kind", t.kind}}},
                      {"parameters",
                       json::array{json::object{{"name", "fieldValidation"}, {"in", "query"}}}}}}};
  }
  if (paths.empty()) return std::nullopt;
  return json::object{{"openapi", "3.0.0"},
                      {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.33.1"}}},
                      {"paths", std::move(paths)}};
}

}  // namespace sluice::apiserver
