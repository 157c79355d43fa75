// The probe handlers a container spec can name, run for real: httpGet (a GET that must answer
// 2xx or 3xx), tcpSocket (a connect) and exec (a command that must exit 0), each bounded by the
// probe's timeout. Failure messages use the kubelet's wording, since they become Unhealthy events.
#pragma once

#include <string>

#include "node/prober.h"
#include "node/process.h"

namespace sluice::node {

// Runs `target`'s handler: "" when it passed, else why not. exec commands are spawned through
// `reaper` (so call this from a long-lived thread; see ProcessReaper::spawn).
std::string runProbeHandler(const ProbeTarget& target, ProcessReaper& reaper);

// A probe's port: a number, or the name of one of the container's ports (0 when neither).
int resolveProbePort(const boost::json::value& container, const boost::json::value* port);

}  // namespace sluice::node
