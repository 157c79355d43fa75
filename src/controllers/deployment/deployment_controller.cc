#include "controllers/deployment/deployment_controller.h"

#include <algorithm>
#include <set>

#include "api/object.h"
#include "api/selector.h"
#include "controllers/deployment/rollout_math.h"

namespace sluice::controllers {

namespace dm = deployment;

namespace {

const api::ResourceType& deployType() {
  return *api::findByKind("apps/v1", "Deployment");
}
const api::ResourceType& rsType() {
  return *api::findByKind("apps/v1", "ReplicaSet");
}
const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}

std::string annotation(const json::value& o, std::string_view key) {
  if (auto* a = api::find(o, "metadata.annotations"); a && a->is_object())
    if (auto* v = a->as_object().if_contains(key); v && v->is_string())
      return std::string(v->as_string());
  return "";
}

dm::IntOrPercent intOrPercent(const json::value* v, dm::IntOrPercent fallback) {
  if (!v) return fallback;
  if (v->is_int64()) return dm::IntOrPercent::integer(static_cast<int32_t>(v->as_int64()));
  if (v->is_string()) {
    auto p = dm::parseIntOrPercent(std::string(v->as_string()));
    if (p.ok()) return *p.value;
  }
  return fallback;
}

dm::DeploymentState deploymentState(const json::value& d) {
  dm::DeploymentState s;
  s.replicas = static_cast<int32_t>(api::getInt(d, "spec.replicas", 1));
  s.strategy = api::getString(d, "spec.strategy.type", "RollingUpdate") == "Recreate"
                   ? dm::Strategy::Recreate
                   : dm::Strategy::RollingUpdate;
  s.maxSurge = intOrPercent(api::find(d, "spec.strategy.rollingUpdate.maxSurge"),
                            dm::IntOrPercent::percent(25));
  s.maxUnavailable = intOrPercent(api::find(d, "spec.strategy.rollingUpdate.maxUnavailable"),
                                  dm::IntOrPercent::percent(25));
  s.statusReplicas = static_cast<int32_t>(api::getInt(d, "status.replicas"));
  s.generation = api::getInt(d, "metadata.generation", 1);
  return s;
}

dm::ReplicaSetState rsState(const json::value& rs) {
  dm::ReplicaSetState s;
  s.name = api::nameOf(rs);
  std::chrono::system_clock::time_point created;
  if (api::parseTimestamp(api::getString(rs, "metadata.creationTimestamp"), created))
    s.createdAt =
        std::chrono::duration_cast<std::chrono::seconds>(created.time_since_epoch()).count();
  s.replicas = static_cast<int32_t>(api::getInt(rs, "spec.replicas", 1));
  s.statusReplicas = static_cast<int32_t>(api::getInt(rs, "status.replicas"));
  s.readyReplicas = static_cast<int32_t>(api::getInt(rs, "status.readyReplicas"));
  s.availableReplicas = static_cast<int32_t>(api::getInt(rs, "status.availableReplicas"));
  s.desiredAnnotation = dm::parseReplicasAnnotation(annotation(rs, dm::kDesiredReplicasAnnotation));
  s.maxReplicasAnnotation = dm::parseReplicasAnnotation(annotation(rs, dm::kMaxReplicasAnnotation));
  s.revision = dm::parseRevision(annotation(rs, dm::kRevisionAnnotation)).value_or(0);
  return s;
}

// Templates compare as Kubernetes compares typed objects (apiequality.Semantic.DeepEqual): a
// null, an empty object and an empty list equal an absent field (`resources: {}` that kubectl
// sends on `rollout undo`, for instance).
void normalize(json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto it = o->begin(); it != o->end();) {
      normalize(it->value());
      const auto& x = it->value();
      bool empty = x.is_null() || (x.is_object() && x.as_object().empty()) ||
                   (x.is_array() && x.as_array().empty());
      it = empty ? o->erase(it) : it + 1;
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) normalize(e);
  }
}

json::value normalized(json::value v) {
  normalize(v);
  return v;
}

json::value templateWithoutHash(const json::value& rs) {
  json::value t = api::find(rs, "spec.template") ? *api::find(rs, "spec.template") : json::object{};
  if (auto* labels = api::find(t, "metadata.labels"); labels && labels->is_object()) {
    labels->as_object().erase(dm::kPodTemplateHashLabel);
  }
  return t;
}

