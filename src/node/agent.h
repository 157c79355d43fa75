// The node agent: runs the pods bound to this node as local processes. It binds unscheduled pods
// to itself (sluice is one node), gives each pod its own loopback IP from the pod CIDR, resolves
// images through the image catalog, starts containers with their limits, restarts them with
// Kubernetes' back-off, runs probes, stops them gracefully on deletion, keeps their logs, and
// reports all of it in pod status and Events. Reaches state only through the API client.
#pragma once

#include <memory>
#include <string>

#include "apiserver/handler.h"
#include "base/clock.h"
#include "base/log.h"
#include "client/client.h"
#include "client/shared_informers.h"

namespace sluice::node {

class NodeAgent {
 public:
  struct Options {
    std::string nodeName = "sluice-node";
    std::string podCidr = "127.42.0.0/16";
    std::string dataDir;                    // logs under DIR/pods, catalog DIR/images.yaml
    std::vector<std::string> catalogFiles;  // --image-catalog, read after DIR/images.yaml
    std::string sluiceBinary;               // what "{sluice}" in the catalog means
    std::string httpEchoBinary;             // what "{http-echo}" means ("": sluice http-echo)
  };
  // Registers its handlers on `informers`, which the caller starts before start().
  NodeAgent(client::Client& client, client::SharedInformers& informers, Options options,
            const base::Clock& clock, base::Logger log = base::nullLogger());
  ~NodeAgent();

  api::Status start();
  // Stops every container (SIGTERM, their grace period capped at `grace`, then SIGKILL).
  void stop(std::chrono::seconds grace = std::chrono::seconds(10));

  // GET /api/v1/namespaces/{ns}/pods/{name}/log.
  apiserver::Response logs(const apiserver::Request& request, const apiserver::ResourcePath& path,
                           const std::map<std::string, std::string>& query);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::node
