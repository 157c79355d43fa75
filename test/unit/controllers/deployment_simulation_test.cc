// The Deployment and ReplicaSet controllers driven on the test's thread with a fake clock: whole
// rollouts through simulated minutes in milliseconds of real time, with every pass checked to
// make at most one kind of change.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controllers/deployment/deployment_controller.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "deployment_fixtures.h"
#include "fake_cluster.h"
#include "simulation.h"

namespace sluice::controllers {
namespace {

using namespace std::chrono_literals;
using fakes::conditionReason;
using fakes::deploymentOf;
using fakes::deploymentSpec;
using fakes::deploymentType;
using fakes::imageOf;
using fakes::podType;

// Forwards to another client and remembers the successful writes (verb and resource) since it
// was last asked, Events aside: they record what happened and change nothing.
class WriteRecorder : public client::Client {
 public:
  explicit WriteRecorder(client::Client& inner) : inner_(inner) {}

  std::set<std::string> take() { return std::exchange(writes_, {}); }

  api::Result<json::value> get(const api::ResourceType& type, const std::string& ns,
                               const std::string& name, const std::string& subresource) override {
    return inner_.get(type, ns, name, subresource);
  }
  api::Result<json::value> list(const api::ResourceType& type, const std::string& ns,
                                const client::ListOptions& options) override {
    return inner_.list(type, ns, options);
  }
  api::Result<json::value> create(const api::ResourceType& type, const std::string& ns,
                                  const json::value& object,
                                  const client::WriteOptions& options) override {
    return note("create", type, "", inner_.create(type, ns, object, options));
  }
  api::Result<json::value> update(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, const json::value& object,
                                  const std::string& subresource,
                                  const client::WriteOptions& options) override {
    return note("update", type, subresource,
                inner_.update(type, ns, name, object, subresource, options));
  }
  api::Result<json::value> patch(const api::ResourceType& type, const std::string& ns,
                                 const std::string& name, client::PatchType patchType,
                                 const json::value& patch, const std::string& subresource,
                                 const client::WriteOptions& options) override {
    return note("patch", type, subresource,
                inner_.patch(type, ns, name, patchType, patch, subresource, options));
  }
  api::Result<json::value> remove(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name,
                                  const client::DeleteOptions& options) override {
    return note("delete", type, "", inner_.remove(type, ns, name, options));
  }
  api::Result<std::unique_ptr<client::EventStream>> watch(
      const api::ResourceType& type, const std::string& ns,
      const client::ListOptions& options) override {
    return inner_.watch(type, ns, options);
  }

 private:
  api::Result<json::value> note(const std::string& verb, const api::ResourceType& type,
                                const std::string& subresource, api::Result<json::value> r) {
    if (r.ok() && type.plural != "events")
      writes_.insert(verb + " " + type.plural + (subresource.empty() ? "" : "/" + subresource));
    return r;
  }

  client::Client& inner_;
  std::set<std::string> writes_;
};

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

class DeploymentSimulationTest : public ::testing::Test, public fakes::DeploymentChecks {
 protected:
  void SetUp() override {
    simulation_.add(replicaSets_);
    // Every pass of the Deployment controller: at most one kind of write.
    simulation_.add(
        [this] {
          writes_.take();
          bool synced = deployments_.processNext();
          auto writes = writes_.take();
          EXPECT_LE(writes.size(), 1u) << "one pass wrote " << joined(writes) << "\n" << describe();
          if (synced) ++passes_;
          return synced;
        },
        [this] { return deployments_.nextDelayed(); });
  }

  fakes::FakeCluster& cluster() override { return cluster_; }

  // Pods Ready for at least `minReadySeconds` now, not being deleted; of `image` if given.
  int availablePods(int64_t minReadySeconds, const std::string& image = "") {
    int n = 0;
    for (const auto& pod : cluster_.activePods())
      if ((image.empty() || imageOf(pod) == image) &&
          isPodAvailable(pod, minReadySeconds, clock_.now()))
        ++n;
    return n;
  }

