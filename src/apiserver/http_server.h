// The HTTP/1.1 transport of the API server: keep-alive, many concurrent connections (watches
// stay open while other requests arrive), chunked watch and log streams, a request body limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/error.h"
#include "apiserver/handler.h"

namespace sluice::apiserver {

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    uint16_t port = 6443;                // 0 picks a free port
    size_t bodyLimit = 3 * 1024 * 1024;  // the Kubernetes API server's limit
    size_t threads = 2;
    std::chrono::seconds idleTimeout{600};  // a connection silent this long is closed
    // When set, connections that open with a TLS handshake are served over TLS; plain HTTP is
    // still answered on the same port (the protocol is told by the first bytes).
    std::string tlsCertPem, tlsKeyPem;
  };
  HttpServer(Handler& handler, Options options);
  ~HttpServer();

  // Binds and starts serving on background threads. Errors name the address and the cause.
  api::Status start();
  // The bound port (useful with port 0).
  uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::apiserver
