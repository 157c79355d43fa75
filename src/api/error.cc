#include "api/error.h"

namespace sluice::api {

namespace json = boost::json;

json::object Error::toStatus() const {
  json::object status{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object{}},
                      {"status", "Failure"}, {"message", message}, {"reason", reason}};
  json::object details;
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (!causes.empty()) {
    json::array list;
    for (const auto& c : causes) {
      json::object o{{"reason", c.type}, {"message", c.message}};
      if (!c.field.empty()) o["field"] = c.field;
      list.push_back(std::move(o));
    }
    details["causes"] = std::move(list);
  }
  if (retryAfterSeconds) details["retryAfterSeconds"] = *retryAfterSeconds;
  if (!details.empty()) status["details"] = std::move(details);
  status["code"] = code;
  return status;
}

Error Error::fromStatus(const json::value& v, int httpCode) {
  Error e;
  e.code = httpCode;
  const auto* o = v.if_object();
  if (!o) {
    e.reason = "Unknown";
    e.message = "the server responded with status " + std::to_string(httpCode);
    return e;
  }
  auto str = [](const json::object& obj, std::string_view key) -> std::string {
    if (auto* p = obj.if_contains(key); p && p->is_string()) return std::string(p->as_string());
    return {};
  };
  e.reason = str(*o, "reason");
  e.message = str(*o, "message");
  if (auto* c = o->if_contains("code"); c && c->is_int64())
    e.code = static_cast<int>(c->as_int64());
  if (auto* d = o->if_contains("details"); d && d->is_object()) {
    const auto& details = d->as_object();
    e.name = str(details, "name");
    e.group = str(details, "group");
    e.kind = str(details, "kind");
    if (auto* cs = details.if_contains("causes"); cs && cs->is_array()) {
      for (const auto& c : cs->as_array()) {
        if (!c.is_object()) continue;
        e.causes.push_back({str(c.as_object(), "reason"), str(c.as_object(), "message"),
                            str(c.as_object(), "field")});
      }
    }
  }
  return e;
}

Error Error::badRequest(std::string message) {
  Error e;
  e.code = 400;
  e.reason = "BadRequest";
  e.message = std::move(message);
  return e;
}

namespace {
// "deployments.apps" -> {"deployments", "apps"}; "pods" -> {"pods", ""}.
std::pair<std::string, std::string> splitGroupResource(const std::string& gr) {
  auto dot = gr.find('.');
  if (dot == std::string::npos) return {gr, ""};
  return {gr.substr(0, dot), gr.substr(dot + 1)};
}
}  // namespace

Error Error::notFound(const std::string& groupResource, const std::string& name) {
  Error e;
  e.code = 404;
  e.reason = "NotFound";
  e.message = groupResource + " \"" + name + "\" not found";
  std::tie(e.kind, e.group) = splitGroupResource(groupResource);
  e.name = name;
  return e;
}

Error Error::alreadyExists(const std::string& groupResource, const std::string& name) {
  Error e;
  e.code = 409;
  e.reason = "AlreadyExists";
  e.message = groupResource + " \"" + name + "\" already exists";
  std::tie(e.kind, e.group) = splitGroupResource(groupResource);
  e.name = name;
  return e;
}

Error Error::conflict(const std::string& groupResource, const std::string& name,
                      const std::string& why) {
  Error e;
  e.code = 409;
  e.reason = "Conflict";
  e.message = "Operation cannot be fulfilled on " + groupResource + " \"" + name + "\": " + why;
  std::tie(e.kind, e.group) = splitGroupResource(groupResource);
  e.name = name;
  return e;
}

Error Error::gone(std::string message) {
  Error e;
  e.code = 410;
  e.reason = "Expired";
  e.message = std::move(message);
  return e;
}

Error Error::unauthorized() {
  Error e;
  e.code = 401;
  e.reason = "Unauthorized";
  e.message = "Unauthorized";
  return e;
}

Error Error::methodNotAllowed(std::string message) {
  Error e;
  e.code = 405;
  e.reason = "MethodNotAllowed";
  e.message = std::move(message);
  return e;
}

Error Error::unsupportedMediaType(std::string contentType) {
  Error e;
  e.code = 415;
  e.reason = "UnsupportedMediaType";
  e.message =
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json, application/yaml, application/strategic-merge-patch+json, "
      "application/merge-patch+json, application/json-patch+json";
  if (!contentType.empty()) e.message += " (got " + contentType + ")";
  return e;
}

Error Error::tooLarge(std::string message) {
  Error e;
  e.code = 413;
  e.reason = "RequestEntityTooLarge";
  e.message = std::move(message);
  return e;
}

Error Error::internal(std::string message) {
  Error e;
  e.code = 500;
  e.reason = "InternalError";
  e.message = "Internal error occurred: " + std::move(message);
  return e;
}

Error Error::invalid(const std::string& kind, const std::string& group, const std::string& name,
                     std::vector<Cause> causes) {
  Error e;
  e.code = 422;
  e.reason = "Invalid";
  e.kind = kind;
  e.group = group;
  e.name = name;
  std::string list;
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i) list += ", ";
    list +=
        causes[i].field.empty() ? causes[i].message : causes[i].field + ": " + causes[i].message;
  }
  e.message = "The " + kind + " \"" + name + "\" is invalid: ";
  e.message += causes.size() > 1 ? "[" + list + "]" : list;
  e.causes = std::move(causes);
  return e;
}

}  // namespace sluice::api
