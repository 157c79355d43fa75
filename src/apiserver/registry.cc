#include "apiserver/registry.h"

#include "api/defaulting.h"
#include "api/gateway_resources.h"
#include "api/object.h"
#include "api/patch.h"
#include "api/selector.h"
#include "api/validation.h"

namespace sluice::apiserver {

using api::Error;
using api::ResourceType;
using api::Result;

namespace {

bool hasGeneration(const ResourceType& type) {
  return type.kind == "Deployment" || type.kind == "ReplicaSet" || type.custom;
}

bool hasStatus(const ResourceType& type) {
  for (const auto& s : type.subresources)
    if (s == "status") return true;
  return false;
}

const json::value* child(const json::value& v, std::string_view key) {
  auto* o = v.if_object();
  return o ? o->if_contains(key) : nullptr;
}

json::value childOr(const json::value& v, std::string_view key) {
  auto* c = child(v, key);
  return c ? *c : json::value();
}

// Whether an update changes what metadata.generation counts: the spec of built-in kinds; for a
// custom resource, everything but metadata and status (kube-apiserver's CRD strategy).
bool generationChanges(const ResourceType& type, const json::value& next,
                       const json::value& current) {
  if (!type.custom) return childOr(next, "spec") != childOr(current, "spec");
  auto counted = [](const json::value& v) {
    json::object o = v.as_object();
    for (const char* k : {"metadata", "status", "apiVersion"}) o.erase(k);
    return o;
  };
  return counted(next) != counted(current);
}

// A stored object as served at `type`'s version (a view of a multi-version type): only
// apiVersion differs.
json::value servedAt(json::value object, const ResourceType& type) {
  if (auto* o = object.if_object()) (*o)["apiVersion"] = type.apiVersion();
  return object;
}

Result<store::Filter> makeFilter(const ResourceType& type, const ListOptions& options) {
  auto labels = api::LabelSelector::parse(options.labelSelector);
  if (!labels) return labels.error();
  auto fields = api::FieldSelector::parse(options.fieldSelector, type.kind);
  if (!fields) return fields.error();
  if (labels->empty() && fields->empty()) return store::Filter{};
  return store::Filter{[labels = std::move(*labels),
                        fields = std::move(*fields)](const json::value& object) {
    if (!labels.empty() && !labels.matches(api::labelsFrom(api::find(object, "metadata.labels"))))
      return false;
    return fields.empty() || fields.matches(object);
  }};
}

Result<int64_t> parseResourceVersion(const std::string& text) {
  if (text.empty()) return int64_t{0};
  int64_t rv = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Error::badRequest("invalid resource version \"" + text + "\"");
    rv = rv * 10 + (c - '0');
  }
  return rv;
}

// Ensures apiVersion/kind match the endpoint the object was sent to, filling them when absent.
api::Status checkTypeMeta(json::object& body, const ResourceType& type) {
  auto apiVersion = body.if_contains("apiVersion");
  auto kind = body.if_contains("kind");
  if (apiVersion && apiVersion->is_string() && apiVersion->as_string() != type.apiVersion()) {
    return Error::badRequest(
        "the API version in the data (" + std::string(apiVersion->as_string()) +
        ") does not match the expected API version (" + type.apiVersion() + ")");
  }
  if (kind && kind->is_string() && kind->as_string() != type.kind) {
    return Error::badRequest("the kind in the data (" + std::string(kind->as_string()) +
                             ") does not match the expected kind (" + type.kind + ")");
  }
  // Stored at the preferred version whatever version the request came in at.
  body["apiVersion"] = api::preferredVersion(type).apiVersion();
  body["kind"] = type.kind;
  return {};
}

// Typed Kubernetes objects have no nulls: decoding drops them (`creationTimestamp: null` in a
// pod template that kubectl sends, for instance). Dropping them keeps equal objects equal.
void dropNulls(json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto it = o->begin(); it != o->end();) {
      if (it->value().is_null()) {
        it = o->erase(it);
      } else {
        dropNulls(it->value());
        ++it;
      }
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) dropNulls(e);
  }
}

}  // namespace

Registry::Registry(store::Store& store, const base::Clock& clock, base::Random& random)
    : store_(store), clock_(clock), random_(random) {}

std::string Registry::key(const ResourceType& type, const std::string& ns,
                          const std::string& name) {
  return prefix(type, ns) + name;
}

