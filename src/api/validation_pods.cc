// Pod validation (pkg/apis/core/validation ValidatePodSpec, the parts sluice runs): containers,
// ports, env, volumes and mounts, probes, and the pod-level fields.
#include "api/validation_checks.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <string_view>

#include "api/gofmt.h"

namespace sluice::api::validation {

namespace json = boost::json;

namespace {

void validateProbeHandler(const Reader& probe) {
  Causes& out = probe.causes();
  int handlers = 0;
  for (std::string_view kind : {"exec", "httpGet", "tcpSocket", "grpc"}) {
    if (!probe.has(kind)) continue;
    if (handlers++ > 0) {
      out.forbidden(probe.path(kind), "may not specify more than 1 handler type");
      continue;
    }
    Reader action = probe.child(kind);
    if (!action.present()) continue;
    if (kind == "exec") {
      const json::array* command = action.arrayAt("command");
      bool mistyped = action.has("command") && !command;
      if (!mistyped && (!command || command->empty())) out.required(action.path("command"));
    } else if (kind == "httpGet") {
      if (auto path = action.string("path"); path && path->empty())
        out.required(action.path("path"));
      validatePortNumOrName(action, "port");
      if (auto scheme = action.string("scheme"); scheme && *scheme != "HTTP" && *scheme != "HTTPS")
        out.notSupported(action.path("scheme"), gofmt::quote(*scheme), {"HTTP", "HTTPS"});
    } else if (kind == "tcpSocket") {
      validatePortNumOrName(action, "port");
    } else if (auto port = action.integer("port")) {
      if (auto msg = portNumberError(*port))
        out.invalid(action.path("port"), std::to_string(*port), *msg);
    }
  }
  if (handlers == 0) out.required(probe.path(), "must specify a handler type");
}

enum class ProbeKind { Liveness, Readiness, Startup };

void validateProbe(const Reader& probe, ProbeKind kind) {
  if (!probe.present()) return;
  Causes& out = probe.causes();
  validateProbeHandler(probe);
  for (std::string_view key : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                               "successThreshold", "failureThreshold"})
    validateNonnegative(probe, key);
  if (probe.has("terminationGracePeriodSeconds")) {
    if (auto grace = probe.integer("terminationGracePeriodSeconds"); grace && *grace <= 0)
      out.invalid(probe.path("terminationGracePeriodSeconds"), std::to_string(*grace),
                  "must be greater than 0");
  }
  if (kind != ProbeKind::Readiness) {
    if (auto success = probe.integer("successThreshold"); success && *success != 1)
      out.invalid(probe.path("successThreshold"), std::to_string(*success), "must be 1");
  }
}

void validateContainerPorts(const Reader& container) {
  Causes& out = container.causes();
  std::set<std::string, std::less<>> names;
  for (const Reader& port : container.items("ports")) {
    auto name = port.text("name");
    if (!name.empty()) {
      FormatErrors msgs = isValidPortName(name);
      for (const auto& msg : msgs) out.invalid(port.path("name"), gofmt::quote(name), msg);
      if (msgs.empty() && !names.emplace(name).second)
        out.duplicate(port.path("name"), gofmt::quote(name));
    }
    if (auto number = port.integer("containerPort")) {
      if (*number == 0)
        out.required(port.path("containerPort"));
      else if (auto msg = portNumberError(*number))
        out.invalid(port.path("containerPort"), std::to_string(*number), *msg);
    }
    if (auto host = port.integer("hostPort"); host && *host != 0) {
      if (auto msg = portNumberError(*host))
        out.invalid(port.path("hostPort"), std::to_string(*host), *msg);
    }
    validateEnum(port, "protocol", {"SCTP", "TCP", "UDP"});
  }
}

void validateEnv(const Reader& container) {
  Causes& out = container.causes();
  for (const Reader& var : container.items("env")) {
    auto name = var.string("name");
    if (!name) continue;
    if (name->empty()) {
      out.required(var.path("name"));
    } else if (std::any_of(name->begin(), name->end(),
                           [](char c) { return c < ' ' || c > '~' || c == '='; })) {
      out.invalid(var.path("name"), gofmt::quote(*name),
                  "a valid environment variable name must consist only of printable ASCII "
                  "characters other than '='");
    }
  }
}

void validateVolumeMounts(const Reader& container,
                          const std::set<std::string, std::less<>>& volumes) {
  Causes& out = container.causes();
  std::set<std::string, std::less<>> mountPaths;
  for (const Reader& mount : container.items("volumeMounts")) {
    auto name = mount.string("name");
    if (name && name->empty()) out.required(mount.path("name"));
    if (name && !volumes.contains(*name)) out.notFound(mount.path("name"), gofmt::quote(*name));
    auto mountPath = mount.string("mountPath");
    if (!mountPath) continue;
    if (mountPath->empty()) out.required(mount.path("mountPath"));
    if (!mountPaths.emplace(*mountPath).second)
      out.invalid(mount.path("mountPath"), gofmt::quote(*mountPath), "must be unique");
  }
}

// validateContainerCommon: what init and regular containers share.
void validateContainer(const Reader& container, const std::set<std::string, std::less<>>& volumes) {
  Causes& out = container.causes();
  if (auto name = container.string("name"); name && name->empty())
    out.required(container.path("name"));
  else if (name)
    validateDns1123Label(container, "name");
  if (auto image = container.string("image"); image && image->empty())
    out.required(container.path("image"));
  validateContainerPorts(container);
  validateEnv(container);
  validateVolumeMounts(container, volumes);
  validateEnum(container, "imagePullPolicy", {"Always", "IfNotPresent", "Never"});
}

// Volume names; returns the names of the volumes without problems, which mounts may refer to.
std::set<std::string, std::less<>> validateVolumes(const Reader& spec) {
  Causes& out = spec.causes();
  std::set<std::string, std::less<>> names;
  for (const Reader& volume : spec.items("volumes")) {
    size_t before = out.size();
    bool hasSource = std::any_of(volume.object()->begin(), volume.object()->end(),
                                 [](const auto& kv) { return kv.key() != "name"; });
    if (!hasSource) out.required(volume.path(), "must specify a volume type");
    auto name = volume.string("name");
    if (!name) continue;
    if (name->empty())
      out.required(volume.path("name"));
    else
      validateDns1123Label(volume, "name");
    if (names.contains(*name)) out.duplicate(volume.path("name"), gofmt::quote(*name));
    if (out.size() == before) names.emplace(*name);
  }
  return names;
}

void validatePodSpec(const Reader& spec) {
  Causes& out = spec.causes();
  auto volumes = validateVolumes(spec);

  const json::array* containers = spec.arrayAt("containers");
  if ((!containers && !spec.has("containers")) || (containers && containers->empty()))
    out.required(spec.path("containers"));
  std::set<std::string, std::less<>> names;
  for (const Reader& c : spec.items("containers")) {
    validateContainer(c, volumes);
    auto name = c.text("name");
    if (!names.emplace(name).second) out.duplicate(c.path("name"), gofmt::quote(name));
    validateProbe(c.child("livenessProbe"), ProbeKind::Liveness);
    validateProbe(c.child("readinessProbe"), ProbeKind::Readiness);
    validateProbe(c.child("startupProbe"), ProbeKind::Startup);
  }
  // Init container names must differ from each other and from the regular containers' names.
  for (const Reader& c : spec.items("initContainers")) {
    validateContainer(c, volumes);
    auto name = c.text("name");
    if (!names.emplace(name).second) out.duplicate(c.path("name"), gofmt::quote(name));
  }

  validateEnum(spec, "restartPolicy", {"Always", "OnFailure", "Never"});
  validateEnum(spec, "dnsPolicy", {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  validateLabelMap(spec.objectAt("nodeSelector"), spec.path("nodeSelector"), out);
  if (auto account = spec.text("serviceAccountName"); !account.empty())
    for (const auto& msg : isDns1123Subdomain(account))
      out.invalid(spec.path("serviceAccountName"), gofmt::quote(account), msg);
  if (spec.has("activeDeadlineSeconds")) {
    if (auto deadline = spec.integer("activeDeadlineSeconds");
        deadline && (*deadline < 1 || *deadline > std::numeric_limits<int32_t>::max()))
      out.invalid(spec.path("activeDeadlineSeconds"), std::to_string(*deadline),
                  "must be between 1 and 2147483647, inclusive");
  }
  for (std::string_view key : {"hostname", "subdomain"})
    if (!spec.text(key).empty()) validateDns1123Label(spec, key);
}

}  // namespace

// ValidatePodTemplateSpec. Its labels and annotations are reported at `spec.template.labels`
// and `spec.template.annotations` (without `metadata`), exactly as Kubernetes reports them.
void validatePodTemplateSpec(const Reader& tmpl) {
  Reader meta = tmpl.child("metadata");
  validateLabelMap(meta.objectAt("labels"), tmpl.path("labels"), tmpl.causes());
  validateAnnotationMap(meta.objectAt("annotations"), tmpl.path("annotations"), tmpl.causes());
  validatePodSpec(tmpl.child("spec"));
}

void validatePod(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  validatePodSpec(root.child("spec"));
}

}  // namespace sluice::api::validation
