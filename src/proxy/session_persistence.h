// HTTPRoute sessionPersistence (Cookie or Header), as a balancing policy over a rule's backends:
// a client whose request names a session stays on that session's backend while it has weight;
// any other request is balanced by the weighted cycle and its answer hands out the session of
// the backend it got.
//
// A session is an opaque token per (route rule, backend): an HMAC-SHA256 under a key of this
// process, so it says nothing about pods or addresses and cannot be made up for a backend; a
// token of a backend whose weight went to 0 names nothing, so its clients move once (and get
// the new backend's token). Pure, apart from the key the caller holds.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "proxy/config.h"
#include "proxy/http_route.h"

namespace sluice::proxy {

// The index in `backends` of the backend the request head's session names, if it has weight;
// -1 when the request names no such session.
int pinnedBackend(const SessionPersistence& session, std::span<const RouteBackend> backends,
                  std::string_view head);

// The token of `identity` ("namespace/route/rule/backend") under `key`: 32 hex digits.
std::string sessionToken(std::span<const unsigned char> key, const std::string& identity);

// The response header line that hands out `token` (with its CRLF): a cookie (Path=/, HttpOnly,
// Max-Age for a Permanent lifetime with an absoluteTimeout) or a header of the session's name.
std::string sessionLine(const SessionPersistence& session, const std::string& token);

}  // namespace sluice::proxy