std::string Registry::prefix(const ResourceType& type, const std::string& ns) {
  std::string p =
      "/" + (type.group.empty() ? std::string("core") : type.group) + "/" + type.plural + "/";
  if (type.namespaced && !ns.empty()) p += ns + "/";
  return p;
}

api::Status Registry::bootstrap() {
  const auto* nsType = api::findByKind("v1", "Namespace");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto existing = store_.get(key(*nsType, "", name));
    if (existing) continue;
    json::object ns{
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", json::object{{"name", name}}}};
    auto created = create(*nsType, "", std::move(ns));
    if (!created && created.error().reason != "AlreadyExists") return created.error();
  }
  // The GatewayClass of sluice's own Gateway API controller, like k3s's built-in classes.
  const auto* classType = api::findByKind("GatewayClass");
  std::string className(api::kSluiceGatewayClass);
  if (!store_.get(key(*classType, "", className))) {
    json::object gatewayClass{
        {"apiVersion", classType->apiVersion()},
        {"kind", "GatewayClass"},
        {"metadata", json::object{{"name", className}}},
        {"spec", json::object{{"controllerName", std::string(api::kSluiceGatewayController)},
                              {"description", "The load balancer built into sluice"}}}};
    auto created = create(*classType, "", std::move(gatewayClass));
    if (!created && !created.error().isAlreadyExists()) return created.error();
  }
  return {};
}

void Registry::addAdmission(const std::string& kind, Admission admission) {
  admissions_[kind].push_back(std::move(admission));
}

void Registry::addDeleteHook(const std::string& kind,
                             std::function<void(const json::value&)> hook) {
  deleteHooks_[kind].push_back(std::move(hook));
}

void Registry::runDeleteHooks(const ResourceType& type, const json::value& object) {
  auto it = deleteHooks_.find(type.kind);
  if (it == deleteHooks_.end()) return;
  for (const auto& h : it->second) h(object);
}

api::Status Registry::admit(const ResourceType& type, json::object& object,
                            const json::object* old) {
  auto it = admissions_.find(type.kind);
  if (it == admissions_.end()) return {};
  for (const auto& a : it->second)
    if (auto st = a(object, old); !st) return st;
  return {};
}

Error Registry::translate(const Error& e, const ResourceType& type, const std::string& name) {
  if (e.reason == "NotFound") return Error::notFound(type.groupResource(), name);
  if (e.reason == "AlreadyExists") return Error::alreadyExists(type.groupResource(), name);
  return e;
}

api::Status Registry::checkNamespace(const ResourceType& type, const std::string& ns) {
  if (!type.namespaced) return {};
  if (ns.empty()) return Error::badRequest("the namespace of the object must be set");
  const auto* nsType = api::findByKind("v1", "Namespace");
  auto got = store_.get(key(*nsType, "", ns));
  if (!got) return Error::notFound("namespaces", ns);
  if (api::find(*got->value, "metadata.deletionTimestamp")) {
    Error e;
    e.code = 403;
    e.reason = "Forbidden";
    e.message =
        "unable to create new content in namespace " + ns + " because it is being terminated";
    return e;
  }
  return {};
}

Result<json::value> Registry::get(const ResourceType& type, const std::string& ns,
                                  const std::string& name, const std::string& subresource) {
  auto got = store_.get(key(type, ns, name));
  if (!got) return translate(got.error(), type, name);
  if (subresource == "scale") return scaleOf(*got->value, type);
  return *got->value;
}

Result<json::value> Registry::list(const ResourceType& type, const std::string& ns,
                                   const ListOptions& options) {
  auto filter = makeFilter(type, options);
  if (!filter) return filter.error();
  auto listed = store_.list(prefix(type, ns), *filter, options.limit, options.continueToken);
  if (!listed) return listed.error();
  json::array items;
  items.reserve(listed->items.size());
  for (const auto& o : listed->items) items.push_back(*o.value);
  json::object meta{{"resourceVersion", std::to_string(listed->rv)}};
  if (!listed->continueToken.empty()) {
    meta["continue"] = listed->continueToken;
    meta["remainingItemCount"] = listed->remaining;
  }
  return json::object{{"apiVersion", type.apiVersion()},
                      {"kind", type.kind + "List"},
                      {"metadata", std::move(meta)},
                      {"items", std::move(items)}};
}

