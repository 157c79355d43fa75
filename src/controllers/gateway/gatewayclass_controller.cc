#include "controllers/gateway/gatewayclass_controller.h"

#include "api/gateway_resources.h"
#include "api/object.h"
#include "controllers/gateway/conditions.h"

namespace sluice::controllers::gateway {

namespace {

const api::ResourceType& classType() {
  return *api::findByKind(std::string(api::kGatewayGroup) + "/v1", "GatewayClass");
}

}  // namespace

json::value desiredClassStatus(const json::value& gatewayClass, base::WallTime now) {
  if (api::getString(gatewayClass, "spec.controllerName") != api::kSluiceGatewayController)
    return nullptr;
  json::object status;
  if (const auto* current = api::find(gatewayClass, "status"); current && current->is_object())
    status = current->as_object();
  const json::value* conditions = api::find(gatewayClass, "status.conditions");
  status["conditions"] =
      setCondition(conditions ? *conditions : json::value(),
                   {"Accepted", "True", "Accepted", "Handled by sluice's built-in load balancer",
                    api::getInt(gatewayClass, "metadata.generation")},
                   now);
  return status;
}

GatewayClassController::GatewayClassController(client::Client& client,
                                               client::SharedInformers& informers,
                                               const base::Clock& clock, base::Logger log)
    : client_(client),
      clock_(clock),
      classes_(informers.informer(classType())),
      log_(std::move(log)),
      queue_(clock) {
  auto enqueue = [this](const client::ObjectPtr& c) { queue_.add(client::Informer::keyOf(*c)); };
  classes_.addHandlers(
      {enqueue, [enqueue](const client::ObjectPtr&, const client::ObjectPtr& c) { enqueue(c); },
       nullptr});
}

GatewayClassController::~GatewayClassController() {
  stop();
}

void GatewayClassController::start() {
  workers_ = std::make_unique<Workers>(
      queue_, [this](const std::string& k) { return sync(k); }, 1, log_);
}

void GatewayClassController::stop() {
  if (workers_) workers_->stop();
}

std::optional<std::string> GatewayClassController::processNext() {
  return Workers::processOne(
      queue_, [this](const std::string& k) { return sync(k); }, log_);
}

api::Status GatewayClassController::sync(const std::string& key) {
  auto gatewayClass = classes_.get(key);
  if (!gatewayClass) return {};
  json::value desired = desiredClassStatus(*gatewayClass, clock_.now());
  if (desired.is_null()) return {};  // another controller's class
  const json::value* current = api::find(*gatewayClass, "status");
  // Compare without the times: an unchanged status is not written again.
  auto withoutTimes = [](json::value status) {
    if (json::value* conds = api::find(status, "conditions"); conds && conds->is_array())
      for (auto& c : conds->as_array())
        if (c.is_object()) c.as_object().erase("lastTransitionTime");
    return status;
  };
  if (current && withoutTimes(*current) == withoutTimes(desired)) return {};
  json::value next = *gatewayClass;
  next.as_object()["status"] = std::move(desired);
  auto updated = client_.update(classType(), "", api::nameOf(next), next, "status");
  if (!updated) {
    // A Conflict means the class changed under us: its update event brings it back.
    log_->warn("gatewayclass {}: status not written: {}", key, updated.error().message);
    return updated.error();
  }
  log_->info("gatewayclass {} accepted (generation {})", key,
             api::getInt(*gatewayClass, "metadata.generation"));
  return {};
}

}  // namespace sluice::controllers::gateway
