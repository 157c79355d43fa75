#include <gtest/gtest.h>

#include "api/gateway_resources.h"
#include "api/object.h"
#include "controllers/gateway/conditions.h"
#include "controllers/gateway/gatewayclass_controller.h"
#include "fake_cluster.h"

namespace sluice::controllers::gateway {
namespace {

using namespace std::chrono_literals;

const base::WallTime kT0 = base::WallTime(std::chrono::seconds(1704067200));  // 2024-01-01
const base::WallTime kT1 = kT0 + 90s;

json::value parse(const char* text) {
  return json::parse(text);
}

// The first condition in `object`'s `statusPath`.conditions (dotted paths do not index arrays).
json::value firstCondition(const json::value& object, const std::string& statusPath) {
  const json::value* conds = api::find(object, statusPath + ".conditions");
  if (!conds || !conds->is_array() || conds->as_array().empty()) return nullptr;
  return conds->as_array().front();
}

// meta.SetStatusCondition's rules, case by case.
TEST(SetCondition, Table) {
  struct Case {
    const char* name;
    const char* before;  // the conditions array (or null)
    Condition set;
    const char* after;
  } cases[] = {
      {"AddedToNone",
       "null",
       {"Accepted", "True", "Accepted", "ok", 1},
       R"([{"type":"Accepted","status":"True","reason":"Accepted","message":"ok",)"
       R"("observedGeneration":1,"lastTransitionTime":"2024-01-01T00:01:30Z"}])"},
      {"SameStatusKeepsTheTransitionTime",
       R"([{"type":"Accepted","status":"True","reason":"Old","message":"m",)"
       R"("observedGeneration":1,"lastTransitionTime":"2024-01-01T00:00:00Z"}])",
       {"Accepted", "True", "Accepted", "ok", 2},
       R"([{"type":"Accepted","status":"True","reason":"Accepted","message":"ok",)"
       R"("observedGeneration":2,"lastTransitionTime":"2024-01-01T00:00:00Z"}])"},
      {"NewStatusMovesTheTransitionTime",
       R"([{"type":"Accepted","status":"Unknown","reason":"Pending","message":"Waiting",)"
       R"("observedGeneration":1,"lastTransitionTime":"1970-01-01T00:00:00Z"}])",
       {"Accepted", "True", "Accepted", "ok", 1},
       R"([{"type":"Accepted","status":"True","reason":"Accepted","message":"ok",)"
       R"("observedGeneration":1,"lastTransitionTime":"2024-01-01T00:01:30Z"}])"},
      {"OtherTypesAreKeptAsTheyAre",
       R"([{"type":"SupportedVersion","status":"False","reason":"X","message":"y",)"
       R"("observedGeneration":7,"lastTransitionTime":"2020-01-01T00:00:00Z"}])",
       {"Accepted", "True", "Accepted", "ok", 1},
       R"([{"type":"SupportedVersion","status":"False","reason":"X","message":"y",)"
       R"("observedGeneration":7,"lastTransitionTime":"2020-01-01T00:00:00Z"},)"
       R"({"type":"Accepted","status":"True","reason":"Accepted","message":"ok",)"
       R"("observedGeneration":1,"lastTransitionTime":"2024-01-01T00:01:30Z"}])"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(json::value(setCondition(parse(c.before), c.set, kT1)), parse(c.after));
  }
}

TEST(DesiredClassStatus, OnlySluicesOwnClassesAreAccepted) {
  auto ours = parse(R"({"metadata":{"name":"sluice","generation":3},)"
                    R"("spec":{"controllerName":"sluice.dev/gateway-controller"}})");
  auto status = desiredClassStatus(ours, kT0);
  EXPECT_EQ(api::getString(status.at("conditions").at(0), "status"), "True");
  EXPECT_EQ(api::getInt(status.at("conditions").at(0), "observedGeneration"), 3);
  auto theirs = parse(R"({"metadata":{"name":"other","generation":1},)"
                      R"("spec":{"controllerName":"example.com/gateway"}})");
  EXPECT_TRUE(desiredClassStatus(theirs, kT0).is_null());
}

class GatewayClassControllerTest : public ::testing::Test {
 protected:
  const api::ResourceType& classType() {
    return *api::findByKind(std::string(api::kGatewayGroup) + "/v1", "GatewayClass");
  }
  // Pumps the informers and syncs every ready key on this thread, until nothing is left.
  void settle() {
    for (int round = 0; round < 10; ++round) {
      ASSERT_TRUE(cluster_.informers().pump());
      bool any = false;
      while (controller_.processNext()) any = true;
      if (!any) return;
    }
  }

  base::FakeClock clock_;
  fakes::FakeCluster cluster_{clock_};
  GatewayClassController controller_{cluster_.client(), cluster_.informers(), clock_};
};

TEST_F(GatewayClassControllerTest, AcceptsTheBuiltInClassAndLeavesOthersAlone) {
  cluster_.create(classType(),
                  parse(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",)"
                        R"("metadata":{"name":"other"},)"
                        R"("spec":{"controllerName":"example.com/gateway"}})"),
                  "");
  settle();
  auto ours = cluster_.get(classType(), std::string(api::kSluiceGatewayClass), "");
  EXPECT_EQ(api::getString(firstCondition(ours, "status"), "type"), "Accepted");
  EXPECT_EQ(api::getString(firstCondition(ours, "status"), "status"), "True");
  EXPECT_EQ(api::getInt(firstCondition(ours, "status"), "observedGeneration"),
            api::getInt(ours, "metadata.generation"));
  EXPECT_EQ(api::getString(firstCondition(ours, "status"), "lastTransitionTime"),
            api::formatTimestamp(clock_.now()));
  // Another controller's class keeps the CRD's pending status.
  auto other = cluster_.get(classType(), "other", "");
  EXPECT_EQ(api::getString(firstCondition(other, "status"), "reason"), "Pending");

  // Settled: a resync writes nothing (the resourceVersion stays).
  std::string rv = api::getString(ours, "metadata.resourceVersion");
  clock_.advance(1h);
  ASSERT_TRUE(controller_.sync(std::string(api::kSluiceGatewayClass)).ok());
  EXPECT_EQ(api::getString(cluster_.get(classType(), std::string(api::kSluiceGatewayClass), ""),
                           "metadata.resourceVersion"),
            rv);
}

}  // namespace
}  // namespace sluice::controllers::gateway
