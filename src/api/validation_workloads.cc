// Deployment and ReplicaSet validation (pkg/apis/apps/validation): the label selector and the
// pod template it must select, the rollout strategy, and the immutable selector.
#include "api/validation_checks.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "api/gofmt.h"
#include "api/selector.h"

namespace sluice::api::validation {

namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Go renderings of the selector in field errors.

std::string goStringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return gofmt::quote(v && v->is_string() ? std::string_view(v->get_string()) : std::string_view());
}

// *metav1.LabelSelector, which field errors dereference before printing with %#v.
std::string goLabelSelector(const json::object& selector) {
  const json::value* labels = selector.if_contains("matchLabels");
  std::string out = "v1.LabelSelector{MatchLabels:";
  out += goStringMap(labels && labels->is_object() ? &labels->get_object() : nullptr);
  out += ", MatchExpressions:";
  const json::value* exprs = selector.if_contains("matchExpressions");
  if (!exprs || !exprs->is_array()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  const auto& items = exprs->get_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    if (!items[i].is_object()) {
      out += goValue(items[i]);
      continue;
    }
    const auto& e = items[i].get_object();
    out += "v1.LabelSelectorRequirement{Key:" + goStringMember(e, "key") +
           ", Operator:" + goStringMember(e, "operator") +
           ", Values:" + goStringSlice(e.if_contains("values")) + "}";
  }
  return out + "}}";
}

// ---------------------------------------------------------------------------------------------
// Label selectors (metav1.LabelSelector).

// Whether a selector lists no requirement, read from the JSON as written: "empty selector is
// invalid" is reported whatever else is wrong with it.
bool selectorIsEmpty(const json::object& selector) {
  auto size = [&](std::string_view key) -> size_t {
    const json::value* v = selector.if_contains(key);
    if (v && v->is_object()) return v->get_object().size();
    if (v && v->is_array()) return v->get_array().size();
    return 0;
  };
  return size("matchLabels") + size("matchExpressions") == 0;
}

