// HTTPRoute matching and precedence, table-driven: which route rule a request reaches, with the
// cases of the Gateway API's conformance suite (path match order, exact paths, headers, matching
// across routes, hostnames) written from the specification's wording.
#include "proxy/http_route.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice::proxy {
namespace {

namespace json = boost::json;

struct RouteSpec {
  std::string name;
  std::string created = "2026-01-01T00:00:00Z";
  std::string rules;  // JSON array
  std::vector<std::string> hostnames;
};

struct Table {
  std::vector<std::shared_ptr<json::value>> objects;
  std::shared_ptr<HttpRouteTable> table;
  std::vector<std::string> problems;
};

Table compile(const std::vector<RouteSpec>& specs) {
  Table t;
  std::vector<HttpRouteTable::Source> sources;
  for (const auto& s : specs) {
    auto o = std::make_shared<json::value>(json::parse(
        R"({"metadata":{"namespace":"default","name":")" + s.name + R"(","creationTimestamp":")" +
        s.created + R"("},"spec":{"rules":)" + s.rules + "}}"));
    t.objects.push_back(o);
    sources.push_back({o.get(), s.hostnames});
  }
  t.table = HttpRouteTable::compile(sources, &t.problems);
  return t;
}

struct Req {
  std::string target;
  std::string method = "GET";
  std::string headers;  // "Name: value\r\n" lines
  std::string host = "example.com";
};

// "route/rule" of the rule a request reaches, or "404".
std::string reach(const Table& t, const Req& r) {
  std::string head =
      r.method + " " + r.target + " HTTP/1.1\r\nHost: " + r.host + "\r\n" + r.headers + "\r\n";
  const HttpRule* rule = t.table->find({r.host, r.method, r.target, head});
  if (!rule) return "404";
  return rule->routeName + "/" + std::to_string(rule->ruleIndex);
}

struct Case {
  Req request;
  std::string want;
};

void check(const Table& t, const std::vector<Case>& cases) {
  for (const auto& c : cases)
    EXPECT_EQ(reach(t, c.request), c.want)
        << c.request.method << " " << c.request.target << " " << c.request.headers;
}

TEST(HttpRouteTest, HTTPRouteMatching) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"PathPrefix","value":"/"}}]},
    {"matches":[{"path":{"type":"Exact","value":"/v2"}},
                {"headers":[{"name":"version","value":"two"}]}]}])"}});
  check(t, {{{"/"}, "r/0"},
            {{"/example"}, "r/0"},
            {{"/v2"}, "r/1"},
            {{"/v2/example"}, "r/0"},
            {{"/", "GET", "version: two\r\n"}, "r/1"},
            {{"/v2example"}, "r/0"}});
}

TEST(HttpRouteTest, HTTPRoutePathMatchOrder) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"PathPrefix","value":"/match"}}]},
    {"matches":[{"path":{"type":"Exact","value":"/match/exact"}}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/match/prefix/one"}}]},
    {"matches":[{"path":{"type":"Exact","value":"/match/exact/one"}}]},
    {"matches":[{"path":{"type":"PathPrefix","value":"/match/prefix"}}]}])"}});
  check(t, {{{"/match"}, "r/0"},
            {{"/match/exact"}, "r/1"},
            {{"/match/exact/one"}, "r/3"},
            {{"/match/exact/two"}, "r/0"},
            {{"/match/prefix"}, "r/4"},
            {{"/match/prefix/one"}, "r/2"},
            {{"/match/prefix/one/two"}, "r/2"},
            {{"/match/prefix/two"}, "r/4"},
            {{"/matches"}, "404"}});
}

TEST(HttpRouteTest, HTTPRouteExactPathMatching) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"Exact","value":"/one"}}]},
    {"matches":[{"path":{"type":"Exact","value":"/two"}}]}])"}});
  check(t, {{{"/one"}, "r/0"},
            {{"/two"}, "r/1"},
            {{"/"}, "404"},
            {{"/one/example"}, "404"},
            {{"/two/"}, "404"},
            {{"/one?x=1"}, "r/0"}});
}

