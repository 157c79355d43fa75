// Gateway API defaulting and validation through the public entry points (applyDefaults,
// validate), as the API server calls them: named cases, each an object in YAML and the exact
// causes ("field: message") a CRD-backed kube-apiserver gives for it.
#include "api/gateway_validation.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "api/defaulting.h"
#include "api/object.h"
#include "api/resources.h"
#include "api/validation.h"
#include "api/yaml.h"

namespace sluice::api {
namespace {

namespace json = boost::json;

json::object parse(const std::string& yaml) {
  auto doc = parseYamlDocument(yaml);
  EXPECT_TRUE(doc.ok()) << yaml;
  return doc.ok() && doc->is_object() ? doc->as_object() : json::object();
}

const ResourceType& typeOf(const json::object& o) {
  const ResourceType* t = findByKind(getString(o, "apiVersion"), getString(o, "kind"));
  if (!t) throw std::runtime_error("unknown kind in test object");
  return *t;
}

// Defaults, then validates, as Registry::create does; returns "field: message" per cause.
std::vector<std::string> causesOf(json::object o, const json::object* old = nullptr) {
  const ResourceType& type = typeOf(o);
  applyDefaults(o, type);
  auto st = validate(o, old, type);
  std::vector<std::string> out;
  if (st.ok()) return out;
  for (const auto& c : st.error().causes) out.push_back(c.field + ": " + c.message);
  return out;
}

const std::string kRoute = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: canary, namespace: default}
spec:
  parentRefs:
  - {group: "", kind: Service, name: nginx, port: 80}
)";

const std::string kGateway = R"(
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: sluice
)";

