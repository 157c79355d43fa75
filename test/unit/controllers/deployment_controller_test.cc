// The Deployment controller together with the ReplicaSet controller against the in-memory store,
// with a fake kubelet that reports every pod running and ready as soon as it exists.
#include "controllers/deployment/deployment_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "controllers/deployment/rollout_math.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "deployment_fixtures.h"
#include "fake_cluster.h"

namespace sluice::controllers {
namespace {

using namespace std::chrono_literals;
using fakes::annotation;
using fakes::condition;
using fakes::conditionReason;
using fakes::containers;
using fakes::deploymentOf;
using fakes::deploymentSpec;
using fakes::deploymentType;
using fakes::imageOf;
using fakes::kHashLabel;
using fakes::kRevision;
using fakes::podType;
using fakes::replicaSetType;
using fakes::waitFor;
namespace dm = deployment;

class DeploymentControllerTest : public ::testing::Test, public fakes::DeploymentChecks {
 protected:
  void SetUp() override {
    cluster_.startInformers();
    replicaSetController_.start();
    deploymentController_.start();
  }
  void TearDown() override {
    cluster_.informers().stop();
    deploymentController_.stop();
    replicaSetController_.stop();
  }

  fakes::FakeCluster& cluster() override { return cluster_; }

  fakes::FakeCluster cluster_;
  ReplicaSetController replicaSetController_{cluster_.client(), cluster_.informers(),
                                             base::realClock()};
  DeploymentController deploymentController_{cluster_.client(), cluster_.informers(),
                                             base::realClock(), base::nullLogger(),
                                             std::chrono::milliseconds(0)};
  fakes::FakeKubelet kubelet_{cluster_};
};

TEST_F(DeploymentControllerTest, CreatesReplicaSetNamedByTemplateHash) {
  auto created = cluster_.create(deploymentType(), deploymentOf(deploymentSpec(3, "nginx:1")));
  ASSERT_TRUE(waitFor([&] {
    return replicaSets().size() == 1 && annotation(deployment(), kRevision) == "1";
  })) << describe();

  auto rs = replicaSets().front();
  std::string hash = api::getString(rs, "metadata.labels." + kHashLabel);
  ASSERT_FALSE(hash.empty());
  EXPECT_EQ(api::nameOf(rs), "web-" + hash);
  EXPECT_EQ(api::getString(rs, "metadata.labels.app"), "web");
  EXPECT_EQ(api::getString(rs, "spec.selector.matchLabels.app"), "web");
  EXPECT_EQ(api::getString(rs, "spec.selector.matchLabels." + kHashLabel), hash);
  EXPECT_EQ(api::getString(rs, "spec.template.metadata.labels." + kHashLabel), hash);
  EXPECT_EQ(annotation(rs, kRevision), "1");
  EXPECT_EQ(api::getInt(rs, "spec.replicas"), 3);
  const json::value* ref = controllerRef(rs);
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(api::getString(*ref, "apiVersion"), "apps/v1");
  EXPECT_EQ(api::getString(*ref, "kind"), "Deployment");
  EXPECT_EQ(api::getString(*ref, "name"), "web");
  EXPECT_EQ(api::getString(*ref, "uid"), api::uidOf(created));

  // The pods carry the hash too, so each ReplicaSet selects only its own.
  ASSERT_TRUE(waitFor([&] { return cluster_.activePods().size() == 3; }));
  for (const auto& p : cluster_.activePods())
    EXPECT_EQ(api::getString(p, "metadata.labels." + kHashLabel), hash);
}

TEST_F(DeploymentControllerTest, StatusReportsCompleteAvailableRollout) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(3, "nginx:1")));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();

  auto d = deployment();
  EXPECT_EQ(api::getInt(d, "status.observedGeneration"), api::getInt(d, "metadata.generation"));
  EXPECT_EQ(api::getInt(d, "status.replicas"), 3);
  EXPECT_EQ(api::getInt(d, "status.updatedReplicas"), 3);
  EXPECT_EQ(api::getInt(d, "status.readyReplicas"), 3);
  EXPECT_EQ(api::getInt(d, "status.availableReplicas"), 3);
  EXPECT_EQ(api::find(d, "status.unavailableReplicas"), nullptr);
  EXPECT_EQ(api::find(d, "status.collisionCount"), nullptr);
  auto* available = condition(d, "Available");
  ASSERT_NE(available, nullptr);
  EXPECT_EQ(api::getString(*available, "status"), "True");
  EXPECT_EQ(api::getString(*available, "reason"), "MinimumReplicasAvailable");
  auto* progressing = condition(d, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(api::getString(*progressing, "status"), "True");
  EXPECT_EQ(api::getString(*progressing, "reason"), "NewReplicaSetAvailable");
  EXPECT_EQ(
      api::getString(*progressing, "message"),
      "ReplicaSet \"" + api::nameOf(replicaSets().front()) + "\" has successfully progressed.");
}