Result<json::value> Registry::create(const ResourceType& type, const std::string& ns,
                                     json::value body, const WriteOptions& options) {
  if (!body.is_object()) return Error::badRequest("the request body must be a JSON object");
  dropNulls(body);
  auto& obj = body.as_object();
  if (auto st = checkTypeMeta(obj, type); !st) return st.error();
  auto& meta = api::ensureObject(body, "metadata");
  if (type.namespaced) {
    auto bodyNs = api::getString(body, "metadata.namespace");
    if (!bodyNs.empty() && bodyNs != ns)
      return Error::badRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request");
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  if (api::getString(body, "metadata.name").empty()) {
    auto generate = api::getString(body, "metadata.generateName");
    if (!generate.empty()) meta["name"] = generate + base::randomSuffix(random_, 5);
  }
  if (!api::getString(body, "metadata.resourceVersion").empty())
    return Error::badRequest("resourceVersion should not be set on objects to be created");
  if (auto st = checkNamespace(type, ns); !st) return st.error();

  meta["uid"] = base::newUid(random_);
  meta["creationTimestamp"] = api::formatTimestamp(clock_.now());
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("managedFields");
  if (hasGeneration(type)) meta["generation"] = 1;
  if (hasStatus(type) && type.kind != "Pod") obj.erase("status");
  if (type.kind == "Pod") obj["status"] = json::object{{"phase", "Pending"}};

  api::applyDefaults(obj, type);
  if (auto st = api::validate(obj, nullptr, type); !st) return st.error();
  if (auto st = admit(type, obj, nullptr); !st) return st.error();
  std::string name = api::getString(body, "metadata.name");
  if (options.dryRun) {
    runDeleteHooks(type, body);
    return body;
  }
  json::value admitted = body;
  auto created = store_.create(key(type, ns, name), std::move(body));
  if (!created) {
    runDeleteHooks(type, admitted);
    return translate(created.error(), type, name);
  }
  return *created->value;
}

Result<json::value> Registry::prepareUpdate(const ResourceType& type, const json::value& current,
                                            json::value next, const std::string& subresource) {
  if (!next.is_object()) return Error::badRequest("the request body must be a JSON object");
  dropNulls(next);
  auto& obj = next.as_object();
  if (auto st = checkTypeMeta(obj, type); !st) return st.error();
  const auto& cur = current.as_object();
  auto& meta = api::ensureObject(next, "metadata");
  const auto& curMeta = cur.at("metadata").as_object();
  std::string name = api::nameOf(current);
  auto bodyName = api::getString(next, "metadata.name");
  if (!bodyName.empty() && bodyName != name)
    return Error::badRequest("the name of the object (" + bodyName +
                             ") does not match the name on the URL (" + name + ")");
  // Fields only the server sets.
  for (const char* k : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation"}) {
    if (auto it = curMeta.find(k); it != curMeta.end())
      meta[k] = it->value();
    else
      meta.erase(k);
  }
  meta.erase("managedFields");

  if (subresource == "status") {
    // Only status changes through /status.
    json::value status = childOr(next, "status");
    json::value merged = current;
    if (status.is_null())
      merged.as_object().erase("status");
    else
      merged.as_object()["status"] = std::move(status);
    if (type.custom) {
      // The status of a custom resource is checked against its schema like the rest.
      api::applyDefaults(merged.as_object(), type);
      if (auto st = api::validate(merged.as_object(), &cur, type); !st) return st.error();
    }
    return merged;
  }
  if (hasStatus(type)) {
    if (auto* s = cur.if_contains("status"))
      obj["status"] = *s;
    else
      obj.erase("status");
  }
  api::applyDefaults(obj, type);
  if (hasGeneration(type)) {
    int64_t gen = api::getInt(current, "metadata.generation", 1);
    meta["generation"] = generationChanges(type, next, current) ? gen + 1 : gen;
  }
  if (auto st = api::validate(obj, &cur, type); !st) return st.error();
  if (auto st = admit(type, obj, &cur); !st) return st.error();
  return next;
}

Result<json::value> Registry::update(const ResourceType& type, const std::string& ns,
                                     const std::string& name, json::value body,
                                     const std::string& subresource, const WriteOptions& options) {
  if (subresource == "scale") {
    auto current = get(type, ns, name);
    if (!current) return current.error();
    if (!body.is_object()) return Error::badRequest("the request body must be a JSON object");
    return patch(type, ns, name, PatchType::Merge,
                 json::object{{"spec", json::object{{"replicas",
                                                     childOr(childOr(body, "spec"), "replicas")}}}},
                 "", options);
  }
  std::string expectedRv = api::getString(body, "metadata.resourceVersion");
  Result<json::value> outcome = json::value();
  std::string k = key(type, ns, name);
  auto updated = store_.update(k, [&](const store::Object& current) -> Result<json::value> {
    if (!expectedRv.empty() && expectedRv != std::to_string(current.rv))
      return Error::conflict(type.groupResource(), name,
                             "the object has been modified; please apply your changes to the "
                             "latest version and try again");
    auto next = prepareUpdate(type, *current.value, body, subresource);
    if (!next) return next.error();
    if (options.dryRun) {
      outcome = *next;
      return *current.value;
    }
    return next;
  });
  if (!updated) return translate(updated.error(), type, name);
  if (options.dryRun) return outcome;
  auto result = json::value(*updated->value);
  // Finalizers all removed from an object that is being deleted: the deletion completes.
  if (api::find(result, "metadata.deletionTimestamp")) {
    auto* fin = api::find(result, "metadata.finalizers");
    if (!fin || !fin->is_array() || fin->as_array().empty()) {
      auto done = finishDelete(type, ns, name, {});
      if (!done) return done.error();
    }
  }
  return result;
}

Result<json::value> Registry::patch(const ResourceType& type, const std::string& ns,
                                    const std::string& name, PatchType patchType,
                                    const json::value& patchBody, const std::string& subresource,
                                    const WriteOptions& options) {
  auto apply = [&](const json::value& target) -> Result<json::value> {
    switch (patchType) {
      case PatchType::Merge:
        return api::applyMergePatch(target, patchBody);
      case PatchType::Json:
        return api::applyJsonPatch(target, patchBody);
      case PatchType::Strategic:
        return api::applyStrategicMergePatch(target, patchBody,
                                             subresource == "scale" ? "Scale" : type.kind);
    }
    return Error::badRequest("unknown patch type");
  };
  if (patchType != PatchType::Json && !patchBody.is_object())
    return Error::badRequest("the patch body must be a JSON object");

  Result<json::value> outcome = json::value();
  auto updated =
      store_.update(key(type, ns, name), [&](const store::Object& current) -> Result<json::value> {
        json::value next;
        if (subresource == "scale") {
          auto scale = apply(scaleOf(*current.value, type));
          if (!scale) return scale.error();
          auto replicas = api::find(*scale, "spec.replicas");
          if (!replicas || !replicas->is_int64())
            return Error::badRequest("spec.replicas of the Scale must be an integer");
          next = *current.value;
          next.as_object()["spec"].as_object()["replicas"] = *replicas;
        } else {
          auto patched = apply(servedAt(*current.value, type));
          if (!patched) return patched.error();
          next = std::move(*patched);
        }
        // A resourceVersion in the patch is a precondition, as in Kubernetes.
        auto wantRv = api::getString(next, "metadata.resourceVersion");
        if (!wantRv.empty() && wantRv != std::to_string(current.rv))
          return Error::conflict(type.groupResource(), name,
                                 "the object has been modified; please apply your changes to the "
                                 "latest version and try again");
        auto prepared = prepareUpdate(type, *current.value, std::move(next),
                                      subresource == "scale" ? "" : subresource);
        if (!prepared) return prepared.error();
        if (options.dryRun) {
          outcome = *prepared;
          return *current.value;
        }
        return prepared;
      });
  if (!updated) return translate(updated.error(), type, name);
  json::value result = options.dryRun ? *outcome : *updated->value;
  if (subresource == "scale") return scaleOf(result, type);
  if (!options.dryRun && api::find(result, "metadata.deletionTimestamp")) {
    auto* fin = api::find(result, "metadata.finalizers");
    if (!fin || !fin->is_array() || fin->as_array().empty()) {
      auto done = finishDelete(type, ns, name, {});
      if (!done) return done.error();
    }
  }
  return result;
}

Result<json::value> Registry::remove(const ResourceType& type, const std::string& ns,
                                     const std::string& name, const DeleteOptions& options) {
  auto got = store_.get(key(type, ns, name));
  if (!got) return translate(got.error(), type, name);
  const json::value& current = *got->value;
  if (!options.preconditionUid.empty() && options.preconditionUid != api::uidOf(current))
    return Error::conflict(type.groupResource(), name,
                           "Precondition failed: UID in precondition: " + options.preconditionUid +
                               ", UID in object meta: " + api::uidOf(current));
  if (!options.preconditionResourceVersion.empty() &&
      options.preconditionResourceVersion != std::to_string(got->rv))
    return Error::conflict(type.groupResource(), name,
                           "Precondition failed: ResourceVersion in precondition: " +
                               options.preconditionResourceVersion +
                               ", ResourceVersion in object meta: " + std::to_string(got->rv));
  if (options.dryRun) return current;

  // Pods on a node stop gracefully: the deletion is marked with its grace period and the node
  // agent removes the pod (with grace 0) once its containers have stopped.
  if (type.kind == "Pod" && !api::getString(current, "spec.nodeName").empty()) {
    int64_t grace = options.gracePeriodSeconds.value_or(
        api::getInt(current, "spec.terminationGracePeriodSeconds", 30));
    if (grace < 0) grace = 0;
    auto* existingGrace = api::find(current, "metadata.deletionGracePeriodSeconds");
    bool marked = api::find(current, "metadata.deletionTimestamp") != nullptr;
    if (grace > 0) {
      if (marked && existingGrace && existingGrace->is_int64() &&
          existingGrace->as_int64() <= grace)
        return current;
      auto updated = store_.update(got->key, [&](const store::Object& cur) -> Result<json::value> {
        json::value next = *cur.value;
        auto& meta = next.as_object()["metadata"].as_object();
        meta["deletionTimestamp"] =
            api::formatTimestamp(clock_.now() + std::chrono::seconds(grace));
        meta["deletionGracePeriodSeconds"] = grace;
        return next;
      });
      if (!updated) return translate(updated.error(), type, name);
      return *updated->value;
    }
  }
  // Objects with finalizers wait for them: mark the deletion and return the marked object.
  auto* fin = api::find(current, "metadata.finalizers");
  bool hasFinalizers = fin && fin->is_array() && !fin->as_array().empty();
  if (hasFinalizers) {
    auto marked = store_.update(got->key, [&](const store::Object& cur) -> Result<json::value> {
      json::value next = *cur.value;
      auto& meta = next.as_object()["metadata"].as_object();
      if (!meta.contains("deletionTimestamp")) {
        meta["deletionTimestamp"] = api::formatTimestamp(clock_.now());
        meta["deletionGracePeriodSeconds"] = 0;
      }
      return next;
    });
    if (!marked) return translate(marked.error(), type, name);
    return *marked->value;
  }
  return finishDelete(type, ns, name, options);
}

Result<json::value> Registry::finishDelete(const ResourceType& type, const std::string& ns,
                                           const std::string& name, const DeleteOptions& options) {
  std::string policy = options.propagationPolicy.empty() ? "Background" : options.propagationPolicy;
  if (policy != "Background" && policy != "Foreground" && policy != "Orphan")
    return Error::badRequest("propagationPolicy: Unsupported value: \"" + policy +
                             "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  auto got = store_.get(key(type, ns, name));
  if (!got) return translate(got.error(), type, name);
  std::string uid = api::uidOf(*got->value);

  if (type.kind == "Namespace") {
    // Mark it terminating first so nothing new lands in it, then empty it.
    auto marked = store_.update(got->key, [&](const store::Object& cur) -> Result<json::value> {
      json::value next = *cur.value;
      auto& meta = next.as_object()["metadata"].as_object();
      if (!meta.contains("deletionTimestamp"))
        meta["deletionTimestamp"] = api::formatTimestamp(clock_.now());
      api::ensureObject(next, "status")["phase"] = "Terminating";
      return next;
    });
    if (!marked) return translate(marked.error(), type, name);
    if (auto st = deleteNamespaceContents(name); !st) return st.error();
  } else if (policy == "Orphan") {
    if (auto st = orphanDependents(ns, uid); !st) return st.error();
  } else if (policy == "Foreground") {
    if (auto st = deleteDependents(ns, uid, policy); !st) return st.error();
  }
  auto removed = store_.remove(got->key, [&](const store::Object& cur) -> api::Status {
    if (api::uidOf(*cur.value) != uid)
      return Error::conflict(type.groupResource(), name, "the object was replaced");
    return {};
  });
  if (!removed) return translate(removed.error(), type, name);
  runDeleteHooks(type, *removed->value);
  if (policy == "Background" && type.kind != "Namespace") {
    if (auto st = deleteDependents(ns, uid, policy); !st) return st.error();
  }
  return *removed->value;
}

namespace {
bool ownedBy(const json::value& object, const std::string& uid) {
  auto* refs = api::find(object, "metadata.ownerReferences");
  if (!refs || !refs->is_array()) return false;
  for (const auto& r : refs->as_array())
    if (api::getString(r, "uid") == uid) return true;
  return false;
}
}  // namespace

api::Status Registry::deleteDependents(const std::string& ns, const std::string& ownerUid,
                                       const std::string& policy) {
  for (const auto& type : api::resourceTypes()) {
    auto listed = store_.list(prefix(type, type.namespaced ? ns : ""),
                              [&](const json::value& o) { return ownedBy(o, ownerUid); });
    if (!listed) return listed.error();
    for (const auto& o : listed->items) {
      DeleteOptions opts;
      opts.propagationPolicy = policy;
      auto r = remove(type, api::namespaceOf(*o.value), api::nameOf(*o.value), opts);
      if (!r && !r.error().isNotFound()) return r.error();
    }
  }
  return {};
}

api::Status Registry::orphanDependents(const std::string& ns, const std::string& ownerUid) {
  for (const auto& type : api::resourceTypes()) {
    auto listed = store_.list(prefix(type, type.namespaced ? ns : ""),
                              [&](const json::value& o) { return ownedBy(o, ownerUid); });
    if (!listed) return listed.error();
    for (const auto& o : listed->items) {
      auto r = store_.update(o.key, [&](const store::Object& cur) -> Result<json::value> {
        json::value next = *cur.value;
        auto* refs = api::find(next, "metadata.ownerReferences");
        if (!refs || !refs->is_array()) return next;
        json::array kept;
        for (auto& ref : refs->as_array())
          if (api::getString(ref, "uid") != ownerUid) kept.push_back(ref);
        auto& meta = next.as_object()["metadata"].as_object();
        if (kept.empty())
          meta.erase("ownerReferences");
        else
          meta["ownerReferences"] = std::move(kept);
        return next;
      });
      if (!r && !r.error().isNotFound()) return r.error();
    }
  }
  return {};
}

api::Status Registry::deleteNamespaceContents(const std::string& ns) {
  for (const auto& type : api::resourceTypes()) {
    if (!type.namespaced) continue;
    auto listed = store_.list(prefix(type, ns), nullptr);
    if (!listed) return listed.error();
    for (const auto& o : listed->items) {
      auto r = finishDelete(type, ns, api::nameOf(*o.value), {});
      if (!r && !r.error().isNotFound()) return r.error();
    }
  }
  return {};
}

Result<std::shared_ptr<store::Watch>> Registry::watch(const ResourceType& type,
                                                      const std::string& ns,
                                                      const ListOptions& options) {
  auto filter = makeFilter(type, options);
  if (!filter) return filter.error();
  auto rv = parseResourceVersion(options.resourceVersion);
  if (!rv) return rv.error();
  return store_.watch(prefix(type, ns), *rv, std::move(*filter));
}

json::value scaleOf(const json::value& object, const ResourceType& type) {
  (void)type;
  json::object meta;
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (auto* v = api::find(object, std::string("metadata.") + k)) meta[k] = *v;
  }
  std::string selector;
  if (auto* sel = api::find(object, "spec.selector")) {
    auto parsed = api::LabelSelector::fromJson(*sel);
    if (parsed) selector = parsed->toString();
  }
  return json::object{
      {"kind", "Scale"},
      {"apiVersion", "autoscaling/v1"},
      {"metadata", std::move(meta)},
      {"spec", json::object{{"replicas", api::getInt(object, "spec.replicas", 1)}}},
      {"status", json::object{{"replicas", api::getInt(object, "status.replicas", 0)},
                              {"selector", selector}}}};
}

}  // namespace sluice::apiserver
