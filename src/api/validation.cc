#include "api/validation.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "api/gateway_resources.h"
#include "api/gateway_validation.h"
#include "api/gofmt.h"
#include "api/validation_checks.h"

namespace sluice::api {

namespace json = boost::json;

namespace validation {

namespace {

constexpr size_t kTotalAnnotationSizeLimitBytes = 256 * 1024;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Common checks.

void validateNonnegative(const Reader& r, std::string_view key) {
  if (auto v = r.integer(key); v && *v < 0)
    r.causes().invalid(r.path(key), std::to_string(*v), kIsNegativeErrorMsg);
}

void validateDns1123Label(const Reader& r, std::string_view key) {
  auto value = r.text(key);
  for (const auto& msg : isDns1123Label(value))
    r.causes().invalid(r.path(key), gofmt::quote(value), msg);
}

void validateEnum(const Reader& r, std::string_view key,
                  std::initializer_list<std::string_view> supported) {
  auto value = r.string(key);
  if (!value) return;
  if (value->empty()) {
    r.causes().required(r.path(key));
  } else if (std::find(supported.begin(), supported.end(), *value) == supported.end()) {
    r.causes().notSupported(r.path(key), gofmt::quote(*value), supported);
  }
}

void validateLabelMap(const json::object* labels, const std::string& path, Causes& out) {
  if (!labels) return;
  for (const auto& kv : *labels) {
    for (const auto& msg : isQualifiedName(kv.key()))
      out.invalid(path, gofmt::quote(kv.key()), msg);
    if (!kv.value().is_string()) {
      out.typeMismatch(path, kv.value(), "string");
      continue;
    }
    std::string_view value = kv.value().get_string();
    for (const auto& msg : isValidLabelValue(value)) out.invalid(path, gofmt::quote(value), msg);
  }
}

void validateAnnotationMap(const json::object* annotations, const std::string& path, Causes& out) {
  if (!annotations) return;
  size_t totalBytes = 0;
  for (const auto& kv : *annotations) {
    std::string lower(kv.key());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
    for (const auto& msg : isQualifiedName(lower)) out.invalid(path, gofmt::quote(kv.key()), msg);
    if (!kv.value().is_string()) {
      out.typeMismatch(path, kv.value(), "string");
      continue;
    }
    totalBytes += kv.key().size() + kv.value().get_string().size();
  }
  if (totalBytes > kTotalAnnotationSizeLimitBytes)
    out.tooLong(path, kTotalAnnotationSizeLimitBytes);
}

// ValidateObjectMeta. With generateName and no name the name is still to be generated, so only
// the prefix is checked.
void validateObjectMeta(const Reader& root, bool namespaced, NameValidator validName) {
  Causes& out = root.causes();
  Reader meta = root.child("metadata");
  auto generateName = meta.text("generateName");
  if (!generateName.empty())
    for (const auto& msg : validName(generateName, true))
      out.invalid(meta.path("generateName"), gofmt::quote(generateName), msg);
  if (auto name = meta.string("name"); name && name->empty()) {
    if (generateName.empty()) out.required(meta.path("name"), "name or generateName is required");
  } else if (name) {
    for (const auto& msg : validName(*name, false))
      out.invalid(meta.path("name"), gofmt::quote(*name), msg);
  }
  if (namespaced) {
    auto ns = meta.text("namespace");
    if (!ns.empty())
      for (const auto& msg : isDns1123Label(ns))
        out.invalid(meta.path("namespace"), gofmt::quote(ns), msg);
  }
  validateNonnegative(meta, "generation");
  validateLabelMap(meta.objectAt("labels"), meta.path("labels"), out);
  validateAnnotationMap(meta.objectAt("annotations"), meta.path("annotations"), out);
}

// The identity fields of ValidateObjectMetaUpdate. Only fields both versions carry are compared:
// the server fills in what a client leaves out before it stores the object.
void validateObjectMetaUpdate(const Reader& root, const json::object& old) {
  Causes scratch;  // problems of the stored object are not the client's
  Reader oldMeta = Reader(&old, "", scratch).child("metadata");
  Reader meta = root.child("metadata");
  for (std::string_view key : {"name", "namespace", "uid"}) {
    auto now = meta.text(key);
    auto before = oldMeta.text(key);
    if (!now.empty() && !before.empty() && now != before)
      root.causes().invalid(meta.path(key), gofmt::quote(now), kFieldImmutableErrorMsg);
  }
}

std::optional<std::string> portNumberError(int64_t port) {
  if (port >= 1 && port <= 65535) return std::nullopt;
  return std::string("must be between 1 and 65535, inclusive");
}

void validatePortNumOrName(const Reader& r, std::string_view key) {
  Causes& out = r.causes();
  const json::value* v = r.raw(key);
  if (!v) {
    out.invalid(r.path(key), "0", *portNumberError(0));
  } else if (auto n = asInteger(*v)) {
    if (auto msg = portNumberError(*n)) out.invalid(r.path(key), std::to_string(*n), *msg);
  } else if (v->is_string()) {
    for (const auto& msg : isValidPortName(v->get_string()))
      out.invalid(r.path(key), gofmt::quote(v->get_string()), msg);
  } else {
    out.typeMismatch(r.path(key), *v, "integer or string");
  }
}

namespace {

void validateNamespace(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, false, nameIsDnsLabel);
}

void validateOther(const Reader& root, const json::object* old, const ResourceType& type) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, type.namespaced, nameIsDnsSubdomain);
}

}  // namespace

}  // namespace validation

Status validate(const json::object& object, const json::object* old, const ResourceType& type) {
  using namespace validation;
  Causes causes;
  Reader root(&object, "", causes);
  if (type.kind == "Deployment")
    validateDeployment(root, old);
  else if (type.kind == "ReplicaSet")
    validateReplicaSet(root, old);
  else if (type.kind == "Pod")
    validatePod(root, old);
  else if (type.kind == "Service")
    validateService(root, old);
  else if (type.kind == "Namespace")
    validateNamespace(root, old);
  else
    validateOther(root, old, type);
  std::vector<Cause> found = causes.take();
  if (isGatewayApi(type))
    for (auto& c : validateGatewayApi(object, old, type)) found.push_back(std::move(c));
  if (found.empty()) return {};
  std::string name;
  if (const json::value* meta = object.if_contains("metadata"); meta && meta->is_object()) {
    if (const json::value* n = meta->get_object().if_contains("name"); n && n->is_string())
      name = n->get_string();
  }
  return Error::invalid(type.kind, type.group, name, std::move(found));
}

}  // namespace sluice::api
