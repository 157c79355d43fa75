// HTTPRoute's schema (v1 and v1beta1 are the same): matches, filters, backendRefs, timeouts,
// retry and session persistence, with the CEL rules of httproute_types.go.
#include <algorithm>
#include <string>

#include "api/duration.h"
#include "api/gateway_schemas.h"

namespace sluice::api::gateway {

using crd::Schema;
namespace json = boost::json;

namespace {

Schema headerName() {
  return Schema::string().minLength(1).maxLength(256).pattern(
      R"(^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$)");
}

// Header values (experimental channel): printable US-ASCII, single tabs or spaces between.
Schema headerValue() {
  return Schema::string().minLength(1).maxLength(4096).pattern(R"(^[!-~]+([\t ]?[!-~]+)*$)");
}

// A `type: value` member pair, as CEL's `self.type == 'X'` reads it.
bool typeIs(const json::value& v, std::string_view type) {
  return crd::text(v, "type") == type;
}

bool typeIsExactOrPrefix(const json::value& self) {
  return typeIs(self, "Exact") || typeIs(self, "PathPrefix");
}

// The path-match rules only apply to Exact and PathPrefix: `(type in [...]) ? check : true`.
Schema pathRule(Schema s, std::string message, bool (*ok)(std::string_view value)) {
  return s.rule(std::move(message), [ok](const json::value& self) {
    return !typeIsExactOrPrefix(self) || ok(crd::text(self, "value"));
  });
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}
bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Schema pathMatch() {
  Schema s = Schema::object({
      {"type", Schema::string()
                   .oneOf({"Exact", "PathPrefix", "RegularExpression"})
                   .defaultTo("PathPrefix")},
      {"value", Schema::string().maxLength(1024).defaultTo("/")},
  });
  s = pathRule(s,
               "value must be an absolute path and start with '/' when type one of ['Exact', "
               "'PathPrefix']",
               [](std::string_view v) { return !v.empty() && v.front() == '/'; });
  s = pathRule(s, "must not contain '//' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "//"); });
  s = pathRule(s, "must not contain '/./' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "/./"); });
  s = pathRule(s, "must not contain '/../' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "/../"); });
  s = pathRule(s, "must not contain '%2f' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "%2f"); });
  s = pathRule(s, "must not contain '%2F' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "%2F"); });
  s = pathRule(s, "must not contain '#' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !contains(v, "#"); });
  s = pathRule(s, "must not end with '/..' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !endsWith(v, "/.."); });
  s = pathRule(s, "must not end with '/.' when type one of ['Exact', 'PathPrefix']",
               [](std::string_view v) { return !endsWith(v, "/."); });
  s = s.rule("type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
             [](const json::value& self) {
               return typeIsExactOrPrefix(self) || typeIs(self, "RegularExpression");
             });
  return pathRule(s,
                  "must only contain valid characters (matching "
                  "^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', "
                  "'PathPrefix']",
                  [](std::string_view v) {
                    return crd::matches(R"(^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$)",
                                        v);
                  });
}

Schema valueMatch(int64_t maxValueLength, bool headerPattern) {
  Schema value =
      headerPattern ? headerValue() : Schema::string().minLength(1).maxLength(maxValueLength);
  return Schema::object(
             {
                 {"name", headerName()},
                 {"type",
                  Schema::string().oneOf({"Exact", "RegularExpression"}).defaultTo("Exact")},
                 {"value", value},
             })
      .required({"name", "value"});
}

Schema match() {
  return Schema::object({
      {"headers", Schema::array(valueMatch(4096, true)).maxItems(16).listMap({"name"})},
      {"method", Schema::string().oneOf({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
                                         "OPTIONS", "TRACE", "PATCH"})},
      {"path", pathMatch().defaultTo(json::object{{"type", "PathPrefix"}, {"value", "/"}})},
      {"queryParams", Schema::array(valueMatch(1024, false)).maxItems(16).listMap({"name"})},
  });
}

Schema headerFilter() {
  Schema header = Schema::object({{"name", headerName()}, {"value", headerValue()}})
                      .required({"name", "value"});
  return Schema::object({
      {"add", Schema::array(header).maxItems(16).listMap({"name"})},
      {"remove", Schema::array(Schema::string()).maxItems(16).listSet()},
      {"set", Schema::array(header).maxItems(16).listMap({"name"})},
  });
}

Schema pathModifier() {
  auto typeNeeds = [](std::string type, std::string member) {
    return [type, member](const json::value& self) {
      return !typeIs(self, type) || crd::has(self, member);
    };
  };
  auto memberNeeds = [](std::string member, std::string type) {
    return [type, member](const json::value& self) {
      return !crd::has(self, member) || typeIs(self, type);
    };
  };
  return Schema::object(
             {
                 {"replaceFullPath", Schema::string().maxLength(1024)},
                 {"replacePrefixMatch", Schema::string().maxLength(1024)},
                 {"type", Schema::string().oneOf({"ReplaceFullPath", "ReplacePrefixMatch"})},
             })
      .required({"type"})
      .rule("replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
            typeNeeds("ReplaceFullPath", "replaceFullPath"))
      .rule("type must be 'ReplaceFullPath' when replaceFullPath is set",
            memberNeeds("replaceFullPath", "ReplaceFullPath"))
      .rule("replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
            typeNeeds("ReplacePrefixMatch", "replacePrefixMatch"))
      .rule("type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
            memberNeeds("replacePrefixMatch", "ReplacePrefixMatch"));
}

Schema requestMirror() {
  Schema fraction =
      Schema::object({
                         {"denominator", Schema::integer().minimum(1).defaultTo(100)},
                         {"numerator", Schema::integer().minimum(0)},
                     })
          .required({"numerator"})
          .rule("numerator must be less than or equal to denominator", [](const json::value& self) {
            const json::value* n = crd::member(self, "numerator");
            const json::value* d = crd::member(self, "denominator");
            return !n || !d || !n->is_int64() || !d->is_int64() || n->get_int64() <= d->get_int64();
          });
  Schema mirrorRef =
      objectReference("Service")
          .with("port", portNumber())
          .rule("Must have port for Service reference", [](const json::value& self) {
            bool service = crd::text(self, "group").empty() && crd::text(self, "kind") == "Service";
            return !service || crd::has(self, "port");
          });
  return Schema::object({
                            {"backendRef", mirrorRef},
                            {"fraction", fraction},
                            {"percent", Schema::integer().minimum(0).maximum(100)},
                        })
      .required({"backendRef"})
      .rule("Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
            [](const json::value& self) {
              return !(crd::has(self, "percent") && crd::has(self, "fraction"));
            });
}

Schema cors() {
  auto noWildcardWithOthers = [](const json::value& self) {
    const auto& a = self.get_array();
    bool wildcard = std::any_of(a.begin(), a.end(), [](const json::value& v) {
      return v.is_string() && v.get_string() == "*";
    });
    return !(wildcard && a.size() > 1);
  };
  return Schema::object({
      {"allowCredentials", Schema::boolean()},
      {"allowHeaders", Schema::array(headerName()).maxItems(64).listSet()},
      {"allowMethods",
       Schema::array(Schema::string().oneOf({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
                                             "OPTIONS", "TRACE", "PATCH", "*"}))
           .maxItems(9)
           .listSet()
           .rule("AllowMethods cannot contain '*' alongside other methods", noWildcardWithOthers)},
      {"allowOrigins",
       Schema::array(Schema::string().minLength(1).maxLength(253))
           .maxItems(64)
           .listSet()
           .rule("AllowOrigins cannot contain '*' alongside other origins", noWildcardWithOthers)},
      {"exposeHeaders", Schema::array(headerName()).maxItems(64).listSet()},
      {"maxAge", Schema::integer().minimum(1).defaultTo(5)},
  });
}

Schema externalAuth() {
  auto protocolNeeds = [](std::string protocol, std::string member) {
    return [protocol, member](const json::value& self) {
      return crd::text(self, "protocol") != protocol || crd::has(self, member);
    };
  };
  auto memberNeeds = [](std::string member, std::string protocol) {
    return [protocol, member](const json::value& self) {
      return !crd::has(self, member) || crd::text(self, "protocol") == protocol;
    };
  };
  return Schema::object({
                            {"backendRef", objectReference("Service").with("port", portNumber())},
                            {"forwardBody", Schema::object({{"maxSize", Schema::integer()}})},
                            {"grpc", Schema::object()},
                            {"http", Schema::object()},
                            {"protocol", Schema::string().oneOf({"HTTP", "GRPC"})},
                        })
      .required({"backendRef", "protocol"})
      .rule("grpc must be specified when protocol is set to 'GRPC'", protocolNeeds("GRPC", "grpc"))
      .rule("protocol must be 'GRPC' when grpc is set", memberNeeds("grpc", "GRPC"))
      .rule("http must be specified when protocol is set to 'HTTP'", protocolNeeds("HTTP", "http"))
      .rule("protocol must be 'HTTP' when http is set", memberNeeds("http", "HTTP"));
}

// One filter: `type` names which one member must be set, and no other may be.
Schema filter() {
  Schema s =
      Schema::object(
          {
              {"cors", cors()},
              {"extensionRef", Schema::object({
                                                  {"group", group()},
                                                  {"kind", kind()},
                                                  {"name", objectName()},
                                              })
                                   .required({"group", "kind", "name"})},
              {"externalAuth", externalAuth()},
              {"requestHeaderModifier", headerFilter()},
              {"requestMirror", requestMirror()},
              {"requestRedirect",
               Schema::object({
                   {"hostname", preciseHostname()},
                   {"path", pathModifier()},
                   {"port", portNumber()},
                   {"scheme", Schema::string().oneOf({"http", "https"})},
                   {"statusCode",
                    Schema::integer().oneOf({301, 302, 303, 307, 308}).defaultTo(302)},
               })},
              {"responseHeaderModifier", headerFilter()},
              {"type", Schema::string().oneOf({"RequestHeaderModifier", "ResponseHeaderModifier",
                                               "RequestMirror", "RequestRedirect", "URLRewrite",
                                               "ExtensionRef", "CORS", "ExternalAuth"})},
              {"urlRewrite", Schema::object({
                                 {"hostname", preciseHostname()},
                                 {"path", pathModifier()},
                             })},
          })
          .required({"type"});
  static const std::pair<std::string_view, std::string_view> kMembers[] = {
      {"requestHeaderModifier", "RequestHeaderModifier"},
      {"responseHeaderModifier", "ResponseHeaderModifier"},
      {"requestMirror", "RequestMirror"},
      {"requestRedirect", "RequestRedirect"},
      {"urlRewrite", "URLRewrite"},
      {"cors", "CORS"},
      {"externalAuth", "ExternalAuth"},
      {"extensionRef", "ExtensionRef"},
  };
  for (const auto& [member, type] : kMembers) {
    std::string m(member), t(type);
    s = s.rule(
        "filter." + m + " must be nil if the filter.type is not " + t,
        [m, t](const json::value& self) { return !(crd::has(self, m) && !typeIs(self, t)); });
    s = s.rule(
        "filter." + m + " must be specified for " + t + " filter.type",
        [m, t](const json::value& self) { return !(!crd::has(self, m) && typeIs(self, t)); });
  }
  return s;
}

size_t countType(const json::value& filters, std::string_view type) {
  const auto& a = filters.get_array();
  return static_cast<size_t>(
      std::count_if(a.begin(), a.end(), [&](const json::value& f) { return typeIs(f, type); }));
}

Schema filters() {
  Schema s = Schema::array(filter()).maxItems(16).rule(
      "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but "
      "not both",
      [](const json::value& self) {
        return !(countType(self, "RequestRedirect") > 0 && countType(self, "URLRewrite") > 0);
      });
  for (std::string type :
       {"RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS"})
    s = s.rule(type + " filter cannot be repeated",
               [type](const json::value& self) { return countType(self, type) <= 1; });
  return s;
}

std::optional<std::chrono::nanoseconds> durationAt(const json::value& v, std::string_view key) {
  const json::value* m = crd::member(v, key);
  if (!m || !m->is_string()) return std::nullopt;
  return parseGoDuration(m->get_string());
}

Schema timeouts() {
  return Schema::object({{"backendRequest", duration()}, {"request", duration()}})
      .rule("backendRequest timeout cannot be longer than request timeout",
            [](const json::value& self) {
              auto request = durationAt(self, "request");
              auto backend = durationAt(self, "backendRequest");
              // Both patterns-checked; an unparsable one is reported by the pattern.
              return !(request && backend && request->count() != 0 && *backend > *request);
            });
}

Schema retry() {
  return Schema::object({
      {"attempts", Schema::integer().minimum(1)},
      {"backoff", duration()},
      {"codes", Schema::array(Schema::integer().minimum(400).maximum(599)).listSet()},
  });
}

Schema sessionPersistence() {
  return Schema::object(
             {
                 {"absoluteTimeout", duration()},
                 {"cookieConfig",
                  Schema::object(
                      {{"lifetimeType",
                        Schema::string().oneOf({"Permanent", "Session"}).defaultTo("Session")}})},
                 {"sessionName", Schema::string().maxLength(128)},
                 {"type", Schema::string().oneOf({"Cookie", "Header"}).defaultTo("Cookie")},
             })
      .rule("AbsoluteTimeout must be specified when cookie lifetimeType is Permanent",
            [](const json::value& self) {
              const json::value* cookie = crd::member(self, "cookieConfig");
              return !cookie || crd::text(*cookie, "lifetimeType") != "Permanent" ||
                     crd::has(self, "absoluteTimeout");
            });
}

// Whether a filter (of `filters`) rewrites or redirects with path.replacePrefixMatch.
bool replacesPrefix(const json::value& owner, std::string_view filterMember) {
  int n = 0;
  for (const auto& f : crd::items(owner, "filters")) {
    const json::value* m = crd::member(f, filterMember);
    const json::value* path = m ? crd::member(*m, "path") : nullptr;
    if (path && typeIs(*path, "ReplacePrefixMatch") && crd::has(*path, "replacePrefixMatch")) ++n;
  }
  return n == 1;  // CEL's exists_one
}

// `size(self.matches) == 1 && self.matches[0].path.type == 'PathPrefix'`.
bool onePrefixMatch(const json::value& rule) {
  const auto& matches = crd::items(rule, "matches");
  if (matches.size() != 1) return false;
  const json::value* path = crd::member(matches[0], "path");
  return path && typeIs(*path, "PathPrefix");
}

Schema rule() {
  auto prefixRule = [](std::string_view filterMember) {
    std::string member(filterMember);
    return [member](const json::value& self) {
      return !replacesPrefix(self, member) || onePrefixMatch(self);
    };
  };
  auto backendPrefixRule = [](std::string_view filterMember) {
    std::string member(filterMember);
    return [member](const json::value& self) {
      const auto& refs = crd::items(self, "backendRefs");
      long n = std::count_if(refs.begin(), refs.end(),
                             [&](const json::value& b) { return replacesPrefix(b, member); });
      return n != 1 || onePrefixMatch(self);
    };
  };
  Schema httpBackendRef = backendRef().with("filters", filters());
  return Schema::object(
             {
                 {"backendRefs", Schema::array(httpBackendRef).maxItems(16)},
                 {"filters", filters()},
                 {"matches", Schema::array(match()).maxItems(64).defaultTo(json::array{json::object{
                                 {"path", json::object{{"type", "PathPrefix"}, {"value", "/"}}}}})},
                 {"name", sectionName()},
                 {"retry", retry()},
                 {"sessionPersistence", sessionPersistence()},
                 {"timeouts", timeouts()},
             })
      .rule("RequestRedirect filter must not be used together with backendRefs",
            [](const json::value& self) {
              if (crd::items(self, "backendRefs").empty()) return true;
              const auto& fs = crd::items(self, "filters");
              return std::none_of(fs.begin(), fs.end(), [](const json::value& f) {
                return crd::has(f, "requestRedirect");
              });
            })
      .rule(
          "When using RequestRedirect filter with path.replacePrefixMatch, exactly one "
          "PathPrefix match must be specified",
          prefixRule("requestRedirect"))
      .rule(
          "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix "
          "match must be specified",
          prefixRule("urlRewrite"))
      .rule(
          "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, "
          "exactly one PathPrefix match must be specified",
          backendPrefixRule("requestRedirect"))
      .rule(
          "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, "
          "exactly one PathPrefix match must be specified",
          backendPrefixRule("urlRewrite"));
}

}  // namespace

const Schema& httpRouteSchema() {
  static const Schema schema = [] {
    Schema rules =
        Schema::array(rule())
            .minItems(1)
            .maxItems(16)
            .defaultTo(json::array{json::object{
                {"matches", json::array{json::object{
                                {"path", json::object{{"type", "PathPrefix"}, {"value", "/"}}}}}}}})
            .rule("Rule name must be unique within the route",
                  [](const json::value& self) {
                    for (const auto& r1 : self.get_array()) {
                      if (!crd::has(r1, "name")) continue;
                      long same =
                          std::count_if(self.get_array().begin(), self.get_array().end(),
                                        [&](const json::value& r2) {
                                          return crd::has(r2, "name") &&
                                                 crd::text(r1, "name") == crd::text(r2, "name");
                                        });
                      if (same != 1) return false;
                    }
                    return true;
                  })
            .rule(
                "While 16 rules and 64 matches per rule are allowed, the total number of "
                "matches across all rules in a route must be less than 128",
                [](const json::value& self) {
                  // The CEL sums the first 16 rules' matches; maxItems bounds the list at 16.
                  size_t total = 0;
                  const auto& a = self.get_array();
                  for (size_t i = 0; i < a.size() && i < 16; ++i)
                    total += crd::items(a[i], "matches").size();
                  return total <= 128;
                });
    Schema spec = Schema::object({
        {"hostnames", Schema::array(hostname()).maxItems(16)},
        {"parentRefs", parentRefs()},
        {"rules", rules},
    });
    return resource(spec, {"spec"}, routeStatus());
  }();
  return schema;
}

}  // namespace sluice::api::gateway
