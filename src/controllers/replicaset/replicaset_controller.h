// The ReplicaSet controller: keeps `spec.replicas` pods matching the template, adopting and
// releasing pods by selector and controller reference, and reports status.
#pragma once

#include <memory>

#include "client/informer.h"
#include "controllers/common.h"

namespace sluice::controllers {

class ReplicaSetController {
 public:
  ReplicaSetController(client::Client& client, Clock clock);
  ~ReplicaSetController();
  void start();
  void stop();
  // Exposed for tests: one reconcile pass of "namespace/name".
  api::Status sync(const std::string& key);

 private:
  void enqueueOwner(const client::ObjectPtr& pod);
  void onPodChange(const client::ObjectPtr& pod);

  struct Expectations;
  client::Client& client_;
  Clock clock_;
  client::Informer rsInformer_;
  client::Informer podInformer_;
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
