// The agent as a whole against an in-process API server, with real processes (/bin/sleep) and a
// fake clock: binding, status, logs through PodLogs, and the order in which a deleted pod stops.
#include "node/agent.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/object.h"
#include "apiserver/in_process_client.h"
#include "apiserver/registry.h"
#include "base/random.h"
#include "store/store.h"

namespace sluice::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}
const api::ResourceType& endpointsType() {
  return *api::findByKind("v1", "Endpoints");
}

// Polls `condition` (real time) until it holds or `timeout` passes.
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return condition();
}

// Keeps every message logged, so a test can wait for the agent to reach a step.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool contains(const std::string& text) {
    std::lock_guard lock(mu_);
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class AgentTest : public ::testing::Test {
 protected:
  AgentTest()
      : dataDir(makeTempDir()),
        random(base::newSeededRandom(1)),
        store(store::newMemoryStore()),
        registry(*store, clock, *random),
        client(apiserver::newInProcessClient(registry)),
        informers(*client, clock),
        sink(std::make_shared<CaptureSink>()),
        log(std::make_shared<spdlog::logger>("kubelet", sink)) {
    log->set_level(spdlog::level::debug);
    EXPECT_TRUE(registry.bootstrap().ok());
    std::ofstream(dataDir + "/images.yaml") << "images:\n"
                                               "  - image: sleeper\n"
                                               "    command: [\"/bin/sh\", \"-c\", \"echo "
                                               "up; exec sleep 3600\"]\n";
    NodeAgent::Options o;
    o.nodeName = "node-1";
    o.podCidr = "127.78.1.0/24";
    o.dataDir = dataDir;
    agent = std::make_unique<NodeAgent>(*client, informers, o, clock, log);
    informers.start();
    EXPECT_TRUE(informers.waitForSync(10s));
    auto st = agent->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  }
  ~AgentTest() override {
    agent->stop();
    informers.stop();
    agent.reset();
    std::filesystem::remove_all(dataDir);
  }
  static std::string makeTempDir() {
    char tmpl[] = "/tmp/sluice-agent-XXXXXX";
    return ::mkdtemp(tmpl);
  }

  json::value pod(const std::string& name) {
    auto got = registry.get(podType(), "default", name);
    return got ? *got : json::value();
  }
  void createPod(const std::string& name) {
    auto created = registry.create(
        podType(), "default",
        json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                    R"("},"spec":{"terminationGracePeriodSeconds":30,
                       "containers":[{"name":"main","image":"sleeper"}]}})"));
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  // Waits for the pod to run and be ready; returns it.
  json::value waitReady(const std::string& name) {
    json::value p;
    EXPECT_TRUE(waitFor([&] {
      p = pod(name);
      if (!p.is_object() || api::getString(p, "status.phase") != "Running") return false;
      for (const auto& c : p.at("status").at("conditions").as_array())
        if (api::getString(c, "type") == "Ready") return api::getString(c, "status") == "True";
      return false;
    })) << json::serialize(p);
    return p;
  }
  static pid_t pidOf(const json::value& p) {
    auto id = api::getString(p.at("status").at("containerStatuses").as_array()[0], "containerID");
    return id.rfind("sluice://", 0) == 0 ? std::atoi(id.c_str() + 9) : 0;
  }
  static bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

  base::FakeClock clock;
  std::string dataDir;
  std::unique_ptr<base::Random> random;
  std::unique_ptr<store::Store> store;
  apiserver::Registry registry;
  std::unique_ptr<client::Client> client;
  client::SharedInformers informers;
  std::shared_ptr<CaptureSink> sink;
  base::Logger log;
  std::unique_ptr<NodeAgent> agent;
};

TEST_F(AgentTest, BindsRunsAndReportsThePod) {
  auto node = registry.get(*api::findByKind("v1", "Node"), "", "node-1");
  ASSERT_TRUE(node.ok());
  createPod("web");
  auto p = waitReady("web");
  EXPECT_EQ(api::getString(p, "spec.nodeName"), "node-1");
  EXPECT_EQ(api::getString(p, "status.podIP").rfind("127.78.1.", 0), 0u);
  EXPECT_TRUE(alive(pidOf(p)));
  EXPECT_EQ(api::getString(p, "status.qosClass"), "BestEffort");
}

