// The Node object for this agent, as a kubelet registers itself: created if missing, then its
// status (Ready, addresses, node info) written. sluice has one node, on this machine.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "api/error.h"
#include "base/clock.h"
#include "client/client.h"

namespace sluice::node {

struct NodeIdentity {
  std::string name;     // metadata.name and the kubernetes.io/hostname label
  std::string podCidr;  // spec.podCIDR
};

// The Node created when none exists (no status).
boost::json::object nodeObject(const NodeIdentity& node);
// Its status: Ready since `now`, the loopback address, sluice's node info.
boost::json::object nodeStatus(const NodeIdentity& node, base::WallTime now);

// Creates the Node unless it exists (one created meanwhile counts), then writes its status.
api::Status registerNode(client::Client& client, const NodeIdentity& node, base::WallTime now);

}  // namespace sluice::node
