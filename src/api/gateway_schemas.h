// The OpenAPI schemas and CEL rules of the Gateway API v1.6 CustomResourceDefinitions, in
// crd::Schema form (internal to api/gateway_*.cc). sluice serves the experimental channel's
// schema, a superset of the standard one: the experimental fields the load balancer implements
// (HTTPRoute retry and sessionPersistence, parentRefs' port) validate as upstream validates them.
// Properties are declared in the CRDs' (alphabetical) order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/crd_schema.h"

namespace sluice::api::gateway {

// Shared pieces (gateway_schemas.cc).
crd::Schema group();  // "" or a DNS subdomain
crd::Schema kind();
crd::Schema objectName();
crd::Schema namespaceName();
crd::Schema sectionName();
crd::Schema portNumber();         // 1-65535
crd::Schema gatewayController();  // "example.net/gateway-controller"
crd::Schema parentReference();
crd::Schema parentRefs();
crd::Schema backendRef();       // BackendObjectReference and weight
crd::Schema conditions();       // []metav1.Condition, a map list keyed by type
crd::Schema routeStatus();      // RouteStatus: parents[]
crd::Schema hostname();         // "*.example.com" allowed
crd::Schema preciseHostname();  // no wildcard
crd::Schema duration();         // GEP-2257 durations: "1h30m", "500ms"
crd::Schema objectReference(std::string_view defaultKind);  // group/kind/name/namespace

// A whole resource: apiVersion, kind, metadata, `spec` and (when given) `status`, with the
// top-level `required` members.
crd::Schema resource(crd::Schema spec, std::vector<std::string> required,
                     std::optional<crd::Schema> status);

// Whole resources, apiVersion/kind/metadata/spec/status.
const crd::Schema& httpRouteSchema();       // gateway_schemas_http.cc
const crd::Schema& tcpRouteSchema();        // gateway_schemas.cc
const crd::Schema& gatewaySchema();         // gateway_schemas_gateway.cc
const crd::Schema& gatewayClassSchema();    // gateway_schemas_gateway.cc
const crd::Schema& referenceGrantSchema();  // gateway_schemas_gateway.cc

// The status a new object gets when it has none (the CRD's status default): conditions
// Accepted (and, for Gateway, Programmed) Unknown, reason Pending, "Waiting for controller".
boost::json::value pendingStatus(bool withProgrammed);

}  // namespace sluice::api::gateway