json::object condition(const std::string& type, const std::string& status,
                       const std::string& reason, const std::string& message,
                       const std::string& now, const json::value* previous) {
  std::string transition = now;
  if (previous && api::getString(*previous, "status") == status)
    transition = api::getString(*previous, "lastTransitionTime", now);
  std::string update = now;
  if (previous && api::getString(*previous, "status") == status &&
      api::getString(*previous, "reason") == reason &&
      api::getString(*previous, "message") == message)
    update = api::getString(*previous, "lastUpdateTime", now);
  return json::object{{"type", type},
                      {"status", status},
                      {"lastUpdateTime", update},
                      {"lastTransitionTime", transition},
                      {"reason", reason},
                      {"message", message}};
}

// Whether a pod controlled by one of `replicaSets` has not finished (Succeeded or Failed),
// Terminating ones included.
bool anyPodRunning(const client::Informer& pods, const std::string& ns,
                   const std::vector<client::ObjectPtr>& replicaSets) {
  std::set<std::string> uids;
  for (const auto& rs : replicaSets) uids.insert(api::uidOf(*rs));
  for (const auto& pod : pods.listNamespace(ns)) {
    auto* ref = controllerRef(*pod);
    if (!ref || !uids.count(api::getString(*ref, "uid"))) continue;
    auto phase = api::getString(*pod, "status.phase");
    if (phase != "Succeeded" && phase != "Failed") return true;
  }
  return false;
}

const json::value* findCondition(const json::value& d, const std::string& type) {
  if (auto* conds = api::find(d, "status.conditions"); conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (api::getString(c, "type") == type) return &c;
  return nullptr;
}

}  // namespace

