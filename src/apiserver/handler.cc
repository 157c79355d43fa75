#include "apiserver/handler.h"

#include <boost/url.hpp>

#include "api/object.h"
#include "api/yaml.h"
#include "apiserver/discovery.h"
#include "apiserver/tables.h"

namespace sluice::apiserver {

namespace json = boost::json;
using api::Error;

Response jsonResponse(int status, const json::value& body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

Response errorResponse(const Error& error) {
  return jsonResponse(error.code, error.toStatus());
}

namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

bool wantsTable(const Request& req) {
  return req.header("accept").find("as=Table") != std::string::npos;
}

bool truthy(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  return it != q.end() && (it->second == "true" || it->second == "1");
}

std::string queryValue(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  return it == q.end() ? std::string() : it->second;
}

api::Result<json::value> parseBody(const Request& req) {
  std::string ct = req.header("content-type");
  if (ct.find("protobuf") != std::string::npos) return Error::unsupportedMediaType(ct);
  if (req.body.empty()) return Error::badRequest("the request body is empty");
  if (ct.find("yaml") != std::string::npos) {
    auto doc = api::parseYamlDocument(req.body);
    if (!doc) return doc.error();
    return *doc;
  }
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec) return Error::badRequest("the request body is not valid JSON: " + ec.message());
  return v;
}

const char* kTableAcceptContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

// Objects are stored at their type's preferred version; a request at another version of the
// same resource gets them with that apiVersion, the only difference between the versions.
void serveAt(json::value& v, const api::ResourceType& type) {
  if (type.version == api::preferredVersion(type).version) return;
  auto set = [&type](json::value& o) {
    if (auto* obj = o.if_object(); obj && api::kindOf(o) == type.kind)
      (*obj)["apiVersion"] = type.apiVersion();
  };
  if (auto* items = api::find(v, "items"); items && items->is_array()) {
    for (auto& item : items->as_array()) set(item);
  } else {
    set(v);
  }
}

}  // namespace

Handler::Handler(Registry& registry, Options options)
    : registry_(registry), options_(std::move(options)) {}

void Handler::addSubresource(const std::string& plural, const std::string& subresource,
                             SubresourceHandler handler) {
  subresources_[plural + "/" + subresource] = std::move(handler);
}

void Handler::addPath(const std::string& path, std::function<Response(const Request&)> handler) {
  paths_[path] = std::move(handler);
}

Response Handler::handle(const Request& request) {
  auto parsed = boost::urls::parse_origin_form(request.target);
  std::string path = parsed ? std::string(parsed->path()) : request.target;
  bool anonymousOk =
      path == "/healthz" || path == "/readyz" || path == "/livez" || path == "/version";
  if (!options_.token.empty() && !anonymousOk) {
    if (request.header("authorization") != "Bearer " + options_.token)
      return errorResponse(Error::unauthorized());
  }
  try {
    return route(request);
  } catch (const std::exception& e) {
    // Handlers return errors as values; this is the last line of defence against a bug.
    return errorResponse(Error::internal(e.what()));
  }
}

