// `logs` end to end: the pod log subresource as the CLI and raw HTTP see it (tail, previous,
// follow and the errors), through the real binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <cstdlib>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

class PodLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // "talker" prints three lines, then one line "appended" each time the file POD_NAME.go
    // appears in the test's directory.
    writeFile(dir.path() + "/images.yaml",
              "images:\n"
              "  - image: talker\n"
              "    command: [\"/bin/sh\", \"-c\", \"echo line-1; echo line-2; echo line-3; "
              "while true; do if [ -f " +
                  dir.path() + "/$POD_NAME.go ]; then rm -f " + dir.path() +
                  "/$POD_NAME.go; echo appended; fi; sleep 0.05; done\"]\n");
    auto args = seedServerArgs();
    args.push_back("--image-catalog");
    args.push_back(dir.path() + "/images.yaml");
    server = std::make_unique<Server>("", args);
    startPod("talker", "Always");
  }

  void startPod(const std::string& name, const std::string& restartPolicy) {
    ASSERT_EQ(server
                  ->sluice({"apply", "-f", "-"},
                           "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
                               "\nspec:\n  restartPolicy: " + restartPolicy +
                               "\n  containers:\n  - name: main\n    image: talker\n")
                  .exitCode,
              0);
    ASSERT_TRUE(waitFor([&] { return logs({}, name).out == "line-1\nline-2\nline-3\n"; }))
        << logs({}, name).out;
  }

  // Makes the pod's container print "appended".
  void append(const std::string& pod = "talker") { writeFile(dir.path() + "/" + pod + ".go", ""); }

  ProcessResult logs(std::vector<std::string> extra, const std::string& pod = "talker") {
    std::vector<std::string> args{"logs", pod};
    args.insert(args.end(), extra.begin(), extra.end());
    return server->sluice(args);
  }

  std::unique_ptr<Background> follow(std::vector<std::string> extra, const std::string& pod) {
    std::vector<std::string> args{sluiceBinary(), "--kubeconfig", server->kubeconfig(), "logs",
                                  "-f"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(pod);
    return std::make_unique<Background>(args);
  }

  // The container's pid from its containerID ("sluice://PID"), once `restarts` is reached.
  pid_t containerPid(int restarts, const std::string& name = "talker") {
    pid_t pid = 0;
    waitFor([&] {
      auto r = server->sluice({"get", "pod", name, "-o", "json"});
      if (r.exitCode != 0) return false;
      boost::system::error_code ec;
      auto pod = json::parse(r.out, ec);
      if (ec) return false;
      auto* cs = pod.at("status").as_object().if_contains("containerStatuses");
      if (!cs || cs->as_array().empty()) return false;
      const auto& c = cs->as_array()[0].as_object();
      auto* id = c.if_contains("containerID");
      if (c.at("restartCount").as_int64() != restarts || !id || !c.contains("state") ||
          !c.at("state").as_object().contains("running"))
        return false;
      std::string cid(id->as_string());
      if (cid.rfind("sluice://", 0) != 0) return false;
      pid = std::atoi(cid.c_str() + 9);
      return pid > 1;
    });
    return pid;
  }

  TempDir dir;
  std::unique_ptr<Server> server;
};

TEST_F(PodLogsTest, TailLines) {
  EXPECT_EQ(logs({"--tail", "2"}).out, "line-2\nline-3\n");
  EXPECT_EQ(logs({"--tail", "3"}).out, "line-1\nline-2\nline-3\n");
  EXPECT_EQ(logs({"--tail", "10"}).out, "line-1\nline-2\nline-3\n");
  EXPECT_EQ(logs({"--tail", "0"}).out, "");
  auto [code, body] = server->curl("GET", "/api/v1/namespaces/default/pods/talker/log?tailLines=1");
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "line-3\n");
}

TEST_F(PodLogsTest, ErrorsAreStatusObjects) {
  auto r = logs({"--previous"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("previous terminated container \"main\" in pod \"talker\" not found"),
            std::string::npos)
      << r.err;
  r = logs({"-c", "nope"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("container nope is not valid for pod talker"), std::string::npos) << r.err;

  auto [code, body] = server->curl("GET", "/api/v1/namespaces/default/pods/nobody/log");
  EXPECT_EQ(code, 404);
  EXPECT_NE(body.find("\"reason\":\"NotFound\""), std::string::npos) << body;
  std::tie(code, body) =
      server->curl("GET", "/api/v1/namespaces/default/pods/talker/log?previous=true");
  EXPECT_EQ(code, 400);
  EXPECT_NE(body.find("\"reason\":\"BadRequest\""), std::string::npos) << body;
}

TEST_F(PodLogsTest, PreviousIsTheLogBeforeTheRestart) {
  pid_t pid = containerPid(0);
  ASSERT_GT(pid, 1);
  append();
  ASSERT_TRUE(waitFor([&] { return logs({}).out == "line-1\nline-2\nline-3\nappended\n"; }));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_GT(containerPid(1), 1);
  EXPECT_EQ(logs({"--previous"}).out, "line-1\nline-2\nline-3\nappended\n");
  EXPECT_EQ(logs({"--previous", "--tail", "1"}).out, "appended\n");
  EXPECT_TRUE(waitFor([&] { return logs({}).out == "line-1\nline-2\nline-3\n"; })) << logs({}).out;
}

TEST_F(PodLogsTest, FollowStreamsAppendedLinesUntilTheContainerExits) {
  startPod("once", "Never");
  pid_t pid = containerPid(0, "once");
  ASSERT_GT(pid, 1);
  auto f = follow({}, "once");
  ASSERT_TRUE(waitFor([&] { return f->out() == "line-1\nline-2\nline-3\n"; }))
      << f->out() << f->err();
  append("once");
  ASSERT_TRUE(waitFor([&] { return f->out() == "line-1\nline-2\nline-3\nappended\n"; }))
      << f->out() << f->err();
  // The stream ends when the container does.
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(f->wait(std::chrono::seconds(20)), 0) << f->err();
  EXPECT_EQ(f->out(), "line-1\nline-2\nline-3\nappended\n");
}

// A restarted container writes to a new log: a follow of the old run ends, even when the
// container is back (restartPolicy Always restarts the first time at once) before anyone looks.
TEST_F(PodLogsTest, FollowEndsWhenTheContainerRestarts) {
  pid_t pid = containerPid(0);
  ASSERT_GT(pid, 1);
  auto f = follow({}, "talker");
  ASSERT_TRUE(waitFor([&] { return f->out() == "line-1\nline-2\nline-3\n"; }))
      << f->out() << f->err();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(f->wait(std::chrono::seconds(20)), 0) << f->err();
  EXPECT_EQ(f->out(), "line-1\nline-2\nline-3\n");
  EXPECT_GT(containerPid(1), 1);
}

TEST_F(PodLogsTest, FollowWithTailStartsFromTheLastLines) {
  auto f = follow({"--tail", "1"}, "talker");
  ASSERT_TRUE(waitFor([&] { return f->out() == "line-3\n"; })) << f->out() << f->err();
  append();
  ASSERT_TRUE(waitFor([&] { return f->out() == "line-3\nappended\n"; })) << f->out() << f->err();
}

}  // namespace
}  // namespace sluice::testing
