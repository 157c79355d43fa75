#include "controllers/replicaset/replicaset_controller.h"

#include <algorithm>

#include "api/object.h"
#include "api/selector.h"

namespace sluice::controllers {

namespace {

const api::ResourceType& rsType() {
  return *api::findByKind("apps/v1", "ReplicaSet");
}
const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}

// As Kubernetes' podPhaseToOrdinal: Pending < Unknown < Running, and a pod that reports no phase
// ranks with the Pending ones (it has not started either).
int phaseRank(const json::value& pod) {
  auto phase = api::getString(pod, "status.phase");
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;
}

int64_t restarts(const json::value& pod) {
  int64_t n = 0;
  if (auto* s = api::find(pod, "status.containerStatuses"); s && s->is_array())
    for (const auto& c : s->as_array()) n = std::max(n, api::getInt(c, "restartCount"));
  return n;
}

}  // namespace

bool deleteBefore(const json::value& a, const json::value& b) {
  bool aScheduled = !api::getString(a, "spec.nodeName").empty();
  bool bScheduled = !api::getString(b, "spec.nodeName").empty();
  if (aScheduled != bScheduled) return !aScheduled;
  if (phaseRank(a) != phaseRank(b)) return phaseRank(a) < phaseRank(b);
  if (isPodReady(a) != isPodReady(b)) return !isPodReady(a);
  if (restarts(a) != restarts(b)) return restarts(a) > restarts(b);
  auto ca = api::getString(a, "metadata.creationTimestamp");
  auto cb = api::getString(b, "metadata.creationTimestamp");
  if (ca != cb) return ca > cb;
  return api::nameOf(a) > api::nameOf(b);
}

// Creations and deletions in flight per ReplicaSet, so a sync does not act twice on the same
// shortfall before the pod informer has seen the first action (Kubernetes' expectations).
struct ReplicaSetController::Expectations {
  struct Entry {
    int adds = 0;
    int dels = 0;
    base::SteadyTime at;
  };
  Expectations(const base::Clock& clock, base::Logger log) : clock(clock), log(std::move(log)) {}
  const base::Clock& clock;
  base::Logger log;
  std::mutex mu;
  std::map<std::string, Entry> entries;

  bool satisfied(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return true;
    if (it->second.adds <= 0 && it->second.dels <= 0) return true;
    // Give up waiting after a while, like Kubernetes' 5 minute TTL (shorter: pods are local).
    if (clock.steadyNow() - it->second.at <= std::chrono::seconds(30)) return false;
    log->warn("replicaset {}: {} pod creations and {} deletions not seen after 30s; acting anyway",
              key, std::max(it->second.adds, 0), std::max(it->second.dels, 0));
    return true;
  }
  void expect(const std::string& key, int adds, int dels) {
    std::lock_guard lock(mu);
    entries[key] = Entry{adds, dels, clock.steadyNow()};
  }
  void observed(const std::string& key, bool add) {
    std::lock_guard lock(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return;
    (add ? it->second.adds : it->second.dels)--;
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mu);
    entries.erase(key);
  }
};

ReplicaSetController::ReplicaSetController(client::Client& client,
                                           client::SharedInformers& informers,
                                           const base::Clock& clock, base::Logger log)
    : client_(client),
      clock_(clock),
      rsInformer_(informers.informer(rsType())),
      podInformer_(informers.informer(podType())),
      log_(std::move(log)),
      queue_(clock),
      events_(client, "replicaset-controller", clock, log_),
      expectations_(std::make_unique<Expectations>(clock, log_)) {
  rsInformer_.addHandlers({
      [this](const client::ObjectPtr& rs) { queue_.add(client::Informer::keyOf(*rs)); },
      [this](const client::ObjectPtr&, const client::ObjectPtr& rs) {
        queue_.add(client::Informer::keyOf(*rs));
      },
      [this](const client::ObjectPtr& rs) {
        expectations_->forget(client::Informer::keyOf(*rs));
        queue_.add(client::Informer::keyOf(*rs));
      },
  });
  podInformer_.addHandlers({
      [this](const client::ObjectPtr& pod) {
        if (auto* ref = controllerRef(*pod); ref && api::getString(*ref, "kind") == "ReplicaSet")
          expectations_->observed(api::namespaceOf(*pod) + "/" + api::getString(*ref, "name"),
                                  true);
        onPodChange(pod);
      },
      [this](const client::ObjectPtr& old, const client::ObjectPtr& pod) {
        if (old != pod) {
          // A pod that moved to another owner or changed labels may concern two sets.
          if (api::find(*old, "metadata.labels") && api::find(*pod, "metadata.labels") &&
              *api::find(*old, "metadata.labels") != *api::find(*pod, "metadata.labels"))
            onPodChange(old);
        }
        onPodChange(pod);
      },
      [this](const client::ObjectPtr& pod) {
        if (auto* ref = controllerRef(*pod); ref && api::getString(*ref, "kind") == "ReplicaSet")
          expectations_->observed(api::namespaceOf(*pod) + "/" + api::getString(*ref, "name"),
                                  false);
        onPodChange(pod);
      },
  });
}

