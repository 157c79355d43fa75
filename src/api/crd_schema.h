// Defaulting and validation of custom resources as kube-apiserver does them for a
// CustomResourceDefinition: a structural OpenAPI schema (types, required members, enums, bounds,
// patterns, list types, defaults) checked with kube-openapi's wording, followed by the CRD's CEL
// rules (x-kubernetes-validations). sluice has no CEL interpreter: each rule is a C++ predicate
// that carries the rule's message, written next to the schema it belongs to. Pure; no I/O.
//
// The wording is what `kubectl apply` prints for a custom resource, e.g.
//   spec.rules[0].backendRefs[0].weight: Invalid value: 1000001:
//     spec.rules[0].backendRefs[0].weight in body should be less than or equal to 1000000
//   spec.listeners: Too many: 65: must have at most 64 items
//   spec.rules[0].matches[0].path: Invalid value: "object": must not contain '//' when type one
//     of ['Exact', 'PathPrefix']
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/error.h"

namespace re2 {
class RE2;
}

namespace sluice::api::crd {

namespace json = boost::json;

// One node of a structural schema. Built once (at static initialisation) with the fluent
// setters below, each of which returns a modified copy, then shared read-only by every thread.
class Schema {
 public:
  enum class Type { kObject, kArray, kString, kInteger, kBoolean };

  // A CEL rule: `holds(self)` is the rule's expression; the cause is
  // `<path>: Invalid value: "<schema type>": <message>`. A transition rule (one that reads
  // oldSelf) has `holdsAgainst(self, oldSelf)` instead and runs only on update, when the old
  // object has a value at the same path.
  struct Rule {
    std::string message;
    std::function<bool(const json::value& self)> holds;
    std::function<bool(const json::value& self, const json::value& oldSelf)> holdsAgainst;
  };

  static Schema object(std::vector<std::pair<std::string, Schema>> properties = {});
  // An object whose members are all `values` (additionalProperties: a map).
  static Schema map(Schema values);
  static Schema array(Schema items);
  static Schema string();
  static Schema integer();
  static Schema boolean();

  Schema required(std::vector<std::string> names) const;
  Schema defaultTo(json::value value) const;
  Schema oneOf(std::vector<json::value> values) const;  // enum
  Schema minimum(int64_t n) const;
  Schema maximum(int64_t n) const;
  Schema minLength(int64_t n) const;  // counted in characters (runes), as kube-openapi does
  Schema maxLength(int64_t n) const;
  // A Go (RE2) regular expression, matched unanchored as Go's MatchString does: the CRD's
  // `pattern` text exactly, `^...$` included. The text must compile (checked at start-up).
  Schema pattern(std::string regex) const;
  Schema minItems(int64_t n) const;
  Schema maxItems(int64_t n) const;
  Schema maxProperties(int64_t n) const;
  Schema listSet() const;                               // x-kubernetes-list-type: set
  Schema listMap(std::vector<std::string> keys) const;  // x-kubernetes-list-type: map
  Schema rule(std::string message, std::function<bool(const json::value&)> holds) const;
  Schema transitionRule(std::string message,
                        std::function<bool(const json::value&, const json::value&)> holds) const;
  // The same schema with one more (or a replaced) property; objects only.
  Schema with(std::string name, Schema property) const;

  Type type() const { return type_; }
  // "object", "array", "string", "integer", "boolean": the value CEL rule failures print.
  std::string_view typeName() const;

 private:
  friend class Validator;
  friend void applyDefaults(const Schema& schema, json::value& value);
  explicit Schema(Type type) : type_(type) {}

  Type type_;
  std::vector<std::pair<std::string, Schema>> properties_;
  std::shared_ptr<const Schema> additionalProperties_;
  std::shared_ptr<const Schema> items_;
  std::vector<std::string> required_;
  std::optional<json::value> default_;
  std::vector<json::value> enum_;
  std::optional<int64_t> minimum_, maximum_, minLength_, maxLength_, minItems_, maxItems_,
      maxProperties_;
  std::string patternText_;
  std::shared_ptr<const re2::RE2> pattern_;
  enum class ListType { kAtomic, kSet, kMap } listType_ = ListType::kAtomic;
  std::vector<std::string> listMapKeys_;
  std::vector<Rule> rules_;
};

// Structural defaulting: every absent member whose schema has a default gets it (a copy), then
// defaulting recurses into every member, list item and map value, defaults included.
void applyDefaults(const Schema& schema, json::value& value);

// Every problem with `object` (the whole resource; `old` is the stored one on update, else
// null), in kube-apiserver's order: schema violations, duplicate items of set and map lists,
// then the CEL rules. When a schema violation is one that blocks CEL (a wrong type, a required
// member, an unsupported enum value, too long, too many), the rules are skipped and one cause
// says so, as the API server does.
std::vector<Cause> validate(const Schema& root, const json::value& object, const json::value* old);

// A bad value as the API server prints it in a field error (Go's %v of an unstructured value:
// strings quoted, maps and slices with %#v).
std::string goValue(const json::value& v);

// Helpers for rules: the member `key` of `v` when `v` is an object and the member is present.
const json::value* member(const json::value& v, std::string_view key);
// CEL's has(v.key).
inline bool has(const json::value& v, std::string_view key) {
  return member(v, key) != nullptr;
}
// The string member `key`, or "" (absent, or not a string).
std::string_view text(const json::value& v, std::string_view key);
// The array member `key`, or an empty array.
const json::array& items(const json::value& v, std::string_view key);
// Go's regexp.MatchString: `regex` (RE2 syntax) found anywhere in `s`. For rules' matches().
bool matches(std::string_view regex, std::string_view s);

}  // namespace sluice::api::crd
