// The built-in load balancer. For every Service port it listens on the ClusterIP, the
// LoadBalancer ingress IPs and 127.0.0.1:nodePort, and balances over the ready endpoints:
//
// - L4 (default): each new TCP connection goes to one endpoint, round-robin (or ClientIP
//   affinity), and bytes flow both ways until either side closes. With no ready endpoint the
//   port's listeners close, so clients get "connection refused" at once.
// - L7 (`appProtocol: http` on the port): each HTTP/1.1 request goes to the endpoint picked for
//   it, over pooled keep-alive connections, so the split holds per request even on one client
//   connection; with no ready endpoint the proxy answers 503 naming the Service.
//
// Endpoint changes apply to new connections and requests as soon as the informers see them (a
// snapshot is published to every worker, which wakes and swaps it); open L4 connections stay
// where they are. The proxy keeps serving its last known endpoints while the API is unavailable.
//
// Threading: informer callbacks only mark the state dirty; one control thread builds snapshots
// and owns the listening sockets; `workers` threads (default: one per core) run the data path.
// What goes wrong outside a request (an address it cannot listen on, accepts paused for want of
// descriptors) is logged through the logger it is given, once per cause.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/error.h"
#include "base/clock.h"
#include "base/log.h"
#include "client/client.h"
#include "client/shared_informers.h"

namespace sluice::proxy {

class Proxy {
 public:
  struct Options {
    int workers = 0;  // 0: one per core
  };
  // Registers its handlers on `informers` (Services, Endpoints, Pods), which the caller starts
  // before start(). `clock` (steady time: ClientIP affinity expiry, metrics of gone endpoints)
  // outlives the proxy.
  Proxy(client::Client& client, client::SharedInformers& informers, const base::Clock& clock,
        base::Logger log, Options options);
  ~Proxy();
  api::Status start();
  void stop();
  // Prometheus text format: per Service, port and endpoint (with the pod's `version` label when
  // it has one): connections, connect failures, bytes each way, and for L7 ports requests by
  // status code and a latency histogram.
  std::string metrics();
  int workers() const;
  // The generation of Gateway API object kind ("Gateway", "HTTPRoute", "TCPRoute") ns/name that
  // every worker serves, or -1 when none does yet.
  int64_t servedGeneration(const std::string& kind, const std::string& ns,
                           const std::string& name) const;
  // Called (on a worker's thread) whenever the generations every worker serves move on. Before
  // start() only.
  void onServedChange(std::function<void()> callback);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::proxy
