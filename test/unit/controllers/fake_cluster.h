// A cluster without processes or sockets for controller tests: the in-memory store, the registry
// and an in-process client, plus a fake kubelet that reports pods as running and ready.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/object.h"
#include "api/resources.h"
#include "apiserver/in_process_client.h"
#include "apiserver/registry.h"
#include "base/clock.h"
#include "base/random.h"
#include "client/client.h"
#include "client/shared_informers.h"
#include "controllers/common.h"
#include "store/store.h"

namespace sluice::controllers::fakes {

namespace json = boost::json;
using namespace std::chrono_literals;

inline const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}
inline const api::ResourceType& replicaSetType() {
  return *api::findByKind("apps/v1", "ReplicaSet");
}
inline const api::ResourceType& deploymentType() {
  return *api::findByKind("apps/v1", "Deployment");
}

// Polls `condition` until it holds or `timeout` passes; returns its last value.
inline bool waitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

// Reports `pod` as a kubelet would once its containers run: phase Running and a Ready condition
// that turned True at `readySince`. Fails with Conflict when the pod changed since it was read.
inline api::Result<json::value> markPodReady(
    apiserver::Registry& registry, const json::value& pod,
    std::chrono::system_clock::time_point readySince = std::chrono::system_clock::now()) {
  json::value next = pod;
  auto& status = api::ensureObject(next, "status");
  status["phase"] = "Running";
  status["conditions"] = json::array{json::object{
      {"type", "Ready"},
      {"status", "True"},
      {"lastTransitionTime", api::formatTimestamp(readySince)},
  }};
  return registry.update(podType(), api::namespaceOf(pod), api::nameOf(pod), next, "status");
}

class FakeCluster {
 public:
  explicit FakeCluster(const base::Clock& clock = base::realClock())
      : clock_(clock),
        random_(base::newSeededRandom(1)),
        store_(store::newMemoryStore()),
        registry_(*store_, clock_, *random_),
        client_(apiserver::newInProcessClient(registry_)),
        informers_(*client_, clock_) {
    auto st = registry_.bootstrap();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  }
  // Informer threads call into the controllers: stop them before the controllers go.
  ~FakeCluster() { informers_.stop(); }

  apiserver::Registry& registry() { return registry_; }
  client::Client& client() { return *client_; }
  client::SharedInformers& informers() { return informers_; }
  // Starts the informers on their threads and waits for their first list.
  void startInformers() {
    informers_.start();
    EXPECT_TRUE(informers_.waitForSync(std::chrono::seconds(10)));
  }

  // The object, or null when it does not exist.
  json::value get(const api::ResourceType& type, const std::string& name,
                  const std::string& ns = "default") {
    auto got = registry_.get(type, ns, name);
    return got ? *got : json::value();
  }
  std::vector<json::value> list(const api::ResourceType& type, const std::string& ns = "default") {
    std::vector<json::value> out;
    auto listed = registry_.list(type, ns, {});
    EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().message);
    if (listed)
      for (const auto& item : listed->at("items").as_array()) out.push_back(item);
    return out;
  }
  // Pods that exist and are not being deleted.
  std::vector<json::value> activePods(const std::string& ns = "default") {
    std::vector<json::value> out;
    for (auto& pod : list(podType(), ns))
      if (isPodActive(pod)) out.push_back(std::move(pod));
    return out;
  }
  json::value create(const api::ResourceType& type, const json::value& object,
                     const std::string& ns = "default") {
    auto created = registry_.create(type, ns, object);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created ? *created : json::value();
  }
  json::value mergePatch(const api::ResourceType& type, const std::string& name,
                         const json::value& patch, const std::string& ns = "default") {
    auto patched = registry_.patch(type, ns, name, api::PatchType::Merge, patch);
    EXPECT_TRUE(patched.ok()) << (patched.ok() ? "" : patched.error().message);
    return patched ? *patched : json::value();
  }

 private:
  const base::Clock& clock_;
  std::unique_ptr<base::Random> random_;
  std::unique_ptr<store::Store> store_;
  apiserver::Registry registry_;
  std::unique_ptr<client::Client> client_;
  client::SharedInformers informers_;
};

// Marks every active pod of the "default" namespace that `accepts` Running and Ready, as soon as
// it appears, and removes pods whose graceful deletion started (their containers "stop" at
// once), on its own thread, until destroyed.
class FakeKubelet {
 public:
  using Filter = std::function<bool(const json::value& pod)>;

  explicit FakeKubelet(FakeCluster& cluster) : cluster_(cluster) {
    thread_ = std::thread([this] { run(); });
  }
  ~FakeKubelet() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  FakeKubelet(const FakeKubelet&) = delete;
  FakeKubelet& operator=(const FakeKubelet&) = delete;

  // Only pods that `accepts` start; the others stay Pending.
  void setFilter(Filter accepts) {
    std::lock_guard lock(mu_);
    accepts_ = std::move(accepts);
  }
  // While held, pods being deleted stay in Terminating.
  void holdTerminatingPods(bool hold) {
    std::lock_guard lock(mu_);
    holdTerminating_ = hold;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      Filter accepts = accepts_;
      bool holdTerminating = holdTerminating_;
      lock.unlock();
      for (const auto& pod : cluster_.list(podType())) {
        // A Conflict or NotFound is retried or settled on the next pass.
        if (api::find(pod, "metadata.deletionTimestamp")) {
          api::DeleteOptions now;
          now.gracePeriodSeconds = 0;
          if (!holdTerminating)
            static_cast<void>(cluster_.registry().remove(podType(), api::namespaceOf(pod),
                                                         api::nameOf(pod), now));
        } else if (isPodActive(pod) && !isPodReady(pod) && (!accepts || accepts(pod))) {
          static_cast<void>(markPodReady(cluster_.registry(), pod));
        }
      }
      lock.lock();
      cv_.wait_for(lock, 2ms, [this] { return stopping_; });
    }
  }

  FakeCluster& cluster_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool holdTerminating_ = false;
  Filter accepts_;
  std::thread thread_;
};

// The first container's image of a pod or a pod template.
inline std::string imageOf(const json::value& podOrTemplate) {
  auto* containers = api::find(podOrTemplate, "spec.containers");
  if (!containers || !containers->is_array() || containers->as_array().empty()) return "";
  return api::getString(containers->as_array().front(), "image");
}

}  // namespace sluice::controllers::fakes
