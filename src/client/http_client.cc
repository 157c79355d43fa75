#include <boost/asio.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <condition_variable>
#include <deque>
#include <thread>

#include "api/object.h"
#include "client/client.h"

namespace sluice::client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using api::Error;

std::string urlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

Error transportError(const std::string& server, const beast::error_code& ec) {
  Error e;
  e.code = 503;
  e.reason = "ServiceUnavailable";
  e.message = "The connection to the server " + server +
              " was refused - did you specify the "
              "right host or port? (" +
              ec.message() + ")";
  return e;
}

Error fromHttp(int status, const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object() && api::getString(v, "kind") == "Status")
    return Error::fromStatus(v, status);
  Error e;
  e.code = status;
  e.reason = status == 404 ? "NotFound" : "Unknown";
  e.message = body.empty() ? "the server responded with status " + std::to_string(status) : body;
  return e;
}

struct Endpoint {
  std::string host, port;
  bool tls = false;
};

api::Result<Endpoint> parseServer(const std::string& server) {
  auto u = boost::urls::parse_uri(server);
  if (!u) return Error::badRequest("invalid server URL " + server);
  if (u->scheme() != "http" && u->scheme() != "https")
    return Error::badRequest("server " + server + ": the scheme must be http or https");
  Endpoint ep{std::string(u->host()), std::string(u->port()), u->scheme() == "https"};
  if (ep.port.empty()) ep.port = ep.tls ? "443" : "80";
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  return ep;
}

}  // namespace

// A connection, plain or TLS. TLS verifies the server against the kubeconfig's CA (or the
// system roots), unless insecure-skip-tls-verify is set.
struct HttpClient::Connection {
  net::io_context io;
  std::optional<ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  beast::error_code connect(const ClusterAccess& access, const std::string& host,
                            const std::string& port, bool useTls) {
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, port, ec);
    if (ec) return ec;
    if (!useTls) {
      plain.emplace(io);
      plain->connect(results, ec);
      return ec;
    }
    tls.emplace(ssl::context::tls_client);
    if (access.insecureSkipTlsVerify) {
      tls->set_verify_mode(ssl::verify_none);
    } else {
      tls->set_verify_mode(ssl::verify_peer);
      if (!access.caPem.empty())
        tls->add_certificate_authority(net::buffer(access.caPem), ec);
      else
        tls->set_default_verify_paths(ec);
      if (ec) return ec;
    }
    secure.emplace(io, *tls);
    if (!access.insecureSkipTlsVerify) {
      secure->set_verify_callback(ssl::host_name_verification(host));
    }
    SSL_set_tlsext_host_name(secure->native_handle(), host.c_str());
    beast::get_lowest_layer(*secure).connect(results, ec);
    if (!ec) secure->handshake(ssl::stream_base::client, ec);
    return ec;
  }

  template <class F>
  auto with(F&& f) {
    if (plain) return f(*plain);
    return f(*secure);
  }
};

HttpClient::HttpClient(ClusterAccess access) : access_(std::move(access)) {
  auto ep = parseServer(access_.server);
  if (ep) {
    host_ = ep->host;
    port_ = ep->port;
    tls_ = ep->tls;
  }
}

HttpClient::~HttpClient() = default;

api::Result<HttpResult> HttpClient::request(const std::string& method, const std::string& target,
                                            const std::string& body, const std::string& contentType,
                                            const std::string& accept) {
  if (host_.empty()) return parseServer(access_.server).error();
  // One retry on a stale keep-alive connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn_) conn_ = std::make_unique<Connection>();
    beast::error_code ec;
    if (!conn_->connected) {
      ec = conn_->connect(access_, host_, port_, tls_);
      if (ec) {
        conn_.reset();
        return transportError(host_ + ":" + port_, ec);
      }
      conn_->connected = true;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host_ + ":" + port_);
    req.set(http::field::user_agent, "sluice/0.1");
    req.set(http::field::accept, accept);
    if (!access_.token.empty()) req.set(http::field::authorization, "Bearer " + access_.token);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.set(http::field::content_type, contentType.empty() ? "application/json" : contentType);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn_->with([&](auto& s) {
      http::write(s, req, ec);
      if (!ec) http::read(s, conn_->buffer, parser, ec);
    });
    if (ec) {
      conn_.reset();
      if (attempt == 0 && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                           ec == net::error::broken_pipe))
        continue;
      return transportError(host_ + ":" + port_, ec);
    }
    auto& res = parser.get();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.contentType = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) conn_.reset();
    return out;
  }
  return Error::internal("unreachable");
}

