#include "api/crd_schema.h"

#include <re2/re2.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "api/gofmt.h"

namespace sluice::api::crd {

namespace {

// ---------------------------------------------------------------------------------------------
// Go's rendering of unstructured values (what a field error prints as the bad value).

using gofmt::quote;

// %v of a float64.
std::string goFloat(double d) {
  return gofmt::formatFloat(d, gofmt::FloatStyle::kShortest);
}

// %#v of a value inside a map or slice.
std::string goSyntax(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return quote(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return goFloat(v.get_double());
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::null:
      return "interface {}(nil)";
    case json::kind::array: {
      std::string out = "[]interface {}{";
      const auto& a = v.get_array();
      for (size_t i = 0; i < a.size(); ++i) out += (i ? ", " : "") + goSyntax(a[i]);
      return out + "}";
    }
    case json::kind::object: {
      // Go prints map keys sorted.
      std::map<std::string, const json::value*> sorted;
      for (const auto& kv : v.get_object()) sorted[std::string(kv.key())] = &kv.value();
      std::string out = "map[string]interface {}{";
      bool first = true;
      for (const auto& [k, value] : sorted) {
        out += (first ? "" : ", ") + quote(k) + ":" + goSyntax(*value);
        first = false;
      }
      return out + "}";
    }
  }
  return "";
}

// kube-openapi's name for the JSON type of a value, as its type errors print it.
std::string_view jsonTypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "string";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::bool_:
      return "boolean";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
    case json::kind::null:
      return "null";
  }
  return "";
}

std::optional<int64_t> asInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return std::numeric_limits<int64_t>::max();  // above every bound here
  return std::nullopt;
}

size_t runeCount(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// field.Error's types and their ErrorBody wording.
constexpr std::string_view kInvalid = "FieldValueInvalid";
constexpr std::string_view kTypeInvalid = "FieldValueTypeInvalid";
constexpr std::string_view kRequired = "FieldValueRequired";
constexpr std::string_view kNotSupported = "FieldValueNotSupported";
constexpr std::string_view kTooLong = "FieldValueTooLong";
constexpr std::string_view kTooMany = "FieldValueTooMany";
constexpr std::string_view kDuplicate = "FieldValueDuplicate";

Cause invalid(const std::string& field, const std::string& value, const std::string& detail) {
  return {std::string(kInvalid), "Invalid value: " + value + ": " + detail, field};
}

}  // namespace

std::string goValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return quote("null");
    case json::kind::string:
      return quote(v.get_string());
    default:
      return goSyntax(v);
  }
}

const json::value* member(const json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  if (!o) return nullptr;
  const json::value* m = o->if_contains(key);
  return m && !m->is_null() ? m : nullptr;
}

std::string_view text(const json::value& v, std::string_view key) {
  const json::value* m = member(v, key);
  return m && m->is_string() ? std::string_view(m->get_string()) : std::string_view();
}

const json::array& items(const json::value& v, std::string_view key) {
  static const json::array empty;
  const json::value* m = member(v, key);
  return m && m->is_array() ? m->get_array() : empty;
}

bool matches(std::string_view regex, std::string_view s) {
  // Rules use a handful of fixed expressions: compile each once.
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<re2::RE2>, std::less<>> cache;
  const re2::RE2* re = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(regex);
    if (it == cache.end())
      it = cache.emplace(std::string(regex), std::make_unique<re2::RE2>(regex)).first;
    re = it->second.get();
  }
  assert(re->ok());
  return re2::RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), *re);
}

// ---------------------------------------------------------------------------------------------
// Building schemas.

Schema Schema::object(std::vector<std::pair<std::string, Schema>> properties) {
  Schema s(Type::kObject);
  s.properties_ = std::move(properties);
  return s;
}
Schema Schema::map(Schema values) {
  Schema s(Type::kObject);
  s.additionalProperties_ = std::make_shared<const Schema>(std::move(values));
  return s;
}
Schema Schema::array(Schema items) {
  Schema s(Type::kArray);
  s.items_ = std::make_shared<const Schema>(std::move(items));
  return s;
}
Schema Schema::string() {
  return Schema(Type::kString);
}
Schema Schema::integer() {
  return Schema(Type::kInteger);
}
Schema Schema::boolean() {
  return Schema(Type::kBoolean);
}

