// The ReplicaSet controller against the in-memory store through the in-process client. Pods
// never run: the test reports their status as a kubelet would.
#include "controllers/replicaset/replicaset_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "fake_cluster.h"
#include "simulation.h"

namespace sluice::controllers {
namespace {

using namespace std::chrono_literals;
using fakes::podType;
using fakes::replicaSetType;
using fakes::waitFor;

json::value podTemplate(const std::string& app) {
  return json::object{
      {"metadata", json::object{{"labels", json::object{{"app", app}}}}},
      {"spec", json::object{{"containers", json::array{json::object{{"name", "app"},
                                                                    {"image", "nginx:1.25"}}}}}}};
}

json::value replicaSet(const std::string& name, int64_t replicas, int64_t minReadySeconds = 0) {
  json::object spec{{"replicas", replicas},
                    {"selector", json::object{{"matchLabels", json::object{{"app", name}}}}},
                    {"template", podTemplate(name)}};
  if (minReadySeconds > 0) spec["minReadySeconds"] = minReadySeconds;
  return json::object{{"apiVersion", "apps/v1"},
                      {"kind", "ReplicaSet"},
                      {"metadata", json::object{{"name", name}}},
                      {"spec", spec}};
}

json::value pod(const std::string& name, const std::string& app) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", json::object{{"name", name}, {"labels", json::object{{"app", app}}}}},
      {"spec", podTemplate(app).at("spec")}};
}

std::set<std::string> namesOf(const std::vector<json::value>& objects) {
  std::set<std::string> names;
  for (const auto& o : objects) names.insert(api::nameOf(o));
  return names;
}

// Reads and changes the ReplicaSets of a test's cluster; a fixture says which cluster.
class ReplicaSetChecks {
 protected:
  virtual ~ReplicaSetChecks() = default;
  virtual fakes::FakeCluster& cluster() = 0;

  json::value rs(const std::string& name) { return cluster().get(replicaSetType(), name); }
  // Active pods whose controller is the ReplicaSet `name`, by name.
  std::vector<json::value> podsOf(const std::string& name) {
    std::string uid = api::uidOf(rs(name));
    std::vector<json::value> out;
    for (auto& p : cluster().activePods())
      if (isControlledBy(p, uid)) out.push_back(std::move(p));
    std::sort(out.begin(), out.end(), [](const json::value& a, const json::value& b) {
      return api::nameOf(a) < api::nameOf(b);
    });
    return out;
  }
  bool hasPods(const std::string& name, size_t n) { return podsOf(name).size() == n; }
  int64_t status(const std::string& name, const std::string& field) {
    return api::getInt(rs(name), "status." + field);
  }
  void scale(const std::string& name, int64_t replicas) {
    cluster().mergePatch(replicaSetType(), name,
                         json::object{{"spec", json::object{{"replicas", replicas}}}});
  }
  // Writes the pod's status as a kubelet would: the phase, a Ready condition and one container
  // with `restarts` restarts.
  void report(const json::value& p, const std::string& phase, bool ready, int64_t restarts = 0) {
    json::value next = p;
    auto now = api::formatTimestamp(std::chrono::system_clock::now());
    next.as_object()["status"] =
        json::object{{"phase", phase},
                     {"conditions", json::array{json::object{{"type", "Ready"},
                                                             {"status", ready ? "True" : "False"},
                                                             {"lastTransitionTime", now}}}},
                     {"containerStatuses", json::array{json::object{{"name", "app"},
                                                                    {"ready", ready},
                                                                    {"restartCount", restarts},
                                                                    {"image", "nginx:1.25"}}}}};
    auto r = cluster().registry().update(podType(), "default", api::nameOf(p), next, "status");
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
};

class ReplicaSetControllerTest : public ::testing::Test, public ReplicaSetChecks {
 protected:
  void TearDown() override {
    cluster_.informers().stop();
    controller_.stop();
  }
  fakes::FakeCluster& cluster() override { return cluster_; }

