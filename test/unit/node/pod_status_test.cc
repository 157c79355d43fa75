#include "node/pod_status.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "api/object.h"

namespace sluice::node {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

// "a.b.0.c": the value at that path (array indexes as numbers), strings unquoted, anything else
// as JSON; "<absent>" when some step is missing.
std::string at(const json::value& v, const std::string& path) {
  const json::value* cur = &v;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string step =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur->is_array()) {
      size_t i = std::stoul(step);
      if (i >= cur->as_array().size()) return "<absent>";
      cur = &cur->as_array()[i];
    } else if (cur->is_object() && cur->as_object().contains(step)) {
      cur = &cur->as_object().at(step);
    } else {
      return "<absent>";
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur->is_string() ? std::string(cur->as_string()) : json::serialize(*cur);
}

// The condition of `type` in a status.
json::value condition(const json::value& status, const std::string& type) {
  for (const auto& c : status.at("conditions").as_array())
    if (api::getString(c, "type") == type) return c;
  return nullptr;
}

json::value pod(const std::string& restartPolicy, const std::string& containers) {
  return json::parse(R"({"metadata":{"name":"web","namespace":"default","uid":"uid-1"},
                         "spec":{"restartPolicy":")" +
                     restartPolicy + R"(","containers":)" + containers + "}}");
}

const std::string kMain = R"([{"name":"main","image":"nginx:v1"}])";
const std::string kReadiness =
    R"([{"name":"main","image":"nginx:v1","readinessProbe":{"exec":{"command":["true"]}}}])";
const std::string kStartup =
    R"([{"name":"main","image":"nginx:v1","startupProbe":{"exec":{"command":["true"]}},
        "readinessProbe":{"exec":{"command":["true"]}}}])";
const std::string kTwo = R"([{"name":"a","image":"x"},{"name":"b","image":"y"}])";

PodRuntime runtime(std::function<void(PodRuntime&)> edit = {}) {
  PodRuntime rt;
  rt.key = "default/web";
  rt.uid = "uid-1";
  rt.ns = "default";
  rt.name = "web";
  rt.ip = "127.42.0.7";
  rt.startTime = "2024-01-01T00:00:00Z";
  if (edit) edit(rt);
  return rt;
}

ContainerRuntime running(int64_t restarts = 0) {
  ContainerRuntime c;
  c.name = "main";
  c.pid = 4242;
  c.running = true;
  c.everStarted = true;
  c.startedAt = "2024-01-01T00:00:05Z";
  c.restartCount = restarts;
  return c;
}

ContainerRuntime exited(int exitCode, int signal, std::chrono::seconds backoff,
                        int64_t restarts = 0) {
  ContainerRuntime c;
  c.name = "main";
  c.everStarted = true;
  c.restartCount = restarts;
  c.backoff = backoff;
  c.last = Termination{exitCode, signal, exitCode == 0 ? "Completed" : "Error",
                       "2024-01-01T00:00:05Z", "2024-01-01T00:00:09Z"};
  return c;
}

ContainerRuntime waiting(const std::string& reason, const std::string& message) {
  ContainerRuntime c;
  c.name = "main";
  c.waitingReason = reason;
  c.waitingMessage = message;
  return c;
}

struct Case {
  std::string name;
  json::value pod;
  PodRuntime rt;
  std::vector<std::pair<std::string, std::string>> want;  // path in status -> value
};

