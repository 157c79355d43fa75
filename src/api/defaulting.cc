#include "api/defaulting.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "api/gateway_resources.h"
#include "api/gateway_validation.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

// A pointer field in the Go types is defaulted when absent or null; a plain string or integer
// field also when it holds its zero value ("" or 0), which Go cannot tell apart from unset.
// Members of an unexpected type are left for validation.

void defaultIfUnset(json::object& o, std::string_view key, json::value value) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) o[key] = std::move(value);
}

void defaultIfZero(json::object& o, std::string_view key, json::value value) {
  const json::value* v = o.if_contains(key);
  bool zero = !v || v->is_null() || (v->is_string() && v->get_string().empty()) ||
              (v->is_int64() && v->get_int64() == 0);
  if (zero) o[key] = std::move(value);
}

// The object at `key`, created when absent or null (a struct value in the Go types); nullptr
// when `key` holds something else.
json::object* objectMember(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (v.is_null()) v.emplace_object();
  return v.if_object();
}

json::object* existingObject(json::object& o, std::string_view key) {
  json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string_view stringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// Calls `f` on every object element of the array at `key`.
template <class F>
void forEachObject(json::object& o, std::string_view key, F f) {
  json::value* v = o.if_contains(key);
  if (!v || !v->is_array()) return;
  for (auto& item : v->get_array())
    if (auto* element = item.if_object()) f(*element);
}

// Always for `:latest` or no tag (and no digest), else IfNotPresent.
std::string_view pullPolicyFor(std::string_view image) {
  if (image.empty()) return "IfNotPresent";
  size_t at = image.find('@');
  bool digest = at != std::string_view::npos;
  std::string_view name = image.substr(0, at);
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  bool tagged =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  std::string_view tag = tagged ? name.substr(colon + 1) : digest ? "" : "latest";
  return tag == "latest" ? "Always" : "IfNotPresent";
}

void defaultHttpGet(json::object& handler) {
  if (json::object* httpGet = existingObject(handler, "httpGet")) {
    defaultIfZero(*httpGet, "path", "/");
    defaultIfZero(*httpGet, "scheme", "HTTP");
  }
}

void defaultProbe(json::object& container, std::string_view key) {
  json::object* probe = existingObject(container, key);
  if (!probe) return;
  defaultIfZero(*probe, "timeoutSeconds", 1);
  defaultIfZero(*probe, "periodSeconds", 10);
  defaultIfZero(*probe, "successThreshold", 1);
  defaultIfZero(*probe, "failureThreshold", 3);
  defaultHttpGet(*probe);
}

void defaultContainer(json::object& c) {
  defaultIfZero(c, "imagePullPolicy", json::string(pullPolicyFor(stringMember(c, "image"))));
  defaultIfZero(c, "terminationMessagePath", "/dev/termination-log");
  defaultIfZero(c, "terminationMessagePolicy", "File");
  forEachObject(c, "ports", [](json::object& port) { defaultIfZero(port, "protocol", "TCP"); });
  for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"})
    defaultProbe(c, probe);
  if (json::object* lifecycle = existingObject(c, "lifecycle")) {
    for (std::string_view hook : {"postStart", "preStop"})
      if (json::object* handler = existingObject(*lifecycle, hook)) defaultHttpGet(*handler);
  }
  forEachObject(c, "env", [](json::object& var) {
    if (json::object* from = existingObject(var, "valueFrom"))
      if (json::object* fieldRef = existingObject(*from, "fieldRef"))
        defaultIfZero(*fieldRef, "apiVersion", "v1");
  });
}

void defaultPodSpec(json::object& spec) {
  defaultIfZero(spec, "dnsPolicy", "ClusterFirst");
  defaultIfZero(spec, "restartPolicy", "Always");
  defaultIfUnset(spec, "securityContext", json::object());
  defaultIfUnset(spec, "terminationGracePeriodSeconds", 30);
  defaultIfZero(spec, "schedulerName", "default-scheduler");
  forEachObject(spec, "containers", defaultContainer);
  forEachObject(spec, "initContainers", defaultContainer);
  forEachObject(spec, "volumes", [](json::object& volume) {
    // A volume with no source is an emptyDir; configMap and secret files default to 0644.
    bool hasSource = std::any_of(volume.begin(), volume.end(),
                                 [](const auto& kv) { return kv.key() != "name"; });
    if (!hasSource) volume["emptyDir"] = json::object();
    for (std::string_view source : {"configMap", "secret"})
      if (json::object* s = existingObject(volume, source)) defaultIfUnset(*s, "defaultMode", 420);
  });
}

void defaultPodTemplate(json::object& workloadSpec) {
  if (json::object* tmpl = objectMember(workloadSpec, "template"))
    if (json::object* spec = objectMember(*tmpl, "spec")) defaultPodSpec(*spec);
}

void defaultDeployment(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfUnset(*spec, "replicas", 1);
  if (json::object* strategy = objectMember(*spec, "strategy")) {
    defaultIfZero(*strategy, "type", "RollingUpdate");
    if (stringMember(*strategy, "type") == "RollingUpdate") {
      if (json::object* update = objectMember(*strategy, "rollingUpdate")) {
        defaultIfUnset(*update, "maxUnavailable", "25%");
        defaultIfUnset(*update, "maxSurge", "25%");
      }
    }
  }
  defaultIfUnset(*spec, "revisionHistoryLimit", 10);
  defaultIfUnset(*spec, "progressDeadlineSeconds", 600);
  defaultPodTemplate(*spec);
}

void defaultReplicaSet(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfUnset(*spec, "replicas", 1);
  defaultPodTemplate(*spec);
}

// SetDefaults_Pod on top of the pod spec: service links on, and each container's requests
// default to its limits.
void defaultPod(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultPodSpec(*spec);
  defaultIfUnset(*spec, "enableServiceLinks", true);
  auto requestsFromLimits = [](json::object& container) {
    json::object* resources = existingObject(container, "resources");
    json::object* limits = resources ? existingObject(*resources, "limits") : nullptr;
    if (!limits || limits->empty()) return;
    // Adding `requests` may move the members of `resources`: look `limits` up again after.
    json::object* requests = objectMember(*resources, "requests");
    limits = existingObject(*resources, "limits");
    if (!requests || !limits) return;
    for (const auto& kv : *limits)
      if (!requests->contains(kv.key())) (*requests)[kv.key()] = kv.value();
  };
  forEachObject(*spec, "containers", requestsFromLimits);
  forEachObject(*spec, "initContainers", requestsFromLimits);
}

void defaultService(json::object& object) {
  json::object* spec = objectMember(object, "spec");
  if (!spec) return;
  defaultIfZero(*spec, "sessionAffinity", "None");
  defaultIfZero(*spec, "type", "ClusterIP");
  std::string type(stringMember(*spec, "type"));
  forEachObject(*spec, "ports", [](json::object& port) {
    defaultIfZero(port, "protocol", "TCP");
    const json::value* number = port.if_contains("port");
    if (number && number->is_int64()) defaultIfZero(port, "targetPort", *number);
  });
  if (stringMember(*spec, "sessionAffinity") == "ClientIP") {
    if (json::object* config = objectMember(*spec, "sessionAffinityConfig"))
      if (json::object* clientIP = objectMember(*config, "clientIP"))
        defaultIfUnset(*clientIP, "timeoutSeconds", 10800);
  }
  if (type == "NodePort" || type == "LoadBalancer")
    defaultIfZero(*spec, "externalTrafficPolicy", "Cluster");
  if (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer")
    defaultIfUnset(*spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer") defaultIfUnset(*spec, "allocateLoadBalancerNodePorts", true);
  if (type == "ExternalName") return;
  // The IP family follows an already chosen cluster IP; IPv4 otherwise.
  std::string clusterIP(stringMember(*spec, "clusterIP"));  // a copy: `spec` grows below
  auto emptyList = [&](std::string_view key) {
    const json::value* v = spec->if_contains(key);
    return !v || v->is_null() || (v->is_array() && v->get_array().empty());
  };
  if (!clusterIP.empty() && emptyList("clusterIPs"))
    (*spec)["clusterIPs"] = json::array{json::string(clusterIP)};
  defaultIfUnset(*spec, "ipFamilyPolicy", "SingleStack");
  if (emptyList("ipFamilies")) {
    bool v6 = clusterIP.find(':') != std::string::npos;
    (*spec)["ipFamilies"] = json::array{v6 ? "IPv6" : "IPv4"};
  }
}

// The finalizer and phase are only filled in when absent, so that a namespace being finalized
// (finalizers emptied, phase Terminating) keeps its state on later updates.
void defaultNamespace(json::object& object) {
  if (json::object* spec = objectMember(object, "spec"))
    defaultIfUnset(*spec, "finalizers", json::array{"kubernetes"});
  if (json::object* status = objectMember(object, "status"))
    defaultIfZero(*status, "phase", "Active");
  json::object* meta = existingObject(object, "metadata");
  std::string name(meta ? stringMember(*meta, "name") : std::string_view());
  if (name.empty()) return;
  if (json::object* labels = objectMember(*meta, "labels"))
    defaultIfUnset(*labels, "kubernetes.io/metadata.name", json::string(name));
}

}  // namespace

void applyDefaults(json::object& object, const ResourceType& type) {
  if (type.kind == "Deployment")
    defaultDeployment(object);
  else if (type.kind == "ReplicaSet")
    defaultReplicaSet(object);
  else if (type.kind == "Pod")
    defaultPod(object);
  else if (type.kind == "Service")
    defaultService(object);
  else if (type.kind == "Namespace")
    defaultNamespace(object);
  else if (isGatewayApi(type))
    applyGatewayDefaults(object, type);
}

}  // namespace sluice::api
