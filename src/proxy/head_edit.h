// What an HTTPRoute's filters do to a request or response head, as pure functions over text:
// header edits (RequestHeaderModifier, ResponseHeaderModifier), a new request target or Host
// (URLRewrite), extra lines (a session cookie), and the Location of a RequestRedirect.
//
// The data path calls them only for rules that have such filters: it rewrites the head into a
// per-worker scratch string (which stops allocating once it has grown) and copies it back in
// front of the body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http_route.h"

namespace sluice::proxy {

struct HeadRewrite {
  std::string_view startLine;  // a new start line, without CRLF ("" = keep)
  const HeaderEdits* edits = nullptr;
  std::string_view host;   // a new Host header value ("" = keep)
  std::string_view extra;  // whole header lines to add at the end
};

// `head` (start line, header lines, the empty line) with `rewrite` applied, into `out`. Set
// replaces every line of the name with one; add appends ",value" to the first line of the name,
// or adds a line; remove drops every line of the name. Names compare case-insensitively.
void rewriteHead(std::string_view head, const HeadRewrite& rewrite, std::string& out);

// The path after a URLRewrite or RequestRedirect path modifier, given the request path (without
// the query) and the match that selected the rule (ReplacePrefixMatch replaces the prefix it
// matched, keeping what follows on a segment boundary).
std::string modifiedPath(const PathModifier& modifier, const RouteMatch& matched,
                         std::string_view path);

// The Location of a RequestRedirect. `host` is the request's Host (without port), `port` the
// port the request came in on. The port is the redirect's, else the scheme's well-known one
// when the scheme changes, else the request's; 80 for http and 443 for https are left out.
std::string redirectLocation(const Redirect& redirect, const RouteMatch& matched,
                             std::string_view host, uint16_t port, std::string_view target);

// The value of cookie `name` in a Cookie header's value ("a=1; b=2"), if present.
std::optional<std::string_view> cookieValue(std::string_view cookies, std::string_view name);

}  // namespace sluice::proxy