ReplicaSetController::~ReplicaSetController() {
  stop();
}

void ReplicaSetController::start() {
  workers_ = std::make_unique<Workers>(
      queue_, [this](const std::string& k) { return sync(k); }, 2, log_);
}

void ReplicaSetController::stop() {
  if (workers_) workers_->stop();
}

bool ReplicaSetController::processNext() {
  return Workers::processOne(
             queue_, [this](const std::string& k) { return sync(k); }, log_)
      .has_value();
}

std::optional<base::SteadyTime> ReplicaSetController::nextDelayed() {
  return queue_.nextDelayed();
}

void ReplicaSetController::onPodChange(const client::ObjectPtr& pod) {
  if (auto* ref = controllerRef(*pod)) {
    if (api::getString(*ref, "kind") == "ReplicaSet")
      queue_.add(api::namespaceOf(*pod) + "/" + api::getString(*ref, "name"));
    return;
  }
  // An orphan: every set whose selector matches may adopt it.
  auto labels = api::labelsFrom(api::find(*pod, "metadata.labels"));
  for (const auto& rs : rsInformer_.listNamespace(api::namespaceOf(*pod))) {
    auto sel = api::LabelSelector::fromJson(
        api::find(*rs, "spec.selector") ? *api::find(*rs, "spec.selector") : json::value());
    if (sel && !sel->empty() && sel->matches(labels)) queue_.add(client::Informer::keyOf(*rs));
  }
}

