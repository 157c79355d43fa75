// Label and field selectors: parsing (string and matchLabels/matchExpressions forms) and
// matching. Pure; no I/O.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"

namespace sluice::api {

using Labels = std::map<std::string, std::string>;

// Labels from a JSON object of string values (metadata.labels); empty when absent.
Labels labelsFrom(const boost::json::value* labelsObject);

struct Requirement {
  enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::Equals;
  std::vector<std::string> values;  // sorted, unique
  bool matches(const Labels& labels) const;
};

// A conjunction of requirements. An empty selector matches everything; `nothing()` matches
// nothing (a nil selector in Kubernetes' terms).
class LabelSelector {
 public:
  LabelSelector() = default;
  static LabelSelector nothing();

  // "app=nginx,version in (v1,v2),!canary,tier!=db,env==prod,track notin (a)". Errors are
  // BadRequest with a message naming the offending term, like the API server's.
  static Result<LabelSelector> parse(std::string_view text);
  // metav1.LabelSelector JSON: {"matchLabels":{...},"matchExpressions":[{key,operator,values}]}.
  static Result<LabelSelector> fromJson(const boost::json::value& selector);
  // A Service-style map selector ({"app":"nginx"}): every pair must match.
  static LabelSelector fromMap(const Labels& map);

  bool matches(const Labels& labels) const;
  bool empty() const { return !matchNothing_ && requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // Canonical string form, requirements sorted by key ("app=nginx,version=v1").
  std::string toString() const;

 private:
  std::vector<Requirement> requirements_;
  bool matchNothing_ = false;
};

// Field selectors: "metadata.name=x,metadata.namespace!=y,status.phase=Running,
// involvedObject.kind=Deployment" (terms in any order; `=`, `==`, `!=`).
class FieldSelector {
 public:
  struct Term {
    std::string field;
    std::string value;
    bool negate = false;
  };
  FieldSelector() = default;
  // `kind` decides which fields are selectable, like the API server's per-resource field label
  // conversion: metadata.name and metadata.namespace everywhere; status.phase, spec.nodeName,
  // status.podIP for Pod; involvedObject.*, reason, type, source for Event; spec.type for
  // Service. An unsupported field is a BadRequest: `field label not supported: <field>`.
  static Result<FieldSelector> parse(std::string_view text, std::string_view kind);
  bool matches(const boost::json::value& object) const;
  bool empty() const { return terms_.empty(); }
  const std::vector<Term>& terms() const { return terms_; }

 private:
  std::vector<Term> terms_;
  std::string kind_;  // decides how some fields are read (Event `source` is source.component)
};

}  // namespace sluice::api
