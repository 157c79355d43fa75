#include "proxy/http_route.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "api/duration.h"
#include "api/object.h"

namespace sluice::proxy {

namespace json = boost::json;

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An RE2 in Go's syntax (RE2's default is close to it; longest-match off, as Go's regexp).
std::shared_ptr<const re2::RE2> compileRegex(const std::string& pattern, std::string& error) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) {
    error = "invalid regular expression \"" + pattern + "\": " + re->error();
    return nullptr;
  }
  return re;
}

bool compileValueMatches(const json::value* list, bool header, std::vector<ValueMatch>& out,
                         std::string& error) {
  if (!list || !list->is_array()) return true;
  for (const auto& m : list->as_array()) {
    ValueMatch v;
    v.name = api::getString(m, "name");
    if (header) v.name = lowered(v.name);
    // Of several conditions on one name, only the first counts (the spec's rule).
    if (std::any_of(out.begin(), out.end(), [&](const ValueMatch& o) { return o.name == v.name; }))
      continue;
    v.value = api::getString(m, "value");
    if (api::getString(m, "type", "Exact") == "RegularExpression") {
      v.regex = compileRegex(v.value, error);
      if (!v.regex) return false;
    }
    out.push_back(std::move(v));
  }
  return true;
}

bool compileMatch(const json::value& m, RouteMatch& out, std::string& error) {
  std::string type = api::getString(m, "path.type", "PathPrefix");
  std::string value = api::getString(m, "path.value", "/");
  if (type == "Exact") {
    out.pathType = RouteMatch::Path::Exact;
    out.path = value;
  } else if (type == "RegularExpression") {
    out.pathType = RouteMatch::Path::RegularExpression;
    out.path = value;
    out.pathRegex = compileRegex(value, error);
    if (!out.pathRegex) return false;
  } else {
    out.pathType = RouteMatch::Path::Prefix;
    while (!value.empty() && value.back() == '/') value.pop_back();
    out.path = value;
  }
  out.method = api::getString(m, "method");
  return compileValueMatches(api::find(m, "headers"), true, out.headers, error) &&
         compileValueMatches(api::find(m, "queryParams"), false, out.query, error);
}

HeaderEdits compileHeaderEdits(const json::value* f) {
  HeaderEdits e;
  if (!f) return e;
  auto pairs = [&](const char* field, auto& into) {
    if (auto* list = api::find(*f, field); list && list->is_array())
      for (const auto& h : list->as_array())
        into.emplace_back(api::getString(h, "name"), api::getString(h, "value"));
  };
  pairs("set", e.set);
  pairs("add", e.add);
  if (auto* list = api::find(*f, "remove"); list && list->is_array())
    for (const auto& n : list->as_array())
      if (n.is_string()) e.remove.push_back(lowered(n.as_string()));
  return e;
}

PathModifier compilePath(const json::value* p) {
  PathModifier m;
  if (!p) return m;
  std::string type = api::getString(*p, "type");
  if (type == "ReplaceFullPath") {
    m.type = PathModifier::Type::ReplaceFullPath;
    m.value = api::getString(*p, "replaceFullPath");
  } else if (type == "ReplacePrefixMatch") {
    m.type = PathModifier::Type::ReplacePrefixMatch;
    m.value = api::getString(*p, "replacePrefixMatch");
  }
  return m;
}

std::chrono::milliseconds durationOf(const json::value& v, std::string_view path) {
  std::string text = api::getString(v, path);
  if (text.empty()) return std::chrono::milliseconds(0);
  auto d = api::parseGoDuration(text);
  if (!d || d->count() <= 0) return std::chrono::milliseconds(0);
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(*d));
}

