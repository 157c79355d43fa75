// Endpoints and EndpointSlice controller: for every Service with a selector, the addresses of
// the pods it selects — ready ones as addresses, not-ready ones marked — with each Service
// port's targetPort resolved (numeric or a named container port). Pods being deleted leave the
// ready set at once. A Service without a selector keeps hand-made Endpoints.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "client/shared_informers.h"
#include "controllers/common.h"

namespace sluice::controllers {

class EndpointsController {
 public:
  // Registers its handlers on `informers`, which the caller starts before start().
  EndpointsController(client::Client& client, client::SharedInformers& informers,
                      const base::Clock& clock, base::Logger log = base::nullLogger());
  ~EndpointsController();
  // Starts the workers; the informers must have synced.
  void start();
  void stop();
  api::Status sync(const std::string& key);

 private:
  void enqueueServicesFor(const client::ObjectPtr& pod);

  client::Client& client_;
  const base::Clock& clock_;
  client::Informer& services_;
  client::Informer& pods_;
  base::Logger log_;
  WorkQueue queue_;
  EventRecorder events_;
  std::mutex reasonsMu_;
  std::map<std::string, std::string> noEndpointsReason_;  // service key -> last reported why
  std::unique_ptr<Workers> workers_;
};

}  // namespace sluice::controllers