struct Case {
  const char* name;
  std::string yaml;
  std::vector<std::string> want;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class GatewayValidation : public ::testing::TestWithParam<Case> {};

TEST_P(GatewayValidation, Causes) {
  EXPECT_EQ(causesOf(parse(GetParam().yaml)), GetParam().want);
}

const std::string kSkipped =
    "<nil>: Invalid value: \"null\": some validation rules were not checked because the object "
    "was invalid; correct the existing errors to complete validation";

INSTANTIATE_TEST_SUITE_P(
    Cases, GatewayValidation,
    ::testing::Values(
        Case{"RouteToServiceIsValid",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 80, weight: 90}
    - {name: nginx-v2, port: 80, weight: 10}
)",
             {}},
        Case{"WeightAboveMillion",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 80, weight: 1000001}
)",
             {"spec.rules[0].backendRefs[0].weight: Invalid value: 1000001: "
              "spec.rules[0].backendRefs[0].weight in body should be less than or equal to "
              "1000000"}},
        Case{"NegativeWeight",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 80, weight: -1}
)",
             {"spec.rules[0].backendRefs[0].weight: Invalid value: -1: "
              "spec.rules[0].backendRefs[0].weight in body should be greater than or equal to "
              "0"}},
        Case{"WeightOfWrongType",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 80, weight: "90"}
)",
             {"spec.rules[0].backendRefs[0].weight: Invalid value: \"string\": "
              "spec.rules[0].backendRefs[0].weight in body must be of type integer: \"string\"",
              kSkipped}},
        Case{"ServiceBackendWithoutPort",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1}
)",
             {"spec.rules[0].backendRefs[0]: Invalid value: \"object\": Must have port for "
              "Service reference"}},
        Case{"BackendWithoutName",
             kRoute + R"(
  rules:
  - backendRefs:
    - {port: 80}
)",
             {"spec.rules[0].backendRefs[0].name: Required value", kSkipped}},
        Case{"PortOutOfRange",
             kRoute + R"(
  rules:
  - backendRefs:
    - {name: nginx-v1, port: 65536}
)",
             {"spec.rules[0].backendRefs[0].port: Invalid value: 65536: "
              "spec.rules[0].backendRefs[0].port in body should be less than or equal to 65535"}},
        Case{"SeventeenBackends",
             kRoute + R"(
  rules:
  - backendRefs: [{name: a, port: 1}, {name: a, port: 2}, {name: a, port: 3}, {name: a, port: 4},
      {name: a, port: 5}, {name: a, port: 6}, {name: a, port: 7}, {name: a, port: 8},
      {name: a, port: 9}, {name: a, port: 10}, {name: a, port: 11}, {name: a, port: 12},
      {name: a, port: 13}, {name: a, port: 14}, {name: a, port: 15}, {name: a, port: 16},
      {name: a, port: 17}]
)",
             {"spec.rules[0].backendRefs: Too many: 17: must have at most 16 items", kSkipped}},
        Case{"WildcardHostnameIsValid",
             kRoute + R"(
  hostnames: ["*.example.com", "example.com"]
)",
             {}},
        Case{"BadHostnames",
             kRoute + R"(
  hostnames: ["Example.com", "*.*.example.com", "a..b"]
)",
             {"spec.hostnames[0]: Invalid value: \"Example.com\": spec.hostnames[0] in body "
              "should match "
              "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
              "spec.hostnames[1]: Invalid value: \"*.*.example.com\": spec.hostnames[1] in body "
              "should match "
              "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
              "spec.hostnames[2]: Invalid value: \"a..b\": spec.hostnames[2] in body should "
              "match "
              "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"}},
        Case{"PathWithoutLeadingSlash",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: PathPrefix, value: foo}
)",
             {"spec.rules[0].matches[0].path: Invalid value: \"object\": value must be an "
              "absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"}},
        Case{"PathWithDoubleSlash",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: Exact, value: /a//b}
)",
             {"spec.rules[0].matches[0].path: Invalid value: \"object\": must not contain '//' "
              "when type one of ['Exact', 'PathPrefix']"}},
        Case{"PathWithBadCharacters",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: PathPrefix, value: "/a b/.."}
)",
             {"spec.rules[0].matches[0].path: Invalid value: \"object\": must not end with '/..' "
              "when type one of ['Exact', 'PathPrefix']",
              "spec.rules[0].matches[0].path: Invalid value: \"object\": must only contain valid "
              "characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for "
              "types ['Exact', 'PathPrefix']"}},
        Case{"RegexPathSkipsPathRules",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: RegularExpression, value: "^/v[0-9]+//x$"}
)",
             {}},
        Case{"UnknownPathType",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: Prefix, value: /}
)",
             {"spec.rules[0].matches[0].path.type: Unsupported value: \"Prefix\": supported "
              "values: \"Exact\", \"PathPrefix\", \"RegularExpression\"",
              kSkipped}},
        Case{"BadHeaderName",
             kRoute + R"(
  rules:
  - matches:
    - headers: [{name: ":method", value: GET}]
)",
             {"spec.rules[0].matches[0].headers[0].name: Invalid value: \":method\": "
              "spec.rules[0].matches[0].headers[0].name in body should match "
              "'^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$'"}},
        Case{"DuplicateHeaderMatch",
             kRoute + R"(
  rules:
  - matches:
    - headers: [{name: x-canary, value: a}, {name: x-canary, value: b}]
)",
             {"spec.rules[0].matches[0].headers[1]: Duplicate value: map[string]interface "
              "{}{\"name\":\"x-canary\"}"}},
        Case{"BackendRequestLongerThanRequest",
             kRoute + R"(
  rules:
  - timeouts: {request: 1s, backendRequest: 2s}
)",
             {"spec.rules[0].timeouts: Invalid value: \"object\": backendRequest timeout cannot "
              "be longer than request timeout"}},
        Case{"ZeroRequestTimeoutAllowsAnyBackendTimeout",
             kRoute + R"(
  rules:
  - timeouts: {request: 0s, backendRequest: 2s}
)",
             {}},
        Case{"BadDuration",
             kRoute + R"(
  rules:
  - timeouts: {request: 1.5s}
)",
             {"spec.rules[0].timeouts.request: Invalid value: \"1.5s\": "
              "spec.rules[0].timeouts.request in body should match "
              "'^([0-9]{1,5}(h|m|s|ms)){1,4}$'"}},
        Case{"FilterTypeWithoutItsMember",
             kRoute + R"(
  rules:
  - filters:
    - type: RequestHeaderModifier
)",
             {"spec.rules[0].filters[0]: Invalid value: \"object\": "
              "filter.requestHeaderModifier must be specified for RequestHeaderModifier "
              "filter.type"}},
        Case{"FilterMemberOfAnotherType",
             kRoute + R"(
  rules:
  - filters:
    - type: URLRewrite
      urlRewrite: {hostname: example.com}
      requestRedirect: {hostname: example.com}
)",
             {"spec.rules[0].filters[0]: Invalid value: \"object\": filter.requestRedirect must "
              "be nil if the filter.type is not RequestRedirect"}},
        Case{"RedirectAndRewriteTogether",
             kRoute + R"(
  rules:
  - filters:
    - {type: RequestRedirect, requestRedirect: {scheme: https}}
    - {type: URLRewrite, urlRewrite: {hostname: example.com}}
)",
             {"spec.rules[0].filters: Invalid value: \"array\": May specify either "
              "httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both"}},
        Case{"RepeatedHeaderModifier",
             kRoute + R"(
  rules:
  - filters:
    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [x-a]}}
    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [x-b]}}
)",
             {"spec.rules[0].filters: Invalid value: \"array\": RequestHeaderModifier filter "
              "cannot be repeated"}},
        Case{"RedirectWithBackends",
             kRoute + R"(
  rules:
  - filters:
    - {type: RequestRedirect, requestRedirect: {scheme: https}}
    backendRefs:
    - {name: nginx-v1, port: 80}
)",
             {"spec.rules[0]: Invalid value: \"object\": RequestRedirect filter must not be used "
              "together with backendRefs"}},
        Case{"ReplacePrefixNeedsOnePrefixMatch",
             kRoute + R"(
  rules:
  - matches:
    - path: {type: Exact, value: /a}
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}
)",
             {"spec.rules[0]: Invalid value: \"object\": When using URLRewrite filter with "
              "path.replacePrefixMatch, exactly one PathPrefix match must be specified"}},
        Case{"RedirectStatusCode",
             kRoute + R"(
  rules:
  - filters:
    - {type: RequestRedirect, requestRedirect: {statusCode: 300}}
)",
             {"spec.rules[0].filters[0].requestRedirect.statusCode: Unsupported value: 300: "
              "supported values: \"301\", \"302\", \"303\", \"307\", \"308\"",
              kSkipped}},
        Case{"MirrorPercentAndFraction",
             kRoute + R"(
  rules:
  - filters:
    - type: RequestMirror
      requestMirror:
        backendRef: {name: shadow, port: 80}
        percent: 10
        fraction: {numerator: 1}
)",
             {"spec.rules[0].filters[0].requestMirror: Invalid value: \"object\": Only one of "
              "percent or fraction may be specified in HTTPRequestMirrorFilter"}},
        Case{"MirrorFractionAboveOne",
             kRoute + R"(
  rules:
  - filters:
    - type: RequestMirror
      requestMirror:
        backendRef: {name: shadow, port: 80}
        fraction: {numerator: 101}
)",
             {"spec.rules[0].filters[0].requestMirror.fraction: Invalid value: \"object\": "
              "numerator must be less than or equal to denominator"}},
        Case{"TwoParentRefsToOneParentNeedSections",
             kRoute + R"(
  - {group: "", kind: Service, name: nginx}
)",
             {"spec.parentRefs: Invalid value: \"array\": sectionName or port must be specified "
              "when parentRefs includes 2 or more references to the same parent"}},
        Case{"SameParentTwice",
             R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: http}, {name: gw, sectionName: http}]
)",
             {"spec.parentRefs: Invalid value: \"array\": sectionName or port must be unique "
              "when parentRefs includes 2 or more references to the same parent"}},
        Case{"DuplicateRuleNames",
             kRoute + R"(
  rules: [{name: a}, {name: a}]
)",
             {"spec.rules: Invalid value: \"array\": Rule name must be unique within the route"}},
        Case{"RetryAttemptsAndCodes",
             kRoute + R"(
  rules:
  - retry: {attempts: 0, codes: [500, 500, 600]}
)",
             {"spec.rules[0].retry.attempts: Invalid value: 0: spec.rules[0].retry.attempts in "
              "body should be greater than or equal to 1",
              "spec.rules[0].retry.codes[2]: Invalid value: 600: spec.rules[0].retry.codes[2] in "
              "body should be less than or equal to 599",
              "spec.rules[0].retry.codes[1]: Duplicate value: 500"}},
        Case{"PermanentCookieNeedsTimeout",
             kRoute + R"(
  rules:
  - sessionPersistence: {cookieConfig: {lifetimeType: Permanent}}
)",
             {"spec.rules[0].sessionPersistence: Invalid value: \"object\": AbsoluteTimeout must "
              "be specified when cookie lifetimeType is Permanent"}},
        Case{"RouteWithoutSpec",
             R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
)",
             {"spec: Required value", kSkipped}},
        Case{"GatewayIsValid",
             kGateway + R"(
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.example.com"}
  - {name: tcp, port: 5432, protocol: TCP}
)",
             {}},
        Case{"GatewayWithoutListeners",
             kGateway + R"(
  listeners: []
)",
             {"spec.listeners: Invalid value: 0: spec.listeners in body should have at least 1 "
              "items"}},
        Case{"DuplicateListenerNames",
             kGateway + R"(
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: http, port: 8080, protocol: HTTP}
)",
             {"spec.listeners[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}",
              "spec.listeners: Invalid value: \"array\": Listener name must be unique within the "
              "Gateway"}},
        Case{"ListenerRules",
             kGateway + R"(
  listeners:
  - {name: tcp, port: 5432, protocol: TCP, hostname: db.example.com}
  - name: http
    port: 80
    protocol: HTTP
    tls: {certificateRefs: [{name: cert}]}
  - {name: tls, port: 443, protocol: TLS}
  - {name: http2, port: 80, protocol: HTTP}
)",
             {"spec.listeners: Invalid value: \"array\": tls must not be specified for protocols "
              "['HTTP', 'TCP', 'UDP']",
              "spec.listeners: Invalid value: \"array\": tls mode must be set for protocol TLS",
              "spec.listeners: Invalid value: \"array\": hostname must not be specified for "
              "protocols ['TCP', 'UDP']",
              "spec.listeners: Invalid value: \"array\": Combination of port, protocol and "
              "hostname must be unique for each listener"}},
        Case{"HttpsWithoutCertificates",
             kGateway + R"(
  listeners:
  - {name: https, port: 443, protocol: HTTPS, tls: {mode: Terminate}}
)",
             {"spec.listeners[0].tls: Invalid value: \"object\": certificateRefs or options must "
              "be specified when mode is Terminate"}},
        Case{"GatewayClassBadController",
             R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: c}