api::Status HttpClient::stream(const std::string& target, const std::string& accept,
                               const std::function<bool(std::string_view)>& onData) {
  if (host_.empty()) return parseServer(access_.server).error();
  Connection conn;
  beast::error_code ec = conn.connect(access_, host_, port_, tls_);
  if (ec) return transportError(host_ + ":" + port_, ec);
  return conn.with([&](auto& s) { return streamOn(s, target, accept, onData); });
}

template <class Stream>
api::Status HttpClient::streamOn(Stream& s, const std::string& target, const std::string& accept,
                                 const std::function<bool(std::string_view)>& onData) {
  beast::error_code ec;
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host_ + ":" + port_);
  req.set(http::field::user_agent, "sluice/0.1");
  req.set(http::field::accept, accept);
  if (!access_.token.empty()) req.set(http::field::authorization, "Bearer " + access_.token);
  http::write(s, req, ec);
  if (ec) return transportError(host_ + ":" + port_, ec);
  beast::flat_buffer buf;
  http::response_parser<http::buffer_body> p;
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(s, buf, p, ec);
  if (ec) return transportError(host_ + ":" + port_, ec);
  int status = static_cast<int>(p.get().result_int());
  std::string errorBody;
  char data[16384];
  while (!p.is_done()) {
    p.get().body().data = data;
    p.get().body().size = sizeof data;
    http::read_some(s, buf, p, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) break;
    size_t n = sizeof data - p.get().body().size;
    if (n == 0) continue;
    if (status >= 300) {
      errorBody.append(data, n);
    } else if (!onData(std::string_view(data, n))) {
      break;
    }
  }
  if (status >= 300) return fromHttp(status, errorBody);
  return {};
}

std::string HttpClient::path(const api::ResourceType& type, const std::string& ns,
                             const std::string& name, const std::string& subresource) {
  std::string p = type.apiPrefix();
  if (type.namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + type.plural;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

std::string HttpClient::listQuery(const ListOptions& o) {
  std::string q;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    q += q.empty() ? "?" : "&";
    q += k;
    q += "=";
    q += urlEncode(v);
  };
  add("labelSelector", o.labelSelector);
  add("fieldSelector", o.fieldSelector);
  add("resourceVersion", o.resourceVersion);
  add("continue", o.continueToken);
  if (o.limit > 0) add("limit", std::to_string(o.limit));
  return q;
}

api::Result<json::value> HttpClient::jsonCall(const std::string& method, const std::string& target,
                                              const std::string& body,
                                              const std::string& contentType) {
  auto r = request(method, target, body, contentType);
  if (!r) return r.error();
  if (r->status >= 300) return fromHttp(r->status, r->body);
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec) return Error::internal("the server sent invalid JSON for " + target);
  return v;
}

namespace {
std::string writeQuery(const WriteOptions& o) {
  std::string q;
  if (!o.fieldManager.empty()) q += "?fieldManager=" + urlEncode(o.fieldManager);
  if (o.dryRun) q += std::string(q.empty() ? "?" : "&") + "dryRun=All";
  return q;
}
}  // namespace

api::Result<json::value> HttpClient::get(const api::ResourceType& type, const std::string& ns,
                                         const std::string& name, const std::string& sub) {
  return jsonCall("GET", path(type, ns, name, sub), "", "");
}

api::Result<json::value> HttpClient::list(const api::ResourceType& type, const std::string& ns,
                                          const ListOptions& options) {
  return jsonCall("GET", path(type, ns) + listQuery(options), "", "");
}

