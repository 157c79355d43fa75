// The controller's shell: which events queue which Deployment, the workers, and the memory a
// Deployment's passes share (step pacing, progress since the last status).
#include "controllers/deployment/deployment_controller.h"

#include "api/object.h"
#include "api/selector.h"
#include "controllers/deployment/pass.h"

namespace sluice::controllers {

namespace dm = deployment;

DeploymentController::DeploymentController(client::Client& client,
                                           client::SharedInformers& informers,
                                           const base::Clock& clock, base::Logger log,
                                           std::chrono::milliseconds stepInterval)
    : client_(client),
      clock_(clock),
      deployments_(informers.informer(dm::deploymentType())),
      replicaSets_(informers.informer(dm::replicaSetType())),
      pods_(informers.informer(dm::podType())),
      log_(std::move(log)),
      queue_(clock),
      events_(client, "deployment-controller", clock, log_),
      pacer_(clock, stepInterval) {
  auto enqueue = [this](const client::ObjectPtr& d) { queue_.add(client::Informer::keyOf(*d)); };
  deployments_.addHandlers(
      {enqueue, [enqueue](const client::ObjectPtr&, const client::ObjectPtr& d) { enqueue(d); },
       enqueue});
  auto owner = [this](const client::ObjectPtr& rs) {
    if (auto* ref = controllerRef(*rs); ref && api::getString(*ref, "kind") == "Deployment") {
      queue_.add(api::namespaceOf(*rs) + "/" + api::getString(*ref, "name"));
      return;
    }
    // Orphans: any Deployment whose selector matches may adopt them.
    auto labels = api::labelsFrom(api::find(*rs, "metadata.labels"));
    for (const auto& d : deployments_.listNamespace(api::namespaceOf(*rs))) {
      auto* sel = api::find(*d, "spec.selector");
      auto s = api::LabelSelector::fromJson(sel ? *sel : json::value());
      if (s && !s->empty() && s->matches(labels)) queue_.add(client::Informer::keyOf(*d));
    }
  };
  replicaSets_.addHandlers(
      {owner, [owner](const client::ObjectPtr&, const client::ObjectPtr& rs) { owner(rs); },
       owner});
  // A Recreate rollout waits for the old pods to be gone; their removal is its cue.
  pods_.addHandlers({nullptr, nullptr, [this](const client::ObjectPtr& pod) {
                       auto* rsRef = controllerRef(*pod);
                       if (!rsRef || api::getString(*rsRef, "kind") != "ReplicaSet") return;
                       std::string ns = api::namespaceOf(*pod);
                       auto rs = replicaSets_.get(ns + "/" + api::getString(*rsRef, "name"));
                       auto* dRef = rs ? controllerRef(*rs) : nullptr;
                       if (!dRef || api::getString(*dRef, "kind") != "Deployment") return;
                       std::string key = ns + "/" + api::getString(*dRef, "name");
                       auto d = deployments_.get(key);
                       if (d && api::getString(*d, "spec.strategy.type") == "Recreate")
                         queue_.add(key);
                     }});
}

DeploymentController::~DeploymentController() {
  stop();
}

void DeploymentController::start() {
  workers_ = std::make_unique<Workers>(
      queue_, [this](const std::string& k) { return sync(k); }, 2, log_);
}

void DeploymentController::stop() {
  if (workers_) workers_->stop();
}

bool DeploymentController::processNext() {
  return Workers::processOne(
             queue_, [this](const std::string& k) { return sync(k); }, log_)
      .has_value();
}

std::optional<base::SteadyTime> DeploymentController::nextDelayed() {
  return queue_.nextDelayed();
}

bool DeploymentController::mayStep(const std::string& key) {
  auto wait = pacer_.waitBeforeStep(key);
  if (wait) queue_.addAfter(key, *wait);
  return !wait;
}

void DeploymentController::stepTaken(const std::string& key, bool continues) {
  pacer_.stepTaken(key, continues);
  // The next step is due once the interval has passed, whether or not an event comes by then.
  if (pacer_.interval().count() > 0)
    queue_.addAfter(key, pacer_.interval() + std::chrono::milliseconds(1));
}

void DeploymentController::noteProgress(const std::string& key, bool created, bool scaled) {
  std::lock_guard lock(progressMu_);
  auto& p = progress_[key];
  p.createdNewReplicaSet = p.createdNewReplicaSet || created;
  p.scaledReplicaSets = p.scaledReplicaSets || scaled;
}

DeploymentController::Progress DeploymentController::progressSinceStatus(const std::string& key) {
  std::lock_guard lock(progressMu_);
  auto it = progress_.find(key);
  return it == progress_.end() ? Progress{} : it->second;
}

void DeploymentController::statusWritten(const std::string& key) {
  std::lock_guard lock(progressMu_);
  progress_.erase(key);
}

void DeploymentController::forget(const std::string& key) {
  pacer_.forget(key);
  statusWritten(key);
}

}  // namespace sluice::controllers
