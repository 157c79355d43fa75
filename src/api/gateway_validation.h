// Defaulting and validation of the Gateway API kinds, as kube-apiserver does them with the
// v1.6 CRDs installed (schemas in gateway_schemas*.cc). Pure; no I/O.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"
#include "api/resources.h"

namespace sluice::api {

// The CRD's defaults, e.g. parentRefs[].group "gateway.networking.k8s.io" and kind "Gateway";
// backendRefs[].group "", kind "Service", weight 1; a rule's matches [{path: PathPrefix "/"}];
// listeners[].allowedRoutes.namespaces.from "Same"; redirect statusCode 302; and, for Gateway and
// GatewayClass, a status whose conditions are Unknown/Pending "Waiting for controller".
void applyGatewayDefaults(boost::json::object& object, const ResourceType& type);

// The causes a CRD-backed API server gives for `object` (after defaulting; `old` is the stored
// object on update), with its field paths and wording. Empty when valid. Metadata is checked by
// the caller, as for every kind.
std::vector<Cause> validateGatewayApi(const boost::json::object& object,
                                      const boost::json::object* old, const ResourceType& type);

// Why `pattern` (a RegularExpression path, header or query parameter match) cannot be used by
// sluice's data plane, which matches with RE2 (Go's regexp syntax), or nullopt when it compiles.
// The upstream schema accepts any string here, so this is not a write-time check: the route's
// status reports it (Accepted False, UnsupportedValue).
std::optional<std::string> gatewayRegexError(std::string_view pattern);

}  // namespace sluice::api
