#pragma once

#include <boost/json.hpp>
#include <sstream>
#include <string>

#include "client/client.h"

namespace sluice::cli {

// A pod template as `describe` and `rollout history --revision` print it (tab-separated cells,
// to be aligned with tabAlign).
void writePodTemplate(std::ostringstream& w, const boost::json::value& templ,
                      const std::string& indent);

// The fields of `object` as kubectl's generic describer prints a custom resource's (after Name,
// Namespace, Labels and Annotations, which it skips): "API Version:\t...", "Spec:" and so on.
void writeUnstructured(std::ostringstream& w, const boost::json::value& object);

// The achieved traffic split, from a sluice server's load balancer counters (nothing when the
// cluster is not a sluice server): per rule and backend of an HTTPRoute or TCPRoute, requested
// weight vs achieved share over the last 60 s; per `version` label of a Service's endpoints,
// the share that ready replica counts imply vs the achieved one.
void writeRouteTraffic(std::ostringstream& w, client::HttpClient& c,
                       const boost::json::value& route);
void writeServiceTraffic(std::ostringstream& w, client::HttpClient& c,
                         const boost::json::value& service);

}  // namespace sluice::cli
