// The Gateway API kinds (gateway.networking.k8s.io) sluice serves, with the names, versions,
// short names, categories and printer columns of the upstream v1.6 CustomResourceDefinitions.
#pragma once

#include <string_view>
#include <vector>

#include "api/resources.h"

namespace sluice::api {

inline constexpr std::string_view kGatewayGroup = "gateway.networking.k8s.io";

// GatewayClass (cluster-scoped), Gateway, HTTPRoute, ReferenceGrant, TCPRoute, in that order.
const std::vector<ResourceType>& gatewayResourceTypes();

// `builtIn` followed by the Gateway API kinds: the resource table's one hook.
std::vector<ResourceType> withGatewayResourceTypes(const std::vector<ResourceType>& builtIn);

inline bool isGatewayApi(const ResourceType& type) {
  return type.group == kGatewayGroup;
}

// The GatewayClass every sluice server has (created at bootstrap when missing), and the
// controller name its status controller answers to.
inline constexpr std::string_view kSluiceGatewayClass = "sluice";
inline constexpr std::string_view kSluiceGatewayController = "sluice.dev/gateway-controller";

}  // namespace sluice::api