spec: {controllerName: example.com}
)",
             {"spec.controllerName: Invalid value: \"example.com\": spec.controllerName in body "
              "should match "
              "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/"
              "[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'"}},
        Case{"ReferenceGrantNeedsFromAndTo",
             R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute}]
)",
             {"spec.to: Required value", "spec.from[0].namespace: Required value", kSkipped}},
        Case{"TcpRouteNeedsBackends",
             R"(
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t, namespace: default}
spec:
  rules: [{backendRefs: []}]
)",
             {"spec.rules[0].backendRefs: Invalid value: 0: spec.rules[0].backendRefs in body "
              "should have at least 1 items"}},
        Case{"BadObjectName",
             R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: Bad_Name}
spec: {controllerName: example.com/x}
)",
             {"metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must "
              "consist of lower case alphanumeric characters, '-' or '.', and must start and end "
              "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// Defaulting.

TEST(GatewayDefaults, RouteDefaultsAsTheCrdDoes) {
  json::object o = parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: v1, port: 80}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
)");
  applyDefaults(o, typeOf(o));
  json::value v(o);
  const auto& parent = find(v, "spec.parentRefs")->as_array()[0];
  EXPECT_EQ(getString(parent, "group"), "gateway.networking.k8s.io");
  EXPECT_EQ(getString(parent, "kind"), "Gateway");
  const auto& rule = find(v, "spec.rules")->as_array()[0];
  const auto& backend = find(rule, "backendRefs")->as_array()[0];
  EXPECT_EQ(getString(backend, "group"), "");
  EXPECT_EQ(getString(backend, "kind"), "Service");
  EXPECT_EQ(getInt(backend, "weight"), 1);
  EXPECT_EQ(json::serialize(*find(rule, "matches")),
            R"([{"path":{"type":"PathPrefix","value":"/"}}])");
  EXPECT_EQ(getInt(find(rule, "filters")->as_array()[0], "requestRedirect.statusCode"), 302);
  EXPECT_EQ(find(v, "status"), nullptr);  // routes have no status default
}