bool compileFilters(const json::value* filters, HttpRule& rule, std::string& error) {
  if (!filters || !filters->is_array()) return true;
  for (const auto& f : filters->as_array()) {
    std::string type = api::getString(f, "type");
    if (type == "RequestHeaderModifier") {
      rule.requestHeaders = compileHeaderEdits(api::find(f, "requestHeaderModifier"));
    } else if (type == "ResponseHeaderModifier") {
      rule.responseHeaders = compileHeaderEdits(api::find(f, "responseHeaderModifier"));
    } else if (type == "RequestRedirect") {
      const json::value* r = api::find(f, "requestRedirect");
      Redirect redirect;
      if (r) {
        redirect.scheme = api::getString(*r, "scheme");
        redirect.hostname = api::getString(*r, "hostname");
        redirect.port = static_cast<int32_t>(api::getInt(*r, "port"));
        redirect.statusCode = static_cast<int>(api::getInt(*r, "statusCode", 302));
        redirect.path = compilePath(api::find(*r, "path"));
      }
      rule.redirect = std::move(redirect);
    } else if (type == "URLRewrite") {
      const json::value* r = api::find(f, "urlRewrite");
      Rewrite rewrite;
      if (r) {
        rewrite.hostname = api::getString(*r, "hostname");
        rewrite.path = compilePath(api::find(*r, "path"));
      }
      rule.rewrite = std::move(rewrite);
    } else if (type == "RequestMirror") {
      const json::value* m = api::find(f, "requestMirror");
      if (!m) continue;
      RequestMirror mirror;
      mirror.name = api::getString(*m, "backendRef.name");
      mirror.ns = api::getString(*m, "backendRef.namespace", rule.routeNs);
      mirror.port = static_cast<int32_t>(api::getInt(*m, "backendRef.port"));
      if (api::find(*m, "percent")) {
        mirror.numerator = static_cast<uint32_t>(api::getInt(*m, "percent"));
        mirror.denominator = 100;
      } else if (api::find(*m, "fraction")) {
        mirror.numerator = static_cast<uint32_t>(api::getInt(*m, "fraction.numerator"));
        mirror.denominator = static_cast<uint32_t>(api::getInt(*m, "fraction.denominator", 100));
        if (mirror.denominator == 0) mirror.denominator = 100;
      }
      rule.mirrors.push_back(std::move(mirror));
    } else {
      error = "filter type " + type + " is not supported by sluice";
      return false;
    }
  }
  return true;
}

bool compileRule(const json::value& r, HttpRule& rule, std::string& error) {
  if (auto* matches = api::find(r, "matches"); matches && matches->is_array())
    for (const auto& m : matches->as_array()) {
      RouteMatch match;
      if (!compileMatch(m, match, error)) return false;
      rule.matches.push_back(std::move(match));
    }
  if (rule.matches.empty()) rule.matches.emplace_back();  // the default: PathPrefix "/"
  if (!compileFilters(api::find(r, "filters"), rule, error)) return false;
  auto* refs = api::find(r, "backendRefs");
  rule.hasBackendRefs = refs && refs->is_array() && !refs->as_array().empty();
  rule.requestTimeout = durationOf(r, "timeouts.request");
  rule.backendTimeout = durationOf(r, "timeouts.backendRequest");
  if (const json::value* retry = api::find(r, "retry")) {
    Retry out;
    if (auto* codes = api::find(*retry, "codes"); codes && codes->is_array())
      for (const auto& c : codes->as_array())
        if (c.is_int64()) out.codes.push_back(static_cast<int>(c.as_int64()));
    out.attempts = static_cast<int>(api::getInt(*retry, "attempts", 0));
    out.backoff = durationOf(*retry, "backoff");
    if (out.attempts > 0) rule.retry = std::move(out);
  }
  if (const json::value* sp = api::find(r, "sessionPersistence")) {
    SessionPersistence s;
    s.type = api::getString(*sp, "type", "Cookie") == "Header" ? SessionPersistence::Type::Header
                                                               : SessionPersistence::Type::Cookie;
    s.name = api::getString(*sp, "sessionName");
    if (s.name.empty())
      s.name = s.type == SessionPersistence::Type::Cookie ? "sluice-session" : "x-sluice-session";
    s.absoluteTimeout =
        std::chrono::duration_cast<std::chrono::seconds>(durationOf(*sp, "absoluteTimeout"));
    s.permanent = api::getString(*sp, "cookieConfig.lifetimeType") == "Permanent";
    if (!api::getString(*sp, "idleTimeout").empty()) {
      error = "sessionPersistence.idleTimeout is not supported by sluice";
      return false;
    }
    rule.session = std::move(s);
  }
  return true;
}

