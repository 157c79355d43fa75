// Fixtures of the defaulting and validation tests: one valid object per kind (the seed's
// manifests) edited per case by JSON pointer, Kubernetes' messages written out in full, and the
// parameterised ValidationTest that each topic's test file instantiates with its cases.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/defaulting.h"
#include "api/error.h"
#include "api/resources.h"
#include "api/validation.h"

namespace sluice::api::fixtures {

namespace json = boost::json;

inline constexpr std::string_view kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "nginx-v1", "namespace": "default",
               "labels": {"app": "nginx", "version": "v1"}},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "nginx", "version": "v1"}},
    "template": {
      "metadata": {"labels": {"app": "nginx", "version": "v1"}},
      "spec": {
        "containers": [{
          "name": "nginx", "image": "registry.example/nginx:v1",
          "ports": [{"containerPort": 80}],
          "resources": {"limits": {"cpu": "250m", "memory": "128Mi"},
                        "requests": {"cpu": "100m", "memory": "64Mi"}}
        }],
        "imagePullSecrets": [{"name": "regcred"}]
      }
    }
  }
})";

inline constexpr std::string_view kReplicaSet = R"({
  "apiVersion": "apps/v1", "kind": "ReplicaSet",
  "metadata": {"name": "nginx-v1-5d4f8b7c9", "namespace": "default"},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": "5d4f8b7c9"}},
    "template": {
      "metadata": {"labels": {"app": "nginx", "pod-template-hash": "5d4f8b7c9"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
    }
  }
})";

inline constexpr std::string_view kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "nginx-v1-5d4f8b7c9-x2x7k", "namespace": "default",
               "labels": {"app": "nginx"}},
  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                           "ports": [{"name": "http", "containerPort": 80}]}]}
})";

inline constexpr std::string_view kService = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "nginx", "namespace": "default",
               "annotations": {"kubernetes.io/elb.id": "2d48d034-6046-48db-8bb2-3c91e3d3ef70"}},
  "spec": {"type": "LoadBalancer", "selector": {"app": "nginx"},
           "ports": [{"name": "http", "port": 80, "targetPort": 80}]}
})";

inline constexpr std::string_view kNamespace = R"({
  "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "blue-green"}
})";

inline constexpr std::string_view kEndpoints = R"({
  "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "nginx", "namespace": "default"},
  "subsets": [{"addresses": [{"ip": "127.1.0.5"}], "ports": [{"port": 80}]}]
})";

inline std::string_view baseOf(std::string_view kind) {
  if (kind == "Deployment") return kDeployment;
  if (kind == "ReplicaSet") return kReplicaSet;
  if (kind == "Pod") return kPod;
  if (kind == "Service") return kService;
  if (kind == "Namespace") return kNamespace;
  return kEndpoints;
}

inline const ResourceType& typeOf(std::string_view kind) {
  const ResourceType* type = findByKind(kind);
  if (!type) throw std::logic_error("unknown kind in test: " + std::string(kind));
  return *type;
}

// One edit: the JSON text to put at a JSON pointer, or kDelete to remove the member.
using Edits = std::vector<std::pair<std::string, std::string>>;
inline constexpr std::string_view kDelete = "<delete>";

inline void setAt(json::value& root, std::string_view pointer, const std::string& text) {
  json::value* at = &root;
  while (!pointer.empty()) {
    pointer.remove_prefix(1);  // '/'
    size_t end = pointer.find('/');
    std::string token(pointer.substr(0, end));
    pointer = end == std::string_view::npos ? std::string_view() : pointer.substr(end);
    bool last = pointer.empty();
    if (at->is_null()) at->emplace_object();
    if (auto* object = at->if_object()) {
      if (last && text == kDelete) {
        object->erase(token);
        return;
      }
      at = &(*object)[token];
    } else {
      auto& array = at->as_array();
      size_t i = token == "-" ? array.size() : std::stoul(token);
      if (i == array.size()) array.emplace_back(nullptr);
      if (last && text == kDelete) {
        array.erase(array.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
      at = &array.at(i);
    }
  }
  *at = json::parse(text);
}

inline json::object build(std::string_view kind, const Edits& edits) {
  json::value v = json::parse(baseOf(kind));
  for (const auto& [pointer, text] : edits) setAt(v, pointer, text);
  return v.as_object();
}

inline json::object defaulted(json::object object, std::string_view kind) {
  applyDefaults(object, typeOf(kind));
  return object;
}

// Causes as "type | field | message" lines, which diff readably when a case fails.
inline std::vector<std::string> lines(const std::vector<Cause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes) out.push_back(c.type + " | " + c.field + " | " + c.message);
  return out;
}

inline std::vector<std::string> causesOf(const Status& status) {
  return status.ok() ? std::vector<std::string>{} : lines(status.error().causes);
}

inline std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

// Kubernetes' messages, written out in full so that a change of wording shows up here.
inline const std::string kDns1123LabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
inline const std::string kDns1123SubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
inline const std::string kDns1035LabelMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
inline const std::string kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
inline const std::string kNamePartMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
inline const std::string kPortRangeMsg = "must be between 1 and 65535, inclusive";
inline const std::string kPortCharsetMsg =
    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
inline const std::string kSelectorMismatch = "`selector` does not match template `labels`";

inline std::string invalid(const std::string& field, const std::string& value,
                           const std::string& why) {
  return "FieldValueInvalid | " + field + " | Invalid value: " + value + ": " + why;
}
inline std::string required(const std::string& field, const std::string& detail = "") {
  return "FieldValueRequired | " + field + " | Required value" +
         (detail.empty() ? "" : ": " + detail);
}
inline std::string duplicate(const std::string& field, const std::string& value) {
  return "FieldValueDuplicate | " + field + " | Duplicate value: " + value;
}
inline std::string notSupported(const std::string& field, const std::string& value,
                                const std::string& supported) {
  return "FieldValueNotSupported | " + field + " | Unsupported value: " + value +
         ": supported values: " + supported;
}
inline std::string forbidden(const std::string& field, const std::string& detail) {
  return "FieldValueForbidden | " + field + " | Forbidden: " + detail;
}

inline const std::string kContainer = "spec.template.spec.containers[0]";
inline const std::string kContainerPtr = "/spec/template/spec/containers/0";

// ---------------------------------------------------------------------------------------------
// Validation cases.

struct ValidationCase {
  std::string name;
  std::string kind;
  Edits edits;                    // applied to the kind's valid object
  std::optional<Edits> old;       // on update: the stored object (valid object + these edits)
  std::vector<std::string> want;  // causes; empty when valid
};

inline void PrintTo(const ValidationCase& tc, std::ostream* os) {
  *os << tc.name;
}

// A case's name as a test name: letters and digits, the rest '_'.
inline std::string caseName(const testing::TestParamInfo<ValidationCase>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

// Validates the defaulted case object (against the defaulted `old` on update) and expects the
// case's causes. Defined in validation_test.cc; each validation_*_test.cc instantiates it.
class ValidationTest : public testing::TestWithParam<ValidationCase> {};

}  // namespace sluice::api::fixtures
