#include "node/node_registration.h"

#include <gtest/gtest.h>

#include "api/object.h"
#include "apiserver/in_process_client.h"
#include "apiserver/registry.h"
#include "base/random.h"
#include "store/store.h"

namespace sluice::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class NodeRegistrationTest : public ::testing::Test {
 protected:
  NodeRegistrationTest()
      : random(base::newSeededRandom(1)),
        store(store::newMemoryStore()),
        registry(*store, clock, *random),
        client(apiserver::newInProcessClient(registry)) {
    EXPECT_TRUE(registry.bootstrap().ok());
  }
  json::value node(const std::string& name) {
    auto got = registry.get(*api::findByKind("v1", "Node"), "", name);
    return got ? *got : json::value();
  }

  base::FakeClock clock;
  std::unique_ptr<base::Random> random;
  std::unique_ptr<store::Store> store;
  apiserver::Registry registry;
  std::unique_ptr<client::Client> client;
};

TEST_F(NodeRegistrationTest, CreatesTheNodeReady) {
  NodeIdentity id{"sluice-node", "127.42.0.0/16"};
  ASSERT_TRUE(registerNode(*client, id, clock.now()).ok());
  auto n = node("sluice-node");
  ASSERT_TRUE(n.is_object());
  auto& labels = n.at("metadata").at("labels").as_object();
  EXPECT_EQ(labels.at("kubernetes.io/hostname").as_string(), "sluice-node");
  EXPECT_EQ(labels.at("kubernetes.io/os").as_string(), "linux");
  EXPECT_EQ(api::getString(n, "spec.podCIDR"), "127.42.0.0/16");
  const auto& ready = n.at("status").at("conditions").as_array()[0];
  EXPECT_EQ(api::getString(ready, "type"), "Ready");
  EXPECT_EQ(api::getString(ready, "status"), "True");
  EXPECT_EQ(api::getString(ready, "reason"), "KubeletReady");
  EXPECT_EQ(api::getString(ready, "lastHeartbeatTime"), api::formatTimestamp(clock.now()));
  EXPECT_EQ(
      json::serialize(n.at("status").at("addresses")),
      R"([{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"sluice-node"}])");
  EXPECT_EQ(api::getString(n, "status.nodeInfo.kubeletVersion"), "v1.33.1+sluice");
}

TEST_F(NodeRegistrationTest, AnExistingNodeKeepsItsObjectAndGetsAFreshStatus) {
  NodeIdentity id{"sluice-node", "127.42.0.0/16"};
  ASSERT_TRUE(registerNode(*client, id, clock.now()).ok());
  auto patched =
      registry.patch(*api::findByKind("v1", "Node"), "", "sluice-node", api::PatchType::Merge,
                     json::parse(R"({"metadata":{"labels":{"team":"a"}}})"));
  ASSERT_TRUE(patched.ok());
  clock.advance(90s);
  ASSERT_TRUE(registerNode(*client, id, clock.now()).ok());
  auto n = node("sluice-node");
  EXPECT_EQ(api::getString(n.at("metadata").at("labels"), "team"), "a");
  EXPECT_EQ(api::getString(n.at("status").at("conditions").as_array()[0], "lastHeartbeatTime"),
            api::formatTimestamp(clock.now()));
}

TEST(NodeObject, HasNoStatusUntilItIsWritten) {
  auto o = nodeObject({"n1", "127.9.0.0/16"});
  EXPECT_FALSE(o.contains("status"));
  EXPECT_EQ(o.at("kind").as_string(), "Node");
  EXPECT_EQ(o.at("metadata").at("name").as_string(), "n1");
}

}  // namespace
}  // namespace sluice::node