  fakes::FakeCluster cluster_;
  ReplicaSetController controller_{cluster_.client(), cluster_.informers(), base::realClock()};
};

TEST_F(ReplicaSetControllerTest, CreatesPodsFromTemplateWithControllerReference) {
  cluster_.startInformers();
  controller_.start();
  auto created = cluster_.create(replicaSetType(), replicaSet("web", 3));
  ASSERT_TRUE(waitFor([&] { return status("web", "replicas") == 3; }));

  auto pods = podsOf("web");
  ASSERT_EQ(pods.size(), 3u);  // exactly: the controller did not act twice on the shortfall
  for (const auto& p : pods) {
    SCOPED_TRACE(api::nameOf(p));
    EXPECT_EQ(api::getString(p, "metadata.generateName"), "web-");
    EXPECT_EQ(api::nameOf(p).rfind("web-", 0), 0u);
    EXPECT_EQ(api::getString(p, "metadata.labels.app"), "web");
    EXPECT_EQ(fakes::imageOf(p), "nginx:1.25");
    const json::value* ref = controllerRef(p);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(api::getString(*ref, "apiVersion"), "apps/v1");
    EXPECT_EQ(api::getString(*ref, "kind"), "ReplicaSet");
    EXPECT_EQ(api::getString(*ref, "name"), "web");
    EXPECT_EQ(api::getString(*ref, "uid"), api::uidOf(created));
    EXPECT_TRUE(api::getBool(*ref, "blockOwnerDeletion"));
  }
}

TEST_F(ReplicaSetControllerTest, ReplacesDeletedPod) {
  cluster_.startInformers();
  controller_.start();
  cluster_.create(replicaSetType(), replicaSet("web", 3));
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 3); }));
  std::string victim = api::nameOf(podsOf("web").front());
  ASSERT_TRUE(cluster_.registry().remove(podType(), "default", victim).ok());

  ASSERT_TRUE(waitFor([&] { return hasPods("web", 3) && !namesOf(podsOf("web")).count(victim); }))
      << podsOf("web").size() << " pods";
  ASSERT_TRUE(waitFor([&] { return status("web", "replicas") == 3; }));
  EXPECT_EQ(podsOf("web").size(), 3u);
}

TEST_F(ReplicaSetControllerTest, ScaleDownDeletesPodsInKubernetesOrder) {
  cluster_.startInformers();
  controller_.start();
  cluster_.create(replicaSetType(), replicaSet("web", 4));
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 4); }));
  auto pods = podsOf("web");
  const std::string healthy = api::nameOf(pods[0]);     // Running, ready
  const std::string restarting = api::nameOf(pods[1]);  // Running, ready, restarted 3 times
  const std::string notReady = api::nameOf(pods[2]);    // Running, not ready
  const std::string pending = api::nameOf(pods[3]);     // never started
  report(pods[2], "Running", false);
  report(pods[1], "Running", true, 3);
  report(pods[0], "Running", true);
  // The controller's cache has seen every report once the status counts the last ones.
  ASSERT_TRUE(waitFor([&] { return status("web", "readyReplicas") == 2; }));

  // Pending and not-ready pods go first...
  scale("web", 2);
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 2); }));
  EXPECT_EQ(namesOf(podsOf("web")), (std::set<std::string>{healthy, restarting}));
  // ...then, among ready pods, the one that restarted more.
  scale("web", 1);
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 1); }));
  EXPECT_EQ(namesOf(podsOf("web")), std::set<std::string>{healthy});
  ASSERT_TRUE(waitFor([&] { return status("web", "replicas") == 1; }));
  EXPECT_EQ(podsOf("web").size(), 1u);
}