TEST(PodStatus, PhasesStatesAndReadiness) {
  const std::string cs = "containerStatuses.0.";
  std::vector<Case> cases = {
      {"a container not started yet is ContainerCreating",
       pod("Always", kMain),
       runtime(),
       {{"phase", "Pending"},
        {cs + "state.waiting.reason", "ContainerCreating"},
        {cs + "ready", "false"},
        {cs + "started", "false"},
        {cs + "restartCount", "0"},
        {cs + "lastState", "{}"},
        {cs + "containerID", "<absent>"},
        {cs + "image", "nginx:v1"},
        {cs + "imageID", "sluice-catalog://nginx:v1"},
        {"podIP", "127.42.0.7"},
        {"podIPs.0.ip", "127.42.0.7"},
        {"hostIP", "127.0.0.1"},
        {"startTime", "2024-01-01T00:00:00Z"},
        {"qosClass", "BestEffort"}}},
      {"running without probes is ready",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = running(); }),
       {{"phase", "Running"},
        {cs + "state.running.startedAt", "2024-01-01T00:00:05Z"},
        {cs + "ready", "true"},
        {cs + "started", "true"},
        {cs + "containerID", "sluice://4242"}}},
      {"running before its readiness probe passed is not ready",
       pod("Always", kReadiness),
       runtime([](PodRuntime& rt) { rt.containers["main"] = running(); }),
       {{"phase", "Running"}, {cs + "ready", "false"}, {cs + "started", "true"}}},
      {"running with a passing readiness probe is ready",
       pod("Always", kReadiness),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] = running();
         rt.containers["main"].readinessPassed = true;
       }),
       {{cs + "ready", "true"}, {cs + "started", "true"}}},
      {"before the startup probe passes: not started, not ready even if readiness passed",
       pod("Always", kStartup),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] = running();
         rt.containers["main"].readinessPassed = true;
       }),
       {{"phase", "Running"}, {cs + "started", "false"}, {cs + "ready", "false"}}},
      {"startup and readiness passed",
       pod("Always", kStartup),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] = running();
         rt.containers["main"].startupPassed = true;
         rt.containers["main"].readinessPassed = true;
       }),
       {{cs + "started", "true"}, {cs + "ready", "true"}}},
      {"an unknown image is ErrImagePull with its message",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] =
             waiting("ErrImagePull", "image \"nginx:v1\" is not in the catalog");
       }),
       {{"phase", "Pending"},
        {cs + "state.waiting.reason", "ErrImagePull"},
        {cs + "state.waiting.message", "image \"nginx:v1\" is not in the catalog"},
        {cs + "lastState", "{}"}}},
      {"then ImagePullBackOff",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] = waiting("ImagePullBackOff", "Back-off pulling image");
       }),
       {{"phase", "Pending"},
        {cs + "state.waiting.reason", "ImagePullBackOff"},
        {cs + "state.waiting.message", "Back-off pulling image"}}},
      {"a spawn failure is RunContainerError",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) {
         rt.containers["main"] = waiting("RunContainerError", "exec: no such file");
       }),
       {{cs + "state.waiting.reason", "RunContainerError"},
        {cs + "state.waiting.message", "exec: no such file"}}},
      {"a waiting reason without a message has no message",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = waiting("RunContainerError", ""); }),
       {{cs + "state.waiting.message", "<absent>"}}},
      {"a crashed container that restarts is CrashLoopBackOff, the pod still Running",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(1, 0, seconds(20), 2); }),
       {{"phase", "Running"},
        {cs + "state.waiting.reason", "CrashLoopBackOff"},
        {cs + "state.waiting.message",
         "back-off 10s restarting failed container=main pod=web_default(uid-1)"},
        {cs + "restartCount", "2"},
        {cs + "ready", "false"},
        {cs + "lastState.terminated.exitCode", "1"},
        {cs + "lastState.terminated.reason", "Error"},
        {cs + "lastState.terminated.startedAt", "2024-01-01T00:00:05Z"},
        {cs + "lastState.terminated.finishedAt", "2024-01-01T00:00:09Z"},
        {cs + "lastState.terminated.signal", "<absent>"}}},
      {"CrashLoopBackOff reports the current back-off (half the next one)",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(1, 0, seconds(80), 4); }),
       {{cs + "state.waiting.message",
         "back-off 40s restarting failed container=main pod=web_default(uid-1)"}}},
      {"no back-off yet (adopted after a server restart) reports 10s",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(1, 0, seconds(0), 1); }),
       {{cs + "state.waiting.message",
         "back-off 10s restarting failed container=main pod=web_default(uid-1)"}}},
      {"between the first crash and its immediate restart: half the next back-off",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(1, 0, seconds(10), 0); }),
       {{cs + "state.waiting.message",
         "back-off 5s restarting failed container=main pod=web_default(uid-1)"}}},
      {"Always restarts even a clean exit",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(0, 0, seconds(10)); }),
       {{"phase", "Running"}, {cs + "state.waiting.reason", "CrashLoopBackOff"}}},
      {"Never: a clean exit is Succeeded and terminated",
       pod("Never", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(0, 0, seconds(10)); }),
       {{"phase", "Succeeded"},
        {cs + "state.terminated.exitCode", "0"},
        {cs + "state.terminated.reason", "Completed"},
        {cs + "state.terminated.containerID", "sluice://uid-1/main"},
        {cs + "lastState", "{}"},
        {"conditions.2.type", "Ready"},
        {"conditions.2.status", "False"}}},
      {"Never: a failed exit is Failed, with the signal that killed it",
       pod("Never", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(137, 9, seconds(10)); }),
       {{"phase", "Failed"},
        {cs + "state.terminated.exitCode", "137"},
        {cs + "state.terminated.signal", "9"},
        {cs + "state.terminated.reason", "Error"}}},
      {"OnFailure: a clean exit is Succeeded",
       pod("OnFailure", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(0, 0, seconds(10)); }),
       {{"phase", "Succeeded"}, {cs + "state.terminated.reason", "Completed"}}},
      {"OnFailure: a failed exit restarts",
       pod("OnFailure", kMain),
       runtime([](PodRuntime& rt) { rt.containers["main"] = exited(2, 0, seconds(10)); }),
       {{"phase", "Running"}, {cs + "state.waiting.reason", "CrashLoopBackOff"}}},
      {"running again after a restart: restartCount and the last termination",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) {
         auto c = running(1);
         c.last = Termination{137, 9, "Error", "2024-01-01T00:00:01Z", "2024-01-01T00:00:04Z"};
         rt.containers["main"] = c;
       }),
       {{"phase", "Running"},
        {cs + "restartCount", "1"},
        {cs + "state.running.startedAt", "2024-01-01T00:00:05Z"},
        {cs + "lastState.terminated.exitCode", "137"},
        {cs + "lastState.terminated.signal", "9"},
        {cs + "lastState.terminated.finishedAt", "2024-01-01T00:00:04Z"}}},
      {"an OOM kill is reported as such",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) {
         auto c = exited(137, 9, seconds(10), 1);
         c.last->reason = "OOMKilled";
         rt.containers["main"] = c;
       }),
       {{cs + "lastState.terminated.reason", "OOMKilled"}}},
      {"a pod without an address reports none",
       pod("Always", kMain),
       runtime([](PodRuntime& rt) { rt.ip.clear(); }),
       {{"podIP", "<absent>"}, {"podIPs", "<absent>"}}},
      {"Pending until every container has started once",
       pod("Always", kTwo),
       runtime([](PodRuntime& rt) {
         auto a = running();
         a.name = "a";
         rt.containers["a"] = a;
       }),
       {{"phase", "Pending"},
        {"containerStatuses.0.name", "a"},
        {"containerStatuses.0.ready", "true"},
        {"containerStatuses.1.name", "b"},
        {"containerStatuses.1.state.waiting.reason", "ContainerCreating"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = computePodStatus(c.pod, c.rt, base::WallTime{});
    for (const auto& [path, value] : c.want) EXPECT_EQ(at(got.status, path), value) << path;
  }
}

TEST(PodStatus, ConditionsInKubeletOrderWithTheUnreadyContainersNamed) {
  auto rt = runtime([](PodRuntime& rt) {
    auto a = running();
    a.name = "a";
    rt.containers["a"] = a;
    auto b = running();
    b.name = "b";
    rt.containers["b"] = b;
  });
  auto p = pod("Always", R"([{"name":"a","image":"x"},
      {"name":"b","image":"y","readinessProbe":{"exec":{"command":["true"]}}}])");
  auto got = computePodStatus(p, rt, base::WallTime{});
  std::vector<std::string> order;
  for (const auto& c : got.status.at("conditions").as_array())
    order.push_back(api::getString(c, "type"));
  EXPECT_EQ(order, (std::vector<std::string>{"PodReadyToStartContainers", "Initialized", "Ready",
                                             "ContainersReady", "PodScheduled"}));
  for (const char* type : {"PodScheduled", "Initialized", "PodReadyToStartContainers"}) {
    auto c = condition(got.status, type);
    EXPECT_EQ(at(c, "status"), "True") << type;
    EXPECT_EQ(at(c, "reason"), "<absent>") << type;
    EXPECT_EQ(at(c, "lastProbeTime"), "null") << type;
  }
  for (const char* type : {"Ready", "ContainersReady"}) {
    auto c = condition(got.status, type);
    EXPECT_EQ(at(c, "status"), "False") << type;
    EXPECT_EQ(at(c, "reason"), "ContainersNotReady") << type;
    EXPECT_EQ(at(c, "message"), "containers with unready status: [b]") << type;
  }
  rt.containers["a"].running = false;  // (not started: still counts as unready)
  got = computePodStatus(p, rt, base::WallTime{});
  EXPECT_EQ(at(condition(got.status, "Ready"), "message"), "containers with unready status: [a b]");
}

