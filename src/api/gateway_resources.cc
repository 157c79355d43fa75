#include "api/gateway_resources.h"

#include <cctype>
#include <string>

namespace sluice::api {

namespace {

const PrinterColumn kAge{"Age", "date", ".metadata.creationTimestamp"};

ResourceType gatewayType(std::string kind, std::string plural, std::vector<std::string> versions,
                         std::vector<std::string> shortNames, bool namespaced, bool status,
                         std::vector<PrinterColumn> columns) {
  ResourceType t;
  t.group = std::string(kGatewayGroup);
  t.version = versions.front();
  t.otherVersions.assign(versions.begin() + 1, versions.end());
  // The lower-case kind, as kubebuilder names the singular.
  for (char c : kind) t.singular += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t.kind = std::move(kind);
  t.plural = std::move(plural);
  t.shortNames = std::move(shortNames);
  t.categories = {"gateway-api"};
  t.namespaced = namespaced;
  if (status) t.subresources = {"status"};
  t.custom = true;
  t.printerColumns = std::move(columns);
  return t;
}

}  // namespace

// Versions as the v1.6 CRDs serve them: v1 and v1beta1 for the three core kinds and
// ReferenceGrant; TCPRoute graduated to v1 in v1.6 and still serves the deprecated v1alpha2
// that older manifests use.
const std::vector<ResourceType>& gatewayResourceTypes() {
  static const std::vector<ResourceType> types = {
      gatewayType("GatewayClass", "gatewayclasses", {"v1", "v1beta1"}, {"gc"}, false, true,
                  {{"Controller", "string", ".spec.controllerName"},
                   {"Accepted", "string", ".status.conditions[?(@.type==\"Accepted\")].status"},
                   kAge,
                   {"Description", "string", ".spec.description", 1}}),
      gatewayType("Gateway", "gateways", {"v1", "v1beta1"}, {"gtw"}, true, true,
                  {{"Class", "string", ".spec.gatewayClassName"},
                   {"Address", "string", ".status.addresses[*].value"},
                   {"Programmed", "string", ".status.conditions[?(@.type==\"Programmed\")].status"},
                   kAge}),
      gatewayType("HTTPRoute", "httproutes", {"v1", "v1beta1"}, {}, true, true,
                  {{"Hostnames", "string", ".spec.hostnames"}, kAge}),
      gatewayType("ReferenceGrant", "referencegrants", {"v1", "v1beta1"}, {"refgrant"}, true, false,
                  {kAge}),
      gatewayType("TCPRoute", "tcproutes", {"v1", "v1alpha2"}, {}, true, true, {kAge}),
  };
  return types;
}

std::vector<ResourceType> withGatewayResourceTypes(const std::vector<ResourceType>& builtIn) {
  std::vector<ResourceType> all = builtIn;
  const auto& gateway = gatewayResourceTypes();
  all.insert(all.end(), gateway.begin(), gateway.end());
  return all;
}

}  // namespace sluice::api
