// The REST semantics of every resource, independent of transport: metadata (uid, timestamps,
// generation, resourceVersion), defaulting and validation, optimistic concurrency, patches,
// subresources (status, scale), finalizers, cascading deletion, namespaces, and watch.
//
// Both the HTTP handler and the in-process API client call this, so a component behaves the same
// whether it runs inside the server or apart from it. Thread-safe.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/error.h"
#include "api/options.h"
#include "api/resources.h"
#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"

namespace sluice::apiserver {

namespace json = boost::json;

using api::DeleteOptions;
using api::ListOptions;
using api::PatchType;
using api::WriteOptions;

// A hook that completes or checks objects of one kind before they are stored (IP allocation,
// for instance). `old` is null on create. It runs under the store's write lock: keep it quick.
using Admission = std::function<api::Status(json::object& object, const json::object* old)>;

class Registry {
 public:
  // `clock` stamps creation and deletion times; `random` makes uids and generated names. Both
  // must outlive the registry.
  Registry(store::Store& store, const base::Clock& clock, base::Random& random);

  // Creates the namespaces every cluster has (default, kube-system, kube-public, kube-node-lease).
  api::Status bootstrap();
  void addAdmission(const std::string& kind, Admission admission);
  // Runs after an object of `kind` is removed (and for a create that admission passed but the
  // store refused), so what admission allocated can be freed.
  void addDeleteHook(const std::string& kind, std::function<void(const json::value&)> hook);

  api::Result<json::value> get(const api::ResourceType& type, const std::string& ns,
                               const std::string& name, const std::string& subresource = "");
  // A `<Kind>List` object with metadata.resourceVersion (and continue/remainingItemCount).
  api::Result<json::value> list(const api::ResourceType& type, const std::string& ns,
                                const ListOptions& options);
  api::Result<json::value> create(const api::ResourceType& type, const std::string& ns,
                                  json::value body, const WriteOptions& options = {});
  // PUT. metadata.resourceVersion in the body, when set, must match (else Conflict).
  api::Result<json::value> update(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, json::value body,
                                  const std::string& subresource = "",
                                  const WriteOptions& options = {});
  api::Result<json::value> patch(const api::ResourceType& type, const std::string& ns,
                                 const std::string& name, PatchType patchType,
                                 const json::value& patch, const std::string& subresource = "",
                                 const WriteOptions& options = {});
  // Returns the deleted object, or the object with deletionTimestamp set when deletion waits
  // for finalizers.
  api::Result<json::value> remove(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, const DeleteOptions& options = {});
  // Watch events for the type (in `ns`, or every namespace when empty), filtered by selectors.
  api::Result<std::shared_ptr<store::Watch>> watch(const api::ResourceType& type,
                                                   const std::string& ns,
                                                   const ListOptions& options);

  int64_t revision() { return store_.revision(); }
  store::Store& store() { return store_; }

  // Store keys: "/<group or core>/<plural>/<namespace>/<name>" (no namespace part for
  // cluster-scoped types).
  static std::string key(const api::ResourceType& type, const std::string& ns,
                         const std::string& name);
  static std::string prefix(const api::ResourceType& type, const std::string& ns);

 private:
  api::Status checkNamespace(const api::ResourceType& type, const std::string& ns);
  api::Result<json::value> prepareUpdate(const api::ResourceType& type, const json::value& current,
                                         json::value next, const std::string& subresource);
  api::Result<json::value> finishDelete(const api::ResourceType& type, const std::string& ns,
                                        const std::string& name, const DeleteOptions& options);
  api::Status deleteDependents(const std::string& ns, const std::string& ownerUid,
                               const std::string& policy);
  api::Status orphanDependents(const std::string& ns, const std::string& ownerUid);
  api::Status deleteNamespaceContents(const std::string& ns);
  api::Error translate(const api::Error& e, const api::ResourceType& type, const std::string& name);
  api::Status admit(const api::ResourceType& type, json::object& object, const json::object* old);

  store::Store& store_;
  const base::Clock& clock_;
  base::Random& random_;
  void runDeleteHooks(const api::ResourceType& type, const json::value& object);

  std::map<std::string, std::vector<Admission>> admissions_;
  std::map<std::string, std::vector<std::function<void(const json::value&)>>> deleteHooks_;
};

// Builds an autoscaling/v1 Scale from a Deployment or ReplicaSet.
json::value scaleOf(const json::value& object, const api::ResourceType& type);

}  // namespace sluice::apiserver
