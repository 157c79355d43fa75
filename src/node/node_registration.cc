#include "node/node_registration.h"

#include "api/object.h"

namespace sluice::node {

namespace json = boost::json;

json::object nodeObject(const NodeIdentity& node) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", json::object{{"name", node.name},
                                {"labels", json::object{{"kubernetes.io/hostname", node.name},
                                                        {"kubernetes.io/os", "linux"}}}}},
      {"spec", json::object{{"podCIDR", node.podCidr}}}};
}

json::object nodeStatus(const NodeIdentity& node, base::WallTime now) {
  auto at = api::formatTimestamp(now);
  return json::object{
      {"conditions",
       json::array{json::object{{"type", "Ready"},
                                {"status", "True"},
                                {"reason", "KubeletReady"},
                                {"message", "sluice node agent is posting ready status"},
                                {"lastHeartbeatTime", at},
                                {"lastTransitionTime", at}}}},
      {"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
                                json::object{{"type", "Hostname"}, {"address", node.name}}}},
      {"nodeInfo", json::object{{"kubeletVersion", "v1.33.1+sluice"},
                                {"osImage", "sluice local processes"},
                                {"containerRuntimeVersion", "sluice://0.1"},
                                {"kernelVersion", ""},
                                {"operatingSystem", "linux"},
                                {"architecture", "amd64"}}}};
}

api::Status registerNode(client::Client& client, const NodeIdentity& node, base::WallTime now) {
  const auto& nodeType = *api::findByKind("v1", "Node");
  auto got = client.get(nodeType, "", node.name);
  if (!got) {
    auto created = client.create(nodeType, "", nodeObject(node));
    if (!created && !created.error().isConflict()) return created.error();
    got = client.get(nodeType, "", node.name);
    if (!got) return got.error();
  }
  json::value next = *got;
  next.as_object()["status"] = nodeStatus(node, now);
  auto r = client.update(nodeType, "", node.name, next, "status");
  if (!r) return r.error();
  return {};
}

}  // namespace sluice::node
