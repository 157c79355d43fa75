#include "controllers/gateway/status_controller.h"

#include "api/gateway_resources.h"
#include "api/object.h"
#include "controllers/gateway/conditions.h"
#include "controllers/gateway/gateway_status.h"
#include "controllers/gateway/route_status.h"

namespace sluice::controllers::gateway {

namespace {

const api::ResourceType& gatewayApiType(const std::string& kind) {
  return *api::findByKind(std::string(api::kGatewayGroup) + "/v1", kind);
}

std::string keyFor(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

}  // namespace

GatewayStatusController::GatewayStatusController(client::Client& client,
                                                 client::SharedInformers& informers,
                                                 DataPlane& dataPlane, const base::Clock& clock,
                                                 base::Logger log)
    : client_(client),
      dataPlane_(dataPlane),
      clock_(clock),
      classes_(informers.informer(gatewayApiType("GatewayClass"))),
      gateways_(informers.informer(gatewayApiType("Gateway"))),
      httpRoutes_(informers.informer(gatewayApiType("HTTPRoute"))),
      tcpRoutes_(informers.informer(gatewayApiType("TCPRoute"))),
      referenceGrants_(informers.informer(gatewayApiType("ReferenceGrant"))),
      services_(informers.informer(*api::findByKind("v1", "Service"))),
      namespaces_(informers.informer(*api::findByKind("v1", "Namespace"))),
      log_(std::move(log)),
      queue_(clock) {
  // `each` runs for the object of an add or delete, and for both objects of an update.
  auto on = [](client::Informer& informer, std::function<void(const json::value&)> each) {
    informer.addHandlers({[each](const client::ObjectPtr& o) { each(*o); },
                          [each](const client::ObjectPtr& old, const client::ObjectPtr& o) {
                            each(*old);
                            each(*o);
                          },
                          [each](const client::ObjectPtr& o) { each(*o); }});
  };
  auto allRoutes = [this] {
    enqueueAll(httpRoutes_, "HTTPRoute");
    enqueueAll(tcpRoutes_, "TCPRoute");
  };
  on(gateways_, [this, allRoutes](const json::value& g) {
    queue_.add(keyFor("Gateway", api::namespaceOf(g), api::nameOf(g)));
    allRoutes();
  });
  on(classes_, [this, allRoutes](const json::value&) {
    enqueueAll(gateways_, "Gateway");
    allRoutes();
  });
  on(httpRoutes_, [this](const json::value& r) {
    queue_.add(keyFor("HTTPRoute", api::namespaceOf(r), api::nameOf(r)));
    enqueueParents(r);
  });
  on(tcpRoutes_, [this](const json::value& r) {
    queue_.add(keyFor("TCPRoute", api::namespaceOf(r), api::nameOf(r)));
    enqueueParents(r);
  });
  on(services_, [allRoutes](const json::value&) { allRoutes(); });
  on(referenceGrants_, [allRoutes](const json::value&) { allRoutes(); });
  on(namespaces_, [this, allRoutes](const json::value&) {
    enqueueAll(gateways_, "Gateway");
    allRoutes();
  });
  dataPlane_.subscribe([this] {
    std::set<std::string> waiting;
    {
      std::lock_guard lock(mu_);
      waiting = waiting_;
    }
    for (const auto& key : waiting) queue_.add(key);
  });
}

GatewayStatusController::~GatewayStatusController() {
  stop();
}

void GatewayStatusController::start() {
  workers_ = std::make_unique<Workers>(
      queue_, [this](const std::string& k) { return sync(k); }, 1, log_);
}

void GatewayStatusController::stop() {
  if (workers_) workers_->stop();
}

std::optional<std::string> GatewayStatusController::processNext() {
  return Workers::processOne(
      queue_, [this](const std::string& k) { return sync(k); }, log_);
}

void GatewayStatusController::enqueueAll(client::Informer& informer, const std::string& kind) {
  for (const auto& o : informer.list())
    queue_.add(keyFor(kind, api::namespaceOf(*o), api::nameOf(*o)));
}

// The Gateways a route names count it in their listeners' attachedRoutes.
void GatewayStatusController::enqueueParents(const json::value& route) {
  const json::value* refs = api::find(route, "spec.parentRefs");
  if (!refs || !refs->is_array()) return;
  for (const auto& ref : refs->as_array())
    if (api::getString(ref, "group", api::kGatewayGroup) == api::kGatewayGroup &&
        api::getString(ref, "kind", "Gateway") == "Gateway")
      queue_.add(keyFor("Gateway", api::getString(ref, "namespace", api::namespaceOf(route)),
                        api::getString(ref, "name")));
}

bool GatewayStatusController::ownsClass(const std::string& className) const {
  if (auto gatewayClass = classes_.get(className))
    return api::getString(*gatewayClass, "spec.controllerName") == api::kSluiceGatewayController;
  return className == api::kSluiceGatewayClass;
}

api::gateway::Objects GatewayStatusController::objects() const {
  api::gateway::Objects o;
  o.gatewayClasses = classes_.list();
  o.gateways = gateways_.list();
  o.httpRoutes = httpRoutes_.list();
  o.tcpRoutes = tcpRoutes_.list();
  o.referenceGrants = referenceGrants_.list();
  o.services = services_.list();
  o.namespaces = namespaces_.list();
  return o;
}

api::Status GatewayStatusController::sync(const std::string& key) {
  auto first = key.find('/');
  auto second = first == std::string::npos ? first : key.find('/', first + 1);
  if (second == std::string::npos) {
    log_->error("gateway status: malformed key {}", key);
    return {};
  }
  std::string kind = key.substr(0, first);
  std::string ns = key.substr(first + 1, second - first - 1);
  std::string name = key.substr(second + 1);
  if (kind == "Gateway") return syncGateway(ns, name);
  return syncRoute(kind, ns, name);
}

api::Status GatewayStatusController::syncGateway(const std::string& ns, const std::string& name) {
  const std::string key = ns + "/" + name;
  auto gateway = gateways_.get(key);
  if (!gateway) {
    std::lock_guard lock(mu_);
    touched_.erase(key);
    waiting_.erase(keyFor("Gateway", ns, name));
    return {};
  }
  api::gateway::Bindings bindings = api::gateway::bind(objects());
  const api::gateway::GatewayBinding* binding = nullptr;
  for (const auto& g : bindings.gateways)
    if (g.ns == ns && g.name == name) binding = &g;
  if (!binding) {  // another implementation's Gateway
    std::lock_guard lock(mu_);
    waiting_.erase(keyFor("Gateway", ns, name));
    return {};
  }

  // The API server assigns addresses when a Gateway is written and its class is sluice's. A
  // Gateway written before its class existed has none: an update without changes has the
  // admission assign one. Once per resourceVersion, so a full range does not loop.
  const json::value* requested = api::find(*gateway, "spec.addresses");
  bool requestsNone = !requested || !requested->is_array() || requested->as_array().empty();
  if (binding->address.empty() && requestsNone) {
    int64_t rv = api::resourceVersionOf(*gateway);
    bool touch = false;
    {
      std::lock_guard lock(mu_);
      touch = touched_[key] != rv;
    }
    if (touch) {
      auto updated = client_.update(gatewayApiType("Gateway"), ns, name, *gateway);
      if (!updated) {
        log_->warn("gateway {}: update to assign an address failed: {}", key,
                   updated.error().message);
        return updated.error();
      }
      std::lock_guard lock(mu_);
      touched_[key] = api::resourceVersionOf(*updated);
      log_->info("gateway {}: updated to assign an address", key);
      return {};
    }
  }

  if (!served("Gateway", ns, name, binding->generation)) return {};
  return writeStatus("Gateway", *gateway, desiredGatewayStatus(*binding, clock_.now()));
}

api::Status GatewayStatusController::syncRoute(const std::string& kind, const std::string& ns,
                                               const std::string& name) {
  client::Informer& informer = kind == "TCPRoute" ? tcpRoutes_ : httpRoutes_;
  auto route = informer.get(ns + "/" + name);
  if (!route) {
    std::lock_guard lock(mu_);
    waiting_.erase(keyFor(kind, ns, name));
    return {};
  }
  api::gateway::Bindings bindings = api::gateway::bind(objects());
  const api::gateway::RouteBinding* binding = nullptr;
  for (const auto& r : bindings.routes)
    if (r.ns == ns && r.name == name &&
        (r.kind == api::gateway::RouteKind::TCP) == (kind == "TCPRoute"))
      binding = &r;
  if (binding) {
    if (!served(kind, ns, name, binding->generation)) return {};
  } else {
    {
      std::lock_guard lock(mu_);
      waiting_.erase(keyFor(kind, ns, name));
    }
    // No parent of sluice's: only entries sluice wrote before, if any, are to go.
    const json::value* parents = api::find(*route, "status.parents");
    bool ours = false;
    if (parents && parents->is_array())
      for (const auto& p : parents->as_array())
        ours = ours || api::getString(p, "controllerName") == api::kSluiceGatewayController;
    if (!ours) return {};
  }
  return writeStatus(kind, *route, desiredRouteStatus(*route, binding, clock_.now()));
}

bool GatewayStatusController::served(const std::string& kind, const std::string& ns,
                                     const std::string& name, int64_t generation) {
  const std::string key = keyFor(kind, ns, name);
  // Marked waiting before the data plane is asked: a change that lands after the question
  // finds the key and brings it back.
  {
    std::lock_guard lock(mu_);
    waiting_.insert(key);
  }
  int64_t serving = dataPlane_.servedGeneration(kind, ns, name);
  if (serving != generation) {
    log_->debug("{} {}/{}: generation {} not served yet (serving {})", kind, ns, name, generation,
                serving);
    return false;
  }
  std::lock_guard lock(mu_);
  waiting_.erase(key);
  return true;
}

api::Status GatewayStatusController::writeStatus(const std::string& kind, const json::value& object,
                                                 json::value status) {
  const std::string ns = api::namespaceOf(object), name = api::nameOf(object);
  const json::value* current = api::find(object, "status");
  if (current && sameButTransitionTimes(*current, status)) return {};
  json::value next = object;
  next.as_object()["status"] = std::move(status);
  auto updated = client_.update(gatewayApiType(kind), ns, name, next, "status");
  if (!updated) {
    // A Conflict means the object changed under us: its update event brings it back.
    log_->warn("{} {}/{}: status not written: {}", kind, ns, name, updated.error().message);
    return updated.error();
  }
  log_->info("{} {}/{}: status written (generation {})", kind, ns, name,
             api::getInt(object, "metadata.generation"));
  return {};
}

}  // namespace sluice::controllers::gateway
