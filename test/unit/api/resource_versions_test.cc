// Types served at several versions: one entry per resource, a view per other version.
#include <gtest/gtest.h>

#include "api/gateway_resources.h"
#include "api/resources.h"

namespace sluice::api {
namespace {

TEST(ResourceVersions, GatewayKindsAsTheCrdsServeThem) {
  const ResourceType* route = resolveResource("httproutes");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->apiVersion(), "gateway.networking.k8s.io/v1");
  EXPECT_EQ(route->otherVersions, std::vector<std::string>{"v1beta1"});
  EXPECT_TRUE(route->custom);
  EXPECT_EQ(resolveResource("gtw")->kind, "Gateway");
  EXPECT_EQ(resolveResource("gc")->kind, "GatewayClass");
  EXPECT_FALSE(resolveResource("gatewayclass")->namespaced);
  EXPECT_EQ(resolveResource("refgrant")->kind, "ReferenceGrant");
  EXPECT_EQ(resolveResource("tcproutes.gateway.networking.k8s.io")->otherVersions,
            std::vector<std::string>{"v1alpha2"});
  EXPECT_EQ(resolveResource("gateway")->categories, std::vector<std::string>{"gateway-api"});
}

TEST(ResourceVersions, ViewsNameTheSameResource) {
  const ResourceType* route = findByKind("gateway.networking.k8s.io/v1", "HTTPRoute");
  const ResourceType* beta = findByKind("gateway.networking.k8s.io/v1beta1", "HTTPRoute");
  ASSERT_NE(route, nullptr);
  ASSERT_NE(beta, nullptr);
  EXPECT_NE(route, beta);
  EXPECT_EQ(beta->version, "v1beta1");
  EXPECT_EQ(beta->otherVersions, std::vector<std::string>{"v1"});
  EXPECT_EQ(beta->apiPrefix(), "/apis/gateway.networking.k8s.io/v1beta1");
  EXPECT_EQ(&preferredVersion(*beta), route);
  EXPECT_EQ(&preferredVersion(*route), route);
  EXPECT_EQ(atVersion(*route, "v1beta1"), beta);
  EXPECT_EQ(atVersion(*beta, "v1"), route);
  EXPECT_EQ(atVersion(*route, "v1alpha2"), nullptr);
  EXPECT_EQ(findByKind("gateway.networking.k8s.io/v1alpha2", "HTTPRoute"), nullptr);
  // Built-in kinds have no other versions.
  const ResourceType* pod = findByKind("v1", "Pod");
  EXPECT_EQ(atVersion(*pod, "v1"), pod);
  EXPECT_EQ(atVersion(*pod, "v2"), nullptr);
}

}  // namespace
}  // namespace sluice::api