bool pathMatches(const RouteMatch& m, std::string_view path) {
  switch (m.pathType) {
    case RouteMatch::Path::Exact:
      return path == m.path;
    case RouteMatch::Path::RegularExpression:
      return re2::RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *m.pathRegex);
    case RouteMatch::Path::Prefix:
      if (path.size() < m.path.size() || path.compare(0, m.path.size(), m.path) != 0) return false;
      return path.size() == m.path.size() || path[m.path.size()] == '/';
  }
  return false;
}

bool matches(const RouteMatch& m, const HttpRouteTable::Request& request, std::string_view path) {
  if (!pathMatches(m, path)) return false;
  if (!m.method.empty() && m.method != request.method) return false;
  for (const auto& h : m.headers) {
    auto v = headerValue(request.head, h.name);
    if (!v || !h.matches(*v)) return false;
  }
  for (const auto& q : m.query) {
    auto v = queryValue(request.target, q.name);
    if (!v || !q.matches(*v)) return false;
  }
  return true;
}

// Sort key of a match: smaller sorts first.
struct Rank {
  int pathClass;        // 0 Exact, 1 RegularExpression, 2 Prefix
  int64_t prefixLen;    // negated length: longer first
  int noMethod;         // 0 with a method
  int64_t headers;      // negated count
  int64_t query;        // negated count
  std::string created;  // RFC 3339: sorts by time
  std::string route;    // namespace/name
  uint32_t rule, match;
  bool operator<(const Rank& o) const {
    return std::tie(pathClass, prefixLen, noMethod, headers, query, created, route, rule, match) <
           std::tie(o.pathClass, o.prefixLen, o.noMethod, o.headers, o.query, o.created, o.route,
                    o.rule, o.match);
  }
};

}  // namespace

bool ValueMatch::matches(std::string_view v) const {
  if (regex) return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *regex);
  return v == value;
}

std::optional<std::string_view> headerValue(std::string_view head, std::string_view name) {
  size_t at = head.find("\r\n");  // skip the start line
  while (at != std::string_view::npos) {
    at += 2;
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos || end == at) return std::nullopt;
    std::string_view line = head.substr(at, end - at);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && equalsIgnoreCase(line.substr(0, colon), name))
      return trim(line.substr(colon + 1));
    at = end;
  }
  return std::nullopt;
}

