// Route filters on heads: header set/add/remove, URL rewrites, redirect locations and cookies,
// table-driven from the Gateway API's conformance cases.
#include "proxy/head_edit.h"

#include <gtest/gtest.h>

namespace sluice::proxy {
namespace {

TEST(HeadEditTest, HTTPRouteRequestHeaderModifier) {
  HeaderEdits e;
  e.set = {{"X-Header-Set", "set-overwrites-values"}};
  e.add = {{"X-Header-Add", "add-appends-values"}, {"X-New", "new"}};
  e.remove = {"x-header-remove"};
  std::string out;
  rewriteHead(
      "GET / HTTP/1.1\r\nHost: a\r\nx-header-set: some-other-value\r\nX-Header-Set: again\r\n"
      "X-Header-Add: some-other-value\r\nX-Header-Remove: val\r\nKeep: me\r\n\r\n",
      {{}, &e, {}, {}}, out);
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: a\r\nX-Header-Set: set-overwrites-values\r\n"
            "X-Header-Add: some-other-value,add-appends-values\r\nKeep: me\r\n"
            "X-New: new\r\n\r\n");
}

TEST(HeadEditTest, SetAddsWhenAbsentAndStartLineHostAndExtraLines) {
  HeaderEdits e;
  e.set = {{"X-Set", "1"}};
  std::string out;
  rewriteHead("GET /a HTTP/1.1\r\nhost: old\r\n\r\n",
              {"GET /b HTTP/1.1", &e, "new.example.com", "Set-Cookie: s=t\r\n"}, out);
  EXPECT_EQ(out, "GET /b HTTP/1.1\r\nhost: new.example.com\r\nX-Set: 1\r\nSet-Cookie: s=t\r\n\r\n");
  rewriteHead("GET /a HTTP/1.0\r\n\r\n", {{}, nullptr, "h", {}}, out);
  EXPECT_EQ(out, "GET /a HTTP/1.0\r\nHost: h\r\n\r\n");
}

RouteMatch prefix(std::string p) {
  RouteMatch m;
  m.pathType = RouteMatch::Path::Prefix;
  m.path = std::move(p);
  return m;
}

TEST(HeadEditTest, ModifiedPaths) {
  struct Case {
    PathModifier::Type type;
    std::string value, matched, path, want;
  };
  using T = PathModifier::Type;
  std::vector<Case> cases = {
      {T::ReplacePrefixMatch, "/one", "/prefix/one", "/prefix/one/two", "/one/two"},
      {T::ReplacePrefixMatch, "/", "/strip-prefix", "/strip-prefix/three", "/three"},
      {T::ReplacePrefixMatch, "/", "/strip-prefix", "/strip-prefix", "/"},
      {T::ReplacePrefixMatch, "/xyz", "/prefix", "/prefix", "/xyz"},
      {T::ReplacePrefixMatch, "/xyz/", "/prefix", "/prefix/", "/xyz/"},
      {T::ReplaceFullPath, "/full", "/prefix", "/prefix/x", "/full"},
      {T::None, "", "/prefix", "/prefix/x", "/prefix/x"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(modifiedPath({c.type, c.value}, prefix(c.matched), c.path), c.want)
        << c.value << " " << c.path;
}

TEST(HeadEditTest, HTTPRouteRedirectHostAndStatusAndPorts) {
  RouteMatch any = prefix("");
  Redirect r;
  r.hostname = "example.org";
  r.statusCode = 301;
  EXPECT_EQ(redirectLocation(r, any, "example.com", 80, "/x?q=1"), "http://example.org/x?q=1");
  EXPECT_EQ(redirectLocation(r, any, "example.com", 8080, "/x"), "http://example.org:8080/x");
  Redirect s;
  s.scheme = "https";
  EXPECT_EQ(redirectLocation(s, any, "example.com", 8080, "/"), "https://example.com/")
      << "a scheme change takes the scheme's well-known port";
  Redirect p;
  p.port = 8443;
  p.scheme = "https";
  EXPECT_EQ(redirectLocation(p, any, "h", 80, "/"), "https://h:8443/");
  Redirect path;
  path.path = {PathModifier::Type::ReplacePrefixMatch, "/new"};
  EXPECT_EQ(redirectLocation(path, prefix("/old"), "h", 80, "/old/page?a=b"),
            "http://h/new/page?a=b");
}

TEST(HeadEditTest, Cookies) {
  EXPECT_EQ(cookieValue("a=1; sluice-session=abc; b=2", "sluice-session").value_or("-"), "abc");
  EXPECT_EQ(cookieValue("sluice-session=\"q\"", "sluice-session").value_or("-"), "q");
  EXPECT_FALSE(cookieValue("xsluice-session=abc", "sluice-session"));
  EXPECT_FALSE(cookieValue("", "a"));
}

}  // namespace
}  // namespace sluice::proxy