api::Status ReplicaSetController::sync(const std::string& key) {
  auto rs = rsInformer_.get(key);
  if (!rs) {
    expectations_->forget(key);
    return {};
  }
  auto [ns, name] = splitKey(key);
  std::string uid = api::uidOf(*rs);
  auto* selJson = api::find(*rs, "spec.selector");
  auto selector = api::LabelSelector::fromJson(selJson ? *selJson : json::value());
  if (!selector) return selector.error();
  bool deleting = api::find(*rs, "metadata.deletionTimestamp") != nullptr;

  // Claim pods: adopt matching orphans, release owned pods that no longer match.
  std::vector<client::ObjectPtr> owned;
  for (const auto& pod : podInformer_.listNamespace(ns)) {
    bool matches = !selector->empty() &&
                   selector->matches(api::labelsFrom(api::find(*pod, "metadata.labels")));
    auto* ref = controllerRef(*pod);
    if (ref && api::getString(*ref, "uid") == uid) {
      if (matches || api::find(*pod, "metadata.deletionTimestamp")) {
        owned.push_back(pod);
      } else {
        json::array kept;
        for (const auto& r : api::find(*pod, "metadata.ownerReferences")->as_array())
          if (api::getString(r, "uid") != uid) kept.push_back(r);
        // Released: it no longer matches. Gone already is as good as released.
        auto released =
            client_.patch(podType(), ns, api::nameOf(*pod), api::PatchType::Merge,
                          json::object{{"metadata", json::object{{"ownerReferences", kept}}}});
        if (!released && !released.error().isNotFound()) return released.error();
      }
    } else if (!ref && matches && !deleting && isPodActive(*pod)) {
      json::array refs;
      if (auto* existing = api::find(*pod, "metadata.ownerReferences");
          existing && existing->is_array())
        refs = existing->as_array();
      refs.push_back(makeControllerRef(*rs));
      auto adopted =
          client_.patch(podType(), ns, api::nameOf(*pod), api::PatchType::Merge,
                        json::object{{"metadata", json::object{{"ownerReferences", refs}}}});
      if (adopted) {
        owned.push_back(std::make_shared<const json::value>(std::move(*adopted)));
      } else if (!adopted.error().isNotFound()) {
        // Not adopted this pass (a Conflict means the pod changed): the pod's update event
        // brings the ReplicaSet back, and the sync is retried with back-off.
        return adopted.error();
      }
    }
  }
  std::vector<client::ObjectPtr> active;
  for (const auto& p : owned)
    if (isPodActive(*p)) active.push_back(p);

  int64_t want = api::getInt(*rs, "spec.replicas", 1);
  if (expectations_->satisfied(key) && !deleting) {
    int64_t diff = static_cast<int64_t>(active.size()) - want;
    if (diff < 0) {
      int64_t n = std::min<int64_t>(-diff, 500);
      expectations_->expect(key, static_cast<int>(n), 0);
      json::value templ =
          api::find(*rs, "spec.template") ? *api::find(*rs, "spec.template") : json::object{};
      for (int64_t i = 0; i < n; ++i) {
        json::value pod = json::object{{"apiVersion", "v1"}, {"kind", "Pod"}};
        auto& meta = api::ensureObject(pod, "metadata");
        if (auto* m = api::find(templ, "metadata"); m && m->is_object())
          for (const auto& [k, v] : m->as_object()) meta[k] = v;
        meta["generateName"] = name + "-";
        meta["namespace"] = ns;
        meta["ownerReferences"] = json::array{makeControllerRef(*rs)};
        pod.as_object()["spec"] =
            api::find(templ, "spec") ? *api::find(templ, "spec") : json::object{};
        auto created = client_.create(podType(), ns, pod);
        if (!created) {
          expectations_->observed(key, true);
          events_.record(*rs, "Warning", "FailedCreate",
                         "Error creating: " + created.error().message);
          // Skip the rest of the batch; the failure retries with back-off.
          for (int64_t j = i + 1; j < n; ++j) expectations_->observed(key, true);
          return created.error();
        }
        events_.record(*rs, "Normal", "SuccessfulCreate", "Created pod: " + api::nameOf(*created));
      }
    } else if (diff > 0) {
      std::sort(active.begin(), active.end(),
                [](const client::ObjectPtr& a, const client::ObjectPtr& b) {
                  return deleteBefore(*a, *b);
                });
      expectations_->expect(key, 0, static_cast<int>(diff));
      for (int64_t i = 0; i < diff; ++i) {
        auto r = client_.remove(podType(), ns, api::nameOf(*active[i]), {});
        if (!r && !r.error().isNotFound()) {
          expectations_->observed(key, false);
          events_.record(*rs, "Warning", "FailedDelete", "Error deleting: " + r.error().message);
          return r.error();
        }
        if (!r) expectations_->observed(key, false);
        events_.record(*rs, "Normal", "SuccessfulDelete",
                       "Deleted pod: " + api::nameOf(*active[i]));
      }
    }
  }

  // Status from what the cache shows now.
  int64_t minReady = api::getInt(*rs, "spec.minReadySeconds");
  auto now = clock_.now();
  int64_t ready = 0, available = 0, fullyLabeled = 0;
  std::optional<std::chrono::system_clock::time_point> nextAvailable;
  auto templLabels = api::labelsFrom(api::find(*rs, "spec.template.metadata.labels"));
  for (const auto& p : active) {
    auto labels = api::labelsFrom(api::find(*p, "metadata.labels"));
    bool full = std::all_of(templLabels.begin(), templLabels.end(), [&](const auto& kv) {
      auto it = labels.find(kv.first);
      return it != labels.end() && it->second == kv.second;
    });
    if (full) ++fullyLabeled;
    if (isPodReady(*p)) {
      ++ready;
      if (isPodAvailable(*p, minReady, now)) {
        ++available;
      } else if (auto at = podAvailableAt(*p, minReady)) {
        if (!nextAvailable || *at < *nextAvailable) nextAvailable = *at;
      }
    }
  }
  json::object status{{"replicas", static_cast<int64_t>(active.size())},
                      {"fullyLabeledReplicas", fullyLabeled},
                      {"readyReplicas", ready},
                      {"availableReplicas", available},
                      {"observedGeneration", api::getInt(*rs, "metadata.generation", 1)}};
  json::value currentStatus = api::find(*rs, "status") ? *api::find(*rs, "status") : json::object{};
  json::object merged = currentStatus.is_object() ? currentStatus.as_object() : json::object{};
  for (const auto& [k, v] : status) merged[k] = v;
  if (json::value(merged) != currentStatus) {
    json::value next = *rs;
    next.as_object()["status"] = merged;
    // Gone meanwhile: its delete event forgets it.
    auto r = client_.update(rsType(), ns, name, next, "status");
    if (!r && !r.error().isNotFound()) return r.error();
  }
  if (nextAvailable) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*nextAvailable - now) +
                std::chrono::milliseconds(50);
    queue_.addAfter(key, wait);
  }
  return {};
}

}  // namespace sluice::controllers
