// Rollout step pacing on a fake clock.
#include "controllers/deployment/pacing.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace sluice::controllers::deployment {
namespace {

using namespace std::chrono_literals;

TEST(StepPacer, StepsAtLeastTheIntervalApart) {
  base::FakeClock clock;
  StepPacer pacer(clock, 1000ms);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), std::nullopt) << "no step yet";
  pacer.stepTaken("ns/web", /*continues=*/false);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), 1001ms);
  clock.advance(400ms);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), 601ms);
  EXPECT_EQ(pacer.waitBeforeStep("ns/other"), std::nullopt) << "each Deployment has its own";
  clock.advance(600ms);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), std::nullopt);
}

TEST(StepPacer, AStepThatContinuesLetsTheNextEvaluationThroughOnce) {
  base::FakeClock clock;
  StepPacer pacer(clock, 1000ms);
  pacer.stepTaken("ns/web", /*continues=*/true);            // created the new ReplicaSet
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), std::nullopt);  // scales the old ones in the same step
  clock.advance(10ms);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), 991ms) << "the step counts from the creation";
}

TEST(StepPacer, ZeroIntervalNeverWaits) {
  base::FakeClock clock;
  StepPacer pacer(clock, 0ms);
  pacer.stepTaken("ns/web", false);
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), std::nullopt);
}

TEST(StepPacer, ForgetsADeletedDeployment) {
  base::FakeClock clock;
  StepPacer pacer(clock, 1000ms);
  pacer.stepTaken("ns/web", false);
  pacer.forget("ns/web");
  EXPECT_EQ(pacer.waitBeforeStep("ns/web"), std::nullopt);
}

}  // namespace
}  // namespace sluice::controllers::deployment
