// The API client interface every component reaches state through: controllers, node agent,
// proxy and CLI. Two implementations: in-process (calls the registry directly — the same request
// path as HTTP minus the socket) and HTTP (a real Kubernetes-compatible API server, sluice's or
// a real cluster's).
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/error.h"
#include "api/options.h"
#include "api/resources.h"
#include "client/kubeconfig.h"

namespace sluice::client {

namespace json = boost::json;
using api::DeleteOptions;
using api::ListOptions;
using api::PatchType;
using api::WriteOptions;

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  json::value object;
};

// A running watch. `next` waits up to `timeout` for an event: nullopt on timeout, an ERROR-typed
// event for a server-side error (410 Expired among them), and `closed()` once the stream ended.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual std::optional<WatchEvent> next(std::chrono::milliseconds timeout) = 0;
  virtual bool closed() = 0;
  virtual void stop() = 0;
};

class Client {
 public:
  virtual ~Client() = default;
  virtual api::Result<json::value> get(const api::ResourceType& type, const std::string& ns,
                                       const std::string& name,
                                       const std::string& subresource = "") = 0;
  virtual api::Result<json::value> list(const api::ResourceType& type, const std::string& ns,
                                        const ListOptions& options = {}) = 0;
  virtual api::Result<json::value> create(const api::ResourceType& type, const std::string& ns,
                                          const json::value& object,
                                          const WriteOptions& options = {}) = 0;
  virtual api::Result<json::value> update(const api::ResourceType& type, const std::string& ns,
                                          const std::string& name, const json::value& object,
                                          const std::string& subresource = "",
                                          const WriteOptions& options = {}) = 0;
  virtual api::Result<json::value> patch(const api::ResourceType& type, const std::string& ns,
                                         const std::string& name, PatchType patchType,
                                         const json::value& patch,
                                         const std::string& subresource = "",
                                         const WriteOptions& options = {}) = 0;
  virtual api::Result<json::value> remove(const api::ResourceType& type, const std::string& ns,
                                          const std::string& name,
                                          const DeleteOptions& options = {}) = 0;
  virtual api::Result<std::unique_ptr<EventStream>> watch(const api::ResourceType& type,
                                                          const std::string& ns,
                                                          const ListOptions& options) = 0;
};

// A raw HTTP exchange, for what the typed interface does not cover (tables, logs, discovery).
struct HttpResult {
  int status = 0;
  std::string contentType;
  std::string body;
};

class HttpClient : public Client {
 public:
  explicit HttpClient(ClusterAccess access);
  ~HttpClient() override;

  api::Result<HttpResult> request(const std::string& method, const std::string& target,
                                  const std::string& body = "", const std::string& contentType = "",
                                  const std::string& accept = "application/json");
  // Streams a chunked response body to `onData` until it returns false or the body ends.
  // Returns the status code; a non-2xx body is returned in full as an error.
  api::Status stream(const std::string& target, const std::string& accept,
                     const std::function<bool(std::string_view)>& onData);

  api::Result<json::value> get(const api::ResourceType& type, const std::string& ns,
                               const std::string& name,
                               const std::string& subresource = "") override;
  api::Result<json::value> list(const api::ResourceType& type, const std::string& ns,
                                const ListOptions& options = {}) override;
  api::Result<json::value> create(const api::ResourceType& type, const std::string& ns,
                                  const json::value& object,
                                  const WriteOptions& options = {}) override;
  api::Result<json::value> update(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, const json::value& object,
                                  const std::string& subresource = "",
                                  const WriteOptions& options = {}) override;
  api::Result<json::value> patch(const api::ResourceType& type, const std::string& ns,
                                 const std::string& name, PatchType patchType,
                                 const json::value& patch, const std::string& subresource = "",
                                 const WriteOptions& options = {}) override;
  api::Result<json::value> remove(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name,
                                  const DeleteOptions& options = {}) override;
  api::Result<std::unique_ptr<EventStream>> watch(const api::ResourceType& type,
                                                  const std::string& ns,
                                                  const ListOptions& options) override;

  const ClusterAccess& access() const { return access_; }

  // "/apis/apps/v1/namespaces/default/deployments[/name[/sub]]".
  static std::string path(const api::ResourceType& type, const std::string& ns,
                          const std::string& name = "", const std::string& subresource = "");
  static std::string listQuery(const ListOptions& options);

 private:
  struct Connection;
  template <class Stream>
  api::Status streamOn(Stream& s, const std::string& target, const std::string& accept,
                       const std::function<bool(std::string_view)>& onData);
  api::Result<json::value> jsonCall(const std::string& method, const std::string& target,
                                    const std::string& body, const std::string& contentType);
  ClusterAccess access_;
  std::string host_, port_;
  bool tls_ = false;
  std::unique_ptr<Connection> conn_;
};

// Percent-encodes a query value.
std::string urlEncode(std::string_view s);

}  // namespace sluice::client