TEST(GatewayDefaults, RouteWithoutRulesGetsTheCatchAllRule) {
  json::object o = parse(kRoute);
  applyDefaults(o, typeOf(o));
  EXPECT_EQ(json::serialize(*find(json::value(o), "spec.rules")),
            R"([{"matches":[{"path":{"type":"PathPrefix","value":"/"}}]}])");
}

TEST(GatewayDefaults, GatewayListenersAndPendingStatus) {
  json::object o = parse(kGateway + R"(
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}
)");
  applyDefaults(o, typeOf(o));
  json::value v(o);
  const auto& listeners = find(v, "spec.listeners")->as_array();
  EXPECT_EQ(getString(listeners[0], "allowedRoutes.namespaces.from"), "Same");
  EXPECT_EQ(getString(listeners[1], "tls.mode"), "Terminate");
  const auto& ref = find(listeners[1], "tls.certificateRefs")->as_array()[0];
  EXPECT_EQ(getString(ref, "kind"), "Secret");
  const auto& conditions = find(v, "status.conditions")->as_array();
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(getString(conditions[0], "type"), "Accepted");
  EXPECT_EQ(getString(conditions[1], "type"), "Programmed");
  EXPECT_EQ(getString(conditions[1], "status"), "Unknown");
  EXPECT_EQ(getString(conditions[1], "reason"), "Pending");
  EXPECT_EQ(getString(conditions[1], "message"), "Waiting for controller");
  EXPECT_TRUE(validate(o, nullptr, typeOf(o)).ok());
}

