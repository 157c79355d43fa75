#include "controllers/gateway/gateway_status.h"

#include <string>

#include "api/object.h"
#include "controllers/gateway/conditions.h"

namespace sluice::controllers::gateway {

namespace {

using api::gateway::Outcome;

Condition conditionOf(const char* type, const Outcome& o, int64_t generation) {
  return {type, o.ok ? "True" : "False", o.reason, o.message, generation};
}

// Why a Gateway has no address, as far as its spec tells.
std::string noAddressMessage(const json::value& gateway) {
  const json::value* requested = api::find(gateway, "spec.addresses");
  if (requested && requested->is_array() && !requested->as_array().empty())
    return "the address requested in spec.addresses (" +
           api::getString(requested->as_array()[0], "value") +
           ") could not be assigned: it is in use or outside the LoadBalancer range "
           "(--loadbalancer-cidr); it is tried again on the Gateway's next update";
  return "no address assigned yet: the LoadBalancer range (--loadbalancer-cidr) may be full";
}

}  // namespace

json::value desiredGatewayStatus(const api::gateway::GatewayBinding& binding, base::WallTime now) {
  const json::value& gateway = *binding.gateway;
  const int64_t generation = binding.generation;
  json::object status;
  if (const auto* current = api::find(gateway, "status"); current && current->is_object())
    status = current->as_object();

  Outcome programmed = binding.programmed;
  if (programmed.reason == "AddressNotAssigned") programmed.message = noAddressMessage(gateway);
  const json::value* current = api::find(gateway, "status.conditions");
  json::value conditions = current ? *current : json::value();
  conditions = setCondition(conditions, conditionOf("Accepted", binding.accepted, generation), now);
  conditions = setCondition(conditions, conditionOf("Programmed", programmed, generation), now);
  status["conditions"] = std::move(conditions);

  const json::value* currentListeners = api::find(gateway, "status.listeners");
  json::array listeners;
  for (const auto& l : binding.listeners) {
    json::value listenerConditions;
    if (currentListeners && currentListeners->is_array())
      for (const auto& entry : currentListeners->as_array())
        if (api::getString(entry, "name") == l.name)
          if (const auto* c = api::find(entry, "conditions")) listenerConditions = *c;
    for (const auto& [type, outcome] :
         {std::pair{"Accepted", &l.accepted}, std::pair{"Programmed", &l.programmed},
          std::pair{"ResolvedRefs", &l.resolvedRefs}, std::pair{"Conflicted", &l.conflicted}})
      listenerConditions =
          setCondition(listenerConditions, conditionOf(type, *outcome, generation), now);
    listeners.push_back(json::object{{"name", l.name},
                                     {"supportedKinds", l.supportedKinds},
                                     {"attachedRoutes", l.attachedRoutes},
                                     {"conditions", std::move(listenerConditions)}});
  }
  status["listeners"] = std::move(listeners);
  return status;
}

}  // namespace sluice::controllers::gateway
