#include "node/pod_runtime.h"

#include <gtest/gtest.h>

#include "api/object.h"

namespace sluice::node {
namespace {

namespace json = boost::json;

TEST(PodRuntime, AdoptsWhatTheStatusReportsAfterAServerRestart) {
  auto pod = json::parse(R"({"status":{"containerStatuses":[
      {"name":"web","restartCount":2,
       "state":{"running":{"startedAt":"2024-01-01T00:00:05Z"}}},
      {"name":"job","restartCount":0,
       "state":{"terminated":{"exitCode":3,"reason":"Error","startedAt":"2024-01-01T00:00:01Z",
                              "finishedAt":"2024-01-01T00:00:02Z"}}},
      {"name":"pending","restartCount":1,
       "state":{"waiting":{"reason":"ImagePullBackOff"}}}]}})");
  base::WallTime now = base::WallTime{} + std::chrono::hours(24 * 365 * 54);
  PodRuntime rt;
  adoptReportedContainers(rt, pod, now);
  ASSERT_EQ(rt.containers.size(), 3u);

  // Was running: its process died with the old server, as if SIGKILLed now.
  const auto& web = rt.containers.at("web");
  EXPECT_EQ(web.name, "web");
  EXPECT_TRUE(web.everStarted);
  EXPECT_FALSE(web.running);
  EXPECT_EQ(web.restartCount, 2);
  ASSERT_TRUE(web.last);
  EXPECT_EQ(web.last->exitCode, 137);
  EXPECT_EQ(web.last->signal, 9);
  EXPECT_EQ(web.last->reason, "Unknown");
  EXPECT_EQ(web.last->startedAt, "2024-01-01T00:00:05Z");
  EXPECT_EQ(web.last->finishedAt, api::formatTimestamp(now));

  // Had terminated: keeps its reported termination.
  const auto& job = rt.containers.at("job");
  EXPECT_TRUE(job.everStarted);
  ASSERT_TRUE(job.last);
  EXPECT_EQ(job.last->exitCode, 3);
  EXPECT_EQ(job.last->signal, 0);
  EXPECT_EQ(job.last->reason, "Error");
  EXPECT_EQ(job.last->finishedAt, "2024-01-01T00:00:02Z");

  // Never started: only its restart count carries over.
  const auto& pending = rt.containers.at("pending");
  EXPECT_FALSE(pending.everStarted);
  EXPECT_FALSE(pending.last);
  EXPECT_EQ(pending.restartCount, 1);
}

TEST(PodRuntime, NothingReportedNothingAdopted) {
  PodRuntime rt;
  adoptReportedContainers(rt, json::parse("{}"), base::WallTime{});
  EXPECT_TRUE(rt.containers.empty());
}

TEST(PodRuntime, RestartPolicy) {
  Termination ok{0, 0, "Completed", "", ""}, failed{1, 0, "Error", "", ""};
  EXPECT_TRUE(restartsAfter("Always", ok));
  EXPECT_TRUE(restartsAfter("Always", failed));
  EXPECT_FALSE(restartsAfter("OnFailure", ok));
  EXPECT_TRUE(restartsAfter("OnFailure", failed));
  EXPECT_FALSE(restartsAfter("Never", ok));
  EXPECT_FALSE(restartsAfter("Never", failed));
}

}  // namespace
}  // namespace sluice::node