TEST(GatewayDefaults, GatewayClassPendingStatus) {
  json::object o = parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: sluice}
spec: {controllerName: sluice.dev/gateway-controller}
)");
  applyDefaults(o, typeOf(o));
  json::value v(o);
  const auto& conditions = find(v, "status.conditions")->as_array();
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(getString(conditions[0], "type"), "Accepted");
  EXPECT_EQ(getString(conditions[0], "lastTransitionTime"), "1970-01-01T00:00:00Z");
}

// ---------------------------------------------------------------------------------------------
// Update-only rules and status.

TEST(GatewayValidationUpdate, ControllerNameIsImmutable) {
  json::object old = parse(R"(
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: c}
spec: {controllerName: example.com/a}
)");
  json::object next = old;
  next["spec"].as_object()["controllerName"] = "example.com/b";
  EXPECT_EQ(causesOf(next, &old),
            std::vector<std::string>{
                "spec.controllerName: Invalid value: \"string\": Value is immutable"});
  EXPECT_TRUE(causesOf(old, &old).empty());
}

TEST(GatewayValidationUpdate, RouteStatusIsChecked) {
  json::object o = parse(kRoute + R"(
status:
  parents:
  - parentRef: {group: "", kind: Service, name: nginx}
    controllerName: sluice.dev/gateway-controller
    conditions:
    - {type: Accepted, status: Maybe, reason: Accepted, message: "",
       lastTransitionTime: "2026-01-01T00:00:00Z"}
)");
  EXPECT_EQ(causesOf(o), std::vector<std::string>(
                             {"status.parents[0].conditions[0].status: Unsupported value: "
                              "\"Maybe\": supported values: \"True\", \"False\", \"Unknown\"",
                              kSkipped}));
}

// ---------------------------------------------------------------------------------------------
// Regular expressions (checked for status, not at write time).

TEST(GatewayRegex, CompilesOrSaysWhy) {
  EXPECT_EQ(gatewayRegexError("^/v[0-9]+/.*$"), std::nullopt);
  auto bad = gatewayRegexError("/(unclosed");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(*bad, "invalid regular expression \"/(unclosed\": missing ): /(unclosed");
  // Backreferences are not RE2 (nor Go): refused.
  EXPECT_TRUE(gatewayRegexError("(a)\\1").has_value());
}

}  // namespace
}  // namespace sluice::api
