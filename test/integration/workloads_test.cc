// Workloads end to end: Deployments and ReplicaSets through to pods running as local processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <regex>
#include <set>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

// The seed's image catalog (and `extraCatalog`) on loopback ranges of the test's own.

std::vector<std::string> serverArgs(const std::string& extraCatalog = "") {
  auto args = seedServerArgs();
  if (!extraCatalog.empty()) {
    args.push_back("--image-catalog");
    args.push_back(extraCatalog);
  }
  return args;
}

json::value getJson(Server& s, const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.push_back("-o");
  a.push_back("json");
  auto r = s.sluice(a);
  if (r.exitCode != 0) return nullptr;
  boost::system::error_code ec;
  auto v = json::parse(r.out, ec);
  return ec ? json::value() : v;
}

std::string str(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* cur = &v;
  for (const char* p : path) {
    if (!cur->is_object() || !cur->as_object().contains(p)) return "";
    cur = &cur->as_object().at(p);
  }
  if (cur->is_string()) return std::string(cur->as_string());
  if (cur->is_int64()) return std::to_string(cur->as_int64());
  if (cur->is_bool()) return cur->as_bool() ? "true" : "false";
  return json::serialize(*cur);
}

bool podReady(const json::value& pod) {
  auto* conds = pod.as_object().at("status").as_object().if_contains("conditions");
  if (!conds) return false;
  for (const auto& c : conds->as_array())
    if (str(c, {"type"}) == "Ready") return str(c, {"status"}) == "True";
  return false;
}

std::vector<json::value> pods(Server& s, const std::vector<std::string>& selector) {
  std::vector<std::string> args{"get", "pods"};
  args.insert(args.end(), selector.begin(), selector.end());
  auto list = getJson(s, args);
  std::vector<json::value> out;
  if (list.is_object())
    for (const auto& p : list.at("items").as_array()) out.push_back(p);
  return out;
}

std::string curlPod(const std::string& ip, int port = 80) {
  auto r = run({"curl", "-s", "-m", "5", "http://" + ip + ":" + std::to_string(port) + "/"});
  return r.out;
}

TEST(WorkloadsTest, SeedPodsRunOnTheirOwnIpsAndAnswer) {
  Server server("", serverArgs());
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v2.yaml")}).exitCode, 0);
  std::vector<json::value> running;
  ASSERT_TRUE(waitFor(
      [&] {
        running = pods(server, {"-l", "app=nginx"});
        if (running.size() != 4) return false;
        for (const auto& p : running)
          if (str(p, {"status", "phase"}) != "Running" || !podReady(p)) return false;
        return true;
      },
      std::chrono::seconds(30)));
  std::set<std::string> ips;
  for (const auto& p : running) {
    std::string ip = str(p, {"status", "podIP"});
    ips.insert(ip);
    std::string version = str(p, {"metadata", "labels", "version"});
    // Ready means started (no readiness probe here); the process may still be binding.
    std::string want = version == "v1" ? "Nginx-v1\n" : "Nginx-v2\n";
    EXPECT_TRUE(waitFor([&] { return curlPod(ip) == want; })) << ip;
    EXPECT_EQ(str(p, {"spec", "nodeName"}), "sluice-node");
  }
  EXPECT_EQ(ips.size(), 4u);
  // -o wide shows IP and NODE.
  auto r = server.sluice({"get", "pods", "-o", "wide"});
  EXPECT_NE(r.out.find("sluice-node"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(*ips.begin()), std::string::npos);
  // Deployment status follows.
  auto d = getJson(server, {"get", "deploy", "nginx-v1"});
  EXPECT_TRUE(waitFor([&] {
    d = getJson(server, {"get", "deploy", "nginx-v1"});
    return str(d, {"status", "availableReplicas"}) == "2" &&
           str(d, {"status", "observedGeneration"}) == "1";
  }));
  EXPECT_EQ(str(d, {"metadata", "annotations", "deployment.kubernetes.io/revision"}), "1");
  // Logs of a pod.
  r = server.sluice({"logs", str(running[0], {"metadata", "name"})});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("listening"), std::string::npos) << r.out;
  // Scale down removes pods; scale up adds them.
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=1"}).exitCode, 0);
  EXPECT_TRUE(waitFor(
      [&] {
        return pods(server, {"-l", "version=v1"}).size() == 1;
      },
      std::chrono::seconds(60)));
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=3"}).exitCode, 0);
  EXPECT_TRUE(waitFor(
      [&] {
        auto ps = pods(server, {"-l", "version=v1"});
        return ps.size() == 3 && std::all_of(ps.begin(), ps.end(), podReady);
      },
      std::chrono::seconds(30)));
}