Response Handler::route(const Request& request) {
  auto parsed = boost::urls::parse_origin_form(request.target);
  if (!parsed) return errorResponse(Error::badRequest("malformed request target"));
  std::string path(parsed->path());
  std::map<std::string, std::string> query;
  for (auto p : parsed->params()) query[std::string(p.key)] = std::string(p.value);

  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    Response r;
    r.contentType = "text/plain; charset=utf-8";
    r.body = "ok";
    return r;
  }
  if (auto it = paths_.find(path); it != paths_.end()) return it->second(request);
  if (path == "/version") return jsonResponse(200, versionInfo());
  if (path == "/openapi/v2" || path == "/swagger-2.0.0.pb-v1") {
    // An empty protobuf document: "no schemas", which is all kubectl needs to validate
    // server-side with fieldValidation.
    Response r;
    r.contentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
    return r;
  }
  if (path == "/openapi/v3") return jsonResponse(200, openApiV3Index());
  if (path.rfind("/openapi/v3/", 0) == 0) {
    auto doc = openApiV3Document(path.substr(std::string("/openapi/v3/").size()));
    if (!doc) return errorResponse(Error::notFound("openapi", path));
    return jsonResponse(200, *doc);
  }

  auto parts = splitPath(path);
  std::string accept = request.header("accept");
  if (path == "/api" || path == "/apis") {
    auto doc = discoveryRoot(path == "/api", accept, options_.serverAddress);
    Response r = jsonResponse(200, doc.body);
    r.contentType = doc.contentType;
    return r;
  }

  // /api/v1/... or /apis/{group}/{version}/...
  std::string group, version;
  size_t rest = 0;
  if (!parts.empty() && parts[0] == "api" && parts.size() >= 2) {
    version = parts[1];
    rest = 2;
  } else if (!parts.empty() && parts[0] == "apis" && parts.size() >= 3) {
    group = parts[1];
    version = parts[2];
    rest = 3;
  } else if (parts.size() == 2 && parts[0] == "apis") {
    auto doc = discoveryGroup(parts[1]);
    if (!doc) return errorResponse(Error::notFound("groups", parts[1]));
    return jsonResponse(200, *doc);
  } else {
    Error e = Error::notFound("", "");
    e.message = "the server could not find the requested resource";
    e.name.clear();
    return errorResponse(e);
  }
  if (parts.size() == rest) {
    auto doc = discoveryResources(group, version);
    if (!doc) {
      Error e = Error::notFound("", "");
      e.message = "the server could not find the requested resource";
      return errorResponse(e);
    }
    return jsonResponse(200, *doc);
  }

  ResourcePath rp;
  std::vector<std::string> tail(parts.begin() + static_cast<long>(rest), parts.end());
  // namespaces/{ns}/{plural}/... versus the namespaces resource itself
  // (namespaces/{name}/status).
  if (tail.size() >= 3 && tail[0] == "namespaces" && api::findByPlural(group, tail[2])) {
    rp.ns = tail[1];
    tail.erase(tail.begin(), tail.begin() + 2);
  }
  rp.type = api::findByPlural(group, tail[0]);
  if (rp.type) rp.type = api::atVersion(*rp.type, version);
  if (!rp.type) {
    Error e = Error::notFound("", "");
    e.message = "the server could not find the requested resource";
    return errorResponse(e);
  }
  if (!rp.type->namespaced && !rp.ns.empty() && rp.type->kind != "Namespace") {
    Error e = Error::notFound("", "");
    e.message = "the server could not find the requested resource";
    return errorResponse(e);
  }
  if (tail.size() >= 2) rp.name = tail[1];
  if (tail.size() >= 3) rp.subresource = tail[2];
  if (tail.size() > 3) return errorResponse(Error::notFound(rp.type->groupResource(), rp.name));
  return resource(request, rp, query);
}

