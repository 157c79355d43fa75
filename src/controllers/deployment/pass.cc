#include "controllers/deployment/pass.h"

#include "api/object.h"

namespace sluice::controllers::deployment {

const api::ResourceType& deploymentType() {
  return *api::findByKind("apps/v1", "Deployment");
}
const api::ResourceType& replicaSetType() {
  return *api::findByKind("apps/v1", "ReplicaSet");
}
const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}

namespace {

IntOrPercent intOrPercent(const json::value* v, IntOrPercent fallback) {
  if (!v) return fallback;
  if (v->is_int64()) return IntOrPercent::integer(static_cast<int32_t>(v->as_int64()));
  if (v->is_string()) {
    auto p = parseIntOrPercent(std::string(v->as_string()));
    if (p.ok()) return *p.value;
  }
  return fallback;
}

void normalize(json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto it = o->begin(); it != o->end();) {
      normalize(it->value());
      const auto& x = it->value();
      bool empty = x.is_null() || (x.is_object() && x.as_object().empty()) ||
                   (x.is_array() && x.as_array().empty());
      it = empty ? o->erase(it) : it + 1;
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) normalize(e);
  }
}

}  // namespace

std::string annotationOf(const json::value& object, std::string_view key) {
  if (auto* a = api::find(object, "metadata.annotations"); a && a->is_object())
    if (auto* v = a->as_object().if_contains(key); v && v->is_string())
      return std::string(v->as_string());
  return "";
}

DeploymentState deploymentState(const json::value& d) {
  DeploymentState s;
  s.replicas = static_cast<int32_t>(api::getInt(d, "spec.replicas", 1));
  s.strategy = api::getString(d, "spec.strategy.type", "RollingUpdate") == "Recreate"
                   ? Strategy::Recreate
                   : Strategy::RollingUpdate;
  s.maxSurge =
      intOrPercent(api::find(d, "spec.strategy.rollingUpdate.maxSurge"), IntOrPercent::percent(25));
  s.maxUnavailable = intOrPercent(api::find(d, "spec.strategy.rollingUpdate.maxUnavailable"),
                                  IntOrPercent::percent(25));
  s.statusReplicas = static_cast<int32_t>(api::getInt(d, "status.replicas"));
  s.generation = api::getInt(d, "metadata.generation", 1);
  return s;
}

ReplicaSetState replicaSetState(const json::value& rs) {
  ReplicaSetState s;
  s.name = api::nameOf(rs);
  std::chrono::system_clock::time_point created;
  if (api::parseTimestamp(api::getString(rs, "metadata.creationTimestamp"), created))
    s.createdAt =
        std::chrono::duration_cast<std::chrono::seconds>(created.time_since_epoch()).count();
  s.replicas = static_cast<int32_t>(api::getInt(rs, "spec.replicas", 1));
  s.statusReplicas = static_cast<int32_t>(api::getInt(rs, "status.replicas"));
  s.readyReplicas = static_cast<int32_t>(api::getInt(rs, "status.readyReplicas"));
  s.availableReplicas = static_cast<int32_t>(api::getInt(rs, "status.availableReplicas"));
  s.desiredAnnotation = parseReplicasAnnotation(annotationOf(rs, kDesiredReplicasAnnotation));
  s.maxReplicasAnnotation = parseReplicasAnnotation(annotationOf(rs, kMaxReplicasAnnotation));
  s.revision = parseRevision(annotationOf(rs, kRevisionAnnotation)).value_or(0);
  return s;
}

json::value comparableTemplate(json::value podTemplate) {
  normalize(podTemplate);
  return podTemplate;
}

json::value comparableTemplateOf(const json::value& rs) {
  const json::value* found = api::find(rs, "spec.template");
  json::value t = found ? *found : json::object{};
  if (auto* labels = api::find(t, "metadata.labels"); labels && labels->is_object())
    labels->as_object().erase(kPodTemplateHashLabel);
  return comparableTemplate(std::move(t));
}

}  // namespace sluice::controllers::deployment