DeploymentController::DeploymentController(client::Client& client,
                                           client::SharedInformers& informers,
                                           const base::Clock& clock, base::Logger log,
                                           std::chrono::milliseconds stepInterval)
    : client_(client),
      clock_(clock),
      deployments_(informers.informer(deployType())),
      replicaSets_(informers.informer(rsType())),
      pods_(informers.informer(podType())),
      log_(std::move(log)),
      queue_(clock),
      events_(client, "deployment-controller", clock, log_),
      stepInterval_(stepInterval) {
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

api::Status DeploymentController::sync(const std::string& key) {
  auto d = deployments_.get(key);
  if (!d) return {};
  if (api::find(*d, "metadata.deletionTimestamp")) return {};
  auto [ns, name] = splitKey(key);
  std::string uid = api::uidOf(*d);
  auto* selJson = api::find(*d, "spec.selector");
  auto selector = api::LabelSelector::fromJson(selJson ? *selJson : json::value());
  if (!selector) return selector.error();
  auto now = clock_.now();
  std::string nowText = api::formatTimestamp(now);

  // The ReplicaSets this Deployment controls, adopting matching orphans.
  std::vector<client::ObjectPtr> owned;
  for (const auto& rs : replicaSets_.listNamespace(ns)) {
    auto* ref = controllerRef(*rs);
    if (ref && api::getString(*ref, "uid") == uid) {
      owned.push_back(rs);
    } else if (!ref && !selector->empty() &&
               selector->matches(api::labelsFrom(api::find(*rs, "metadata.labels"))) &&
               !api::find(*rs, "metadata.deletionTimestamp")) {
      json::array refs{makeControllerRef(*d)};
      auto adopted =
          client_.patch(rsType(), ns, api::nameOf(*rs), api::PatchType::Merge,
                        json::object{{"metadata", json::object{{"ownerReferences", refs}}}});
      if (adopted) owned.push_back(std::make_shared<const json::value>(std::move(*adopted)));
    }
  }
  json::value templ =
      api::find(*d, "spec.template") ? *api::find(*d, "spec.template") : json::object{};
  json::value normalizedTempl = normalized(templ);
  client::ObjectPtr newRs;
  std::vector<client::ObjectPtr> oldRss;
  for (const auto& rs : owned) {
    if (!newRs && normalized(templateWithoutHash(*rs)) == normalizedTempl)
      newRs = rs;
    else
      oldRss.push_back(rs);
  }
  dm::DeploymentState ds = deploymentState(*d);
  dm::ReplicaSetGroup group;
  if (newRs) group.newRS = rsState(*newRs);
  for (const auto& rs : oldRss) group.oldRSs.push_back(rsState(*rs));

  std::map<std::string, client::ObjectPtr> byName;
  for (const auto& rs : owned) byName[api::nameOf(*rs)] = rs;

  bool createdNew = false;
  std::string progressReason;  // set when this pass made progress
  auto applyChanges = [&](const std::vector<dm::ScaleChange>& changes) -> api::Status {
    auto annotations = dm::replicasAnnotations(ds);
    for (const auto& c : changes) {
      json::object ann{
          {std::string(dm::kDesiredReplicasAnnotation), std::to_string(annotations.desired)},
          {std::string(dm::kMaxReplicasAnnotation), std::to_string(annotations.max)}};
      json::object patch{{"metadata", json::object{{"annotations", ann}}},
                         {"spec", json::object{{"replicas", c.newReplicas}}}};
      auto r = client_.patch(rsType(), ns, c.name, api::PatchType::Merge, patch);
      if (!r) return r.error();
      if (c.newReplicas != c.oldReplicas) {
        events_.record(*d, "Normal", "ScalingReplicaSet",
                       std::string(c.newReplicas > c.oldReplicas ? "Scaled up" : "Scaled down") +
                           " replica set " + c.name + " from " + std::to_string(c.oldReplicas) +
                           " to " + std::to_string(c.newReplicas));
        progressReason = "ReplicaSetUpdated";
      }
    }
    return {};
  };

  auto createNewRs = [&](int32_t replicas) -> api::Status {
    int64_t collision = api::getInt(*d, "status.collisionCount");
    std::string hash =
        dm::podTemplateHash(api::canonicalJson(templ), static_cast<int32_t>(collision));
    json::value rsTempl = templ;
    api::ensureObject(rsTempl, "metadata.labels")[dm::kPodTemplateHashLabel] = hash;
    json::value sel = selJson ? *selJson : json::object{};
    api::ensureObject(sel, "matchLabels")[dm::kPodTemplateHashLabel] = hash;
    json::object labels =
        api::find(templ, "metadata.labels") && api::find(templ, "metadata.labels")->is_object()
            ? api::find(templ, "metadata.labels")->as_object()
            : json::object{};
    labels[dm::kPodTemplateHashLabel] = hash;
    auto annotations = dm::replicasAnnotations(ds);
    json::object ann{
        {std::string(dm::kRevisionAnnotation), std::to_string(dm::nextRevision(group))},
        {std::string(dm::kDesiredReplicasAnnotation), std::to_string(annotations.desired)},
        {std::string(dm::kMaxReplicasAnnotation), std::to_string(annotations.max)}};
    if (auto cause = annotation(*d, "kubernetes.io/change-cause"); !cause.empty())
      ann["kubernetes.io/change-cause"] = cause;
    std::string rsName = name + "-" + hash;
    json::object rs{
        {"apiVersion", "apps/v1"},
        {"kind", "ReplicaSet"},
        {"metadata", json::object{{"name", rsName},
                                  {"namespace", ns},
                                  {"labels", labels},
                                  {"annotations", ann},
                                  {"ownerReferences", json::array{makeControllerRef(*d)}}}},
        {"spec", json::object{{"replicas", replicas},
                              {"minReadySeconds", api::getInt(*d, "spec.minReadySeconds")},
                              {"selector", sel},
                              {"template", rsTempl}}}};
    auto created = client_.create(rsType(), ns, rs);
    if (!created) {
      if (created.error().reason == "AlreadyExists") {
        // Our own new ReplicaSet, created by an earlier pass and not in the cache yet, is no
        // collision: take it, as Kubernetes does.
        auto existing = client_.get(rsType(), ns, rsName);
        if (existing && isControlledBy(*existing, uid) &&
            normalized(templateWithoutHash(*existing)) == normalizedTempl) {
          newRs = std::make_shared<const json::value>(std::move(*existing));
          group.newRS = rsState(*newRs);
          return {};
        }
        // A hash collision with a ReplicaSet of another template: count it so the next hash
        // differs, as Kubernetes does.
        json::value next = *d;
        api::ensureObject(next, "status")["collisionCount"] = collision + 1;
        if (auto r = client_.update(deployType(), ns, name, next, "status"); !r) return r.error();
      }
      return created.error();
    }
    events_.record(*d, "Normal", "ScalingReplicaSet",
                   "Scaled up replica set " + rsName + " from 0 to " + std::to_string(replicas));
    createdNew = true;
    newRs = std::make_shared<const json::value>(std::move(*created));
    group.newRS = rsState(*newRs);
    return {};
  };

  bool paused = api::getBool(*d, "spec.paused");
  bool scaling = newRs && dm::isScalingEvent(ds, group);
  // Rollout steps of one Deployment are paced `stepInterval_` apart.
  auto steady = clock_.steadyNow();
  std::optional<std::chrono::milliseconds> stepWait;
  {
    std::lock_guard lock(stepsMu_);
    auto it = lastStep_.find(key);
    if (it != lastStep_.end() && steady < it->second + stepInterval_)
      stepWait = std::chrono::duration_cast<std::chrono::milliseconds>(it->second + stepInterval_ -
                                                                       steady) +
                 std::chrono::milliseconds(1);
  }
  if (paused || scaling) {
    if (dm::isScalingEvent(ds, group)) {
      if (auto st = applyChanges(dm::scaleReplicaSets(ds, group)); !st) return st;
    }
  } else if (stepWait) {
    queue_.addAfter(key, *stepWait);
  } else if (ds.strategy == dm::Strategy::Recreate) {
    // Terminating pods no longer count in a ReplicaSet's status but still run until their node
    // removes them: wait for those too (Kubernetes' oldPodsRunning).
    bool oldRunning =
        std::any_of(group.oldRSs.begin(), group.oldRSs.end(),
                    [](const dm::ReplicaSetState& r) { return r.statusReplicas > 0; }) ||
        anyPodRunning(pods_, ns, oldRss);
    auto step = dm::recreateStep(ds, group, oldRunning);
    if (auto st = applyChanges(step.changes); !st) return st;
    if (step.createNewReplicaSet && !newRs) {
      if (auto st = createNewRs(ds.replicas); !st) return st;
    }
  } else {
    // As Kubernetes' rolloutRolling: a new ReplicaSet is created at its first size, and in the
    // same pass the new one grows or, failing that, the old ones shrink.
    if (!newRs) {
      if (auto st = createNewRs(dm::newRSNewReplicas(ds, group)); !st) return st;
    }
    if (auto st = applyChanges(dm::rollingUpdateStep(ds, group)); !st) return st;
  }
  if ((createdNew || !progressReason.empty()) && !paused && !scaling) {
    std::lock_guard lock(stepsMu_);
    lastStep_[key] = steady;
    if (stepInterval_.count() > 0)
      queue_.addAfter(key, stepInterval_ + std::chrono::milliseconds(1));
  }

  // Revisions: the new ReplicaSet carries the highest one (renumbered after a rollback), and the
  // Deployment the same.
  if (newRs) {
    int64_t maxOld = 0;
    for (const auto& o : group.oldRSs) maxOld = std::max(maxOld, o.revision);
    int64_t rev = group.newRS->revision;
    if (rev <= maxOld || rev == 0) {
      rev = maxOld + 1;
      json::object ann{{std::string(dm::kRevisionAnnotation), std::to_string(rev)}};
      if (auto cause = annotation(*d, "kubernetes.io/change-cause"); !cause.empty())
        ann["kubernetes.io/change-cause"] = cause;
      auto r = client_.patch(rsType(), ns, api::nameOf(*newRs), api::PatchType::Merge,
                             json::object{{"metadata", json::object{{"annotations", ann}}}});
      if (!r) return r.error();
      group.newRS->revision = rev;
    }
    if (annotation(*d, dm::kRevisionAnnotation) != std::to_string(rev)) {
      auto r = client_.patch(
          deployType(), ns, name, api::PatchType::Merge,
          json::object{
              {"metadata",
               json::object{{"annotations", json::object{{std::string(dm::kRevisionAnnotation),
                                                          std::to_string(rev)}}}}}});
      if (!r) return r.error();
    }
  }

  // Status and conditions.
  auto counts = dm::calculateStatus(ds, group);
  bool complete = newRs && dm::deploymentComplete(ds, counts);
  std::string newName = newRs ? api::nameOf(*newRs) : "";
  const json::value* prevProgressing = findCondition(*d, "Progressing");
  const json::value* prevAvailable = findCondition(*d, "Available");
  json::object available =
      dm::hasMinimumAvailability(ds, counts)
          ? condition("Available", "True", "MinimumReplicasAvailable",
                      "Deployment has minimum availability.", nowText, prevAvailable)
          : condition("Available", "False", "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability.", nowText, prevAvailable);
  json::object progressing;
  int64_t deadline = api::getInt(*d, "spec.progressDeadlineSeconds", 600);
  std::string prevReason = prevProgressing ? api::getString(*prevProgressing, "reason") : "";
  std::optional<std::chrono::milliseconds> recheck;
  if (paused) {
    progressing = condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                            nowText, prevProgressing);
  } else if (prevReason == "DeploymentPaused") {
    progressing = condition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed",
                            nowText, prevProgressing);
  } else if (complete) {
    progressing = condition("Progressing", "True", "NewReplicaSetAvailable",
                            "ReplicaSet \"" + newName + "\" has successfully progressed.", nowText,
                            prevProgressing);
  } else if (createdNew) {
    progressing =
        condition("Progressing", "True", "NewReplicaSetCreated",
                  "Created new replica set \"" + newName + "\"", nowText, prevProgressing);
  } else {
    dm::DeploymentStatusCounts before;
    before.replicas = static_cast<int32_t>(api::getInt(*d, "status.replicas"));
    before.updatedReplicas = static_cast<int32_t>(api::getInt(*d, "status.updatedReplicas"));
    before.readyReplicas = static_cast<int32_t>(api::getInt(*d, "status.readyReplicas"));
    before.availableReplicas = static_cast<int32_t>(api::getInt(*d, "status.availableReplicas"));
    before.unavailableReplicas =
        static_cast<int32_t>(api::getInt(*d, "status.unavailableReplicas"));
    before.observedGeneration = api::getInt(*d, "status.observedGeneration");
    bool moved = !progressReason.empty() || dm::deploymentProgressing(before, counts);
    if (moved || !prevProgressing || prevReason == "DeploymentResumed" ||
        prevReason == "NewReplicaSetAvailable") {
      progressing =
          condition("Progressing", "True", "ReplicaSetUpdated",
                    "ReplicaSet \"" + newName + "\" is progressing.", nowText, prevProgressing);
      // A fresh update time: the deadline counts from here.
      progressing["lastUpdateTime"] = nowText;
      recheck = std::chrono::seconds(deadline) + std::chrono::milliseconds(100);
    } else {
      progressing = prevProgressing->as_object();
      std::chrono::system_clock::time_point last;
      if (prevReason != "ProgressDeadlineExceeded" &&
          api::parseTimestamp(api::getString(*prevProgressing, "lastUpdateTime"), last)) {
        if (now >= last + std::chrono::seconds(deadline)) {
          progressing = condition("Progressing", "False", "ProgressDeadlineExceeded",
                                  "ReplicaSet \"" + newName + "\" has timed out progressing.",
                                  nowText, prevProgressing);
        } else {
          recheck = std::chrono::duration_cast<std::chrono::milliseconds>(
                        last + std::chrono::seconds(deadline) - now) +
                    std::chrono::milliseconds(100);
        }
      }
    }
  }
  json::object status{{"observedGeneration", counts.observedGeneration},
                      {"replicas", counts.replicas},
                      {"updatedReplicas", counts.updatedReplicas},
                      {"readyReplicas", counts.readyReplicas},
                      {"availableReplicas", counts.availableReplicas},
                      {"unavailableReplicas", counts.unavailableReplicas},
                      {"conditions", json::array{available, progressing}}};
  if (auto c = api::getInt(*d, "status.collisionCount"); c > 0) status["collisionCount"] = c;
  for (const char* zeroDropped :
       {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"})
    if (status[zeroDropped] == 0) status.erase(zeroDropped);
  auto current = api::find(*d, "status");
  if (!current || json::value(status) != *current) {
    auto fresh = client_.get(deployType(), ns, name, "");
    if (!fresh) return fresh.error().code == 404 ? api::Status() : api::Status(fresh.error());
    json::value next = *fresh;
    next.as_object()["status"] = status;
    auto r = client_.update(deployType(), ns, name, next, "status");
    if (!r && r.error().code != 404) return r.error();
  }

  // History: old ReplicaSets scaled to zero beyond revisionHistoryLimit go, oldest first.
  if (complete && !paused) {
    int64_t limit = api::getInt(*d, "spec.revisionHistoryLimit", 10);
    std::vector<client::ObjectPtr> idle;
    for (const auto& rs : oldRss)
      if (api::getInt(*rs, "spec.replicas", 1) == 0 && api::getInt(*rs, "status.replicas") == 0)
        idle.push_back(rs);
    std::sort(idle.begin(), idle.end(), [](const client::ObjectPtr& a, const client::ObjectPtr& b) {
      return rsState(*a).revision < rsState(*b).revision;
    });
    for (size_t i = 0; static_cast<int64_t>(idle.size() - i) > limit; ++i) {
      auto r = client_.remove(rsType(), ns, api::nameOf(*idle[i]), {});
      if (!r && r.error().code != 404) return r.error();
    }
  }
  if (recheck) queue_.addAfter(key, *recheck);
  return {};
}

}  // namespace sluice::controllers