Response Handler::resource(const Request& request, const ResourcePath& rp,
                           const std::map<std::string, std::string>& query) {
  const auto& type = *rp.type;
  const std::string& method = request.method;
  std::string ns = type.namespaced ? rp.ns : "";

  if (!rp.subresource.empty()) {
    auto it = subresources_.find(type.plural + "/" + rp.subresource);
    if (it != subresources_.end()) return it->second(request, rp, query);
    bool known = false;
    for (const auto& s : type.subresources) known = known || s == rp.subresource;
    if (!known || rp.subresource == "log") {
      Error e = Error::notFound(type.groupResource(), rp.name);
      e.message = "the server could not find the requested resource";
      return errorResponse(e);
    }
  }
  auto now = options_.clock();

  // Collection.
  if (rp.name.empty()) {
    ListOptions lo;
    lo.labelSelector = queryValue(query, "labelSelector");
    lo.fieldSelector = queryValue(query, "fieldSelector");
    lo.resourceVersion = queryValue(query, "resourceVersion");
    lo.continueToken = queryValue(query, "continue");
    if (auto l = queryValue(query, "limit"); !l.empty()) lo.limit = std::atoll(l.c_str());
    if (method == "GET" && truthy(query, "watch")) {
      auto stream = std::make_shared<WatchStream>();
      bool table = wantsTable(request);
      stream->bookmarkInterval = options_.watchBookmarkInterval;
      if (auto t = queryValue(query, "timeoutSeconds"); !t.empty())
        stream->timeout = std::chrono::seconds(std::max(1LL, std::atoll(t.c_str())));
      auto watch = registry_.watch(type, ns, lo);
      if (!watch) {
        if (!watch.error().isGone()) return errorResponse(watch.error());
        // Like the API server: a 200 stream carrying one ERROR event, so clients re-list.
        stream->initial =
            json::serialize(json::object{{"type", "ERROR"}, {"object", watch.error().toStatus()}}) +
            "\n";
      } else {
        stream->watch = *watch;
      }
      auto clock = options_.clock;
      auto first = std::make_shared<bool>(true);
      stream->encode = [&type, table, clock, first](const store::Event& e, std::string& out) {
        const char* name = e.type == store::EventType::Added      ? "ADDED"
                           : e.type == store::EventType::Modified ? "MODIFIED"
                           : e.type == store::EventType::Deleted  ? "DELETED"
                                                                  : "BOOKMARK";
        json::object ev{{"type", name}};
        if (table) {
          ev["object"] =
              toTable(type, {e.object.value.get()}, std::to_string(e.object.rv), *first, clock());
          *first = false;
        } else {
          json::value object = *e.object.value;
          serveAt(object, type);
          ev["object"] = std::move(object);
        }
        out += json::serialize(ev);
        out += '\n';
      };
      if (truthy(query, "allowWatchBookmarks")) {
        auto* reg = &registry_;
        stream->bookmark = [&type, reg] {
          return json::serialize(json::object{
                     {"type", "BOOKMARK"},
                     {"object", json::object{{"kind", type.kind},
                                             {"apiVersion", type.apiVersion()},
                                             {"metadata",
                                              json::object{{"resourceVersion",
                                                            std::to_string(reg->revision())}}}}}}) +
                 "\n";
        };
      }
      Response r;
      r.watch = std::move(stream);
      return r;
    }
    if (method == "GET") {
      auto list = registry_.list(type, ns, lo);
      if (!list) return errorResponse(list.error());
      if (wantsTable(request)) {
        std::vector<const json::value*> items;
        for (const auto& i : list->at("items").as_array()) items.push_back(&i);
        auto table =
            toTable(type, items, api::getString(*list, "metadata.resourceVersion"), true, now);
        if (auto* c = api::find(*list, "metadata.continue"))
          table["metadata"].as_object()["continue"] = *c;
        Response r = jsonResponse(200, table);
        r.contentType = kTableAcceptContentType;
        return r;
      }
      serveAt(*list, type);
      return jsonResponse(200, *list);
    }
    if (method == "POST") {
      auto body = parseBody(request);
      if (!body) return errorResponse(body.error());
      WriteOptions wo;
      wo.dryRun = queryValue(query, "dryRun") == "All";
      wo.fieldManager = queryValue(query, "fieldManager");
      auto created = registry_.create(type, ns, std::move(*body), wo);
      if (!created) return errorResponse(created.error());
      serveAt(*created, type);
      return jsonResponse(201, *created);
    }
    return errorResponse(
        Error::methodNotAllowed("the server does not allow this method on the "
                                "requested resource"));
  }

  // One object.
  if (method == "GET") {
    auto got = registry_.get(type, ns, rp.name, rp.subresource);
    if (!got) return errorResponse(got.error());
    if (wantsTable(request) && rp.subresource.empty()) {
      Response r = jsonResponse(
          200, toTable(type, {&*got}, api::getString(*got, "metadata.resourceVersion"), true, now));
      r.contentType = kTableAcceptContentType;
      return r;
    }
    serveAt(*got, type);
    return jsonResponse(200, *got);
  }
  WriteOptions wo;
  wo.dryRun = queryValue(query, "dryRun") == "All";
  wo.fieldManager = queryValue(query, "fieldManager");
  if (method == "PUT") {
    auto body = parseBody(request);
    if (!body) return errorResponse(body.error());
    auto updated = registry_.update(type, ns, rp.name, std::move(*body), rp.subresource, wo);
    if (!updated) return errorResponse(updated.error());
    if (rp.subresource == "scale") return jsonResponse(200, scaleOf(*updated, type));
    serveAt(*updated, type);
    return jsonResponse(200, *updated);
  }
  if (method == "PATCH") {
    std::string ct = request.header("content-type");
    if (auto semi = ct.find(';'); semi != std::string::npos) ct.resize(semi);
    PatchType pt;
    if (ct == "application/strategic-merge-patch+json")
      pt = PatchType::Strategic;
    else if (ct == "application/merge-patch+json")
      pt = PatchType::Merge;
    else if (ct == "application/json-patch+json")
      pt = PatchType::Json;
    else
      return errorResponse(Error::unsupportedMediaType(ct));
    if (pt == PatchType::Strategic && type.custom) {
      // As kube-apiserver answers for custom resources: no strategic merge without a schema of
      // merge keys.
      Error e = Error::unsupportedMediaType("");
      e.message =
          "the body of the request was in an unknown format - accepted media types include: "
          "application/json-patch+json, application/merge-patch+json, "
          "application/apply-patch+yaml";
      return errorResponse(e);
    }
    boost::system::error_code ec;
    auto patch = json::parse(request.body, ec);
    if (ec) return errorResponse(Error::badRequest("error decoding patch: " + ec.message()));
    auto patched = registry_.patch(type, ns, rp.name, pt, patch, rp.subresource, wo);
    if (!patched) return errorResponse(patched.error());
    serveAt(*patched, type);
    return jsonResponse(200, *patched);
  }
  if (method == "DELETE") {
    DeleteOptions d;
    if (!request.body.empty()) {
      boost::system::error_code ec;
      auto body = json::parse(request.body, ec);
      if (ec || !body.is_object())
        return errorResponse(Error::badRequest("the DeleteOptions body is not valid JSON"));
      d.propagationPolicy = api::getString(body, "propagationPolicy");
      if (auto* g = api::find(body, "gracePeriodSeconds"); g && g->is_int64())
        d.gracePeriodSeconds = g->as_int64();
      d.preconditionUid = api::getString(body, "preconditions.uid");
      d.preconditionResourceVersion = api::getString(body, "preconditions.resourceVersion");
      if (auto* dr = api::find(body, "dryRun"); dr && dr->is_array() && !dr->as_array().empty())
        d.dryRun = true;
    }
    if (auto p = queryValue(query, "propagationPolicy"); !p.empty()) d.propagationPolicy = p;
    if (auto g = queryValue(query, "gracePeriodSeconds"); !g.empty())
      d.gracePeriodSeconds = std::atoll(g.c_str());
    if (queryValue(query, "dryRun") == "All") d.dryRun = true;
    auto removed = registry_.remove(type, ns, rp.name, d);
    if (!removed) return errorResponse(removed.error());
    serveAt(*removed, type);
    if (type.kind == "Pod" || api::find(*removed, "metadata.deletionTimestamp"))
      return jsonResponse(200, *removed);
    return jsonResponse(200,
                        json::object{{"kind", "Status"},
                                     {"apiVersion", "v1"},
                                     {"metadata", json::object{}},
                                     {"status", "Success"},
                                     {"details", json::object{{"name", rp.name},
                                                              {"group", type.group},
                                                              {"kind", type.plural},
                                                              {"uid", api::uidOf(*removed)}}}});
  }
  return errorResponse(
      Error::methodNotAllowed("the server does not allow this method on the requested resource"));
}

}  // namespace sluice::apiserver