TEST_F(ReplicaSetControllerTest, AdoptsMatchingOrphans) {
  // Pods that exist before the controller starts: two orphans the set selects, one it does not,
  // and one controlled by something else.
  cluster_.create(podType(), pod("orphan-1", "web"));
  cluster_.create(podType(), pod("orphan-2", "web"));
  cluster_.create(podType(), pod("stranger", "db"));
  json::value foreign = pod("foreign", "web");
  foreign.as_object()["metadata"].as_object()["ownerReferences"] =
      json::array{json::object{{"apiVersion", "apps/v1"},
                               {"kind", "ReplicaSet"},
                               {"name", "someone-else"},
                               {"uid", "0f0f0f0f-0000-4000-8000-000000000000"},
                               {"controller", true}}};
  cluster_.create(podType(), foreign);
  cluster_.startInformers();
  controller_.start();

  auto created = cluster_.create(replicaSetType(), replicaSet("web", 3));
  ASSERT_TRUE(waitFor([&] { return status("web", "replicas") == 3; }));

  auto owned = namesOf(podsOf("web"));
  EXPECT_EQ(owned.size(), 3u);
  EXPECT_TRUE(owned.count("orphan-1"));
  EXPECT_TRUE(owned.count("orphan-2"));
  auto adopted = cluster_.get(podType(), "orphan-1");
  ASSERT_NE(controllerRef(adopted), nullptr);
  EXPECT_EQ(api::getString(*controllerRef(adopted), "uid"), api::uidOf(created));
  EXPECT_EQ(controllerRef(cluster_.get(podType(), "stranger")), nullptr);
  auto stillForeign = cluster_.get(podType(), "foreign");
  ASSERT_NE(controllerRef(stillForeign), nullptr);
  EXPECT_EQ(api::getString(*controllerRef(stillForeign), "name"), "someone-else");
  EXPECT_EQ(cluster_.activePods().size(), 5u);  // one created, nothing deleted
}

TEST_F(ReplicaSetControllerTest, ReleasesPodWhoseLabelsStopMatching) {
  cluster_.startInformers();
  controller_.start();
  cluster_.create(replicaSetType(), replicaSet("web", 3));
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 3); }));
  std::string leaver = api::nameOf(podsOf("web").front());
  cluster_.mergePatch(
      podType(), leaver,
      json::object{{"metadata", json::object{{"labels", json::object{{"app", "debug"}}}}}});

  ASSERT_TRUE(waitFor([&] { return controllerRef(cluster_.get(podType(), leaver)) == nullptr; }));
  // The released pod lives on, and the set makes up for it.
  ASSERT_TRUE(waitFor([&] { return hasPods("web", 3); }));
  EXPECT_FALSE(namesOf(podsOf("web")).count(leaver));
  auto released = cluster_.get(podType(), leaver);
  ASSERT_TRUE(released.is_object());
  EXPECT_TRUE(isPodActive(released));
  EXPECT_EQ(cluster_.activePods().size(), 4u);
}

// The same controller on a fake clock, driven on the test's thread: no workers, no real waits.
class ReplicaSetControllerSimulatedTest : public ::testing::Test, public ReplicaSetChecks {
 protected:
  void SetUp() override {
    simulation_.add(controller_);
    // Pods stay as created: the test reports their status.
    simulation_.setKubeletFilter([](const json::value&) { return false; });
  }
  fakes::FakeCluster& cluster() override { return cluster_; }

  base::FakeClock clock_;
  fakes::FakeCluster cluster_{clock_};
  ReplicaSetController controller_{cluster_.client(), cluster_.informers(), clock_};
  fakes::Simulation simulation_{cluster_, clock_};
};

