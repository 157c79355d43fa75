// The built-in resource types sluice serves: names, groups, scope and discovery data.
// One table (resources.cc) is the single source of truth for routing, discovery and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

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

}  // namespace sluice::api