#define SLUICE_SCHEMA_SETTER(name, member, type) \
  Schema Schema::name(type value) const {        \
    Schema s(*this);                             \
    s.member = std::move(value);                 \
    return s;                                    \
  }
SLUICE_SCHEMA_SETTER(required, required_, std::vector<std::string>)
SLUICE_SCHEMA_SETTER(defaultTo, default_, json::value)
SLUICE_SCHEMA_SETTER(oneOf, enum_, std::vector<json::value>)
SLUICE_SCHEMA_SETTER(minimum, minimum_, int64_t)
SLUICE_SCHEMA_SETTER(maximum, maximum_, int64_t)
SLUICE_SCHEMA_SETTER(minLength, minLength_, int64_t)
SLUICE_SCHEMA_SETTER(maxLength, maxLength_, int64_t)
SLUICE_SCHEMA_SETTER(minItems, minItems_, int64_t)
SLUICE_SCHEMA_SETTER(maxItems, maxItems_, int64_t)
SLUICE_SCHEMA_SETTER(maxProperties, maxProperties_, int64_t)
#undef SLUICE_SCHEMA_SETTER

Schema Schema::pattern(std::string regex) const {
  Schema s(*this);
  auto compiled = std::make_shared<const re2::RE2>(regex);
  // A schema is program text: a pattern that does not compile is a bug, caught by any test.
  assert(compiled->ok());
  s.patternText_ = std::move(regex);
  s.pattern_ = std::move(compiled);
  return s;
}

Schema Schema::listSet() const {
  Schema s(*this);
  s.listType_ = ListType::kSet;
  return s;
}

Schema Schema::listMap(std::vector<std::string> keys) const {
  Schema s(*this);
  s.listType_ = ListType::kMap;
  s.listMapKeys_ = std::move(keys);
  return s;
}

Schema Schema::rule(std::string message, std::function<bool(const json::value&)> holds) const {
  Schema s(*this);
  s.rules_.push_back({std::move(message), std::move(holds), nullptr});
  return s;
}

Schema Schema::transitionRule(
    std::string message, std::function<bool(const json::value&, const json::value&)> holds) const {
  Schema s(*this);
  s.rules_.push_back({std::move(message), nullptr, std::move(holds)});
  return s;
}

Schema Schema::with(std::string name, Schema property) const {
  assert(type_ == Type::kObject);
  Schema s(*this);
  for (auto& [n, p] : s.properties_)
    if (n == name) {
      p = std::move(property);
      return s;
    }
  s.properties_.emplace_back(std::move(name), std::move(property));
  return s;
}