TEST_F(ReplicaSetControllerSimulatedTest, StatusCountsReadyAndAvailablePodsAfterMinReadySeconds) {
  cluster_.create(replicaSetType(), replicaSet("web", 3, /*minReadySeconds=*/2));
  simulation_.settle();
  ASSERT_TRUE(hasPods("web", 3));
  EXPECT_EQ(status("web", "replicas"), 3);
  EXPECT_EQ(status("web", "readyReplicas"), 0);
  EXPECT_EQ(status("web", "availableReplicas"), 0);
  EXPECT_EQ(status("web", "fullyLabeledReplicas"), 3);
  EXPECT_EQ(status("web", "observedGeneration"), 1);

  // One pod has been ready for an hour, two turn ready now: with minReadySeconds 2 only the
  // first counts as available until two seconds have passed, with no further event.
  auto now = clock_.now();
  auto pods = podsOf("web");
  ASSERT_TRUE(fakes::markPodReady(cluster_.registry(), pods[0], now - 1h).ok());
  ASSERT_TRUE(fakes::markPodReady(cluster_.registry(), pods[1], now).ok());
  ASSERT_TRUE(fakes::markPodReady(cluster_.registry(), pods[2], now).ok());
  simulation_.settle();
  EXPECT_EQ(status("web", "readyReplicas"), 3);
  EXPECT_EQ(status("web", "availableReplicas"), 1);
  simulation_.advance(1900ms);
  EXPECT_EQ(status("web", "availableReplicas"), 1) << "available before two seconds passed";
  ASSERT_TRUE(simulation_.runUntil([&] { return status("web", "availableReplicas") == 3; }, 1s));
  EXPECT_GE(clock_.now() - now, 2s);
}

