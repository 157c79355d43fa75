// The Gateway and route status controller on a fake cluster and a fake clock, with a fake data
// plane whose served generations the test sets, and the API server's address admission as the
// server installs it. Plus the pure route status rules by named cases.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <mutex>

#include "api/gateway_resources.h"
#include "api/object.h"
#include "api/yaml.h"
#include "apiserver/service_allocator.h"
#include "controllers/gateway/data_plane.h"
#include "controllers/gateway/route_status.h"
#include "controllers/gateway/status_controller.h"
#include "fake_cluster.h"

namespace sluice::controllers::gateway {
namespace {

using namespace std::chrono_literals;

const base::WallTime kT0 = base::WallTime(std::chrono::seconds(1704067200));  // 2024-01-01

json::value yaml(const std::string& text) {
  auto doc = api::parseYamlDocument(text);
  EXPECT_TRUE(doc.ok()) << text;
  return doc ? *doc : json::value();
}

// A data plane that serves what the test says it serves.
class FakeDataPlane : public DataPlane {
 public:
  int64_t servedGeneration(const std::string& kind, const std::string& ns,
                           const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = served_.find(kind + "/" + ns + "/" + name);
    return it == served_.end() ? -1 : it->second;
  }
  void subscribe(std::function<void()> onChange) override { onChange_ = std::move(onChange); }
  void serve(const std::string& kind, const std::string& ns, const std::string& name,
             int64_t generation) {
    {
      std::lock_guard lock(mu_);
      served_[kind + "/" + ns + "/" + name] = generation;
    }
    if (onChange_) onChange_();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> served_;
  std::function<void()> onChange_;
};

const api::ResourceType& typeOf(const std::string& kind) {
  if (kind == "Service") return *api::findByKind("v1", "Service");
  return *api::findByKind(std::string(api::kGatewayGroup) + "/v1", kind);
}

// The condition of `type` in the conditions array at `conditions`, or null.
json::value condition(const json::value* conditions, const std::string& type) {
  if (conditions && conditions->is_array())
    for (const auto& c : conditions->as_array())
      if (api::getString(c, "type") == type) return c;
  return nullptr;
}

// "True Accepted @3" for a condition, "" when absent.
std::string summary(const json::value& c) {
  if (c.is_null()) return "";
  return api::getString(c, "status") + " " + api::getString(c, "reason") + " @" +
         std::to_string(api::getInt(c, "observedGeneration"));
}

class GatewayStatusControllerTest : public ::testing::Test {
 protected:
  GatewayStatusControllerTest() {
    auto allocator = apiserver::ServiceAllocator::create({});
    EXPECT_TRUE(allocator.ok());
    allocator_ = std::move(*allocator);
    auto& registry = cluster_.registry();
    registry.addAdmission("Service", [this](json::object& svc, const json::object* old) {
      return allocator_->admit(svc, old);
    });
    registry.addDeleteHook("Service", [this](const json::value& svc) { allocator_->release(svc); });
    registry.addAdmission("Gateway", [this](json::object& gw, const json::object* old) {
      allocator_->admitGateway(
          gw, old, controller_.ownsClass(api::getString(json::value(gw), "spec.gatewayClassName")));
      return api::Status{};
    });
    registry.addDeleteHook("Gateway",
                           [this](const json::value& gw) { allocator_->releaseGateway(gw); });
  }

  // Pumps the informers and syncs every ready key on this thread, until nothing is left.
  void settle() {
    for (int round = 0; round < 20; ++round) {
      ASSERT_TRUE(cluster_.informers().pump());
      bool any = false;
      while (controller_.processNext()) any = true;
      if (!any) return;
    }
    ADD_FAILURE() << "no quiet point: a hot loop?";
  }