TEST(PodStatus, LastTransitionTimeMovesOnlyWhenAConditionChanges) {
  base::WallTime t0 = base::WallTime{} + std::chrono::hours(24 * 365 * 54);
  auto t1 = t0 + seconds(7), t2 = t0 + seconds(30), t3 = t0 + seconds(90);
  auto p = pod("Always", kReadiness);
  auto rt = runtime([](PodRuntime& rt) { rt.containers["main"] = running(); });

  auto first = computePodStatus(p, rt, t0);
  EXPECT_EQ(at(condition(first.status, "Ready"), "lastTransitionTime"), api::formatTimestamp(t0));
  rt.conditions = first.conditions;

  // Nothing changed: every time is kept.
  auto same = computePodStatus(p, rt, t1);
  EXPECT_EQ(same.status, first.status);
  rt.conditions = same.conditions;

  // The readiness probe passes: Ready and ContainersReady move, the others keep t0.
  rt.containers["main"].readinessPassed = true;
  auto ready = computePodStatus(p, rt, t2);
  for (const char* type : {"Ready", "ContainersReady"}) {
    EXPECT_EQ(at(condition(ready.status, type), "status"), "True") << type;
    EXPECT_EQ(at(condition(ready.status, type), "lastTransitionTime"), api::formatTimestamp(t2))
        << type;
  }
  for (const char* type : {"PodScheduled", "Initialized", "PodReadyToStartContainers"})
    EXPECT_EQ(at(condition(ready.status, type), "lastTransitionTime"), api::formatTimestamp(t0))
        << type;
  rt.conditions = ready.conditions;

  // And fails again.
  rt.containers["main"].readinessPassed = false;
  auto unready = computePodStatus(p, rt, t3);
  EXPECT_EQ(at(condition(unready.status, "Ready"), "status"), "False");
  EXPECT_EQ(at(condition(unready.status, "Ready"), "lastTransitionTime"), api::formatTimestamp(t3));
  // The input is not changed: the caller keeps the result's conditions.
  EXPECT_EQ(rt.conditions.at("Ready").lastTransitionTime, api::formatTimestamp(t2));
}

