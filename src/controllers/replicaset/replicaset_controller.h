// The ReplicaSet controller: keeps `spec.replicas` pods matching the template, adopting and
// releasing pods by selector and controller reference, and reports status.
#pragma once

#include <memory>
#include <optional>

#include "client/shared_informers.h"
#include "controllers/common.h"

namespace sluice::controllers {

class ReplicaSetController {
 public:
  // Registers its handlers on `informers`, which the caller starts before start().
  ReplicaSetController(client::Client& client, client::SharedInformers& informers,
                       const base::Clock& clock, base::Logger log = base::nullLogger());
  ~ReplicaSetController();
  // Starts the workers; the informers must have synced.
  void start();
  void stop();
  // Exposed for tests: one reconcile pass of "namespace/name".
  api::Status sync(const std::string& key);

  // For tests that run without workers: syncs one ready key on the caller's thread, settling it
  // as a worker would (back-off on failure); false when no key is ready.
  bool processNext();
  // When the earliest delayed key (a pod turning available, a back-off) becomes ready.
  std::optional<base::SteadyTime> nextDelayed();

 private:
  void enqueueOwner(const client::ObjectPtr& pod);
  void onPodChange(const client::ObjectPtr& pod);

  struct Expectations;
  client::Client& client_;
  const base::Clock& clock_;
  client::Informer& rsInformer_;
  client::Informer& podInformer_;
  base::Logger log_;
  WorkQueue queue_;
  EventRecorder events_;
  std::unique_ptr<Expectations> expectations_;
  std::unique_ptr<Workers> workers_;
};

// The order in which surplus pods are deleted (Kubernetes' ActivePods ordering): unscheduled
// before scheduled, pending before unknown before running, not ready before ready, more
// restarts before fewer, newer before older. Returns true when `a` should go before `b`.
bool deleteBefore(const json::value& a, const json::value& b);

}  // namespace sluice::controllers
