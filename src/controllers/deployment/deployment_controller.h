// The Deployment controller: rolls a Deployment's pod template out through ReplicaSets
// (RollingUpdate with maxSurge/maxUnavailable, or Recreate), honours `paused`, scales
// proportionally mid-rollout, numbers revisions, cleans up history and reports status and
// conditions as Kubernetes does. The arithmetic lives in rollout_math.h; this file turns objects
// into its inputs and its answers into API calls — at most one kind of change per pass.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "client/shared_informers.h"
#include "controllers/common.h"

namespace sluice::controllers {

class DeploymentController {
 public:
  // `stepInterval`: the least time between two rollout steps of one Deployment (see the README:
  // it lets `set image ... && rollout pause` stop after the first step, as on a real cluster
  // where pods take seconds to start). Zero steps as fast as the arithmetic allows.
  // Registers its handlers on `informers`, which the caller starts before start().
  DeploymentController(client::Client& client, client::SharedInformers& informers,
                       const base::Clock& clock, base::Logger log = base::nullLogger(),
                       std::chrono::milliseconds stepInterval = std::chrono::seconds(1));
  ~DeploymentController();
  // Starts the workers; the informers must have synced.
  void start();
  void stop();
  api::Status sync(const std::string& key);

 private:
  client::Client& client_;
  const base::Clock& clock_;
  client::Informer& deployments_;
  client::Informer& replicaSets_;
  client::Informer& pods_;  // a Recreate rollout waits until the old ones are gone
  base::Logger log_;
  WorkQueue queue_;
  EventRecorder events_;
  std::unique_ptr<Workers> workers_;
  std::chrono::milliseconds stepInterval_;
  std::mutex stepsMu_;
  std::map<std::string, base::SteadyTime> lastStep_;
};

}  // namespace sluice::controllers