TEST_F(DeploymentControllerTest, ImageChangeRollsOutRevisionTwo) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(3, "nginx:1")));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();
  std::string firstName = api::nameOf(replicaSetFor("nginx:1"));

  setImage("nginx:2");
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 3); })) << describe();

  auto all = replicaSets();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(api::nameOf(all[0]), firstName);
  EXPECT_EQ(annotation(all[0], kRevision), "1");
  EXPECT_EQ(api::getInt(all[0], "spec.replicas"), 0);
  EXPECT_EQ(annotation(all[1], kRevision), "2");
  EXPECT_EQ(imageOf(*api::find(all[1], "spec.template")), "nginx:2");
  EXPECT_EQ(api::getInt(all[1], "spec.replicas"), 3);
  EXPECT_NE(api::getString(all[1], "metadata.labels." + kHashLabel),
            api::getString(all[0], "metadata.labels." + kHashLabel));
  auto d = deployment();
  EXPECT_EQ(annotation(d, kRevision), "2");
  EXPECT_EQ(api::getInt(d, "status.observedGeneration"), 2);
  EXPECT_EQ(api::find(d, "status.collisionCount"), nullptr);
}

TEST_F(DeploymentControllerTest, PausedDeploymentRollsNothingOutUntilResumed) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(3, "nginx:1")));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();

  patchSpec(json::object{{"paused", true}});
  setImage("nginx:2");
  // Once the status describes the new template's generation, the controller has seen it paused.
  ASSERT_TRUE(waitFor([&] {
    auto d = deployment();
    return api::getInt(d, "status.observedGeneration") == api::getInt(d, "metadata.generation") &&
           conditionReason(d, "Progressing") == "DeploymentPaused";
  })) << describe();
  auto paused = deployment();
  auto* progressing = condition(paused, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(api::getString(*progressing, "status"), "Unknown");
  EXPECT_EQ(replicaSets().size(), 1u);
  EXPECT_EQ(specReplicas("nginx:1"), 3);
  EXPECT_EQ(podImages(), std::set<std::string>{"nginx:1"});
  EXPECT_EQ(annotation(deployment(), kRevision), "1");

  patchSpec(json::object{{"paused", false}});
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 3); })) << describe();
  EXPECT_EQ(annotation(deployment(), kRevision), "2");
}

// Another object already holds the name the new template hashes to: the Deployment counts the
// collision and names its ReplicaSet by the next hash, leaving the other object alone.
TEST_F(DeploymentControllerTest, HashCollisionIsCountedAndAvoided) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(2, "nginx:1")));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 2); })) << describe();
  patchSpec(json::object{{"paused", true}});
  setImage("nginx:2");
  json::value templ = *api::find(deployment(), "spec.template");
  std::string taken = "web-" + dm::podTemplateHash(api::canonicalJson(templ), 0);
  json::value squatter = json::object{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", json::object{{"name", taken}, {"labels", json::object{{"app", "other"}}}}},
      {"spec",
       json::object{
           {"replicas", 0},
           {"selector", json::object{{"matchLabels", json::object{{"app", "other"}}}}},
           {"template",
            json::object{{"metadata", json::object{{"labels", json::object{{"app", "other"}}}}},
                         {"spec", json::object{{"containers", containers("busybox")}}}}}}}};
  auto squatterUid = api::uidOf(cluster_.create(replicaSetType(), squatter));

  patchSpec(json::object{{"paused", false}});
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 2); })) << describe();
  EXPECT_EQ(api::getInt(deployment(), "status.collisionCount"), 1);
  EXPECT_NE(api::nameOf(replicaSetFor("nginx:2")), taken);
  auto untouched = cluster_.get(replicaSetType(), taken);
  EXPECT_EQ(api::uidOf(untouched), squatterUid);
  EXPECT_EQ(controllerRef(untouched), nullptr);
  EXPECT_EQ(annotation(deployment(), kRevision), "2");
}

