// The API server's request handler: Kubernetes REST paths, discovery, OpenAPI, /version,
// authentication, content negotiation (JSON, Table) and watch streams, over a transport-neutral
// request/response pair. The HTTP server feeds it; tests can call it directly.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "apiserver/registry.h"

namespace sluice::apiserver {

struct Request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // path and query, as sent: "/api/v1/pods?limit=500"
  std::map<std::string, std::string> headers;  // keys lower-case
  std::string body;

  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A watch response: the transport writes `initial`, then pumps `watch`, encoding each event with
// `encode`, sending a bookmark (when `bookmark` is set) every `bookmarkInterval`, until the
// client goes away, the watch ends, or `timeout` passes.
struct WatchStream {
  std::shared_ptr<store::Watch> watch;
  std::function<void(const store::Event&, std::string& out)> encode;
  std::function<std::string()> bookmark;
  std::chrono::seconds timeout{1800};
  std::chrono::seconds bookmarkInterval{60};
  std::string initial;
};

// Streams plain bytes (logs -f). `pump` appends what is available to `out` and returns false
// when the stream has ended; `onReady` registers a callback for when more may be available.
struct ByteStream {
  std::function<bool(std::string& out)> pump;
  std::function<void(std::function<void()>)> onReady;
  std::function<void()> stop;
};

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<WatchStream> watch;  // set: a chunked watch stream follows the headers
  std::shared_ptr<ByteStream> stream;  // set: a chunked byte stream follows the headers
};

// Extra routes a component can add (pod logs, metrics): given the parsed pieces of a resource
// path, return a Response, or nullopt to fall through to the default handling.
struct ResourcePath {
  const api::ResourceType* type = nullptr;
  std::string ns;
  std::string name;
  std::string subresource;
};
using SubresourceHandler = std::function<Response(const Request&, const ResourcePath&,
                                                  const std::map<std::string, std::string>& query)>;

class Handler {
 public:
  struct Options {
    std::string token;          // bearer token every request must carry; empty disables auth
    std::string serverAddress;  // advertised in legacy discovery
    std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
    std::chrono::seconds watchBookmarkInterval{60};
  };
  Handler(Registry& registry, Options options);

  Response handle(const Request& request);
  // Routes /api/v1/namespaces/{ns}/{plural}/{name}/{subresource} to `handler` for the given
  // subresource (e.g. "pods", "log").
  void addSubresource(const std::string& plural, const std::string& subresource,
                      SubresourceHandler handler);
  // Serves an extra non-resource path (e.g. "/metrics").
  void addPath(const std::string& path, std::function<Response(const Request&)> handler);

 private:
  Response route(const Request& request);
  Response resource(const Request& request, const ResourcePath& path,
                    const std::map<std::string, std::string>& query);

  Registry& registry_;
  Options options_;
  std::map<std::string, SubresourceHandler> subresources_;
  std::map<std::string, std::function<Response(const Request&)>> paths_;
};

// Helpers shared with other routes.
Response errorResponse(const api::Error& error);
Response jsonResponse(int status, const boost::json::value& body);

}  // namespace sluice::apiserver