std::optional<std::string_view> queryValue(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  if (size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::shared_ptr<HttpRouteTable> HttpRouteTable::compile(const std::vector<Source>& sources,
                                                        std::vector<std::string>* problems) {
  auto table = std::make_shared<HttpRouteTable>();
  // Entries per hostname ("" = any), with their ranks.
  std::map<std::string, std::vector<std::pair<Rank, Entry>>> byHost;
  for (const Source& source : sources) {
    const json::value& route = *source.route;
    std::string ns = api::namespaceOf(route), name = api::nameOf(route);
    std::string created = api::getString(route, "metadata.creationTimestamp");
    auto* rules = api::find(route, "spec.rules");
    if (!rules || !rules->is_array()) continue;
    for (size_t i = 0; i < rules->as_array().size(); ++i) {
      HttpRule rule;
      rule.routeNs = ns;
      rule.routeName = name;
      rule.ruleIndex = i;
      std::string error;
      if (!compileRule(rules->as_array()[i], rule, error)) {
        if (problems)
          problems->push_back(ns + "/" + name + " rule " + std::to_string(i) + ": " + error);
        continue;
      }
      auto index = static_cast<uint32_t>(table->rules_.size());
      for (uint32_t m = 0; m < rule.matches.size(); ++m) {
        const RouteMatch& match = rule.matches[m];
        Rank rank{match.pathType == RouteMatch::Path::Exact               ? 0
                  : match.pathType == RouteMatch::Path::RegularExpression ? 1
                                                                          : 2,
                  match.pathType == RouteMatch::Path::Prefix
                      ? -static_cast<int64_t>(match.path.size())
                      : 0,
                  match.method.empty() ? 1 : 0,
                  -static_cast<int64_t>(match.headers.size()),
                  -static_cast<int64_t>(match.query.size()),
                  created,
                  ns + "/" + name,
                  static_cast<uint32_t>(i),
                  m};
        if (source.hostnames.empty()) {
          byHost[""].push_back({rank, {index, m}});
        } else {
          for (const auto& h : source.hostnames) byHost[lowered(h)].push_back({rank, {index, m}});
        }
      }
      table->rules_.push_back(std::move(rule));
    }
  }
  // A request for a host falls back to the less specific groups: a wildcard group also holds
  // the routes without hostnames, an exact host group the matching wildcards' and those.
  auto sorted = [](std::vector<std::pair<Rank, Entry>> v) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Entry> out;
    for (const auto& [rank, e] : v) out.push_back(e);
    return out;
  };
  auto anyEntries = byHost.count("") ? byHost[""] : std::vector<std::pair<Rank, Entry>>{};
  table->any_.entries = sorted(anyEntries);
  for (const auto& [host, entries] : byHost) {
    if (host.empty()) continue;
    HostGroup group;
    group.host = host;
    group.entries = sorted(entries);
    // Less specific groups' entries come after this group's own, in their own order.
    if (host.rfind("*.", 0) != 0) {
      std::vector<std::pair<size_t, const std::string*>> wild;
      for (const auto& [other, e] : byHost)
        if (other.rfind("*.", 0) == 0 && host.size() > other.size() - 1 &&
            host.compare(host.size() - (other.size() - 1), other.size() - 1, other, 1) == 0)
          wild.push_back({other.size(), &other});
      std::sort(wild.begin(), wild.end(), [](auto& a, auto& b) { return a.first > b.first; });
      for (const auto& [len, other] : wild)
        for (const auto& e : sorted(byHost[*other])) group.entries.push_back(e);
    }
    for (const auto& e : table->any_.entries) group.entries.push_back(e);
    (host.rfind("*.", 0) == 0 ? table->wildcard_ : table->exact_).push_back(std::move(group));
  }
  std::sort(table->wildcard_.begin(), table->wildcard_.end(),
            [](const HostGroup& a, const HostGroup& b) { return a.host.size() > b.host.size(); });
  return table;
}

const HttpRouteTable::HostGroup* HttpRouteTable::groupFor(std::string_view host) const {
  for (const auto& g : exact_)
    if (equalsIgnoreCase(g.host, host)) return &g;
  for (const auto& g : wildcard_) {
    // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
    std::string_view suffix = std::string_view(g.host).substr(1);
    if (host.size() > suffix.size() &&
        equalsIgnoreCase(host.substr(host.size() - suffix.size()), suffix))
      return &g;
  }
  return &any_;
}

const HttpRule* HttpRouteTable::find(const Request& request, size_t* matchIndex) const {
  std::string_view path = request.target;
  if (size_t q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  const HostGroup* group = groupFor(request.host);
  for (const Entry& e : group->entries) {
    const HttpRule& rule = rules_[e.rule];
    if (matches(rule.matches[e.match], request, path)) {
      if (matchIndex) *matchIndex = e.match;
      return &rule;
    }
  }
  return nullptr;
}

}  // namespace sluice::proxy