// 10 replicas, maxSurge 3, maxUnavailable 2, and new pods that never become ready: the rollout
// stops with the old ReplicaSet at 8 and the new one at 5. Scaled to 15 while paused, the
// 18 - 13 = 5 extra replicas are shared by size: old 8 × 18/13 → 11, new 5 × 18/13 → 7.
TEST_F(DeploymentControllerTest, ScalingPausedRolloutScalesReplicaSetsProportionally) {
  kubelet_.setFilter([](const json::value& pod) { return imageOf(pod) == "nginx:1"; });
  auto spec = deploymentSpec(10, "nginx:1");
  spec["strategy"] =
      json::object{{"type", "RollingUpdate"},
                   {"rollingUpdate", json::object{{"maxSurge", 3}, {"maxUnavailable", 2}}}};
  cluster_.create(deploymentType(), deploymentOf(spec));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 10); })) << describe();

  setImage("nginx:2");
  ASSERT_TRUE(waitFor([&] {
    return specReplicas("nginx:1") == 8 && specReplicas("nginx:2") == 5 &&
           cluster_.activePods().size() == 13;
  })) << describe();
  patchSpec(json::object{{"paused", true}});
  ASSERT_TRUE(waitFor([&] {
    return conditionReason(deployment(), "Progressing") == "DeploymentPaused";
  })) << describe();

  patchSpec(json::object{{"replicas", 15}});
  ASSERT_TRUE(waitFor([&] {
    int64_t oldSize = specReplicas("nginx:1"), newSize = specReplicas("nginx:2");
    return oldSize + newSize == 18 && oldSize > 8 && newSize > 5;
  })) << describe();
  EXPECT_EQ(specReplicas("nginx:1"), 11);
  EXPECT_EQ(specReplicas("nginx:2"), 7);
  for (const auto& rs : replicaSets()) {
    EXPECT_EQ(annotation(rs, std::string(dm::kDesiredReplicasAnnotation)), "15");
    EXPECT_EQ(annotation(rs, std::string(dm::kMaxReplicasAnnotation)), "18");
  }
  ASSERT_TRUE(waitFor([&] { return cluster_.activePods().size() == 18; })) << describe();
}

// Follows a watch from `resourceVersion` until it has nothing more to say.
std::vector<client::WatchEvent> eventsSince(client::Client& c, const api::ResourceType& type,
                                            const std::string& resourceVersion) {
  client::ListOptions options;
  options.resourceVersion = resourceVersion;
  auto stream = c.watch(type, "default", options);
  EXPECT_TRUE(stream.ok());
  std::vector<client::WatchEvent> events;
  if (!stream) return events;
  while (auto e = (*stream)->next(50ms)) events.push_back(std::move(*e));
  return events;
}

class RecreateDeploymentControllerTest : public DeploymentControllerTest {
 protected:
  json::value recreateDeployment(bool scheduled) {
    auto spec = deploymentSpec(3, "nginx:1");
    spec["strategy"] = json::object{{"type", "Recreate"}};
    // Pods on a node stop gracefully: deleting them leaves them Terminating for a while.
    if (scheduled) spec["template"].as_object()["spec"].as_object()["nodeName"] = "node-1";
    return deploymentOf(spec);
  }
  // Replays the pod events from `resourceVersion`, when `oldPods` existed: whether a pod of
  // `newImage` was created while a pod of another image still existed (running or terminating).
  bool newPodCreatedBeforeOldOnesWereGone(const std::string& resourceVersion,
                                          const std::set<std::string>& oldPods,
                                          const std::string& newImage) {
    std::set<std::string> live = oldPods;
    for (const auto& e : eventsSince(cluster_.client(), podType(), resourceVersion)) {
      std::string name = api::nameOf(e.object);
      if (e.type == "DELETED") {
        live.erase(name);
      } else if (e.type == "ADDED") {
        if (imageOf(e.object) != newImage)
          live.insert(name);
        else if (!live.empty())
          return true;
      }
    }
    return false;
  }
  std::set<std::string> podNames() {
    std::set<std::string> names;
    for (const auto& p : cluster_.list(podType())) names.insert(api::nameOf(p));
    return names;
  }
};

TEST_F(RecreateDeploymentControllerTest, ScalesOldReplicaSetToZeroBeforeCreatingNewOne) {
  cluster_.create(deploymentType(), recreateDeployment(/*scheduled=*/false));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();
  std::string from = std::to_string(cluster_.registry().revision());
  auto oldPods = podNames();
  std::string oldName = api::nameOf(replicaSetFor("nginx:1"));

  setImage("nginx:2");
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 3); })) << describe();

  // When the new ReplicaSet appeared, the old one was at 0 and reported no pods.
  bool sawNew = false;
  json::value oldSeen;
  for (const auto& e : eventsSince(cluster_.client(), replicaSetType(), from)) {
    if (api::nameOf(e.object) == oldName) {
      oldSeen = e.object;
    } else if (e.type == "ADDED") {
      sawNew = true;
      ASSERT_TRUE(oldSeen.is_object()) << "the old ReplicaSet was never scaled";
      EXPECT_EQ(api::getInt(oldSeen, "spec.replicas"), 0);
      EXPECT_EQ(api::getInt(oldSeen, "status.replicas"), 0);
    }
  }
  EXPECT_TRUE(sawNew);
  EXPECT_FALSE(newPodCreatedBeforeOldOnesWereGone(from, oldPods, "nginx:2"));
}