TEST(HttpRouteTest, HTTPRouteHeaderMatching) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"headers":[{"name":"Version","value":"one"}]}]},
    {"matches":[{"headers":[{"name":"version","value":"two"}]}]},
    {"matches":[{"headers":[{"name":"version","value":"two"},{"name":"color","value":"orange"}]}]},
    {"matches":[{"headers":[{"name":"color","value":"blue"}]},
                {"headers":[{"name":"color","value":"green"}]}]},
    {"matches":[{"headers":[{"name":"color","value":"red"}]},
                {"headers":[{"name":"color","value":"yellow"}]}]},
    {"matches":[{"headers":[{"name":"canary","type":"RegularExpression","value":"always|yes"}]}]}])"}});
  check(t, {{{"/", "GET", "Version: one\r\n"}, "r/0"},
            {{"/", "GET", "version: two\r\n"}, "r/1"},
            {{"/", "GET", "version: two\r\nColor: orange\r\n"}, "r/2"},
            {{"/", "GET", "version: three\r\ncolor: orange\r\n"}, "404"},
            {{"/", "GET", "color: blue\r\n"}, "r/3"},
            {{"/", "GET", "color: green\r\n"}, "r/3"},
            {{"/", "GET", "color: red\r\n"}, "r/4"},
            {{"/", "GET", "color: yellow\r\n"}, "r/4"},
            {{"/", "GET", "color: purple\r\n"}, "404"},
            {{"/", "GET", "version: ONE\r\n"}, "404"},  // values are case-sensitive
            {{"/", "GET", "canary: always\r\n"}, "r/5"},
            {{"/", "GET", "canary: alwaysx\r\n"}, "404"},  // a full match
            {{"/", "GET", "canary:   yes  \r\n"}, "r/5"}});
}

TEST(HttpRouteTest, HTTPRouteMatchingAcrossRoutes) {
  // Two routes: precedence across them by the spec's order, then the oldest route.
  auto t = compile({{"older", "2026-01-01T00:00:00Z", R"([
                      {"matches":[{"path":{"type":"PathPrefix","value":"/"}}]},
                      {"matches":[{"path":{"type":"PathPrefix","value":"/v2"},
                                   "headers":[{"name":"version","value":"two"}]}]}])"},
                    {"newer", "2026-02-01T00:00:00Z", R"([
                      {"matches":[{"path":{"type":"PathPrefix","value":"/v2"}}]},
                      {"matches":[{"path":{"type":"Exact","value":"/v2/exact"}}]},
                      {"matches":[{"path":{"type":"PathPrefix","value":"/"}}]}])"}});
  check(t, {{{"/"}, "older/0"},  // the same match: the older route wins
            {{"/v2"}, "newer/0"},
            {{"/v2", "GET", "version: two\r\n"}, "older/1"},        // more headers
            {{"/v2/exact", "GET", "version: two\r\n"}, "newer/1"},  // exact beats prefix
            {{"/v3"}, "older/0"}});
}

TEST(HttpRouteTest, MethodAndQueryParamsAndTheirPrecedence) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"PathPrefix","value":"/"}}]},
    {"matches":[{"method":"POST"}]},
    {"matches":[{"queryParams":[{"name":"v","value":"2"}]}]},
    {"matches":[{"queryParams":[{"name":"v","value":"2"},{"name":"debug","value":""}]}]},
    {"matches":[{"path":{"type":"RegularExpression","value":"/items/[0-9]+"}}]}])"}});
  check(t, {{{"/"}, "r/0"},
            {{"/", "POST"}, "r/1"},
            {{"/?v=2"}, "r/2"},
            {{"/?a=1&v=2"}, "r/2"},
            {{"/?v=2&debug="}, "r/3"},
            {{"/?v=2&debug"}, "r/3"},
            {{"/?v=3"}, "r/0"},
            {{"/items/42"}, "r/4"},
            {{"/items/42/x"}, "r/0"},
            {{"/?v=2", "POST"}, "r/1"}});  // a method outranks query parameters
}

TEST(HttpRouteTest, PrefixIgnoresATrailingSlashAndMatchesSegments) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"PathPrefix","value":"/foo/"}}]}])"}});
  check(t, {{{"/foo"}, "r/0"}, {{"/foo/"}, "r/0"}, {{"/foo/bar"}, "r/0"}, {{"/foobar"}, "404"}});
}

TEST(HttpRouteTest, HTTPRouteListenerHostnameMatching) {
  auto t = compile({{"exact", "2026-02-01T00:00:00Z", R"([{}])", {"bar.example.com"}},
                    {"wild", "2026-02-01T00:00:00Z", R"([{}])", {"*.example.com"}},
                    {"deeper", "2026-02-01T00:00:00Z", R"([{}])", {"*.foo.example.com"}},
                    {"any", "2026-01-01T00:00:00Z", R"([{}])", {}}});
  auto at = [&](std::string host) { return reach(t, {"/", "GET", "", std::move(host)}); };
  EXPECT_EQ(at("bar.example.com"), "exact/0");
  EXPECT_EQ(at("BAR.example.com"), "exact/0");
  EXPECT_EQ(at("baz.example.com"), "wild/0");
  EXPECT_EQ(at("a.foo.example.com"), "deeper/0");
  EXPECT_EQ(at("example.com"), "any/0") << "a wildcard needs at least one more label";
  EXPECT_EQ(at("other.net"), "any/0");
}