  json::value create(const std::string& text) {
    json::value object = yaml(text);
    return cluster_.create(typeOf(api::kindOf(object)), object, "default");
  }
  json::value get(const std::string& kind, const std::string& name) {
    return cluster_.get(typeOf(kind), name, "default");
  }
  // Serves every Gateway and route at its current generation.
  void serveAll() {
    for (const char* kind : {"Gateway", "HTTPRoute", "TCPRoute"})
      for (const auto& o : cluster_.list(typeOf(kind)))
        dataPlane_.serve(kind, api::namespaceOf(o), api::nameOf(o),
                         api::getInt(o, "metadata.generation"));
  }
  // The parent entry `i` of a route's status: "<controller> <kind>/<name> Accepted... |
  // Resolved..."
  std::string parent(const std::string& route, size_t i) {
    json::value r = get("HTTPRoute", route);
    const json::value* parents = api::find(r, "status.parents");
    if (!parents || !parents->is_array() || parents->as_array().size() <= i) return "none";
    const json::value& p = parents->as_array()[i];
    const json::value* conds = api::find(p, "conditions");
    return api::getString(p, "parentRef.name") + ": " + summary(condition(conds, "Accepted")) +
           ", " + summary(condition(conds, "ResolvedRefs"));
  }

  base::FakeClock clock_{kT0};
  fakes::FakeCluster cluster_{clock_};
  FakeDataPlane dataPlane_;
  GatewayStatusController controller_{cluster_.client(), cluster_.informers(), dataPlane_, clock_};
  std::unique_ptr<apiserver::ServiceAllocator> allocator_;
};

const char* kGateway = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: sluice
  listeners:
  - {name: http, port: 8080, protocol: HTTP}
  - {name: tcp, port: 9000, protocol: TCP}
)";

const char* kRoute = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: web-v1, port: 80}]
)";

const char* kService = R"(
apiVersion: v1
kind: Service
metadata: {name: web-v1}
spec:
  selector: {app: web}
  ports: [{port: 80}]
)";

TEST_F(GatewayStatusControllerTest, GatewayIsProgrammedOnlyOnceServed) {
  json::value created = create(kGateway);
  // The address comes with the write, from the LoadBalancer range.
  EXPECT_EQ(api::getString(created.at("status").at("addresses").at(0), "value"), "127.44.0.1");
  EXPECT_EQ(api::getString(created.at("status").at("addresses").at(0), "type"), "IPAddress");
  settle();
  json::value gw = get("Gateway", "gw");
  EXPECT_EQ(summary(condition(api::find(gw, "status.conditions"), "Programmed")),
            "Unknown Pending @0");

  dataPlane_.serve("Gateway", "default", "gw", 1);
  settle();
  gw = get("Gateway", "gw");
  EXPECT_EQ(summary(condition(api::find(gw, "status.conditions"), "Accepted")), "True Accepted @1");
  EXPECT_EQ(summary(condition(api::find(gw, "status.conditions"), "Programmed")),
            "True Programmed @1");
  EXPECT_EQ(api::getString(gw.at("status").at("addresses").at(0), "value"), "127.44.0.1");
  const json::array& listeners = gw.at("status").at("listeners").as_array();
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(api::getString(listeners[0], "name"), "http");
  EXPECT_EQ(api::getInt(listeners[0], "attachedRoutes"), 0);
  EXPECT_EQ(listeners[0].at("supportedKinds"),
            json::parse(R"([{"group":"gateway.networking.k8s.io","kind":"HTTPRoute"}])"));
  for (const char* type : {"Accepted", "Programmed", "ResolvedRefs"})
    EXPECT_EQ(api::getString(condition(api::find(listeners[1], "conditions"), type), "status"),
              "True")
        << type;
  EXPECT_EQ(summary(condition(api::find(listeners[1], "conditions"), "Conflicted")),
            "False NoConflicts @1");

  // Settled: a resync writes nothing.
  auto rv = api::resourceVersionOf(gw);
  clock_.advance(1h);
  ASSERT_TRUE(controller_.sync("Gateway/default/gw").ok());
  EXPECT_EQ(api::resourceVersionOf(get("Gateway", "gw")), rv);
}

