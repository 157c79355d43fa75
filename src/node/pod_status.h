// A pod's `status` as the kubelet reports it, computed from the Pod and what the agent knows about
// its containers (PodRuntime). Pure: no I/O, no clock but `now`; the agent writes the result.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>

#include "base/clock.h"
#include "node/pod_runtime.h"

namespace sluice::node {

struct PodStatusResult {
  boost::json::value status;
  // The conditions as reported, for the next computation: a condition keeps its
  // lastTransitionTime until its status changes.
  std::map<std::string, ConditionState> conditions;
};

// The status of `pod` (its spec.containers, in order) given the runtime `rt`, whose `conditions`
// are the ones last reported. A container of the spec that `rt` does not know yet is reported
// as waiting (ContainerCreating).
//
// Phase: Pending until every container has started once; then Running while any runs (or
// restarts); Succeeded or Failed once every container has terminated for good (failed if any
// exited non-zero). Ready and ContainersReady hold when every container is ready and the pod
// runs; a container is ready when it runs, its startup probe (if any) has passed and its
// readiness probe (if any) passes.
PodStatusResult computePodStatus(const boost::json::value& pod, const PodRuntime& rt,
                                 base::WallTime now);

// The pod's QoS class from its containers' requests and limits: Guaranteed when every container
// limits cpu and memory with requests equal to the limits (or absent), BestEffort when none
// requests or limits anything, else Burstable.
std::string qosClass(const boost::json::value& pod);

}  // namespace sluice::node