TEST(HttpRouteTest, AHostnameRouteFallsBackToLessSpecificRoutesForOtherPaths) {
  auto t = compile({{"exact",
                     "2026-02-01T00:00:00Z",
                     R"([{"matches":[{"path":{"type":"Exact","value":"/only"}}]}])",
                     {"a.example.com"}},
                    {"any", "2026-01-01T00:00:00Z", R"([{}])", {}}});
  EXPECT_EQ(reach(t, {"/only", "GET", "", "a.example.com"}), "exact/0");
  EXPECT_EQ(reach(t, {"/other", "GET", "", "a.example.com"}), "any/0");
}

TEST(HttpRouteTest, FiltersTimeoutsRetryAndSessionPersistenceCompile) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([{
    "filters":[
      {"type":"RequestHeaderModifier","requestHeaderModifier":{
         "set":[{"name":"X-Set","value":"s"}],"add":[{"name":"X-Add","value":"a"}],"remove":["X-Gone"]}},
      {"type":"RequestMirror","requestMirror":{"backendRef":{"name":"shadow","port":8080},"percent":25}}],
    "timeouts":{"request":"2s","backendRequest":"500ms"},
    "retry":{"codes":[503],"attempts":2,"backoff":"100ms"},
    "sessionPersistence":{"sessionName":"canary","type":"Cookie",
                          "absoluteTimeout":"1h","cookieConfig":{"lifetimeType":"Permanent"}}}])"}});
  ASSERT_TRUE(t.problems.empty()) << t.problems[0];
  const HttpRule& r = t.table->rules().at(0);
  EXPECT_EQ(r.requestHeaders.set.at(0).first, "X-Set");
  EXPECT_EQ(r.requestHeaders.remove.at(0), "x-gone");
  ASSERT_EQ(r.mirrors.size(), 1u);
  EXPECT_EQ(r.mirrors[0].ns, "default");
  EXPECT_EQ(r.mirrors[0].numerator, 25u);
  EXPECT_EQ(r.mirrors[0].denominator, 100u);
  EXPECT_EQ(r.requestTimeout.count(), 2000);
  EXPECT_EQ(r.backendTimeout.count(), 500);
  ASSERT_TRUE(r.retry);
  EXPECT_EQ(r.retry->attempts, 2);
  ASSERT_TRUE(r.session);
  EXPECT_EQ(r.session->name, "canary");
  EXPECT_TRUE(r.session->permanent);
  EXPECT_EQ(r.session->absoluteTimeout.count(), 3600);
}

TEST(HttpRouteTest, WhatCannotBeServedLeavesTheRuleOutAndSaysWhy) {
  auto t = compile({{"r", "2026-01-01T00:00:00Z", R"([
    {"matches":[{"path":{"type":"RegularExpression","value":"/(a"}}]},
    {"filters":[{"type":"ExtensionRef","extensionRef":{"group":"x","kind":"Y","name":"z"}}]},
    {"sessionPersistence":{"idleTimeout":"10m"}},
    {}])"}});
  ASSERT_EQ(t.problems.size(), 3u);
  EXPECT_NE(t.problems[0].find("default/r rule 0: invalid regular expression"), std::string::npos)
      << t.problems[0];
  EXPECT_NE(t.problems[1].find("ExtensionRef is not supported by sluice"), std::string::npos);
  EXPECT_NE(t.problems[2].find("idleTimeout is not supported"), std::string::npos);
  EXPECT_EQ(reach(t, {"/"}), "r/3");
}

TEST(HttpRouteTest, HeaderAndQueryLookups) {
  std::string head = "GET /x?a=1&b=&c HTTP/1.1\r\nHost: h\r\nX-One:  1 \r\nx-one: 2\r\n\r\n";
  EXPECT_EQ(headerValue(head, "x-one").value_or("none"), "1");
  EXPECT_EQ(headerValue(head, "host").value_or("none"), "h");
  EXPECT_FALSE(headerValue(head, "get"));
  EXPECT_EQ(queryValue("/x?a=1&b=&c", "a").value_or("none"), "1");
  EXPECT_EQ(queryValue("/x?a=1&b=&c", "b").value_or("none"), "");
  EXPECT_EQ(queryValue("/x?a=1&b=&c", "c").value_or("none"), "");
  EXPECT_FALSE(queryValue("/x?a=1", "A"));
  EXPECT_FALSE(queryValue("/x", "a"));
}

}  // namespace
}  // namespace sluice::proxy