// ValidateLabelSelector, each problem at its field path, then LabelSelectorAsSelector: returns
// the selector that template labels are matched with (api::LabelSelector, the one matcher), or
// nullopt when it cannot be used.
std::optional<LabelSelector> validateLabelSelector(const json::value& value,
                                                   const std::string& path, Causes& out) {
  Reader selector(&value.get_object(), path, out);
  size_t before = out.size();
  validateLabelMap(selector.objectAt("matchLabels"), selector.path("matchLabels"), out);
  for (const Reader& expr : selector.items("matchExpressions")) {
    auto op = expr.string("operator");
    const json::array* values = expr.arrayAt("values");
    size_t count = values ? values->size() : 0;
    if (op == "In" || op == "NotIn") {
      if (count == 0)
        out.required(expr.path("values"), "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (count > 0)
        out.forbidden(expr.path("values"),
                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else if (op) {
      out.invalid(expr.path("operator"), gofmt::quote(*op), "not a valid selector operator");
    }
    if (auto key = expr.string("key"))
      for (const auto& msg : isQualifiedName(*key))
        out.invalid(expr.path("key"), gofmt::quote(*key), msg);
    for (size_t i = 0; values && i < values->size(); ++i) {
      std::string valuePath = indexPath(expr.path("values"), i);
      const json::value& v = (*values)[i];
      if (!v.is_string()) {
        out.typeMismatch(valuePath, v, "string");
        continue;
      }
      for (const auto& msg : isValidLabelValue(v.get_string()))
        out.invalid(valuePath, gofmt::quote(v.get_string()), msg);
    }
  }
  if (out.size() != before) return std::nullopt;
  // The checks above reject everything the conversion rejects, so it does not fail here; if it
  // did, the caller reports the selector as invalid.
  auto converted = LabelSelector::fromJson(value);
  if (!converted) return std::nullopt;
  return std::move(*converted);
}

// Semantic equality of two selectors, where absent, null and empty maps and lists are equal (as
// apiequality.Semantic.DeepEqual treats nil and empty).
json::object normalizedSelector(const json::value* selector) {
  json::object out;
  if (!selector || !selector->is_object()) return out;
  for (std::string_view key : {"matchLabels", "matchExpressions"}) {
    const json::value* v = selector->get_object().if_contains(key);
    bool empty = !v || v->is_null() || (v->is_object() && v->get_object().empty()) ||
                 (v->is_array() && v->get_array().empty());
    if (!empty) out[key] = *v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Selector, template and strategy.

// The selector and template shared by Deployment and ReplicaSet specs (ValidateDeploymentSpec,
// ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet).
void validateSelectorAndTemplate(const Reader& spec) {
  Causes& out = spec.causes();
  const json::object* selector = spec.objectAt("selector");
  std::optional<LabelSelector> usable;  // set when present and LabelSelectorAsSelector succeeds
  if (!spec.has("selector")) {
    out.required(spec.path("selector"));
  } else if (!selector) {
    return;  // not an object: reported by objectAt
  } else {
    usable = validateLabelSelector(*spec.raw("selector"), spec.path("selector"), out);
    if (selectorIsEmpty(*selector))
      out.invalid(spec.path("selector"), goLabelSelector(*selector),
                  "empty selector is invalid for deployment");
    if (!usable) {
      out.invalid(spec.path("selector"), goLabelSelector(*selector), "invalid label selector");
      return;
    }
  }
  if (spec.has("template") && !spec.objectAt("template")) return;

  Reader tmpl = spec.child("template");
  Reader tmplMeta = tmpl.child("metadata");
  const json::object* labels = tmplMeta.objectAt("labels");
  // A missing selector selects nothing; an empty one everything (and is reported above).
  if (!usable || (!usable->empty() && !usable->matches(labelsFrom(tmplMeta.raw("labels")))))
    out.invalid(tmplMeta.path("labels"), goStringMap(labels),
                "`selector` does not match template `labels`");
  validatePodTemplateSpec(tmpl);
  Reader podSpec = tmpl.child("spec");
  if (auto policy = podSpec.string("restartPolicy"); policy && *policy != "Always")
    out.notSupported(podSpec.path("restartPolicy"), gofmt::quote(*policy), {"Always"});
  if (podSpec.has("activeDeadlineSeconds"))
    out.forbidden(podSpec.path("activeDeadlineSeconds"),
                  "activeDeadlineSeconds in ReplicaSet is not Supported");
}

// Selectors of Deployments and ReplicaSets cannot change (apps/v1).
void validateSelectorUnchanged(const Reader& root, const json::object* old) {
  if (!old) return;
  const json::value* now = root.child("spec").raw("selector");
  const json::value* before = nullptr;
  if (const json::value* spec = old->if_contains("spec"); spec && spec->is_object())
    before = spec->get_object().if_contains("selector");
  if (!now || !now->is_object() || normalizedSelector(now) == normalizedSelector(before)) return;
  root.causes().invalid("spec.selector", goLabelSelector(now->get_object()),
                        kFieldImmutableErrorMsg);
}

// getIntOrPercentValue: a percentage's number, else the integer (a string that is not a
// percentage counts as its integer value, 0 when it is not a number, as IntValue() does).
int64_t intOrPercentValue(const json::value* v) {
  if (!v) return 0;
  if (auto n = asInteger(*v)) return *n;
  if (!v->is_string()) return 0;
  std::string s(v->get_string());
  if (isValidPercent(s).empty()) s.pop_back();
  size_t sign = !s.empty() && (s.front() == '-' || s.front() == '+') ? 1 : 0;
  bool digits = s.size() > sign && s.size() - sign <= 18 &&
                std::all_of(s.begin() + sign, s.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? std::stoll(s) : 0;
}

void validatePositiveIntOrPercent(const json::value* v, const std::string& path, Causes& out) {
  if (!v) return;
  if (v->is_string()) {
    for (const auto& msg : isValidPercent(v->get_string()))
      out.invalid(path, goIntOrString(v), msg);
  } else if (auto n = asInteger(*v); n && *n < 0) {
    out.invalid(path, std::to_string(*n), kIsNegativeErrorMsg);
  }
}

void validateRollingUpdate(const Reader& update) {
  Causes& out = update.causes();
  const json::value* maxUnavailable = update.intOrString("maxUnavailable");
  const json::value* maxSurge = update.intOrString("maxSurge");
  validatePositiveIntOrPercent(maxUnavailable, update.path("maxUnavailable"), out);
  validatePositiveIntOrPercent(maxSurge, update.path("maxSurge"), out);
  bool typesOk =
      (maxUnavailable || !update.has("maxUnavailable")) && (maxSurge || !update.has("maxSurge"));
  if (typesOk && intOrPercentValue(maxUnavailable) == 0 && intOrPercentValue(maxSurge) == 0)
    out.invalid(update.path("maxUnavailable"), goIntOrString(maxUnavailable),
                "may not be 0 when `maxSurge` is 0");
  if (maxUnavailable && maxUnavailable->is_string() &&
      isValidPercent(maxUnavailable->get_string()).empty() &&
      intOrPercentValue(maxUnavailable) > 100)
    out.invalid(update.path("maxUnavailable"), goIntOrString(maxUnavailable),
                "must not be greater than 100%");
}

void validateDeploymentStrategy(const Reader& strategy) {
  Causes& out = strategy.causes();
  auto type = strategy.string("type");
  if (!type) return;
  if (*type == "Recreate") {
    if (strategy.has("rollingUpdate"))
      out.forbidden(strategy.path("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'");
  } else if (*type == "RollingUpdate") {
    if (!strategy.has("rollingUpdate"))
      out.required(strategy.path("rollingUpdate"), "this should be defaulted and never be nil");
    else if (Reader update = strategy.child("rollingUpdate"); update.present())
      validateRollingUpdate(update);
  } else {
    std::string value = "apps.DeploymentStrategy{Type:" + gofmt::quote(*type) + ", RollingUpdate:";
    value += strategy.has("rollingUpdate") ? "&apps.RollingUpdateDeployment{...}"
                                           : "(*apps.RollingUpdateDeployment)(nil)";
    out.notSupported(strategy.path(), value + "}", {"Recreate", "RollingUpdate"});
  }
}

}  // namespace

void validateDeployment(const Reader& root, const json::object* old) {
  Causes& out = root.causes();
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  Reader spec = root.child("spec");
  validateNonnegative(spec, "replicas");
  validateSelectorAndTemplate(spec);
  validateDeploymentStrategy(spec.child("strategy"));
  validateNonnegative(spec, "minReadySeconds");
  validateNonnegative(spec, "revisionHistoryLimit");
  if (spec.has("progressDeadlineSeconds")) {
    auto deadline = spec.integer("progressDeadlineSeconds");
    auto minReady = spec.integer("minReadySeconds");
    validateNonnegative(spec, "progressDeadlineSeconds");
    if (deadline && minReady && *deadline <= *minReady)
      out.invalid(spec.path("progressDeadlineSeconds"), std::to_string(*deadline),
                  "must be greater than minReadySeconds");
  }
  validateSelectorUnchanged(root, old);
}

void validateReplicaSet(const Reader& root, const json::object* old) {
  if (old) validateObjectMetaUpdate(root, *old);
  validateObjectMeta(root, true, nameIsDnsSubdomain);
  Reader spec = root.child("spec");
  validateNonnegative(spec, "replicas");
  validateNonnegative(spec, "minReadySeconds");
  validateSelectorAndTemplate(spec);
  validateSelectorUnchanged(root, old);
}

}  // namespace sluice::api::validation
