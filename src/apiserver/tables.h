// Server-side printing: meta.k8s.io/v1 Table objects with the same columns the Kubernetes API
// server produces, so `kubectl get` (and `sluice get`) print exactly what users expect.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <vector>

#include "api/resources.h"

namespace sluice::apiserver {

// A Table of `objects` of `type`. `includeColumns` false omits columnDefinitions (used for
// watch events after the first). `now` computes the AGE cells.
boost::json::object toTable(const api::ResourceType& type,
                            const std::vector<const boost::json::value*>& objects,
                            const std::string& resourceVersion, bool includeColumns,
                            std::chrono::system_clock::time_point now);

}  // namespace sluice::apiserver