TEST_F(AgentTest, LogsThroughPodLogs) {
  createPod("web");
  waitReady("web");
  PodLogs& logs = *agent;
  std::string text;
  ASSERT_TRUE(waitFor([&] {
    auto s = logs.open("default", "web", {});
    if (!s) return false;
    text.clear();
    (*s)->read(text);
    return text == "up\n";
  })) << text;

  auto missing = logs.open("default", "nobody", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().isNotFound());
  LogOptions other;
  other.container = "other";
  auto wrong = logs.open("default", "web", other);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "container other is not valid for pod web");
  LogOptions previousRun;
  previousRun.previous = true;
  auto previous = logs.open("default", "web", previousRun);
  ASSERT_FALSE(previous.ok());
  EXPECT_EQ(previous.error().message,
            "previous terminated container \"main\" in pod \"web\" not found");

  LogOptions following;
  following.follow = true;
  auto follow = logs.open("default", "web", following);
  ASSERT_TRUE(follow.ok());
  EXPECT_TRUE((*follow)->following());
  std::string out;
  EXPECT_TRUE((*follow)->read(out));
  EXPECT_EQ(out, "up\n");
}

// A deleted pod leaves the Endpoints before its containers get SIGTERM: the agent reads the
// Endpoints from its informer and looks again when they change, not on a timer.
TEST_F(AgentTest, ADeletedPodIsSignalledOnlyAfterLeavingTheEndpoints) {
  createPod("web");
  auto p = waitReady("web");
  pid_t pid = pidOf(p);
  std::string ip = api::getString(p, "status.podIP");
  auto ep = registry.create(
      endpointsType(), "default",
      json::parse(R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},
                      "subsets":[{"addresses":[{"ip":")" +
                  ip + R"("}],"ports":[{"port":80}]}]})"));
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  ASSERT_TRUE(
      waitFor([&] { return informers.informer(endpointsType()).get("default/web") != nullptr; }));

  auto start = clock.steadyNow();
  api::DeleteOptions graceful;
  graceful.gracePeriodSeconds = 30;
  ASSERT_TRUE(registry.remove(podType(), "default", "web", graceful).ok());
  ASSERT_TRUE(waitFor([&] { return sink->contains("waiting for the Endpoints to drop " + ip); }));
  EXPECT_TRUE(alive(pid));
  EXPECT_TRUE(pod("web").is_object());

  // The Endpoints controller drops the address: the agent syncs the pod again at once, settles
  // 100 ms, then stops the container and removes the pod.
  json::value next = *ep;
  next.as_object()["subsets"] = json::array{};
  ASSERT_TRUE(registry.update(endpointsType(), "default", "web", next).ok());
  ASSERT_TRUE(
      waitFor([&] { return sink->contains("deleted and out of the Endpoints, settling"); }));
  EXPECT_TRUE(alive(pid));
  clock.advance(100ms);
  ASSERT_TRUE(waitFor([&] { return !pod("web").is_object(); })) << json::serialize(pod("web"));
  EXPECT_TRUE(waitFor([&] { return !alive(pid); }));
  // Well within the 2 s bound: the Endpoints change, not the bound, let it go.
  EXPECT_EQ(clock.steadyNow() - start, 100ms);
}

// Without Endpoints listing it, a deleted pod waits only the settle time.
TEST_F(AgentTest, ADeletedPodNotInAnyEndpointsOnlySettles) {
  createPod("web");
  auto p = waitReady("web");
  pid_t pid = pidOf(p);
  api::DeleteOptions graceful;
  graceful.gracePeriodSeconds = 30;
  ASSERT_TRUE(registry.remove(podType(), "default", "web", graceful).ok());
  ASSERT_TRUE(
      waitFor([&] { return sink->contains("deleted and out of the Endpoints, settling"); }));
  EXPECT_TRUE(alive(pid));
  clock.advance(100ms);
  ASSERT_TRUE(waitFor([&] { return !pod("web").is_object(); }));
  EXPECT_TRUE(waitFor([&] { return !alive(pid); }));
}

}  // namespace
}  // namespace sluice::node
