// The Gateway and route status controller: for every Gateway of sluice's classes, and every
// HTTPRoute and TCPRoute with a parent of sluice's, it writes the status that
// api::gateway::bind() gives (gateway_status.h, route_status.h) — the same bindings the load
// balancer serves. Shaped like the GatewayClass controller: informers -> work queue ->
// sync(key), one status write per pass, nothing written when nothing changed.
//
// "Programmed means programmed": a Gateway's or route's conditions are written at generation N
// only once DataPlane::servedGeneration reports N for it; until then its status is left as it
// is, and the DataPlane's change callback brings the key back. A client that waits for
// observedGeneration == generation therefore knows the load balancer serves that generation.
//
// Keys: "Gateway/<ns>/<name>", "HTTPRoute/<ns>/<name>", "TCPRoute/<ns>/<name>". What requeues
// them: the object itself; for routes, any Gateway, GatewayClass, Service, ReferenceGrant or
// Namespace (a backend Service created later flips ResolvedRefs to True); for Gateways, their
// class, the routes naming them (attachedRoutes) and Namespaces (allowedRoutes selectors); and
// the data plane's change callback, for the keys that wait on it (it fires on every snapshot,
// endpoint changes included, so it does not requeue everything).
//
// Threading: informer handlers and the data plane's callback only enqueue; sync runs on one
// worker (or the caller's thread in processNext). The data plane must not call back after the
// controller is destroyed (the server stops the load balancer first).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "api/gateway_binding.h"
#include "client/shared_informers.h"
#include "controllers/common.h"
#include "controllers/gateway/data_plane.h"

namespace sluice::controllers::gateway {

class GatewayStatusController {
 public:
  // Registers its handlers on `informers` (started by the caller before start()) and its
  // callback on `dataPlane`.
  GatewayStatusController(client::Client& client, client::SharedInformers& informers,
                          DataPlane& dataPlane, const base::Clock& clock,
                          base::Logger log = base::nullLogger());
  ~GatewayStatusController();
  // Starts the worker; the informers must have synced.
  void start();
  void stop();
  // One reconcile pass of a key (see above).
  api::Status sync(const std::string& key);
  // Tests without threads: syncs one ready key, if any; returns it.
  std::optional<std::string> processNext();
  std::optional<base::SteadyTime> nextDelayed() { return queue_.nextDelayed(); }
  // Whether Gateways of class `className` are sluice's: the class names sluice's controller
  // (as the informer has it; the built-in class also before the informer has seen it). For the
  // API server's address admission. Any thread.
  bool ownsClass(const std::string& className) const;

 private:
  api::gateway::Objects objects() const;
  void enqueueAll(client::Informer& informer, const std::string& kind);
  void enqueueParents(const json::value& route);
  api::Status syncGateway(const std::string& ns, const std::string& name);
  api::Status syncRoute(const std::string& kind, const std::string& ns, const std::string& name);
  // Whether the data plane serves `generation` of the object; if not, the key waits for the
  // data plane's next change.
  bool served(const std::string& kind, const std::string& ns, const std::string& name,
              int64_t generation);
  api::Status writeStatus(const std::string& kind, const json::value& object, json::value status);

  client::Client& client_;
  DataPlane& dataPlane_;
  const base::Clock& clock_;
  client::Informer &classes_, &gateways_, &httpRoutes_, &tcpRoutes_, &referenceGrants_, &services_,
      &namespaces_;
  base::Logger log_;
  WorkQueue queue_;
  std::unique_ptr<Workers> workers_;
  std::mutex mu_;
  // Gateway key -> the resourceVersion an address-assigning update left it at (see syncGateway).
  std::map<std::string, int64_t> touched_;
  std::set<std::string> waiting_;  // keys whose generation the data plane does not serve yet
};

}  // namespace sluice::controllers::gateway