TEST_F(GatewayStatusControllerTest, ObservedGenerationIsNotBumpedUntilTheDataPlaneServesIt) {
  create(kGateway);
  create(kService);
  create(kRoute);
  settle();
  EXPECT_EQ(parent("web", 0), "none");  // nothing served: nothing written

  serveAll();
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, True ResolvedRefs @1");

  // A new generation: the status stays at the one served...
  cluster_.mergePatch(typeOf("HTTPRoute"), "web",
                      json::parse(R"({"spec":{"hostnames":["web.example.com"]}})"));
  settle();
  EXPECT_EQ(api::getInt(get("HTTPRoute", "web"), "metadata.generation"), 2);
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, True ResolvedRefs @1");
  // ...the data plane catching up on another object changes nothing...
  dataPlane_.serve("Gateway", "default", "gw", 1);
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, True ResolvedRefs @1");
  // ...and serving it brings the status to it.
  dataPlane_.serve("HTTPRoute", "default", "web", 2);
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @2, True ResolvedRefs @2");
}

TEST_F(GatewayStatusControllerTest, BackendServiceCreatedLaterResolvesRefs) {
  create(kGateway);
  create(kRoute);
  serveAll();
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, False BackendNotFound @1");
  json::value r = get("HTTPRoute", "web");
  EXPECT_EQ(api::getString(condition(api::find(r.at("status").at("parents").at(0), "conditions"),
                                     "ResolvedRefs"),
                           "message"),
            "spec.rules[0].backendRefs[0]: Service default/web-v1 not found");

  create(kService);
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, True ResolvedRefs @1");
}

TEST_F(GatewayStatusControllerTest, AttachedRoutesFollowTheRoutes) {
  create(kGateway);
  serveAll();
  settle();
  auto attached = [this](size_t listener) {
    return api::getInt(get("Gateway", "gw").at("status").at("listeners").at(listener),
                       "attachedRoutes");
  };
  EXPECT_EQ(attached(0), 0);
  create(kRoute);
  serveAll();
  settle();
  EXPECT_EQ(attached(0), 1);
  EXPECT_EQ(attached(1), 0);
  api::DeleteOptions now;
  ASSERT_TRUE(cluster_.registry().remove(typeOf("HTTPRoute"), "default", "web", now).ok());
  settle();
  EXPECT_EQ(attached(0), 0);
}

TEST_F(GatewayStatusControllerTest, OtherControllersEntriesStayAndRemovedParentsGo) {
  create(kGateway);
  create(kService);
  create(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs:
  - {name: gw, sectionName: http}
  - {group: '', kind: Service, name: web-v1}
  - {name: elsewhere}
  rules:
  - backendRefs: [{name: web-v1, port: 80}]
)");
  serveAll();
  settle();
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @1, True ResolvedRefs @1");
  EXPECT_EQ(parent("web", 1), "web-v1: True Accepted @1, True ResolvedRefs @1");
  EXPECT_EQ(parent("web", 2), "none");

  // Another implementation reports on "elsewhere"; and someone adds a condition type to
  // sluice's entry for gw.
  json::value r = get("HTTPRoute", "web");
  json::array& parents = r.at("status").at("parents").as_array();
  parents[0]
      .at("conditions")
      .as_array()
      .push_back(json::parse(R"({"type":"example.com/Audited","status":"True","reason":"Audited",)"
                             R"("message":"ok","lastTransitionTime":"2020-01-01T00:00:00Z"})"));
  parents.push_back(json::parse(
      R"({"parentRef":{"name":"elsewhere"},"controllerName":"example.com/gateway",)"
      R"("conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"",)"
      R"("lastTransitionTime":"2020-01-01T00:00:00Z"}]})"));
  ASSERT_TRUE(cluster_.registry().update(typeOf("HTTPRoute"), "default", "web", r, "status").ok());

  // The Service parent is removed from the spec.
  cluster_.mergePatch(typeOf("HTTPRoute"), "web",
                      json::parse(R"({"spec":{"parentRefs":[{"name":"gw","sectionName":"http"},)"
                                  R"({"name":"elsewhere"}]}})"));
  serveAll();
  settle();
  r = get("HTTPRoute", "web");
  const json::array& after = r.at("status").at("parents").as_array();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(parent("web", 0), "gw: True Accepted @2, True ResolvedRefs @2");
  EXPECT_EQ(
      api::getString(condition(api::find(after[0], "conditions"), "example.com/Audited"), "reason"),
      "Audited");
  EXPECT_EQ(api::getString(after[1], "controllerName"), "example.com/gateway");
}