TEST_F(ReplicaSetControllerTest, ObservedGenerationFollowsSpecChanges) {
  cluster_.startInformers();
  controller_.start();
  cluster_.create(replicaSetType(), replicaSet("web", 2));
  ASSERT_TRUE(waitFor([&] { return status("web", "replicas") == 2; }));
  EXPECT_EQ(status("web", "observedGeneration"), 1);

  scale("web", 3);
  EXPECT_EQ(api::getInt(rs("web"), "metadata.generation"), 2);
  ASSERT_TRUE(waitFor(
      [&] { return status("web", "observedGeneration") == 2 && status("web", "replicas") == 3; }));
  EXPECT_EQ(podsOf("web").size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// deleteBefore: which of two pods a scale-down removes first.

struct PodState {
  std::string name = "web-a";
  std::string node;  // empty: not scheduled
  std::string phase = "Running";
  std::string ready = "True";  // the Ready condition's status; empty: no condition
  std::vector<int64_t> restarts = {0};
  std::string created = "2026-01-01T00:00:00Z";
};

json::value podWith(const PodState& s) {
  json::array containers;
  for (size_t i = 0; i < s.restarts.size(); ++i)
    containers.push_back(
        json::object{{"name", "c" + std::to_string(i)}, {"restartCount", s.restarts[i]}});
  json::object status{{"containerStatuses", containers}};
  if (!s.phase.empty()) status["phase"] = s.phase;
  if (!s.ready.empty())
    status["conditions"] = json::array{json::object{{"type", "Ready"}, {"status", s.ready}}};
  json::object spec;
  if (!s.node.empty()) spec["nodeName"] = s.node;
  return json::object{
      {"metadata", json::object{{"name", s.name}, {"creationTimestamp", s.created}}},
      {"spec", spec},
      {"status", status}};
}

struct DeleteOrderCase {
  std::string name;
  PodState first;   // deleted first
  PodState second;  // kept longer
};

void PrintTo(const DeleteOrderCase& c, std::ostream* os) {
  *os << c.name;
}

class ReplicaSetControllerDeleteBeforeTest : public ::testing::TestWithParam<DeleteOrderCase> {};

TEST_P(ReplicaSetControllerDeleteBeforeTest, OrdersPods) {
  auto a = podWith(GetParam().first);
  auto b = podWith(GetParam().second);
  EXPECT_TRUE(deleteBefore(a, b));
  EXPECT_FALSE(deleteBefore(b, a));
  EXPECT_FALSE(deleteBefore(a, a));
}

PodState with(std::function<void(PodState&)> change) {
  PodState s;
  change(s);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReplicaSetControllerDeleteBeforeTest,
    ::testing::Values(
        DeleteOrderCase{"UnscheduledBeforeScheduled", with([](PodState&) {}),
                        with([](PodState& s) { s.node = "node-1"; })},
        DeleteOrderCase{"SchedulingOutranksPhase", with([](PodState& s) { s.phase = "Running"; }),
                        with([](PodState& s) {
                          s.node = "node-1";
                          s.phase = "Pending";
                          s.ready = "False";
                        })},
        DeleteOrderCase{"PendingBeforeRunning", with([](PodState& s) {
                          s.phase = "Pending";
                          s.ready = "False";
                        }),
                        with([](PodState&) {})},
        DeleteOrderCase{"PendingBeforeUnknown", with([](PodState& s) { s.phase = "Pending"; }),
                        with([](PodState& s) { s.phase = "Unknown"; })},
        DeleteOrderCase{"UnknownBeforeRunning", with([](PodState& s) { s.phase = "Unknown"; }),
                        with([](PodState&) {})},
        DeleteOrderCase{"NoPhaseCountsAsPending", with([](PodState& s) { s.phase = ""; }),
                        with([](PodState& s) { s.phase = "Unknown"; })},
        DeleteOrderCase{"PhaseOutranksReadiness", with([](PodState& s) { s.phase = "Pending"; }),
                        with([](PodState& s) { s.ready = "False"; })},
        DeleteOrderCase{"NotReadyBeforeReady", with([](PodState& s) { s.ready = "False"; }),
                        with([](PodState&) {})},
        DeleteOrderCase{"NoReadyConditionIsNotReady", with([](PodState& s) { s.ready = ""; }),
                        with([](PodState&) {})},
        DeleteOrderCase{"ReadinessOutranksRestarts", with([](PodState& s) { s.ready = "False"; }),
                        with([](PodState& s) { s.restarts = {10}; })},
        DeleteOrderCase{"MoreRestartsFirst", with([](PodState& s) { s.restarts = {5}; }),
                        with([](PodState& s) { s.restarts = {1}; })},
        DeleteOrderCase{"RestartsOfTheMostRestartedContainer", with([](PodState& s) {
                          s.restarts = {0, 4};
                        }),
                        with([](PodState& s) {
                          s.restarts = {3, 3};
                        })},
        DeleteOrderCase{"RestartsOutrankAge", with([](PodState& s) { s.restarts = {2}; }),
                        with([](PodState& s) { s.created = "2026-01-02T00:00:00Z"; })},
        DeleteOrderCase{"NewerFirst", with([](PodState& s) { s.created = "2026-01-02T00:00:00Z"; }),
                        with([](PodState&) {})},
        DeleteOrderCase{"EqualPodsOrderedByName", with([](PodState& s) { s.name = "web-b"; }),
                        with([](PodState&) {})}),
    [](const ::testing::TestParamInfo<DeleteOrderCase>& info) { return info.param.name; });

TEST(ReplicaSetControllerDeleteOrderTest, SortsSurplusPodsForDeletion) {
  std::vector<json::value> pods{
      podWith(with([](PodState& s) { s.name = "old-ready"; })),
      podWith(with([](PodState& s) {
        s.name = "scheduled-pending";
        s.node = "node-1";
        s.phase = "Pending";
        s.ready = "False";
      })),
      podWith(with([](PodState& s) {
        s.name = "new-ready";
        s.created = "2026-01-03T00:00:00Z";
      })),
      podWith(with([](PodState& s) {
        s.name = "crashing";
        s.restarts = {7};
      })),
      podWith(with([](PodState& s) {
        s.name = "not-ready";
        s.ready = "False";
      })),
      podWith(with([](PodState& s) {
        s.name = "pending";
        s.phase = "Pending";
        s.ready = "False";
      })),
  };
  std::sort(pods.begin(), pods.end(), deleteBefore);
  std::vector<std::string> order;
  for (const auto& p : pods) order.push_back(api::nameOf(p));
  EXPECT_EQ(order, (std::vector<std::string>{"pending", "not-ready", "crashing", "new-ready",
                                             "old-ready", "scheduled-pending"}));
}

}  // namespace
}  // namespace sluice::controllers