api::Result<json::value> HttpClient::create(const api::ResourceType& type, const std::string& ns,
                                            const json::value& object,
                                            const WriteOptions& options) {
  return jsonCall("POST", path(type, ns) + writeQuery(options), json::serialize(object),
                  "application/json");
}

api::Result<json::value> HttpClient::update(const api::ResourceType& type, const std::string& ns,
                                            const std::string& name, const json::value& object,
                                            const std::string& sub, const WriteOptions& options) {
  return jsonCall("PUT", path(type, ns, name, sub) + writeQuery(options), json::serialize(object),
                  "application/json");
}

api::Result<json::value> HttpClient::patch(const api::ResourceType& type, const std::string& ns,
                                           const std::string& name, PatchType patchType,
                                           const json::value& patch, const std::string& sub,
                                           const WriteOptions& options) {
  const char* ct = patchType == PatchType::Strategic ? "application/strategic-merge-patch+json"
                   : patchType == PatchType::Merge   ? "application/merge-patch+json"
                                                     : "application/json-patch+json";
  return jsonCall("PATCH", path(type, ns, name, sub) + writeQuery(options), json::serialize(patch),
                  ct);
}

api::Result<json::value> HttpClient::remove(const api::ResourceType& type, const std::string& ns,
                                            const std::string& name, const DeleteOptions& options) {
  json::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.propagationPolicy.empty()) body["propagationPolicy"] = options.propagationPolicy;
  if (options.gracePeriodSeconds) body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
  if (options.dryRun) body["dryRun"] = json::array{"All"};
  return jsonCall("DELETE", path(type, ns, name), json::serialize(body), "application/json");
}

namespace {

// A watch over HTTP: a reader thread turns the chunked stream into events. The state is shared
// with the thread so that a stopped stream can be abandoned without waiting for the server.
class HttpEventStream : public EventStream {
 public:
  HttpEventStream(const ClusterAccess& access, std::string target)
      : state_(std::make_shared<State>()) {
    std::thread([state = state_, access, target] {
      HttpClient own(access);
      std::string line;
      auto st = own.stream(target, "application/json", [&](std::string_view data) {
        for (char c : data) {
          if (c != '\n') {
            line += c;
            continue;
          }
          state->push(line);
          line.clear();
        }
        std::lock_guard lock(state->mu);
        return !state->stopped;
      });
      if (!line.empty()) state->push(line);
      std::lock_guard lock(state->mu);
      if (!st) state->queue.push_back(WatchEvent{"ERROR", st.error().toStatus()});
      state->closed = true;
      state->cv.notify_all();
    }).detach();
  }
  ~HttpEventStream() override { stop(); }
  std::optional<WatchEvent> next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mu);
    state_->cv.wait_for(lock, timeout, [&] { return !state_->queue.empty() || state_->closed; });
    if (state_->queue.empty()) return std::nullopt;
    auto e = std::move(state_->queue.front());
    state_->queue.pop_front();
    return e;
  }
  bool closed() override {
    std::lock_guard lock(state_->mu);
    return state_->closed && state_->queue.empty();
  }
  void stop() override {
    std::lock_guard lock(state_->mu);
    state_->stopped = true;
  }

 private:
  struct State {
    void push(const std::string& line) {
      if (line.empty()) return;
      boost::system::error_code ec;
      auto v = json::parse(line, ec);
      if (ec || !v.is_object()) return;
      WatchEvent e{api::getString(v, "type"), v.as_object()["object"]};
      std::lock_guard lock(mu);
      queue.push_back(std::move(e));
      cv.notify_all();
    }
    std::mutex mu;
    std::condition_variable cv;
    std::deque<WatchEvent> queue;
    bool closed = false;
    bool stopped = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace

api::Result<std::unique_ptr<EventStream>> HttpClient::watch(const api::ResourceType& type,
                                                            const std::string& ns,
                                                            const ListOptions& options) {
  std::string q = listQuery(options);
  q += q.empty() ? "?" : "&";
  q += "watch=true&allowWatchBookmarks=true";
  return std::unique_ptr<EventStream>(
      std::make_unique<HttpEventStream>(access_, path(type, ns) + q));
}

}  // namespace sluice::client