TEST_F(GatewayStatusControllerTest, RoutesOfOtherImplementationsAreNotWritten) {
  create(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: theirs}
spec:
  parentRefs: [{name: not-ours}]
)");
  serveAll();
  settle();
  EXPECT_EQ(api::find(get("HTTPRoute", "theirs"), "status.parents"), nullptr);
}

TEST_F(GatewayStatusControllerTest, TCPRouteStatus) {
  create(kGateway);
  create(kService);
  create(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules:
  - backendRefs: [{name: web-v1, port: 80}]
)");
  serveAll();
  settle();
  json::value r = get("TCPRoute", "db");
  const json::value& p = r.at("status").at("parents").at(0);
  EXPECT_EQ(api::getString(p, "controllerName"), api::kSluiceGatewayController);
  EXPECT_EQ(summary(condition(api::find(p, "conditions"), "Accepted")), "True Accepted @1");
  EXPECT_EQ(api::getInt(get("Gateway", "gw").at("status").at("listeners").at(1), "attachedRoutes"),
            1);
}

TEST_F(GatewayStatusControllerTest, GatewayCreatedBeforeItsClassGetsAnAddress) {
  json::value gw = yaml(kGateway);
  gw.at("spec").as_object()["gatewayClassName"] = "late";
  json::value created = cluster_.create(typeOf("Gateway"), gw);
  EXPECT_EQ(api::find(created, "status.addresses"), nullptr);
  cluster_.create(typeOf("GatewayClass"),
                  yaml("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\n"
                       "metadata: {name: late}\nspec: {controllerName: " +
                       std::string(api::kSluiceGatewayController) + "}"),
                  "");
  settle();
  serveAll();
  settle();
  json::value now = get("Gateway", "gw");
  EXPECT_EQ(api::getString(now.at("status").at("addresses").at(0), "value"), "127.44.0.1");
  EXPECT_EQ(summary(condition(api::find(now, "status.conditions"), "Programmed")),
            "True Programmed @1");
}

TEST_F(GatewayStatusControllerTest, RequestedAddressInUseIsNotAssigned) {
  json::value svc = yaml(kService);
  svc.at("spec").as_object()["type"] = "LoadBalancer";
  json::value lb = cluster_.create(typeOf("Service"), svc);
  std::string taken = api::getString(lb.at("status").at("loadBalancer").at("ingress").at(0), "ip");
  ASSERT_EQ(taken, "127.44.0.1");
  json::value gw = yaml(kGateway);
  gw.at("spec").as_object()["addresses"] = json::array{json::object{{"value", taken}}};
  json::value created = cluster_.create(typeOf("Gateway"), gw);
  EXPECT_EQ(api::find(created, "status.addresses"), nullptr);
  serveAll();
  settle();
  json::value now = get("Gateway", "gw");
  json::value programmed = condition(api::find(now, "status.conditions"), "Programmed");
  EXPECT_EQ(summary(programmed), "False AddressNotAssigned @1");
  EXPECT_NE(api::getString(programmed, "message").find("127.44.0.1"), std::string::npos);

  // A free one is taken as asked.
  gw.at("metadata").as_object()["name"] = "gw2";
  gw.at("spec").at("addresses").at(0).as_object()["value"] = "127.44.3.3";
  created = cluster_.create(typeOf("Gateway"), gw);
  EXPECT_EQ(api::getString(created.at("status").at("addresses").at(0), "value"), "127.44.3.3");
}

