// The built-in resource types sluice serves: names, groups, scope and discovery data.
// One table (resources.cc) is the single source of truth for routing, discovery and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

// A column of a server-side Table as a CustomResourceDefinition's additionalPrinterColumns
// declare it. The API server prints the first result of `jsonPath` ("string": the value as
// JSONPath prints it; "date": its age), and a null cell when there is none.
struct PrinterColumn {
  std::string name;      // "Controller"
  std::string type;      // "string", "integer", "date"
  std::string jsonPath;  // ".spec.controllerName"
  int priority = 0;      // > 0: only shown with -o wide
};

struct ResourceType {
  std::string group;     // "" for the core group, "apps", "discovery.k8s.io"
  std::string version;   // "v1"
  std::string kind;      // "Deployment"
  std::string plural;    // "deployments"
  std::string singular;  // "deployment"
  std::vector<std::string> shortNames;
  std::vector<std::string> categories;  // "all"
  bool namespaced = true;
  std::vector<std::string> subresources;  // "status", "scale", "log"
  // Versions also served besides `version`, highest priority first. `version` is the preferred
  // version and the one objects are stored at; every version serves the same stored object and
  // only apiVersion differs (a CustomResourceDefinition with conversion strategy None).
  std::vector<std::string> otherVersions = {};
  // Served the way kube-apiserver serves custom resources (the Gateway API kinds): Tables from
  // `printerColumns`, metadata.generation counting every change outside metadata and status,
  // strategic merge patch refused, kubectl's generic `describe`.
  bool custom = false;
  std::vector<PrinterColumn> printerColumns = {};

  bool serves(std::string_view v) const {
    if (v == version) return true;
    for (const auto& o : otherVersions)
      if (o == v) return true;
    return false;
  }
  // `version` first, then `otherVersions`.
  std::vector<std::string> servedVersions() const {
    std::vector<std::string> all{version};
    all.insert(all.end(), otherVersions.begin(), otherVersions.end());
    return all;
  }
  // "gateway.networking.k8s.io/v1beta1" for v = "v1beta1".
  std::string apiVersionAt(std::string_view v) const {
    return group.empty() ? std::string(v) : group + "/" + std::string(v);
  }

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps" or "pods": how Kubernetes names the resource in messages.
  std::string groupResource() const { return group.empty() ? plural : plural + "." + group; }
  // "/apis/apps/v1" or "/api/v1".
  std::string apiPrefix() const {
    return group.empty() ? "/api/" + version : "/apis/" + apiVersion();
  }
};

// All built-in types, in discovery order (pods, services, deployments, replicasets is also the
// order `get all` prints).
const std::vector<ResourceType>& resourceTypes();

// Look-ups; nullptr when unknown.
const ResourceType* findByKind(std::string_view apiVersion, std::string_view kind);
const ResourceType* findByKind(std::string_view kind);
const ResourceType* findByPlural(std::string_view group, std::string_view plural);
// Resolves what a user types: plural, singular, short name or Kind, optionally "name.group".
const ResourceType* resolveResource(std::string_view nameOrAlias);

// Versions (resource_versions.cc). A type served at several versions has one entry in
// resourceTypes(), at its preferred version, and one view per other version: a copy whose
// `version` is that version and whose `otherVersions` are the rest. A view names the same
// resource (same store keys, same everything but apiVersion); views live as long as the program.
//
// `type` (or the resource a view belongs to) as served at `version`; nullptr when not served.
const ResourceType* atVersion(const ResourceType& type, std::string_view version);
// The entry of resourceTypes() for `type`, which may be a view: the version objects are stored at.
const ResourceType& preferredVersion(const ResourceType& type);
// findByKind for the versions that are not preferred ("gateway.networking.k8s.io/v1beta1").
const ResourceType* findByKindAtOtherVersion(std::string_view apiVersion, std::string_view kind);

}  // namespace sluice::api
