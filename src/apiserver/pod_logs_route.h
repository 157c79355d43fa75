// The pods/log subresource over HTTP, adapting the node agent's PodLogs: query parameters
// (container, follow, previous, tailLines) become LogOptions, errors become Status objects, a
// complete log is a text/plain body and a followed one a chunked stream that ends when the
// container exits or the client goes away.
#pragma once

#include "apiserver/handler.h"
#include "node/pod_logs.h"

namespace sluice::apiserver {

// A handler for addSubresource("pods", "log", ...). `logs` outlives the handler.
SubresourceHandler podLogsRoute(node::PodLogs& logs);

}  // namespace sluice::apiserver