TEST_F(GatewayStatusControllerTest, AddressesAreSharedWithServicesAndReleased) {
  json::value created = create(kGateway);
  EXPECT_EQ(api::getString(created.at("status").at("addresses").at(0), "value"), "127.44.0.1");
  json::value svc = yaml(kService);
  svc.at("spec").as_object()["type"] = "LoadBalancer";
  json::value lb = cluster_.create(typeOf("Service"), svc);
  EXPECT_EQ(api::getString(lb.at("status").at("loadBalancer").at("ingress").at(0), "ip"),
            "127.44.0.2");
  // A spec change keeps the address.
  json::value patched = cluster_.mergePatch(
      typeOf("Gateway"), "gw",
      json::parse(R"({"spec":{"listeners":[{"name":"http","port":8081,"protocol":"HTTP"}]}})"));
  EXPECT_EQ(api::getString(patched.at("status").at("addresses").at(0), "value"), "127.44.0.1");
  // Deleted, its address is free for the next one asking for it.
  api::DeleteOptions now;
  ASSERT_TRUE(cluster_.registry().remove(typeOf("Gateway"), "default", "gw", now).ok());
  json::value gw = yaml(kGateway);
  gw.at("metadata").as_object()["name"] = "gw2";
  gw.at("spec").as_object()["addresses"] = json::array{json::object{{"value", "127.44.0.1"}}};
  created = cluster_.create(typeOf("Gateway"), gw);
  EXPECT_EQ(api::getString(created.at("status").at("addresses").at(0), "value"), "127.44.0.1");
}

// ---- the pure rules of a route's status ----

TEST(DesiredRouteStatus, EntriesByController) {
  api::gateway::RouteBinding binding;
  api::gateway::ParentBinding p;
  p.parentRef = json::parse(R"({"group":"gateway.networking.k8s.io","kind":"Gateway",)"
                            R"("namespace":"default","name":"gw"})")
                    .as_object();
  p.accepted = {true, "Accepted", "ok"};
  binding.parents.push_back(p);
  binding.resolvedRefs = {false, "BackendNotFound", "missing"};
  const std::string ours = R"({"controllerName":"sluice.dev/gateway-controller",)";
  const std::string stamp = R"("lastTransitionTime":"2020-01-01T00:00:00Z")";
  struct Case {
    const char* name;
    std::string parents;  // status.parents before
    bool bound;
    std::vector<std::string> after;  // "<controller> <parent name> <condition types>"
  } cases[] = {
      {"NewEntry", "[]", true, {"sluice gw Accepted,ResolvedRefs"}},
      {"ExistingEntryWithoutDefaultsIsMatched",
       "[" + ours + R"("parentRef":{"name":"gw"},"conditions":[]}])",
       true,
       {"sluice gw Accepted,ResolvedRefs"}},
      {"OthersKeptFirst",
       R"([{"controllerName":"example.com/x","parentRef":{"name":"gw"},"conditions":[]}])",
       true,
       {"example.com/x gw ", "sluice gw Accepted,ResolvedRefs"}},
      {"StaleEntryOfOursRemoved",
       "[" + ours + R"("parentRef":{"name":"old"},"conditions":[]}])",
       true,
       {"sluice gw Accepted,ResolvedRefs"}},
      {"UnboundRouteLosesOnlyOurs",
       "[" + ours + R"("parentRef":{"name":"gw"},"conditions":[]},)" +
           R"({"controllerName":"example.com/x","parentRef":{"name":"y"},"conditions":[]}])",
       false,
       {"example.com/x y "}},
      {"ForeignConditionTypesKept",
       "[" + ours + R"("parentRef":{"name":"gw"},"conditions":[{"type":"X","status":"True",)" +
           R"("reason":"R","message":"",)" + stamp + "}]}]",
       true,
       {"sluice gw X,Accepted,ResolvedRefs"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    json::value route = json::parse(
        R"({"metadata":{"name":"r","namespace":"default","generation":5},"status":{"parents":)" +
        c.parents + "}}");
    json::value status = desiredRouteStatus(route, c.bound ? &binding : nullptr, kT0);
    std::vector<std::string> after;
    for (const auto& e : status.at("parents").as_array()) {
      std::string controller = api::getString(e, "controllerName");
      std::string line = (controller == api::kSluiceGatewayController ? "sluice" : controller) +
                         " " + api::getString(e, "parentRef.name") + " ";
      const json::array& conds = e.at("conditions").as_array();
      for (size_t i = 0; i < conds.size(); ++i)
        line += (i ? "," : "") + api::getString(conds[i], "type");
      after.push_back(line);
    }
    EXPECT_EQ(after, c.after);
  }
}

}  // namespace
}  // namespace sluice::controllers::gateway
