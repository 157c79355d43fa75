// Errors as values, shaped like the Kubernetes `Status` object so that every layer (patch,
// validation, store, API server) can hand the client exactly what a real API server would.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::api {

// One `details.causes[]` entry: what is wrong with which field.
struct Cause {
  std::string type;     // e.g. "FieldValueInvalid", "FieldValueRequired"
  std::string message;  // e.g. "Invalid value: -1: must be greater than or equal to 0"
  std::string field;    // e.g. "spec.replicas"
};

// A failed API call. `reason` and `code` follow metav1.StatusReason (NotFound/404, ...).
struct Error {
  int code = 500;
  std::string reason;  // "NotFound", "AlreadyExists", "Conflict", "Invalid", "BadRequest", ...
  std::string message;
  // details: the object the error is about, when known.
  std::string name;
  std::string group;
  std::string kind;  // the resource (plural) as Kubernetes reports it, e.g. "deployments"
  std::vector<Cause> causes;
  std::optional<int> retryAfterSeconds;

  // The checks client code makes, as apimachinery's errors.IsNotFound and friends.
  bool isNotFound() const { return code == 404; }
  bool isAlreadyExists() const { return code == 409 && reason == "AlreadyExists"; }
  // A resourceVersion precondition failed (or, as Kubernetes also answers 409, AlreadyExists).
  bool isConflict() const { return code == 409; }
  bool isGone() const { return code == 410; }
  bool isInvalid() const { return code == 422; }

  boost::json::object toStatus() const;
  static Error fromStatus(const boost::json::value& status, int httpCode);

  // Constructors for the common reasons, with Kubernetes' wording.
  static Error badRequest(std::string message);
  static Error notFound(const std::string& groupResource, const std::string& name);
  static Error alreadyExists(const std::string& groupResource, const std::string& name);
  static Error conflict(const std::string& groupResource, const std::string& name,
                        const std::string& why);
  static Error gone(std::string message);  // reason Expired, 410
  static Error unauthorized();
  static Error methodNotAllowed(std::string message);
  static Error unsupportedMediaType(std::string contentType);
  static Error tooLarge(std::string message);
  static Error internal(std::string message);
  // `kind` here is the Kind ("Deployment"); `groupKind` e.g. "Deployment.apps".
  static Error invalid(const std::string& kind, const std::string& group, const std::string& name,
                       std::vector<Cause> causes);
};

// Result<T>: a value or an Error. Small by design; C++23's std::expected is not in g++ 12.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  // Anything that converts to T (e.g. a json::object for Result<json::value>).
  template <class U, class = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                              !std::is_same_v<std::decay_t<U>, T> &&
                                              !std::is_same_v<std::decay_t<U>, Error>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}
  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

// True when `r` failed with the given kind of error (false for success).
template <class R>
bool isNotFound(const R& r) {
  return !r.ok() && r.error().isNotFound();
}
template <class R>
bool isConflict(const R& r) {
  return !r.ok() && r.error().isConflict();
}
template <class R>
bool isAlreadyExists(const R& r) {
  return !r.ok() && r.error().isAlreadyExists();
}

// `st`, with NotFound counted as success: for deletes and cleanups where gone is the goal.
inline Status ignoreNotFound(Status st) {
  return st.ok() || st.error().isNotFound() ? Status() : st;
}
template <class T>
Status ignoreNotFound(const Result<T>& r) {
  return r.ok() || r.error().isNotFound() ? Status() : Status(r.error());
}

}  // namespace sluice::api