TEST(PodStatus, QosClass) {
  struct QosCase {
    std::string name, containers, want;
  };
  std::vector<QosCase> cases = {
      {"nothing requested", kMain, "BestEffort"},
      {"limits only (requests default to them)",
       R"([{"name":"a","resources":{"limits":{"cpu":"100m","memory":"200Mi"}}}])", "Guaranteed"},
      {"requests equal to limits",
       R"([{"name":"a","resources":{"limits":{"cpu":1,"memory":"200Mi"},
                                    "requests":{"cpu":1,"memory":"200Mi"}}}])",
       "Guaranteed"},
      {"requests below limits",
       R"([{"name":"a","resources":{"limits":{"cpu":"200m","memory":"200Mi"},
                                    "requests":{"cpu":"100m","memory":"200Mi"}}}])",
       "Burstable"},
      {"requests only", R"([{"name":"a","resources":{"requests":{"cpu":"100m"}}}])", "Burstable"},
      {"one container limited, another not",
       R"([{"name":"a","resources":{"limits":{"cpu":"100m","memory":"200Mi"}}},{"name":"b"}])",
       "Burstable"},
  };
  for (const auto& c : cases) EXPECT_EQ(qosClass(pod("Always", c.containers)), c.want) << c.name;
}

}  // namespace
}  // namespace sluice::node