std::string_view Schema::typeName() const {
  switch (type_) {
    case Type::kObject:
      return "object";
    case Type::kArray:
      return "array";
    case Type::kString:
      return "string";
    case Type::kInteger:
      return "integer";
    case Type::kBoolean:
      return "boolean";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Defaulting.

void applyDefaults(const Schema& schema, json::value& value) {
  if (auto* o = value.if_object()) {
    for (const auto& [name, property] : schema.properties_) {
      const json::value* existing = o->if_contains(name);
      if ((!existing || existing->is_null()) && property.default_) (*o)[name] = *property.default_;
    }
    for (const auto& [name, property] : schema.properties_)
      if (json::value* m = o->if_contains(name)) applyDefaults(property, *m);
    if (schema.additionalProperties_)
      for (auto& kv : *o) applyDefaults(*schema.additionalProperties_, kv.value());
  } else if (auto* a = value.if_array()) {
    if (schema.items_)
      for (auto& item : *a) applyDefaults(*schema.items_, item);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation.

class Validator {
 public:
  // Pass 1: the OpenAPI schema, kube-openapi's checks and wording.
  void checkSchema(const Schema& s, const json::value& v, const std::string& path) {
    auto wrongType = [&](std::string_view expected) {
      std::string actual(jsonTypeName(v));
      schemaErrors_.push_back({std::string(kTypeInvalid),
                               "Invalid value: " + quote(actual) + ": " + path +
                                   " in body must be of type " + std::string(expected) + ": " +
                                   quote(actual),
                               path});
    };
    switch (s.type_) {
      case Schema::Type::kObject: {
        const auto* o = v.if_object();
        if (!o) return wrongType("object");
        if (s.maxProperties_ && static_cast<int64_t>(o->size()) > *s.maxProperties_)
          tooMany(path, o->size(), *s.maxProperties_);
        for (const auto& name : s.required_)
          if (!member(v, name))
            schemaErrors_.push_back({std::string(kRequired), "Required value", child(path, name)});
        for (const auto& [name, property] : s.properties_)
          if (const json::value* m = member(v, name)) checkSchema(property, *m, child(path, name));
        if (s.additionalProperties_)
          for (const auto& kv : *o)
            if (!kv.value().is_null())
              checkSchema(*s.additionalProperties_, kv.value(), child(path, kv.key()));
        return;
      }
      case Schema::Type::kArray: {
        const auto* a = v.if_array();
        if (!a) return wrongType("array");
        int64_t size = static_cast<int64_t>(a->size());
        if (s.maxItems_ && size > *s.maxItems_) tooMany(path, a->size(), *s.maxItems_);
        if (s.minItems_ && size < *s.minItems_)
          schemaErrors_.push_back(invalid(
              path, std::to_string(size),
              path + " in body should have at least " + std::to_string(*s.minItems_) + " items"));
        if (s.items_)
          for (size_t i = 0; i < a->size(); ++i)
            if (!(*a)[i].is_null()) checkSchema(*s.items_, (*a)[i], index(path, i));
        return;
      }
      case Schema::Type::kString: {
        if (!v.is_string()) return wrongType("string");
        std::string_view str = v.get_string();
        size_t runes = runeCount(str);
        if (s.maxLength_ && static_cast<int64_t>(runes) > *s.maxLength_)
          schemaErrors_.push_back(
              {std::string(kTooLong),
               "Too long: must have at most " + std::to_string(*s.maxLength_) + " bytes", path});
        if (s.minLength_ && static_cast<int64_t>(runes) < *s.minLength_)
          schemaErrors_.push_back(invalid(path, quote(str),
                                          path + " in body should be at least " +
                                              std::to_string(*s.minLength_) + " chars long"));
        if (s.pattern_ &&
            !re2::RE2::PartialMatch(re2::StringPiece(str.data(), str.size()), *s.pattern_))
          schemaErrors_.push_back(
              invalid(path, quote(str), path + " in body should match '" + s.patternText_ + "'"));
        checkEnum(s, v, path);
        return;
      }
      case Schema::Type::kInteger: {
        auto n = asInteger(v);
        if (!n) return wrongType("integer");
        if (s.maximum_ && *n > *s.maximum_)
          schemaErrors_.push_back(invalid(
              path, goValue(v),
              path + " in body should be less than or equal to " + std::to_string(*s.maximum_)));
        if (s.minimum_ && *n < *s.minimum_)
          schemaErrors_.push_back(invalid(
              path, goValue(v),
              path + " in body should be greater than or equal to " + std::to_string(*s.minimum_)));
        checkEnum(s, v, path);
        return;
      }
      case Schema::Type::kBoolean:
        if (!v.is_bool()) wrongType("boolean");
        return;
    }
  }

  // Pass 2: structurallisttype.ValidateListSetsAndMaps.
  void checkLists(const Schema& s, const json::value& v, const std::string& path) {
    if (s.type_ == Schema::Type::kObject && v.is_object()) {
      for (const auto& [name, property] : s.properties_)
        if (const json::value* m = member(v, name)) checkLists(property, *m, child(path, name));
      if (s.additionalProperties_)
        for (const auto& kv : v.get_object())
          checkLists(*s.additionalProperties_, kv.value(), child(path, kv.key()));
      return;
    }
    if (s.type_ != Schema::Type::kArray || !v.is_array()) return;
    const auto& a = v.get_array();
    if (s.listType_ == Schema::ListType::kSet) {
      for (size_t i = 0; i < a.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (a[j] == a[i]) {
            duplicate(index(path, i), goValue(a[i]));
            break;
          }
    } else if (s.listType_ == Schema::ListType::kMap) {
      std::set<json::object, bool (*)(const json::object&, const json::object&)> seen(
          [](const json::object& x, const json::object& y) {
            return json::serialize(x) < json::serialize(y);
          });
      for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_object()) continue;
        json::object key;
        for (const auto& k : s.listMapKeys_)
          if (const json::value* m = member(a[i], k)) key[k] = *m;
        if (!seen.insert(key).second) duplicate(index(path, i), goSyntax(key));
      }
    }
    if (s.items_)
      for (size_t i = 0; i < a.size(); ++i) checkLists(*s.items_, a[i], index(path, i));
  }

  // Pass 3: the CEL rules, node before children.
  void checkRules(const Schema& s, const json::value& v, const json::value* old,
                  const std::string& path) {
    bool typeOk = (s.type_ == Schema::Type::kObject && v.is_object()) ||
                  (s.type_ == Schema::Type::kArray && v.is_array()) ||
                  (s.type_ == Schema::Type::kString && v.is_string()) ||
                  (s.type_ == Schema::Type::kInteger && asInteger(v)) ||
                  (s.type_ == Schema::Type::kBoolean && v.is_bool());
    if (!typeOk) return;
    for (const auto& r : s.rules_) {
      bool holds = r.holds ? r.holds(v) : (!old || r.holdsAgainst(v, *old));
      if (!holds)
        ruleErrors_.push_back(
            invalid(path.empty() ? "<nil>" : path, quote(s.typeName()), r.message));
    }
    if (s.type_ == Schema::Type::kObject) {
      for (const auto& [name, property] : s.properties_)
        if (const json::value* m = member(v, name))
          checkRules(property, *m, old ? member(*old, name) : nullptr, child(path, name));
      if (s.additionalProperties_)
        for (const auto& kv : v.get_object())
          if (!kv.value().is_null())
            checkRules(*s.additionalProperties_, kv.value(), nullptr, child(path, kv.key()));
    } else if (s.type_ == Schema::Type::kArray && s.items_) {
      // Old list items are not correlated (no rule here needs them).
      const auto& a = v.get_array();
      for (size_t i = 0; i < a.size(); ++i)
        if (!a[i].is_null()) checkRules(*s.items_, a[i], nullptr, index(path, i));
    }
  }

  std::vector<Cause> result() {
    std::vector<Cause> out = std::move(schemaErrors_);
    out.insert(out.end(), listErrors_.begin(), listErrors_.end());
    out.insert(out.end(), ruleErrors_.begin(), ruleErrors_.end());
    return out;
  }

  // Whether CEL may run: hasBlockingErr in the API server's custom resource strategy.
  bool blocked() const {
    return std::any_of(schemaErrors_.begin(), schemaErrors_.end(), [](const Cause& c) {
      return c.type == kNotSupported || c.type == kRequired || c.type == kTooLong ||
             c.type == kTooMany || c.type == kTypeInvalid;
    });
  }
  void noteRulesSkipped() {
    ruleErrors_.push_back(invalid("<nil>", quote("null"),
                                  "some validation rules were not checked because the object was "
                                  "invalid; correct the existing errors to complete validation"));
  }

 private:
  void tooMany(const std::string& path, size_t actual, int64_t max) {
    schemaErrors_.push_back({std::string(kTooMany),
                             "Too many: " + std::to_string(actual) + ": must have at most " +
                                 std::to_string(max) + (max == 1 ? " item" : " items"),
                             path});
  }
  void duplicate(const std::string& path, const std::string& value) {
    listErrors_.push_back({std::string(kDuplicate), "Duplicate value: " + value, path});
  }
  void checkEnum(const Schema& s, const json::value& v, const std::string& path) {
    if (s.enum_.empty() || std::find(s.enum_.begin(), s.enum_.end(), v) != s.enum_.end()) return;
    std::string message = "Unsupported value: " + goValue(v) + ": supported values: ";
    for (size_t i = 0; i < s.enum_.size(); ++i) {
      const auto& e = s.enum_[i];
      // Strings as they are, other values as JSON, each then quoted (field.NotSupported).
      message +=
          (i ? ", " : "") + quote(e.is_string() ? std::string(e.get_string()) : json::serialize(e));
    }
    schemaErrors_.push_back({std::string(kNotSupported), std::move(message), path});
  }

  std::vector<Cause> schemaErrors_, listErrors_, ruleErrors_;
};

std::vector<Cause> validate(const Schema& root, const json::value& object, const json::value* old) {
  Validator v;
  v.checkSchema(root, object, "");
  v.checkLists(root, object, "");
  if (v.blocked())
    v.noteRulesSkipped();
  else
    v.checkRules(root, object, old, "");
  return v.result();
}

}  // namespace sluice::api::crd
