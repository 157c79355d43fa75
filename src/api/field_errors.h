// The machinery the validation files share (internal to api/validation*.cc): field paths, the
// list of causes with Kubernetes' field.Error wording, typed reads of JSON members that report
// wrong types instead of throwing, and bad values rendered as Go prints them. Pure; no I/O.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/error.h"

namespace sluice::api::validation {

// ---------------------------------------------------------------------------------------------
// Field paths, as field.Path prints them: "spec.template.spec.containers[0].name".

std::string childPath(std::string_view path, std::string_view key);
std::string indexPath(std::string_view path, size_t i);

// An integer member's value. Only values above INT64_MAX parse as uint64; they read as INT64_MAX,
// which is out of every range checked.
std::optional<int64_t> asInteger(const boost::json::value& v);

// ---------------------------------------------------------------------------------------------
// Bad values as Go prints them in field errors: strings with %q, numbers with %v, and structs,
// maps and slices with %#v (e.g. `map[string]string{"app":"nginx"}`).

std::string goValue(const boost::json::value& v);
// map[string]string, keys sorted; nullptr is a nil map.
std::string goStringMap(const boost::json::object* map);
// []string; anything but an array is a nil slice.
std::string goStringSlice(const boost::json::value* slice);
// intstr.IntOrString; nullptr is its zero value (the integer 0).
std::string goIntOrString(const boost::json::value* v);

// ---------------------------------------------------------------------------------------------
// Causes: field.ErrorList with field.Error's wording (ErrorBody: "<Type>: <value>: <detail>").
// `value` arguments are already rendered (gofmt::quote, goValue, ...). A cause equal to one
// already listed is dropped, as the API server drops repeated messages from its aggregate.

class Causes {
 public:
  void invalid(const std::string& field, const std::string& value, std::string_view detail);
  // A member of the wrong JSON type. The API server fails to decode such a body; here it is one
  // more Invalid cause, so that every problem is reported at once.
  void typeMismatch(const std::string& field, const boost::json::value& value,
                    std::string_view type);
  void required(const std::string& field, std::string_view detail = {});
  void duplicate(const std::string& field, const std::string& value);
  void notFound(const std::string& field, const std::string& value);
  void notSupported(const std::string& field, const std::string& value,
                    std::initializer_list<std::string_view> supported);
  void forbidden(const std::string& field, std::string_view detail);
  void tooLong(const std::string& field, size_t maxBytes);

  size_t size() const { return causes_.size(); }
  bool empty() const { return causes_.empty(); }
  std::vector<Cause> take() { return std::move(causes_); }

 private:
  void add(std::string type, std::string message, const std::string& field);

  std::vector<Cause> causes_;
};

// ---------------------------------------------------------------------------------------------
// Reader: typed, non-throwing reads of one JSON object's members. A member of the wrong JSON type
// is reported (once per read) and then reads as absent, so no check ever calls as_* on the wrong
// kind of value. A null member reads as absent, like a nil pointer in the Go types. A Reader
// refers to its object and its Causes; both must outlive it.

class Reader {
 public:
  // `object` may be nullptr: an absent struct, every member of which reads as absent.
  Reader(const boost::json::object* object, std::string path, Causes& causes)
      : object_(object), path_(std::move(path)), causes_(&causes) {}

  bool present() const { return object_ != nullptr; }
  const boost::json::object* object() const { return object_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return childPath(path_, key); }
  Causes& causes() const { return *causes_; }

  // The member at `key`, nullptr when absent or null; never reports.
  const boost::json::value* raw(std::string_view key) const;
  bool has(std::string_view key) const { return raw(key) != nullptr; }

  const boost::json::object* objectAt(std::string_view key) const;
  Reader child(std::string_view key) const { return Reader(objectAt(key), path(key), *causes_); }
  const boost::json::array* arrayAt(std::string_view key) const;

  // The objects of the array at `key`, each with its indexed path; other elements are reported.
  std::vector<Reader> items(std::string_view key) const;

  // "" when absent; nullopt only when the member is not a string.
  std::optional<std::string_view> string(std::string_view key) const;
  // The string at `key`, "" when absent or not a string.
  std::string_view text(std::string_view key) const { return string(key).value_or(""); }

  // `fallback` when absent (the Go zero value is 0); nullopt only when not an integer.
  std::optional<int64_t> integer(std::string_view key, int64_t fallback = 0) const;

  // An intOrString member (targetPort, maxSurge): an integer or string value, else nullptr.
  const boost::json::value* intOrString(std::string_view key) const;

 private:
  const boost::json::object* object_;
  std::string path_;
  Causes* causes_;
};

}  // namespace sluice::api::validation