// The seed's rolling-update canary: set image + pause leaves exactly one new pod.
void rollingCanary(Server& server,
                   const std::function<ProcessResult(std::vector<std::string>)>& k) {
  ASSERT_EQ(k({"apply", "-f", seedFile("myapp.yaml")}).exitCode, 0);
  auto st = k({"rollout", "status", "deployment", "myapp-v1", "-n", "blue-green", "--timeout=90s"});
  ASSERT_EQ(st.exitCode, 0) << st.out << st.err;
  EXPECT_NE(st.out.find("deployment \"myapp-v1\" successfully rolled out"), std::string::npos)
      << st.out;

  Background watch({sluiceBinary(), "--kubeconfig", server.kubeconfig(), "get", "pods", "-l",
                    "app=myapp", "-n", "blue-green", "-w"});
  auto r = k({"set", "image", "deployment", "myapp-v1", "myapp=myapp:v2", "-n", "blue-green"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/myapp-v1 image updated\n");
  r = k({"rollout", "pause", "deployment", "myapp-v1", "-n", "blue-green"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/myapp-v1 paused\n");

  auto countByImage = [&] {
    std::map<std::string, int> n;
    for (const auto& p : pods(server, {"-l", "app=myapp", "-n", "blue-green"})) {
      if (p.at("metadata").as_object().contains("deletionTimestamp")) continue;
      n[str(p.at("spec").at("containers").as_array()[0], {"image"})]++;
    }
    return n;
  };
  // 4 replicas, 25% surge rounds up to 1, 25% unavailable rounds down to 1: one new pod, three
  // old; and it stays so while paused, past minReadySeconds.
  ASSERT_TRUE(waitFor(
      [&] {
        auto n = countByImage();
        return n["myapp:v2"] == 1 && n["myapp:v1"] == 3;
      },
      std::chrono::seconds(30)));
  auto d = getJson(server, {"get", "deploy", "myapp-v1", "-n", "blue-green"});
  ASSERT_TRUE(waitFor(
      [&] {
        d = getJson(server, {"get", "deploy", "myapp-v1", "-n", "blue-green"});
        return str(d, {"status", "availableReplicas"}) == "4";
      },
      std::chrono::seconds(40)));
  auto n = countByImage();
  EXPECT_EQ(n["myapp:v2"], 1);
  EXPECT_EQ(n["myapp:v1"], 3);
  EXPECT_NE(str(d, {"status", "conditions"}).find("DeploymentPaused"), std::string::npos);
  // The canary answers with the new version.
  bool sawV2 = false;
  for (const auto& p : pods(server, {"-l", "app=myapp", "-n", "blue-green"}))
    if (str(p.at("spec").at("containers").as_array()[0], {"image"}) == "myapp:v2")
      sawV2 = curlPod(str(p, {"status", "podIP"})) == "myapp-v2\n";
  EXPECT_TRUE(sawV2);

  r = k({"rollout", "resume", "deployment", "myapp-v1", "-n", "blue-green"});
  EXPECT_EQ(r.out, "deployment.apps/myapp-v1 resumed\n") << r.err;
  st = k({"rollout", "status", "deployment", "myapp-v1", "-n", "blue-green", "--timeout=120s"});
  ASSERT_EQ(st.exitCode, 0) << st.out << st.err;
  EXPECT_NE(st.out.find("successfully rolled out"), std::string::npos);
  EXPECT_TRUE(waitFor(
      [&] {
        auto m = countByImage();
        return m["myapp:v2"] == 4 && m["myapp:v1"] == 0;
      },
      std::chrono::seconds(30)));
  // The watch saw the transitions (new pods appearing, old ones terminating).
  EXPECT_TRUE(waitFor([&] {
    std::string out = watch.out();
    return std::count(out.begin(), out.end(), '\n') > 8;
  })) << watch.out();

  r = k({"rollout", "history", "deployment", "myapp-v1", "-n", "blue-green"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("REVISION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 "), std::string::npos);
  EXPECT_NE(r.out.find("2 "), std::string::npos);

  r = k({"rollout", "undo", "deployment", "myapp-v1", "-n", "blue-green"});
  EXPECT_EQ(r.out, "deployment.apps/myapp-v1 rolled back\n") << r.err;
  st = k({"rollout", "status", "deployment", "myapp-v1", "-n", "blue-green", "--timeout=120s"});
  EXPECT_EQ(st.exitCode, 0) << st.out << st.err;
  EXPECT_TRUE(waitFor(
      [&] {
        auto m = countByImage();
        return m["myapp:v1"] == 4 && m["myapp:v2"] == 0;
      },
      std::chrono::seconds(30)));
  // Rolling back reuses the old ReplicaSet and renumbers it: revisions 2 and 3.
  r = k({"rollout", "history", "deployment", "myapp-v1", "-n", "blue-green"});
  EXPECT_NE(r.out.find("3 "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\n1 "), std::string::npos) << r.out;
}

TEST(WorkloadsTest, RollingUpdateCanaryWithSluice) {
  Server server("", serverArgs());
  rollingCanary(server, [&](std::vector<std::string> a) { return server.sluice(a); });
}

TEST(WorkloadsTest, RollingUpdateCanaryWithKubectl133) {
  SLUICE_REQUIRE_KUBECTL("1.33");
  Server server("", serverArgs());
  rollingCanary(server, [&](std::vector<std::string> a) { return *server.kubectl("1.33", a); });
}

class PodLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writeFile(dir.path() + "/images.yaml",
              "images:\n"
              "  - image: sleeper\n"
              "    command: [\"/bin/sleep\", \"3600\"]\n"
              "  - image: flaky-ready\n"
              "    command: [\"{sluice}\", \"http-echo\", \"--text\", \"hi\"]\n"
              "  - image: hog\n"
              "    command: [\"/bin/sh\", \"-c\", \"head -c 400000000 /dev/zero | tail\"]\n");
    server = std::make_unique<Server>("", serverArgs(dir.path() + "/images.yaml"));
  }
  json::value waitPod(const std::string& name, const std::function<bool(const json::value&)>& cond,
                      std::chrono::seconds timeout = std::chrono::seconds(30)) {
    json::value pod;
    waitFor(
        [&] {
          pod = getJson(*server, {"get", "pod", name});
          return pod.is_object() && cond(pod);
        },
        timeout);
    return pod;
  }
  std::string podYaml(const std::string& name, const std::string& image,
                      const std::string& extra = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
           "\nspec:\n  containers:\n  - name: main\n    image: " + image + "\n" + extra;
  }
  TempDir dir;
  std::unique_ptr<Server> server;
};

TEST_F(PodLifecycleTest, KilledProcessRestartsWithBackoffAndCount) {
  ASSERT_EQ(server->sluice({"apply", "-f", "-"}, podYaml("sleeper", "sleeper")).exitCode, 0);
  auto pod = waitPod("sleeper", [](const json::value& p) { return podReady(p); });
  auto cid = str(pod.at("status").at("containerStatuses").as_array()[0], {"containerID"});
  ASSERT_EQ(cid.rfind("sluice://", 0), 0u) << cid;
  pid_t pid = std::atoi(cid.c_str() + 9);
  ASSERT_GT(pid, 1);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  pod = waitPod("sleeper", [](const json::value& p) {
    return str(p.at("status").at("containerStatuses").as_array()[0], {"restartCount"}) == "1" &&
           podReady(p);
  });
  auto cs = pod.at("status").at("containerStatuses").as_array()[0];
  EXPECT_EQ(str(cs, {"restartCount"}), "1");
  EXPECT_EQ(str(cs, {"lastState", "terminated", "exitCode"}), "137");
  // A second crash right away waits out the back-off: CrashLoopBackOff.
  pid = std::atoi(str(cs, {"containerID"}).c_str() + 9);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  pod = waitPod("sleeper", [](const json::value& p) {
    return str(p.at("status").at("containerStatuses").as_array()[0],
               {"state", "waiting", "reason"}) == "CrashLoopBackOff";
  });
  EXPECT_EQ(
      str(pod.at("status").at("containerStatuses").as_array()[0], {"state", "waiting", "reason"}),
      "CrashLoopBackOff");
  auto r = server->sluice({"get", "pods"});
  EXPECT_NE(r.out.find("CrashLoopBackOff"), std::string::npos) << r.out;
  r = server->sluice({"describe", "pod", "sleeper"});
  EXPECT_NE(r.out.find("Restart Count:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Started"), std::string::npos) << r.out;
}

TEST_F(PodLifecycleTest, UnknownImageIsImagePullBackOff) {
  ASSERT_EQ(server->sluice({"apply", "-f", "-"}, podYaml("bad", "no-such-image:v9")).exitCode, 0);
  auto pod = waitPod("bad", [](const json::value& p) {
    auto* cs = p.at("status").as_object().if_contains("containerStatuses");
    return cs && str(cs->as_array()[0], {"state", "waiting", "reason"}) == "ImagePullBackOff";
  });
  auto cs = pod.at("status").at("containerStatuses").as_array()[0];
  EXPECT_EQ(str(cs, {"state", "waiting", "reason"}), "ImagePullBackOff");
  EXPECT_NE(str(cs, {"state", "waiting", "message"}).find("no-such-image:v9"), std::string::npos);
  EXPECT_NE(str(cs, {"state", "waiting", "message"}).find("images.yaml"), std::string::npos);
  EXPECT_EQ(str(pod, {"status", "phase"}), "Pending");
}

TEST_F(PodLifecycleTest, FailingReadinessProbeRemovesReady) {
  std::string probe =
      "    readinessProbe:\n      exec:\n        command: [\"/bin/sh\", \"-c\", \"test -f " +
      dir.path() + "/ready\"]\n      periodSeconds: 1\n      failureThreshold: 1\n";
  writeFile(dir.path() + "/ready", "");
  ASSERT_EQ(server->sluice({"apply", "-f", "-"}, podYaml("probed", "sleeper", probe)).exitCode, 0);
  auto pod = waitPod("probed", podReady);
  ASSERT_TRUE(podReady(pod));
  ::unlink((dir.path() + "/ready").c_str());
  pod = waitPod("probed", [](const json::value& p) { return !podReady(p); });
  EXPECT_FALSE(podReady(pod));
  EXPECT_EQ(str(pod, {"status", "phase"}), "Running");
  auto r = server->sluice({"describe", "pod", "probed"});
  EXPECT_NE(r.out.find("Readiness probe failed"), std::string::npos) << r.out;
}

TEST_F(PodLifecycleTest, MemoryHogOverItsLimitIsKilled) {
  std::string limits = "    resources:\n      limits:\n        memory: 64Mi\n";
  ASSERT_EQ(
      server
          ->sluice({"apply", "-f", "-"}, podYaml("hog", "hog", limits + "  restartPolicy: Never\n"))
          .exitCode,
      0);
  auto pod = waitPod(
      "hog",
      [](const json::value& p) {
        return str(p, {"status", "phase"}) == "Failed";
      },
      std::chrono::seconds(60));
  ASSERT_EQ(str(pod, {"status", "phase"}), "Failed") << json::serialize(pod);
  auto cs = pod.at("status").at("containerStatuses").as_array()[0];
  auto reason = str(cs, {"state", "terminated", "reason"});
  // OOMKilled where cgroups are writable; elsewhere the rlimit makes the allocation fail.
  auto events = server->sluice({"describe", "pod", "hog"}).out;
  if (events.find("cgroup") != std::string::npos && events.find("rlimit") == std::string::npos)
    EXPECT_EQ(reason, "OOMKilled") << events;
  else
    EXPECT_EQ(reason, "Error") << events;
  EXPECT_NE(events.find("ResourceLimits"), std::string::npos) << events;
}

TEST(WorkloadsTest, StalledRolloutExceedsItsProgressDeadline) {
  Server server("", serverArgs());
  std::string d =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stuck\nspec:\n  replicas: 2\n"
      "  progressDeadlineSeconds: 2\n  selector:\n    matchLabels: {app: stuck}\n  template:\n"
      "    metadata:\n      labels: {app: stuck}\n    spec:\n      containers:\n      - name: c\n"
      "        image: not-in-any-catalog:v1\n";
  ASSERT_EQ(server.sluice({"apply", "-f", "-"}, d).exitCode, 0);
  EXPECT_TRUE(waitFor(
      [&] {
        auto r =
            server.sluice({"get", "deploy", "stuck", "-o",
                           "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}"});
        return r.out == "ProgressDeadlineExceeded";
      },
      std::chrono::seconds(20)));
  auto r = server.sluice({"rollout", "status", "deployment", "stuck", "--timeout=20s"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("deployment \"stuck\" exceeded its progress deadline"), std::string::npos)
      << r.err;
  auto k = server.kubectl("1.33", {"rollout", "status", "deployment", "stuck", "--timeout=20s"});
  if (k) {
    EXPECT_NE(k->exitCode, 0);
    EXPECT_NE(k->err.find("exceeded its progress deadline"), std::string::npos) << k->err;
  }
}

TEST(WorkloadsRestartTest, SigkillServerThenRestartSamePodsNoOrphans) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  auto args = serverArgs();
  Server server(data, args);
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  std::vector<json::value> before;
  ASSERT_TRUE(waitFor([&] {
    before = pods(server, {"-l", "app=nginx"});
    return before.size() == 2 && std::all_of(before.begin(), before.end(), podReady);
  }));
  std::set<std::string> names;
  std::vector<pid_t> pids;
  for (const auto& p : before) {
    names.insert(str(p, {"metadata", "name"}));
    pids.push_back(std::atoi(
        str(p.at("status").at("containerStatuses").as_array()[0], {"containerID"}).c_str() + 9));
  }
  server.kill();
  // The pods' processes die with the server: none is left behind.
  EXPECT_TRUE(waitFor(
      [&] {
        for (pid_t pid : pids)
          if (::kill(pid, 0) == 0) return false;
        return true;
      },
      std::chrono::seconds(10)));
  server.start();
  std::vector<json::value> after;
  ASSERT_TRUE(waitFor(
      [&] {
        after = pods(server, {"-l", "app=nginx"});
        if (after.size() != 2) return false;
        for (const auto& p : after) {
          if (!podReady(p)) return false;
          auto cid = str(p.at("status").at("containerStatuses").as_array()[0], {"containerID"});
          pid_t pid = std::atoi(cid.c_str() + 9);
          if (std::find(pids.begin(), pids.end(), pid) != pids.end()) return false;  // stale status
        }
        return true;
      },
      std::chrono::seconds(30)));
  std::set<std::string> namesAfter;
  for (const auto& p : after) {
    namesAfter.insert(str(p, {"metadata", "name"}));
    std::string ip = str(p, {"status", "podIP"});
    EXPECT_TRUE(waitFor([&] { return curlPod(ip) == "Nginx-v1\n"; })) << ip;
  }
  EXPECT_EQ(names, namesAfter);
  // A clean stop (SIGTERM) stops every pod process too.
  std::vector<pid_t> running;
  for (const auto& p : after)
    running.push_back(std::atoi(
        str(p.at("status").at("containerStatuses").as_array()[0], {"containerID"}).c_str() + 9));
  server.stop();
  for (pid_t pid : running) EXPECT_NE(::kill(pid, 0), 0) << pid;
  auto ps = run({"ps", "-eo", "pid,args"});
  EXPECT_EQ(ps.out.find(data), std::string::npos) << ps.out;
}

}  // namespace
}  // namespace sluice::testing
