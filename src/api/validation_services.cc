// Service validation (pkg/apis/core/validation ValidateService, the parts sluice runs): the
// address (cluster IP, headless, ExternalName), ports, and traffic policies.
#include "api/validation_checks.h"

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/gofmt.h"

namespace sluice::api::validation {

namespace json = boost::json;

namespace {

// The key Kubernetes uses to find duplicate Service ports: a ServicePort with only protocol and
// port set.
std::string goServicePortKey(std::string_view protocol, int64_t port) {
  return "core.ServicePort{Name:\"\", Protocol:" + gofmt::quote(protocol) +
         ", AppProtocol:(*string)(nil), Port:" + std::to_string(port) +
         ", TargetPort:" + goIntOrString(nullptr) + ", NodePort:0}";
}

// ClusterIP is immutable once allocated, except on the way to or from ExternalName (the
// pre-dual-stack rule, which reports `spec.clusterIP`).
void validateClusterIPUnchanged(const Reader& spec, const json::object* old) {
  if (!old) return;
  Causes scratch;
  Reader oldSpec = Reader(old, "", scratch).child("spec");
  auto before = oldSpec.text("clusterIP");
  auto now = spec.text("clusterIP");
  if (spec.text("type") == "ExternalName" || oldSpec.text("type") == "ExternalName") return;
  if (!before.empty() && now != before)
    spec.causes().invalid(spec.path("clusterIP"), gofmt::quote(now), kFieldImmutableErrorMsg);
}

// ExternalName needs a DNS name and no cluster IP; other types an IP, "None" (headless) or none.
void validateServiceAddress(const Reader& spec) {
  Causes& out = spec.causes();
  auto clusterIP = spec.text("clusterIP");
  if (spec.text("type") == "ExternalName") {
    if (!clusterIP.empty())
      out.forbidden(spec.path("clusterIP"), "may not be set for ExternalName services");
    std::string_view name = spec.text("externalName");
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // fully qualified
    if (name.empty())
      out.required(spec.path("externalName"));
    else
      for (const auto& msg : isDns1123Subdomain(name))
        out.invalid(spec.path("externalName"), gofmt::quote(name), msg);
  } else if (!clusterIP.empty() && clusterIP != "None" && !isValidIp(clusterIP)) {
    out.invalid(spec.path("clusterIP"), gofmt::quote(clusterIP),
                "must be empty, 'None', or a valid IP address");
  }
}

// validateServicePort; names are required when there is more than one port.
void validateServicePort(const Reader& port, bool requireName,
                         std::set<std::string, std::less<>>& names) {
  Causes& out = port.causes();
  auto name = port.string("name");
  if (name && name->empty() && requireName) {
    out.required(port.path("name"));
  } else if (name && !name->empty()) {
    validateDns1123Label(port, "name");
    if (!names.emplace(*name).second) out.duplicate(port.path("name"), gofmt::quote(*name));
  }
  if (auto number = port.integer("port"))
    if (auto msg = portNumberError(*number))
      out.invalid(port.path("port"), std::to_string(*number), *msg);
  validateEnum(port, "protocol", {"SCTP", "TCP", "UDP"});
  validatePortNumOrName(port, "targetPort");
  if (auto nodePort = port.integer("nodePort"); nodePort && *nodePort != 0)
    if (auto msg = portNumberError(*nodePort))
      out.invalid(port.path("nodePort"), std::to_string(*nodePort), *msg);
}

// No node ports on ClusterIP services; node ports and ports unique per protocol.
void validateServicePortSet(const std::vector<Reader>& ports, std::string_view type, Causes& out) {
  if (type == "ClusterIP")
    for (const Reader& port : ports)
      if (auto nodePort = port.integer("nodePort"); nodePort && *nodePort != 0)
        out.forbidden(port.path("nodePort"), "may not be used when `type` is 'ClusterIP'");
  std::set<std::pair<std::string, int64_t>> nodePorts;
  for (const Reader& port : ports) {
    auto nodePort = port.integer("nodePort");
    if (nodePort && *nodePort != 0 && !nodePorts.emplace(port.text("protocol"), *nodePort).second)
      out.duplicate(port.path("nodePort"), std::to_string(*nodePort));
  }
  std::set<std::pair<std::string, int64_t>> numbers;
  for (const Reader& port : ports) {
    auto number = port.integer("port");
    if (number && !numbers.emplace(port.text("protocol"), *number).second)
      out.duplicate(port.path(), goServicePortKey(port.text("protocol"), *number));
  }
}

// externalTrafficPolicy belongs to externally reachable services; internalTrafficPolicy to the
// cluster-IP based ones.
void validateTrafficPolicies(const Reader& spec, std::string_view type) {
  Causes& out = spec.causes();
  const json::array* externalIPs = spec.arrayAt("externalIPs");
  bool external = type == "LoadBalancer" || type == "NodePort" ||
                  (type == "ClusterIP" && externalIPs && !externalIPs->empty());
  if (external) {
    validateEnum(spec, "externalTrafficPolicy", {"Cluster", "Local"});
  } else if (auto policy = spec.text("externalTrafficPolicy"); !policy.empty()) {
    out.invalid(spec.path("externalTrafficPolicy"), gofmt::quote(policy),
                "may only be set for externally-accessible services");
  }
  auto policy = spec.string("internalTrafficPolicy");
  if (!policy) return;
  if (policy->empty() && (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer"))
    out.required(spec.path("internalTrafficPolicy"));
  else if (!policy->empty() && *policy != "Cluster" && *policy != "Local")
    out.notSupported(spec.path("internalTrafficPolicy"), gofmt::quote(*policy),
                     {"Cluster", "Local"});
}

}  // namespace

void validateService(const Reader& root, const json::object* old) {
  Causes& out = root.causes();
  if (old) validateObjectMetaUpdate(root, *old);
  Reader spec = root.child("spec");
  validateClusterIPUnchanged(spec, old);
  validateObjectMeta(root, true, nameIsDns1035Label);

  auto type = spec.text("type");
  std::vector<Reader> ports = spec.items("ports");
  bool portsMistyped = spec.has("ports") && !spec.arrayAt("ports");
  bool headless = spec.text("clusterIP") == "None";
  if (!portsMistyped && ports.empty() && !headless && type != "ExternalName")
    out.required(spec.path("ports"));
  validateServiceAddress(spec);
  std::set<std::string, std::less<>> names;
  for (const Reader& port : ports) validateServicePort(port, ports.size() > 1, names);

  validateLabelMap(spec.objectAt("selector"), spec.path("selector"), out);
  validateEnum(spec, "sessionAffinity", {"ClientIP", "None"});
  validateEnum(spec, "type", {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  validateServicePortSet(ports, type, out);
  validateTrafficPolicies(spec, type);
}

}  // namespace sluice::api::validation
