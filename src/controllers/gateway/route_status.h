// The status an HTTPRoute or TCPRoute should have, from its binding (api/gateway_binding.h):
// one status.parents entry per parent sluice reports on, with controllerName sluice's and the
// conditions Accepted (the parent's outcome) and ResolvedRefs (the route's), both at the route's
// generation. Entries of other controllers are kept as they are; sluice's entry for a parentRef
// that is no longer one of sluice's parents (removed from spec.parentRefs, or now naming another
// implementation's Gateway) is removed; conditions of other types in sluice's entries are kept;
// entries keep their order, new ones come last. Pure.
#pragma once

#include <boost/json.hpp>

#include "api/gateway_binding.h"
#include "base/clock.h"

namespace sluice::controllers::gateway {

namespace json = boost::json;

// `binding` is null when the route has no parent of sluice's (then only sluice's entries go).
json::value desiredRouteStatus(const json::value& route, const api::gateway::RouteBinding* binding,
                               base::WallTime now);

}  // namespace sluice::controllers::gateway
