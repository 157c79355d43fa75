// The L7 path of a proxy worker (appProtocol: http): HTTP/1.1 requests are read one at a time,
// each sent to the backend picked for it over an idle keep-alive connection from the worker's
// pool (or a new one), and the response streamed back. Request and response heads are edited in
// place (hop-by-hop headers dropped, "Connection: close" added where the client's connection
// ends); buffers belong to connections and are reused, so a request costs no allocation.
//
// A request whose upstream fails before answering is retried on a new connection while the
// proxy still holds all of it and it is idempotent; the proxy answers itself with 400 (bad
// framing), 431 (head too large), 502 (no backend answered), 503 (no endpoints) and 504 (a
// backend silent for the response timeout).
#pragma once

#include <cstdint>
#include <memory>

#include "proxy/worker_internal.h"

namespace sluice::proxy {

// Starts an L7 session on the accepted `clientFd` (owned from now on) from client address
// `clientIp` (network byte order). The session lives in the worker's connection list until it
// closes. Worker thread only.
void openSession(Worker::State& w, int clientFd, std::shared_ptr<WorkerPort> port,
                 uint32_t clientIp);

}  // namespace sluice::proxy
