// The checks the validation files share and the validator of each kind (internal to
// api/validation*.cc). Each check reads through a Reader and reports into its Causes, with
// Kubernetes' field paths and wording; none throws, whatever the JSON holds.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/field_errors.h"
#include "api/names.h"

namespace sluice::api::validation {

inline constexpr std::string_view kIsNegativeErrorMsg = "must be greater than or equal to 0";
inline constexpr std::string_view kFieldImmutableErrorMsg = "field is immutable";

// ---------------------------------------------------------------------------------------------
// Common checks (validation.cc).

// An integer member that must be >= 0.
void validateNonnegative(const Reader& r, std::string_view key);
// A string member that must be a DNS-1123 label.
void validateDns1123Label(const Reader& r, std::string_view key);
// A string enum: Required when empty, NotSupported when not one of `supported`.
void validateEnum(const Reader& r, std::string_view key,
                  std::initializer_list<std::string_view> supported);
// "must be between 1 and 65535, inclusive" unless `port` is in that range.
std::optional<std::string> portNumberError(int64_t port);
// A port by number or IANA name. An absent intOrString is the integer 0.
void validatePortNumOrName(const Reader& r, std::string_view key);
// ValidateLabels: every problem is reported at the map's path, not the key's.
void validateLabelMap(const boost::json::object* labels, const std::string& path, Causes& out);
// ValidateAnnotations: keys are qualified names compared case-insensitively; 256 KiB in total.
void validateAnnotationMap(const boost::json::object* annotations, const std::string& path,
                           Causes& out);
// ValidateObjectMeta, the object's name checked by `validName`.
void validateObjectMeta(const Reader& root, bool namespaced, NameValidator validName);
// The identity fields of ValidateObjectMetaUpdate (name, namespace and uid do not change).
void validateObjectMetaUpdate(const Reader& root, const boost::json::object& old);

// ---------------------------------------------------------------------------------------------
// Kinds. `old` is the stored object on update, nullptr on create.

// validation_pods.cc
void validatePodTemplateSpec(const Reader& tmpl);
void validatePod(const Reader& root, const boost::json::object* old);

// validation_workloads.cc
void validateDeployment(const Reader& root, const boost::json::object* old);
void validateReplicaSet(const Reader& root, const boost::json::object* old);

// validation_services.cc
void validateService(const Reader& root, const boost::json::object* old);

}  // namespace sluice::api::validation
