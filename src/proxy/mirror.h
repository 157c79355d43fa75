// RequestMirror's copies: a request sent to a mirror backend on a connection of its own, its
// answer read and discarded. The client's request never waits for it: the copy is written
// after the client's request was routed, on the worker's loop, and whatever the mirror does
// (refuse, stall, answer slowly) costs the client nothing. A copy that cannot be delivered
// within the worker's response timeout is dropped. Each copy counts in the mirror's series:
// the answer's status code, or a failure.
#pragma once

#include <memory>
#include <string>

#include "proxy/worker_internal.h"

namespace sluice::proxy {

// Sends `request` (a complete request: head and body) to one of `target`'s endpoints. `hold`
// keeps `target` alive. Worker thread only.
void sendMirror(Worker::State& w, std::shared_ptr<const PortConfig> hold,
                const RouteBackend& target, std::string request);

}  // namespace sluice::proxy
