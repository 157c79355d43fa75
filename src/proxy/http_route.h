// HTTPRoute rules as the data path serves them: compiled from the route objects once per
// snapshot, matched per request without allocating.
//
// Matching (Gateway API v1.6, HTTPRouteMatch): a rule matches when any of its matches does; a
// match when its path, method, every header and every query parameter do. Paths: Exact is the
// whole path; PathPrefix matches whole segments ("/v2" matches "/v2", "/v2/" and "/v2/x", not
// "/v2x"; a trailing "/" in the prefix is ignored); RegularExpression is an RE2 full match.
// Header names are case-insensitive, values case-sensitive; the first line of a header counts.
// Query parameter names and values are compared as sent (not decoded).
//
// Precedence, when several matches of the routes at one parent match a request: the most
// specific hostname first (exact, then the longest wildcard, then routes without hostnames);
// then, as the spec orders it, an Exact path, a RegularExpression path (the spec leaves its place
// to implementations; sluice puts it between Exact and PathPrefix), the longest PathPrefix, a
// method, the most header matches, the most query parameter matches; then the oldest route
// (creationTimestamp), then "namespace/name" alphabetically; then the rule and match order
// within the route.
#pragma once

#include <re2/re2.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::proxy {

// A header or query parameter condition.
struct ValueMatch {
  std::string name;  // headers: lower case
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // RegularExpression; null for Exact
  bool matches(std::string_view v) const;
};

struct RouteMatch {
  enum class Path { Exact, RegularExpression, Prefix };
  Path pathType = Path::Prefix;
  std::string path;  // Prefix: without a trailing "/" ("" for "/")
  std::shared_ptr<const re2::RE2> pathRegex;
  std::string method;  // "" = any
  std::vector<ValueMatch> headers, query;
};

// RequestHeaderModifier / ResponseHeaderModifier.
struct HeaderEdits {
  std::vector<std::pair<std::string, std::string>> set, add;  // names as written
  std::vector<std::string> remove;                            // lower case
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

// A path modifier of RequestRedirect or URLRewrite.
struct PathModifier {
  enum class Type { None, ReplaceFullPath, ReplacePrefixMatch };
  Type type = Type::None;
  std::string value;
};

struct Redirect {
  std::string scheme, hostname;  // "" = the request's
  int32_t port = 0;              // 0 = by the spec's rules
  int statusCode = 302;
  PathModifier path;
};

struct Rewrite {
  std::string hostname;  // "" = unchanged
  PathModifier path;
};

// RequestMirror: a copy of `numerator`/`denominator` of the requests goes to a Service port.
struct RequestMirror {
  std::string ns, name;  // the Service
  int32_t port = 0;
  uint32_t numerator = 1, denominator = 1;
};

struct SessionPersistence {
  enum class Type { Cookie, Header };
  Type type = Type::Cookie;
  std::string name;  // the cookie or header name
  std::chrono::seconds absoluteTimeout{0};
  bool permanent = false;  // cookieConfig.lifetimeType: Permanent (Max-Age) or Session
};

struct Retry {
  std::vector<int> codes;
  int attempts = 0;  // retries after the first try
  std::chrono::milliseconds backoff{0};
};

// One rule of one route, as compiled for one parent.
struct HttpRule {
  std::string routeNs, routeName;
  size_t ruleIndex = 0;
  std::vector<RouteMatch> matches;
  HeaderEdits requestHeaders, responseHeaders;
  std::optional<Redirect> redirect;
  std::optional<Rewrite> rewrite;
  std::vector<RequestMirror> mirrors;
  std::chrono::milliseconds requestTimeout{0}, backendTimeout{0};  // 0 = none
  std::optional<Retry> retry;
  std::optional<SessionPersistence> session;
  bool hasBackendRefs = true;  // false: answered 500 unless a redirect handles it
};

// The compiled rules of every route at one parent, in precedence order.
class HttpRouteTable {
 public:
  struct Source {
    const boost::json::value* route;     // the HTTPRoute object
    std::vector<std::string> hostnames;  // where the route applies; empty = any host
  };
  // Compiles the routes at one parent. Rules keep their index in `rules()`; `problems` gets
  // what could not be compiled ("namespace/name rule 2: ..."), which leaves that rule out.
  static std::shared_ptr<HttpRouteTable> compile(const std::vector<Source>& sources,
                                                 std::vector<std::string>* problems = nullptr);

  struct Request {
    std::string_view host;    // the Host header, without a port
    std::string_view method;  // as sent
    std::string_view target;  // the request target: path and query
    // The head (start line and header lines, each ending in CRLF), for header conditions.
    std::string_view head;
  };
  // The rule for `request`, or null when none matches (404); `match` gets the index of the match
  // that did, in the rule's matches.
  const HttpRule* find(const Request& request, size_t* match = nullptr) const;

  const std::vector<HttpRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty(); }

 private:
  struct Entry {
    uint32_t rule, match;
  };
  struct HostGroup {
    std::string host;            // "" = any; "*.example.com"; "a.example.com"
    std::vector<Entry> entries;  // in precedence order
  };
  const HostGroup* groupFor(std::string_view host) const;

  std::vector<HttpRule> rules_;
  std::vector<HostGroup> exact_, wildcard_;  // wildcard_: longest suffix first
  HostGroup any_;
};

// The value of header `name` (lower case) in `head` (first occurrence, trimmed), if present.
std::optional<std::string_view> headerValue(std::string_view head, std::string_view name);

// The value of query parameter `name` in `target` (first occurrence), if present.
std::optional<std::string_view> queryValue(std::string_view target, std::string_view name);

}  // namespace sluice::proxy
