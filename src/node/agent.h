// The node agent: runs the pods bound to this node as local processes, as the kubelet does. It
// binds unscheduled pods to itself (sluice is one node), gives each pod its own loopback IP from
// the pod CIDR, starts containers through the image catalog with their limits, restarts them
// with back-off, probes them, stops them gracefully on deletion (after the pod has left the
// Service endpoints), keeps their logs, and reports all of it in pod status and Events. It reaches
// state only through the API client and the shared informers.
//
// The agent coordinates; each concern has its file: container_lifecycle (start, back-off, stop
// order), pod_status (status from runtime state, pure), prober (probe scheduling), log_files,
// node_registration.
//
// Threading: construct, start() and stop() from the owning thread; open() (logs) from any thread.
// Internally one worker syncs pods, the prober runs probes and the process reaper reports exits;
// all of them share the pods' runtime state under one mutex, and none of them calls the API
// while holding it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "client/client.h"
#include "client/shared_informers.h"
#include "node/pod_logs.h"

namespace sluice::node {

class NodeAgent : public PodLogs {
 public:
  struct Options {
    std::string nodeName = "sluice-node";
    std::string podCidr = "127.42.0.0/16";
    std::string dataDir;                    // logs under DIR/pods, catalog DIR/images.yaml
    std::vector<std::string> catalogFiles;  // --image-catalog, read after DIR/images.yaml
    std::string sluiceBinary;               // what "{sluice}" in the catalog means
    std::string httpEchoBinary;             // what "{http-echo}" means ("": sluice http-echo)
  };
  // Registers its handlers on `informers` (Pods, and Endpoints for draining deleted pods), which
  // the caller starts before start(). The client, informers and clock outlive the agent.
  NodeAgent(client::Client& client, client::SharedInformers& informers, Options options,
            const base::Clock& clock, base::Logger log = base::nullLogger());
  ~NodeAgent() override;
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Registers the Node and starts syncing pods. Fails on a bad pod CIDR or when the Node cannot
  // be written.
  api::Status start();
  // Stops every container (SIGTERM, their grace period capped at `grace`, then SIGKILL).
  // Idempotent; the destructor calls it.
  void stop(std::chrono::seconds grace = std::chrono::seconds(10));

  // PodLogs: the logs this agent keeps, for GET .../pods/{name}/log.
  api::Result<std::shared_ptr<LogStream>> open(const std::string& ns, const std::string& pod,
                                               const LogOptions& options) override;

 private:
  struct Impl;
  // Shared so that a log stream following a container can tell when the agent is gone.
  std::shared_ptr<Impl> impl_;
};

}  // namespace sluice::node
