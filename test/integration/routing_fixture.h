// What the Gateway API routing tests share: one server for the suite with the seed's images and
// a header-echoing backend image, HTTP requests with headers on keep-alive connections, and
// manifests for per-version Deployments and Services. Every test works in its own namespace.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"

namespace sluice::testing {

struct HttpResponse {
  int status = 0;                              // 0: no (complete) response
  std::map<std::string, std::string> headers;  // lower-case names; repeated ones joined by ", "
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  // The echo backend's JSON answer (null for another body).
  boost::json::value json() const;
};

// An HTTP/1.1 client on one keep-alive connection (reconnects when the server closes it).
class HttpConnection {
 public:
  HttpConnection(std::string ip, int port) : ip_(std::move(ip)), port_(port) {}
  ~HttpConnection();
  HttpResponse get(const std::string& target, const std::vector<std::string>& headers = {},
                   const std::string& method = "GET", const std::string& host = "example.com");

 private:
  bool connect();
  std::string ip_;
  int port_;
  int fd_ = -1;
};

// One request on a connection of its own.
HttpResponse request(const std::string& ip, int port, const std::string& target,
                     const std::vector<std::string>& headers = {},
                     const std::string& method = "GET", const std::string& host = "example.com");

class RoutingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // A namespace of the test's own (named after it).
  std::string ns();
  // `apply -n NS -f -` of `yaml` with the suite's client; fails the test on error.
  void apply(const std::string& yaml);
  // Route manifests go through real kubectl 1.33 (skipped where it is not installed, required
  // under CI) instead of `sluice apply`.
  static bool applyWithKubectl;
  // Deployment + ClusterIP Service `name` in the test's namespace: `replicas` pods of
  // `image` (the echo image answers JSON with its version, the request's path and headers),
  // pods labelled app=<app>, version=<version>; the Service selects both.
  void backend(const std::string& name, const std::string& version, int replicas = 1,
               const std::string& app = "", const std::string& serviceType = "ClusterIP");
  // Waits until Service `name` has `n` ready endpoints that answer.
  void waitReady(const std::string& name, int n = 1);
  // The ClusterIP of Service `name`.
  std::string clusterIp(const std::string& name);
  // Polls `GET target` at ip:port until `accept` holds for the response (routes apply
  // asynchronously, as on any cluster), or fails the test after the deadline.
  HttpResponse eventually(const std::string& ip, int port, const std::string& target,
                          const std::function<bool(const HttpResponse&)>& accept,
                          const std::vector<std::string>& headers = {},
                          const std::string& host = "example.com");
  // The Gateway's first status address, once it has one.
  std::string gatewayAddress(const std::string& name);

  static Server* server;
  static TempDir* dir;
};

// "version" of the echo backend's answer, "" when the body is not its JSON.
std::string versionOf(const HttpResponse& r);

}  // namespace sluice::testing
