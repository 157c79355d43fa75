// The built-in load balancer's L4 path: for every Service port, listeners on its ClusterIP, its
// LoadBalancer ingress IPs and 127.0.0.1:nodePort; each new TCP connection goes to one ready
// endpoint, round-robin, and bytes are copied both ways until either side closes.
//
// Endpoint changes apply to new connections at once; open connections continue on the backend
// they have. With no ready endpoint the port's listeners close, so clients get "connection
// refused" immediately. The proxy keeps serving its last known endpoints while the API is
// unavailable (it only ever acts on what its informers last saw).
#pragma once

#include <memory>
#include <string>

#include "api/error.h"
#include "client/client.h"

namespace sluice::proxy {

class Proxy {
 public:
  struct Options {
    int threads = 1;
  };
  Proxy(client::Client& client, Options options);
  ~Proxy();
  api::Status start();
  void stop();
  // Prometheus text format: per Service, port and endpoint (with the pod's `version` label when
  // it has one), connections, connect failures and bytes each way.
  std::string metrics();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::proxy