TEST_F(RecreateDeploymentControllerTest, WaitsForTerminatingPodsBeforeCreatingNewOnes) {
  cluster_.create(deploymentType(), recreateDeployment(/*scheduled=*/true));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();
  std::string from = std::to_string(cluster_.registry().revision());
  auto oldPods = podNames();

  kubelet_.holdTerminatingPods(true);
  setImage("nginx:2");
  // The old pods are Terminating, so the old ReplicaSet counts none, and the Deployment's status
  // (written by the pass that saw that) shows 0 pods for the new generation...
  ASSERT_TRUE(waitFor([&] {
    auto d = deployment();
    return api::getInt(d, "status.observedGeneration") == 2 &&
           api::getInt(d, "status.replicas") == 0 && cluster_.activePods().empty();
  })) << describe();
  EXPECT_EQ(podNames(), oldPods);
  // ...but the containers have not stopped yet: nothing new may start.
  EXPECT_EQ(replicaSets().size(), 1u) << describe();

  kubelet_.holdTerminatingPods(false);
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 3); })) << describe();
  EXPECT_FALSE(newPodCreatedBeforeOldOnesWereGone(from, oldPods, "nginx:2"));
}

// `kubectl rollout undo` puts the previous ReplicaSet's template (without its hash label) back
// into the Deployment: that ReplicaSet becomes the new one again, renumbered to revision 3.
TEST_F(DeploymentControllerTest, RollbackReusesOldReplicaSetAsNextRevision) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(3, "nginx:1")));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 3); })) << describe();
  setImage("nginx:2");
  ASSERT_TRUE(waitFor([&] {
    return rolledOut("nginx:2", 3) && annotation(deployment(), kRevision) == "2";
  })) << describe();

  auto first = replicaSetFor("nginx:1");
  json::value templ = *api::find(first, "spec.template");
  api::find(templ, "metadata.labels")->as_object().erase(kHashLabel);
  auto undone = cluster_.registry().patch(
      deploymentType(), "default", "web", api::PatchType::Json,
      json::array{json::object{{"op", "replace"}, {"path", "/spec/template"}, {"value", templ}}});
  ASSERT_TRUE(undone.ok()) << undone.error().message;

  ASSERT_TRUE(waitFor([&] {
    return rolledOut("nginx:1", 3) && annotation(deployment(), kRevision) == "3" &&
           annotation(replicaSetFor("nginx:1"), kRevision) == "3";
  })) << describe();
  auto all = replicaSets();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(api::uidOf(replicaSetFor("nginx:1")), api::uidOf(first));
  EXPECT_EQ(annotation(replicaSetFor("nginx:2"), kRevision), "2");
  EXPECT_EQ(specReplicas("nginx:2"), 0);
}

TEST_F(DeploymentControllerTest, RevisionHistoryLimitDeletesOlderIdleReplicaSets) {
  auto spec = deploymentSpec(2, "nginx:1");
  spec["revisionHistoryLimit"] = 1;
  cluster_.create(deploymentType(), deploymentOf(spec));
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:1", 2); })) << describe();
  setImage("nginx:2");
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:2", 2); })) << describe();
  // One idle ReplicaSet is within the limit.
  EXPECT_EQ(replicaSets().size(), 2u);
  std::string firstName = api::nameOf(replicaSetFor("nginx:1"));

  setImage("nginx:3");
  ASSERT_TRUE(waitFor([&] { return rolledOut("nginx:3", 2) && replicaSets().size() == 2; }))
      << describe();
  auto all = replicaSets();
  EXPECT_EQ(annotation(all[0], kRevision), "2");
  EXPECT_EQ(imageOf(*api::find(all[0], "spec.template")), "nginx:2");
  EXPECT_EQ(annotation(all[1], kRevision), "3");
  EXPECT_TRUE(cluster_.get(replicaSetType(), firstName).is_null());
}

}  // namespace
}  // namespace sluice::controllers
