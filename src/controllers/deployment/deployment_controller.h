// The Deployment controller: rolls a Deployment's pod template out through ReplicaSets
// (RollingUpdate with maxSurge/maxUnavailable, or Recreate), honours `paused`, scales
// proportionally mid-rollout, numbers revisions, cleans up history and reports status and
// conditions as Kubernetes does. The arithmetic lives in rollout_math.h and the conditions in
// progress.h, both pure; the controller turns objects into their inputs and their answers into
// API calls.
//
// One pass of sync(key) makes at most one change: one kind of API write (adopting orphans,
// creating the new ReplicaSet, one scaling of ReplicaSets, renumbering a revision, deleting old
// history, or the status). The steps are tried in a fixed priority: orphans are adopted first
// (they count in what follows); then, as in Kubernetes' syncDeployment, deleted > paused >
// scaling event > rollout (Recreate or RollingUpdate); then the revision annotations and the
// history cleanup. The first step that changes something ends the pass, and the status is
// written only by a pass that changed nothing else. apps/v1 has no `spec.rollbackTo`, so there
// is no rollback step: `rollout undo` writes an old template back, and the ReplicaSet that
// matches it becomes the new one again (history.cc gives it the next revision).
//
// A pass that changed something is not requeued by hand: the change's own watch event (on the
// Deployment or one of its ReplicaSets) brings the key back once the cache shows it, so the next
// pass decides on what the last one wrote. Waits with no event to end them (the step interval,
// the progress deadline) requeue the key after the wait.
//
// Threading: handlers run on the informers' threads, sync() on the workers' (never twice at
// once for one key) or on the caller's in processNext().
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/shared_informers.h"
#include "controllers/common.h"
#include "controllers/deployment/pacing.h"
#include "controllers/deployment/rollout_math.h"

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
  // One pass over the Deployment "namespace/name" (see the file comment).
  api::Status sync(const std::string& key);

  // For tests that run without workers: syncs one ready key on the caller's thread, settling it
  // as a worker would (back-off on failure); false when no key is ready.
  bool processNext();
  // When the earliest delayed key (a paced step, a deadline, a back-off) becomes ready.
  std::optional<base::SteadyTime> nextDelayed();

 private:
  struct Pass;  // what one pass knows about a Deployment; pass.h
  // A step of a pass: whether it changed something (the pass then ends), or why it failed.
  using Step = api::Result<bool>;

  // sync.cc
  api::Result<Pass> loadPass(const std::string& key, client::ObjectPtr deployment);
  Step adoptOrphans(Pass& pass);
  Step scaleOrRollOut(Pass& pass);
  Step scale(Pass& pass);
  Step applyScaleChanges(Pass& pass, const std::vector<deployment::ScaleChange>& changes);
  Step createNewReplicaSet(Pass& pass, int32_t replicas);
  api::Status writeStatus(Pass& pass);
  // rolling.cc, recreate.cc
  Step rolloutRolling(Pass& pass);
  Step rolloutRecreate(Pass& pass);
  // history.cc
  Step syncRevision(Pass& pass);
  Step cleanupHistory(Pass& pass);

  // Whether a rollout step may be taken now; if not, requeues the key for when it may.
  bool mayStep(const std::string& key);
  // Records a rollout step (see StepPacer::stepTaken) and requeues the key for the next one.
  void stepTaken(const std::string& key, bool continues);

  // What the passes since the last status write changed, for the Progressing condition (which
  // Kubernetes computes in the same pass as the change).
  struct Progress {
    bool createdNewReplicaSet = false;
    bool scaledReplicaSets = false;
  };
  void noteProgress(const std::string& key, bool created, bool scaled);
  Progress progressSinceStatus(const std::string& key);
  void statusWritten(const std::string& key);
  // The Deployment is gone: drop what its passes remembered.
  void forget(const std::string& key);

  client::Client& client_;
  const base::Clock& clock_;
  client::Informer& deployments_;
  client::Informer& replicaSets_;
  client::Informer& pods_;  // a Recreate rollout waits until the old ones are gone
  base::Logger log_;
  WorkQueue queue_;
  EventRecorder events_;
  std::unique_ptr<Workers> workers_;
  deployment::StepPacer pacer_;
  std::mutex progressMu_;
  std::map<std::string, Progress> progress_;
};

}  // namespace sluice::controllers
