// The status a Gateway of sluice's should have, from its binding (api/gateway_binding.h): the
// conditions Accepted and Programmed at the Gateway's generation, and one status.listeners
// entry per listener (name, supportedKinds, attachedRoutes; conditions Accepted, Programmed,
// ResolvedRefs, Conflicted). status.addresses is left as it is: the API server's admission
// assigns it (apiserver/service_allocator.h). Conditions of other types are kept. Pure.
#pragma once

#include <boost/json.hpp>

#include "api/gateway_binding.h"
#include "base/clock.h"

namespace sluice::controllers::gateway {

namespace json = boost::json;

json::value desiredGatewayStatus(const api::gateway::GatewayBinding& binding, base::WallTime now);

}  // namespace sluice::controllers::gateway