  base::FakeClock clock_;
  fakes::FakeCluster cluster_{clock_};
  WriteRecorder writes_{cluster_.client()};
  ReplicaSetController replicaSets_{cluster_.client(), cluster_.informers(), clock_};
  // The server's default pacing: steps at least a second apart.
  DeploymentController deployments_{writes_, cluster_.informers(), clock_, base::nullLogger(), 1s};
  fakes::Simulation simulation_{cluster_, clock_};
  int passes_ = 0;
};

// 4 replicas, maxSurge 1, maxUnavailable 0, minReadySeconds 10: a new pod must have been ready
// for 10 s before an old one goes, so the rollout takes at least 4 × 10 s of simulated time,
// never runs more than 5 pods and never has fewer than 4 available.
TEST_F(DeploymentSimulationTest, RollingUpdateWithMinReadySecondsThroughSimulatedMinutes) {
  auto spec = deploymentSpec(4, "nginx:1");
  spec["minReadySeconds"] = 10;
  spec["strategy"] =
      json::object{{"type", "RollingUpdate"},
                   {"rollingUpdate", json::object{{"maxSurge", 1}, {"maxUnavailable", 0}}}};
  cluster_.create(deploymentType(), deploymentOf(spec));
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:1", 4); }, 5min)) << describe();
  EXPECT_GE(availablePods(10, "nginx:1"), 4);

  // (old, new) spec.replicas, each time they change; -1 while the new ReplicaSet does not exist.
  std::vector<std::pair<int64_t, int64_t>> sizes;
  bool sawReadyButNotYetAvailable = false;
  simulation_.onRound([&] {
    std::pair<int64_t, int64_t> now{specReplicas("nginx:1"), specReplicas("nginx:2")};
    if (sizes.empty() || sizes.back() != now) sizes.push_back(now);
    EXPECT_LE(cluster_.list(podType()).size(), 5u) << describe();
    EXPECT_GE(availablePods(10), 4) << describe();
    // The controllers count a new pod as available only once it has been ready for 10 s.
    auto newRs = replicaSetFor("nginx:2");
    int64_t counted = api::getInt(newRs, "status.availableReplicas");
    EXPECT_LE(counted, availablePods(10, "nginx:2")) << describe();
    EXPECT_LE(api::getInt(deployment(), "status.availableReplicas"), availablePods(10))
        << describe();
    if (api::getInt(newRs, "status.readyReplicas") > counted) sawReadyButNotYetAvailable = true;
  });

  sizes.push_back({specReplicas("nginx:1"), specReplicas("nginx:2")});
  const auto realStart = std::chrono::steady_clock::now();
  const auto simulatedStart = clock_.now();
  setImage("nginx:2");
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:2", 4); }, 10min)) << describe();
  const auto simulated = clock_.now() - simulatedStart;
  const auto real = std::chrono::steady_clock::now() - realStart;

  const std::vector<std::pair<int64_t, int64_t>> steps = {{4, -1}, {4, 1}, {3, 1}, {3, 2}, {2, 2},
                                                          {2, 3},  {1, 3}, {1, 4}, {0, 4}};
  EXPECT_EQ(sizes, steps);
  EXPECT_TRUE(sawReadyButNotYetAvailable);
  // Each new pod waits 10 s to count, and the step after it a further second of pacing:
  // about 4 × 11 s in all.
  EXPECT_GE(simulated, 40s);
  EXPECT_LE(simulated, 60s);
  const auto realMs = std::chrono::duration_cast<std::chrono::milliseconds>(real).count();
  std::cout << "rolling update: "
            << std::chrono::duration_cast<std::chrono::seconds>(simulated).count()
            << " s simulated in " << realMs << " ms real, " << passes_ << " Deployment passes\n";
  RecordProperty("real_ms", static_cast<int>(realMs));
  EXPECT_LT(real, 2s);
}

// The README's promise: `set image ... && rollout pause` stops after the first step. With the
// default 25%/25% of 4 (1 and 1), the first step creates the new ReplicaSet at 1 and scales the
// old one to 3, at once; the next waits a second, and by then the Deployment is paused.
TEST_F(DeploymentSimulationTest, SetImageThenPauseStopsAfterTheFirstStep) {
  cluster_.create(deploymentType(), deploymentOf(deploymentSpec(4, "nginx:1")));
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:1", 4); }, 1min)) << describe();
  simulation_.advance(5s);

  setImage("nginx:2");
  simulation_.settle();  // no simulated time passes
  EXPECT_EQ(specReplicas("nginx:1"), 3) << describe();
  EXPECT_EQ(specReplicas("nginx:2"), 1) << describe();
  patchSpec(json::object{{"paused", true}});
  simulation_.advance(30s);
  EXPECT_EQ(specReplicas("nginx:1"), 3) << describe();
  EXPECT_EQ(specReplicas("nginx:2"), 1) << describe();
  EXPECT_EQ(conditionReason(deployment(), "Progressing"), "DeploymentPaused");
  EXPECT_EQ(api::getInt(deployment(), "status.availableReplicas"), 4);

  patchSpec(json::object{{"paused", false}});
  const auto resumed = clock_.now();
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:2", 4); }, 1min)) << describe();
  // Four more steps (new to 2, old to 1, new to 4, old to 0), each a second after the last.
  EXPECT_GE(clock_.now() - resumed, 3s);
}

// New pods that never become ready: the rollout stops where availability allows, and the
// Progressing condition turns False once progressDeadlineSeconds pass without progress.
TEST_F(DeploymentSimulationTest, StalledRolloutExceedsItsProgressDeadline) {
  simulation_.setKubeletFilter([](const json::value& pod) { return imageOf(pod) == "nginx:1"; });
  auto spec = deploymentSpec(4, "nginx:1");
  spec["progressDeadlineSeconds"] = 30;
  cluster_.create(deploymentType(), deploymentOf(spec));
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:1", 4); }, 1min)) << describe();

  setImage("nginx:2");
  const auto changed = clock_.now();
  ASSERT_TRUE(simulation_.runUntil(
      [&] { return conditionReason(deployment(), "Progressing") == "ProgressDeadlineExceeded"; },
      5min))
      << describe();
  // The last progress was the second step (new to 2, after old to 3), a second after the
  // change: 5 pods, 3 available, none may go. The deadline counts from there.
  EXPECT_GE(clock_.now() - changed, 30s);
  EXPECT_LT(clock_.now() - changed, 35s);
  EXPECT_EQ(specReplicas("nginx:1"), 3);
  EXPECT_EQ(specReplicas("nginx:2"), 2) << describe();
  const json::value d = deployment();
  auto* progressing = fakes::condition(d, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(api::getString(*progressing, "status"), "False");
  EXPECT_EQ(
      api::getString(*progressing, "message"),
      "ReplicaSet \"" + api::nameOf(replicaSetFor("nginx:2")) + "\" has timed out progressing.");
}

// Adoption, a rollout, a resize during it, a rollback, history cleanup and a Recreate rollout,
// one after another: every pass of all of them makes at most one kind of change (the fixture
// checks each), and the end state is what each step asked for.
TEST_F(DeploymentSimulationTest, EveryStepOfALongHistoryIsOneChangePerPass) {
  // An orphan the Deployment's selector matches, from before the Deployment.
  json::value orphan = json::object{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", json::object{{"name", "web-orphan"}, {"labels", json::object{{"app", "web"}}}}},
      {"spec",
       json::object{{"replicas", 1},
                    {"selector", json::object{{"matchLabels", json::object{{"app", "web"}}}}},
                    {"template", deploymentSpec(1, "nginx:0").at("template")}}}};
  cluster_.create(fakes::replicaSetType(), orphan);
  simulation_.settle();
  auto spec = deploymentSpec(4, "nginx:1");
  spec["revisionHistoryLimit"] = 1;
  cluster_.create(deploymentType(), deploymentOf(spec));
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:1", 4); }, 1min)) << describe();
  auto adopted = replicaSetFor("nginx:0");
  ASSERT_TRUE(adopted.is_object()) << describe();
  EXPECT_TRUE(isControlledBy(adopted, api::uidOf(deployment())));
  EXPECT_EQ(api::getInt(adopted, "spec.replicas"), 0);

  // A resize in the middle of a rollout.
  setImage("nginx:2");
  simulation_.advance(1500ms);
  ASSERT_GT(specReplicas("nginx:2"), 0) << describe();
  ASSERT_GT(specReplicas("nginx:1"), 0) << describe();
  patchSpec(json::object{{"replicas", 6}});
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:2", 6); }, 1min)) << describe();
  // Two idle ReplicaSets, one allowed: the orphan, at revision 0, went.
  EXPECT_TRUE(cluster_.get(fakes::replicaSetType(), "web-orphan").is_null()) << describe();
  EXPECT_EQ(fakes::annotation(deployment(), fakes::kRevision), "2");

  // `rollout undo`: the first template again, which its ReplicaSet takes up as revision 3.
  json::value first = *api::find(replicaSetFor("nginx:1"), "spec.template");
  api::find(first, "metadata.labels")->as_object().erase(fakes::kHashLabel);
  auto undone = cluster_.registry().patch(
      deploymentType(), "default", "web", api::PatchType::Json,
      json::array{json::object{{"op", "replace"}, {"path", "/spec/template"}, {"value", first}}});
  ASSERT_TRUE(undone.ok()) << undone.error().message;
  ASSERT_TRUE(simulation_.runUntil(
      [&] {
        return rolledOut("nginx:1", 6) && fakes::annotation(deployment(), fakes::kRevision) == "3";
      },
      1min))
      << describe();
  EXPECT_EQ(fakes::annotation(replicaSetFor("nginx:1"), fakes::kRevision), "3");

  // Recreate: the old pods go before any new one starts.
  patchSpec(json::object{
      {"strategy", json::object{{"type", "Recreate"}, {"rollingUpdate", nullptr}}},
      {"template",
       json::object{{"spec", json::object{{"containers", fakes::containers("nginx:3")}}}}}});
  simulation_.onRound([&] {
    if (podImages().count("nginx:3")) {
      EXPECT_EQ(podImages().count("nginx:1"), 0u) << describe();
    }
  });
  ASSERT_TRUE(simulation_.runUntil([&] { return rolledOut("nginx:3", 6); }, 1min)) << describe();
  EXPECT_EQ(replicaSets().size(), 2u) << describe();
  EXPECT_GT(passes_, 0);
}

}  // namespace
}  // namespace sluice::controllers
