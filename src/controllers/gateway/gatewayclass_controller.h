// The GatewayClass status controller: a GatewayClass whose spec.controllerName is sluice's
// (api::kSluiceGatewayController) is Accepted, with the generation it saw; classes of other
// controllers are left alone, as the Gateway API asks of every implementation. The first of
// the Gateway API status controllers; it has the shape of the others: informer -> work queue
// -> sync(key), one write per pass, conditions it does not own kept.
#pragma once

#include <memory>
#include <string>

#include "client/shared_informers.h"
#include "controllers/common.h"

namespace sluice::controllers::gateway {

// The GatewayClass's status as it should be, from the object and the time; nullopt-like null
// when the class belongs to another controller (nothing to write). Pure.
json::value desiredClassStatus(const json::value& gatewayClass, base::WallTime now);

class GatewayClassController {
 public:
  // Registers its handlers on `informers`, which the caller starts before start().
  GatewayClassController(client::Client& client, client::SharedInformers& informers,
                         const base::Clock& clock, base::Logger log = base::nullLogger());
  ~GatewayClassController();
  // Starts the worker; the informers must have synced.
  void start();
  void stop();
  // One reconcile pass of a GatewayClass name.
  api::Status sync(const std::string& key);
  // Tests without threads: syncs one ready key, if any; returns it.
  std::optional<std::string> processNext();

 private:
  client::Client& client_;
  const base::Clock& clock_;
  client::Informer& classes_;
  base::Logger log_;
  WorkQueue queue_;
  std::unique_ptr<Workers> workers_;
};

}  // namespace sluice::controllers::gateway
