#include "api/field_errors.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "api/gofmt.h"

namespace sluice::api::validation {

namespace json = boost::json;

std::string childPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string indexPath(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::optional<int64_t> asInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return std::numeric_limits<int64_t>::max();
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Go renderings.

std::string goValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return gofmt::quote(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return gofmt::formatFloat(v.get_double(), gofmt::FloatStyle::kShortest);
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::null:
      return "null";
    default:
      return json::serialize(v);
  }
}

std::string goStringMap(const json::object* map) {
  if (!map) return "map[string]string(nil)";
  std::vector<std::pair<std::string_view, const json::value*>> entries;
  for (const auto& kv : *map) entries.emplace_back(kv.key(), &kv.value());
  std::sort(entries.begin(), entries.end());
  std::string out = "map[string]string{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ", ";
    out += gofmt::quote(entries[i].first) + ":" + goValue(*entries[i].second);
  }
  return out + "}";
}

std::string goStringSlice(const json::value* slice) {
  if (!slice || !slice->is_array()) return "[]string(nil)";
  std::string out = "[]string{";
  const auto& items = slice->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += goValue(items[i]);
  }
  return out + "}";
}

std::string goIntOrString(const json::value* v) {
  if (v && v->is_string())
    return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + gofmt::quote(v->get_string()) + "}";
  int64_t n = v ? asInteger(*v).value_or(0) : 0;
  return "intstr.IntOrString{Type:0, IntVal:" + std::to_string(n) + ", StrVal:\"\"}";
}

// ---------------------------------------------------------------------------------------------
// Causes.

namespace {

std::string withDetail(std::string head, std::string_view detail) {
  if (!detail.empty()) {
    head += ": ";
    head += detail;
  }
  return head;
}

}  // namespace

void Causes::invalid(const std::string& field, const std::string& value, std::string_view detail) {
  add("FieldValueInvalid", withDetail("Invalid value: " + value, detail), field);
}

void Causes::typeMismatch(const std::string& field, const json::value& value,
                          std::string_view type) {
  invalid(field, goValue(value), "must be of type " + std::string(type));
}

void Causes::required(const std::string& field, std::string_view detail) {
  add("FieldValueRequired", withDetail("Required value", detail), field);
}

void Causes::duplicate(const std::string& field, const std::string& value) {
  add("FieldValueDuplicate", "Duplicate value: " + value, field);
}

void Causes::notFound(const std::string& field, const std::string& value) {
  add("FieldValueNotFound", "Not found: " + value, field);
}

void Causes::notSupported(const std::string& field, const std::string& value,
                          std::initializer_list<std::string_view> supported) {
  std::string message = "Unsupported value: " + value + ": supported values: ";
  bool first = true;
  for (std::string_view s : supported) {
    if (!first) message += ", ";
    first = false;
    message += gofmt::quote(s);
  }
  add("FieldValueNotSupported", std::move(message), field);
}

void Causes::forbidden(const std::string& field, std::string_view detail) {
  add("FieldValueForbidden", withDetail("Forbidden", detail), field);
}

void Causes::tooLong(const std::string& field, size_t maxBytes) {
  add("FieldValueTooLong", "Too long: must have at most " + std::to_string(maxBytes) + " bytes",
      field);
}

void Causes::add(std::string type, std::string message, const std::string& field) {
  for (const auto& c : causes_)
    if (c.type == type && c.message == message && c.field == field) return;
  causes_.push_back({std::move(type), std::move(message), field});
}

// ---------------------------------------------------------------------------------------------
// Reader.

const json::value* Reader::raw(std::string_view key) const {
  if (!object_) return nullptr;
  const json::value* v = object_->if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

const json::object* Reader::objectAt(std::string_view key) const {
  const json::value* v = raw(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    causes_->typeMismatch(path(key), *v, "object");
    return nullptr;
  }
  return &v->get_object();
}

const json::array* Reader::arrayAt(std::string_view key) const {
  const json::value* v = raw(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    causes_->typeMismatch(path(key), *v, "array");
    return nullptr;
  }
  return &v->get_array();
}

std::vector<Reader> Reader::items(std::string_view key) const {
  std::vector<Reader> out;
  const json::array* array = arrayAt(key);
  if (!array) return out;
  for (size_t i = 0; i < array->size(); ++i) {
    std::string itemPath = indexPath(path(key), i);
    const json::value& v = (*array)[i];
    if (v.is_object())
      out.emplace_back(&v.get_object(), std::move(itemPath), *causes_);
    else
      causes_->typeMismatch(itemPath, v, "object");
  }
  return out;
}

std::optional<std::string_view> Reader::string(std::string_view key) const {
  const json::value* v = raw(key);
  if (!v) return std::string_view();
  if (!v->is_string()) {
    causes_->typeMismatch(path(key), *v, "string");
    return std::nullopt;
  }
  return std::string_view(v->get_string());
}

std::optional<int64_t> Reader::integer(std::string_view key, int64_t fallback) const {
  const json::value* v = raw(key);
  if (!v) return fallback;
  if (auto n = asInteger(*v)) return n;
  causes_->typeMismatch(path(key), *v, "integer");
  return std::nullopt;
}

const json::value* Reader::intOrString(std::string_view key) const {
  const json::value* v = raw(key);
  if (!v || v->is_string() || asInteger(*v)) return v;
  causes_->typeMismatch(path(key), *v, "integer or string");
  return nullptr;
}

}  // namespace sluice::api::validation
