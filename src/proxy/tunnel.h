// The L4 path of a proxy worker: each accepted connection is tunnelled to one backend, and
// bytes flow both ways until either side closes. Bytes are copied through a per-connection
// buffer; a direction that fills a whole buffer in one read switches to splice(2) through a pipe,
// so bulk transfers move without copying through user space. A backend that refuses (or does
// not answer within the connect timeout) is skipped for the next one.
#pragma once

#include <cstddef>
#include <memory>

#include "proxy/worker_internal.h"

namespace sluice::proxy {

// Opens a tunnel from the accepted `clientFd` (owned from now on) to `backends` (the port's own,
// or those of the TCPRoute backend picked for the connection; `port` keeps them alive), trying
// backend `first` and then the ones after it. The tunnel lives in the worker's connection list
// until it closes. Worker thread only.
void openTunnel(Worker::State& w, int clientFd, std::shared_ptr<const PortConfig> port,
                const std::vector<Backend>& backends, size_t first);

}  // namespace sluice::proxy
