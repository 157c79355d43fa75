#include "controllers/gateway/route_status.h"

#include <string>
#include <vector>

#include "api/gateway_resources.h"
#include "api/object.h"
#include "controllers/gateway/conditions.h"

namespace sluice::controllers::gateway {

namespace {

using api::gateway::Outcome;
using api::gateway::ParentBinding;

// A parentRef with the defaults filled in, so that a status entry written with or without them
// matches its spec.parentRefs item.
json::object normalized(const json::value& ref, const std::string& routeNs) {
  json::object out{{"group", api::getString(ref, "group", api::kGatewayGroup)},
                   {"kind", api::getString(ref, "kind", "Gateway")},
                   {"namespace", api::getString(ref, "namespace", routeNs)},
                   {"name", api::getString(ref, "name")}};
  if (auto section = api::getString(ref, "sectionName"); !section.empty())
    out["sectionName"] = section;
  if (auto port = api::getInt(ref, "port"); port != 0) out["port"] = port;
  return out;
}

Condition conditionOf(const char* type, const Outcome& o, int64_t generation) {
  return {type, o.ok ? "True" : "False", o.reason, o.message, generation};
}

json::object entryFor(json::object entry, const ParentBinding& parent, const Outcome& resolvedRefs,
                      int64_t generation, base::WallTime now) {
  const json::value* current = entry.if_contains("conditions");
  json::value conditions = current ? *current : json::value();
  conditions = setCondition(conditions, conditionOf("Accepted", parent.accepted, generation), now);
  conditions = setCondition(conditions, conditionOf("ResolvedRefs", resolvedRefs, generation), now);
  entry["parentRef"] = parent.parentRef;
  entry["controllerName"] = json::string(api::kSluiceGatewayController);
  entry["conditions"] = std::move(conditions);
  return entry;
}

}  // namespace

json::value desiredRouteStatus(const json::value& route, const api::gateway::RouteBinding* binding,
                               base::WallTime now) {
  const std::string ns = api::namespaceOf(route);
  const int64_t generation = api::getInt(route, "metadata.generation");
  json::object status;
  if (const auto* current = api::find(route, "status"); current && current->is_object())
    status = current->as_object();

  const size_t bound = binding ? binding->parents.size() : 0;
  std::vector<bool> written(bound, false);
  json::array parents;
  if (const auto* current = api::find(route, "status.parents"); current && current->is_array()) {
    for (const auto& entry : current->as_array()) {
      if (!entry.is_object() ||
          api::getString(entry, "controllerName") != api::kSluiceGatewayController) {
        parents.push_back(entry);  // another controller's
        continue;
      }
      const json::value* ref = api::find(entry, "parentRef");
      json::object key = ref ? normalized(*ref, ns) : json::object{};
      for (size_t i = 0; i < bound; ++i) {
        if (written[i] || normalized(binding->parents[i].parentRef, ns) != key) continue;
        written[i] = true;
        parents.push_back(entryFor(entry.as_object(), binding->parents[i], binding->resolvedRefs,
                                   generation, now));
        break;
      }
      // Not written: a parent sluice no longer reports on; its entry goes.
    }
  }
  for (size_t i = 0; i < bound; ++i)
    if (!written[i])
      parents.push_back(
          entryFor(json::object{}, binding->parents[i], binding->resolvedRefs, generation, now));
  status["parents"] = std::move(parents);
  return status;
}

}  // namespace sluice::controllers::gateway
