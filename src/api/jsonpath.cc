// kubectl's JSONPath templates, reimplemented to print byte-for-byte what
// `kubectl get -o jsonpath=...` prints (k8s.io/client-go/util/jsonpath as of kubectl 1.33).
//
// Three parts:
//   * a parser turning the template into nodes: top-level text and `{...}` actions, each action a
//     list of steps (field, array slice, filter, ...) — jsonpath_parse.cc;
//   * an evaluator that walks the steps over the document, with kubectl's `range`/`end` handling;
//   * printers that reproduce Go's output formats: `fmt.Print` (%v) for scalars, encoding/json
//     for objects and arrays, and %v/%#v inside error messages.
//
// kubectl evaluates over Go `map[string]interface{}` values; where that shows through (integers
// are int64, other numbers float64, maps print with sorted keys, a string's wildcard yields its
// bytes) the code below says so. One deliberate difference: Go iterates maps in random order
// for `*` and `..`, sluice uses the document's key order so output is deterministic.
#include "api/jsonpath.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "api/gofmt.h"
#include "api/jsonpath_template.h"

namespace sluice::api {

namespace {

namespace json = boost::json;
using jsonpath::kExistsOperator;
using jsonpath::Node;
using jsonpath::SliceBound;

// ---------------------------------------------------------------------------------------------
// Go renderings of JSON values.

// Go decodes a JSON number that fits int64 as int64 and any other number as float64; boost keeps
// integers above INT64_MAX as uint64, which therefore behave as floats here.
double goFloatValue(const json::value& v) {
  return v.is_double() ? v.get_double() : static_cast<double>(v.get_uint64());
}

// The three ways kubectl's Go code renders a decoded JSON value.
enum class GoFormat {
  kJson,    // json.Marshal: {"a":1,"b":[true,null]}
  kV,       // fmt %v: map[a:1 b:[true <nil>]]
  kSharpV,  // fmt %#v: map[string]interface {}{"a":1, "b":[]interface {}{true, interface {}(nil)}}
};

// Maps print with their keys sorted in all three formats.
void appendGo(std::string& out, const json::value& v, GoFormat format, bool nested = false) {
  struct Syntax {
    const char* null;
    const char* arrayOpen;
    const char* objectOpen;
    const char* separator;
    char arrayClose;
    char objectClose;
  };
  static constexpr Syntax kSyntax[] = {
      {"null", "[", "{", ",", ']', '}'},
      {"<nil>", "[", "map[", " ", ']', ']'},
      {"interface {}(nil)", "[]interface {}{", "map[string]interface {}{", ", ", '}', '}'},
  };
  const Syntax& syntax = kSyntax[static_cast<int>(format)];
  auto appendString = [&](std::string_view str) {
    if (format == GoFormat::kJson) {
      gofmt::appendJsonString(out, str);
    } else if (format == GoFormat::kSharpV) {
      out += gofmt::quote(str);
    } else {
      out += str;
    }
  };
  switch (v.kind()) {
    case json::kind::null:
      out += format == GoFormat::kSharpV && !nested ? "<nil>" : syntax.null;
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:
    case json::kind::double_:
      out += gofmt::formatFloat(goFloatValue(v), format == GoFormat::kJson
                                                     ? gofmt::FloatStyle::kJson
                                                     : gofmt::FloatStyle::kShortest);
      break;
    case json::kind::string:
      appendString(v.get_string());
      break;
    case json::kind::array: {
      out += syntax.arrayOpen;
      const char* separator = "";
      for (const auto& e : v.get_array()) {
        out += std::exchange(separator, syntax.separator);
        appendGo(out, e, format, true);
      }
      out += syntax.arrayClose;
      break;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> members;
      for (const auto& kv : v.get_object()) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += syntax.objectOpen;
      const char* separator = "";
      for (const auto* kv : members) {
        out += std::exchange(separator, syntax.separator);
        appendString(kv->key());
        out += ':';
        appendGo(out, kv->value(), format, true);
      }
      out += syntax.objectClose;
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

// One value flowing through the steps: a node of the document, or a literal the evaluator made.
struct Item {
  enum class Origin : uint8_t {
    kValue,       // a JSON value (document node, quoted text, float or bool literal)
    kIntLiteral,  // an integer written in the template (Go `int`)
    kByte,        // one byte of a string, from `.*` on a string (Go `uint8`)
  };
  // nullptr is "no value": what a range body sees for a null element, and what an empty range's
  // body is checked against. (Go's invalid reflect.Value; it prints as "<no value>".)
  const json::value* value = nullptr;
  Origin origin = Origin::kValue;
};
using Items = std::vector<Item>;

bool isNull(const Item& item) {
  return item.value && item.value->is_null();
}

// Go's reflect type name, as "X is not array or slice" names it.
std::string goTypeName(const Item& item) {
  if (item.origin == Item::Origin::kIntLiteral) return "int";
  if (item.origin == Item::Origin::kByte) return "uint8";
  switch (item.value->kind()) {
    case json::kind::object:
      return "map[string]interface {}";
    case json::kind::array:
      return "[]interface {}";
    case json::kind::string:
      return "string";
    case json::kind::int64:
      return "int64";
    case json::kind::bool_:
      return "bool";
    default:
      return "float64";
  }
}

std::string goV(const Item& item) {
  if (!item.value) return "<invalid reflect.Value>";
  std::string out;
  appendGo(out, *item.value, GoFormat::kV);
  return out;
}

// kubectl's filter comparisons (text/template's eq/lt): operands must both be strings, both
// numbers of the same Go kind (int64 with float64 is an error, not a conversion), or both bools
// for == and !=.
enum class CompareKind { kInvalid, kBool, kInt, kUint, kFloat, kString };

CompareKind compareKind(const Item& item) {
  if (item.origin == Item::Origin::kByte) return CompareKind::kUint;
  if (!item.value) return CompareKind::kInvalid;
  switch (item.value->kind()) {
    case json::kind::bool_:
      return CompareKind::kBool;
    case json::kind::int64:
      return CompareKind::kInt;
    case json::kind::uint64:
    case json::kind::double_:
      return CompareKind::kFloat;
    case json::kind::string:
      return CompareKind::kString;
    default:
      return CompareKind::kInvalid;
  }
}

constexpr char kBadComparisonType[] = "invalid type for comparison";
constexpr char kBadComparison[] = "incompatible types for comparison";

// `a < b`, or `a == b` when `equal`.
Result<bool> goCompare(const Item& a, const Item& b, bool equal) {
  const CompareKind ka = compareKind(a);
  const CompareKind kb = compareKind(b);
  if (ka == CompareKind::kInvalid || kb == CompareKind::kInvalid) {
    return Error::badRequest(kBadComparisonType);
  }
  // Signed and unsigned integers (a string's bytes) mix; both are held as int64.
  auto isInteger = [](CompareKind k) { return k == CompareKind::kInt || k == CompareKind::kUint; };
  if (ka != kb && !(isInteger(ka) && isInteger(kb))) return Error::badRequest(kBadComparison);
  if (isInteger(ka)) {
    const int64_t x = a.value->get_int64();
    const int64_t y = b.value->get_int64();
    return equal ? x == y : x < y;
  }
  switch (ka) {
    case CompareKind::kBool:
      if (!equal) return Error::badRequest(kBadComparisonType);
      return a.value->get_bool() == b.value->get_bool();
    case CompareKind::kFloat: {
      const double x = goFloatValue(*a.value);
      const double y = goFloatValue(*b.value);
      return equal ? x == y : x < y;
    }
    default: {
      const std::string_view x = a.value->get_string();
      const std::string_view y = b.value->get_string();
      return equal ? x == y : x < y;
    }
  }
}

Result<bool> applyOperator(std::string_view op, const Item& a, const Item& b) {
  const bool wantLess = op == "<" || op == ">=";
  const bool wantEqual = op == "==" || op == "!=";
  if (wantLess || wantEqual) {
    auto r = goCompare(a, b, wantEqual);
    if (!r) return r;
    return (op == "<" || op == "==") ? *r : !*r;
  }
  if (op == "<=" || op == ">") {
    // <= is < or ==; > is its inverse.
    auto less = goCompare(a, b, false);
    if (!less) return less;
    bool lessOrEqual = *less;
    if (!lessOrEqual) {
      auto eq = goCompare(a, b, true);
      if (!eq) return eq;
      lessOrEqual = *eq;
    }
    return op == "<=" ? lessOrEqual : !lessOrEqual;
  }
  return Error::badRequest("unrecognized filter operator " + std::string(op));
}

class Evaluator {
 public:
  Evaluator(const std::vector<Node>& nodes, bool allowMissingKeys)
      : nodes_(nodes), allowMissingKeys_(allowMissingKeys) {}

  // Runs the template over `data`: one result list per top-level node, in output order.
  Result<std::vector<Items>> run(const json::value& data) {
    std::vector<Items> out;
    if (auto st = runBlock(0, Item{&data}, &out); !st) return st.error();
    return out;
  }

 private:
  // Evaluates top-level nodes from `from` against `data`, appending their results to `out`,
  // until the end of the template or, inside a range body, the body's `{end}`.
  //
  // A range evaluates the rest of the template once per element, up to its `{end}`, then resumes
  // after the last `{end}` met while doing so. Like kubectl: a range over nothing still checks
  // its body (against "no value") so that a missing key inside it is reported when keys must
  // exist; and a range without an `{end}` of its own runs its body per element and then once
  // more against the enclosing value, unless its body held a nested range's `{end}`, after which
  // it resumes.
  Status runBlock(size_t from, Item data, std::vector<Items>* out) {
    for (size_t i = from; i < nodes_.size(); ++i) {
      auto results = eval(Items{data}, nodes_[i]);
      if (!results) return results.error();
      if (endRange_ > 0 && endRange_ <= inRange_) {
        --endRange_;
        lastEnd_ = i;
        return {};
      }
      if (beginRange_ > 0) {
        --beginRange_;
        ++inRange_;
        if (results->empty()) {
          std::vector<Items> discarded;
          if (auto st = runBlock(i + 1, Item{}, &discarded); !st) return st;
        }
        for (const Item& element : *results) {
          // An element's value is handed over as a Go interface{}: null becomes "no value".
          if (auto st = runBlock(i + 1, isNull(element) ? Item{} : element, out); !st) return st;
        }
        --inRange_;
        if (lastEnd_ && *lastEnd_ > i) i = *lastEnd_;
        continue;
      }
      out->push_back(std::move(*results));
    }
    return {};
  }

  Result<Items> eval(Items input, const Node& node) {
    switch (node.kind) {
      case Node::Kind::kList: {
        for (const Node& step : node.children) {
          auto next = eval(std::move(input), step);
          if (!next) return next;
          input = std::move(*next);
        }
        return input;
      }
      case Node::Kind::kText:
        return Items{literal(json::string(node.text))};
      case Node::Kind::kInt:
        return repeat(input, literal(node.intValue, Item::Origin::kIntLiteral));
      case Node::Kind::kFloat:
        return repeat(input, literal(node.floatValue));
      case Node::Kind::kBool:
        return repeat(input, literal(node.boolValue));
      case Node::Kind::kField:
        return evalField(input, node.text);
      case Node::Kind::kWildcard:
        return evalWildcard(input);
      case Node::Kind::kRecursive: {
        Items out;
        collectRecursive(input, out);
        return out;
      }
      case Node::Kind::kArray:
        return evalArray(input, node.slice);
      case Node::Kind::kUnion: {
        Items out;
        for (const Node& alternative : node.children) {
          auto r = eval(input, alternative);
          if (!r) return r;
          out.insert(out.end(), r->begin(), r->end());
        }
        return out;
      }
      case Node::Kind::kFilter:
        return evalFilter(input, node);
      case Node::Kind::kIdentifier:
        return evalIdentifier(std::move(input), node.text);
    }
    return Items{};
  }

  Result<Items> evalIdentifier(Items input, const std::string& name) {
    if (name == "range") {
      ++beginRange_;
      return input;
    }
    if (name == "end") {
      if (inRange_ == 0) return Error::badRequest("not in range, nothing to end");
      ++endRange_;
      return Items{};
    }
    return Error::badRequest("unrecognized identifier " + name);
  }

  Result<Items> evalField(const Items& input, const std::string& name) {
    Items out;
    if (input.empty()) return out;
    for (const Item& item : input) {
      if (item.origin != Item::Origin::kValue || !item.value || !item.value->is_object()) continue;
      if (const json::value* v = item.value->get_object().if_contains(name)) out.push_back({v});
    }
    if (out.empty() && !allowMissingKeys_) return Error::badRequest(name + " is not found");
    return out;
  }

  Items evalWildcard(const Items& input) {
    Items out;
    for (const Item& item : input) {
      if (item.origin != Item::Origin::kValue || !item.value) continue;
      if (item.value->is_object()) {
        for (const auto& kv : item.value->get_object()) out.push_back({&kv.value()});
      } else if (item.value->is_array()) {
        for (const auto& e : item.value->get_array()) out.push_back({&e});
      } else if (item.value->is_string()) {
        // Go indexes a string by byte.
        for (unsigned char c : item.value->get_string()) {
          out.push_back(literal(static_cast<int64_t>(c), Item::Origin::kByte));
        }
      }
    }
    return out;
  }

  // Pre-order: each value that has children (a non-empty object, array or string) followed by
  // everything below it. Scalars only appear through the step after `..`.
  void collectRecursive(const Items& input, Items& out) {
    for (const Item& item : input) {
      if (item.origin != Item::Origin::kValue || !item.value) continue;
      const json::value& v = *item.value;
      if (v.is_object() && !v.get_object().empty()) {
        out.push_back(item);
        Items children;
        for (const auto& kv : v.get_object()) children.push_back({&kv.value()});
        collectRecursive(children, out);
      } else if (v.is_array() && !v.get_array().empty()) {
        out.push_back(item);
        Items children;
        for (const auto& e : v.get_array()) children.push_back({&e});
        collectRecursive(children, out);
      } else if (v.is_string() && !v.get_string().empty()) {
        out.push_back(item);  // its bytes have no children
      }
    }
  }

  // Worked numbers, length 3: [1] → 1..2; [-1] → 2..3; [-1:] → 2..3; [0:5] → error "index 4";
  // [-4] → error "index -1"; [1:1] → nothing; [::2] → 0 and 2.
  Result<Items> evalArray(const Items& input, const std::array<SliceBound, 3>& slice) {
    Items out;
    for (const Item& item : input) {
      if (!item.value || isNull(item)) continue;
      if (item.origin != Item::Origin::kValue || !item.value->is_array()) {
        return Error::badRequest(goTypeName(item) + " is not array or slice");
      }
      const json::array& array = item.value->get_array();
      const int64_t length = static_cast<int64_t>(array.size());
      int64_t start = slice[0].known ? slice[0].value : 0;
      if (start < 0) start += length;
      int64_t end = slice[1].known ? slice[1].value : length;
      if (end < 0 || (end == 0 && slice[1].derived)) end += length;
      // kubectl stops at the first empty selection, dropping the inputs after it (so
      // `[*][*]` over [[1,2],[],[3]] prints "1 2").
      if (start == end) return out;
      if (start >= length || start < 0) {
        return Error::badRequest("array index out of bounds: index " + std::to_string(start) +
                                 ", length " + std::to_string(length));
      }
      if (end > length || end < 0) {
        return Error::badRequest("array index out of bounds: index " + std::to_string(end - 1) +
                                 ", length " + std::to_string(length));
      }
      if (start > end) {
        return Error::badRequest("starting index " + std::to_string(start) +
                                 " is greater than ending index " + std::to_string(end));
      }
      int64_t step = 1;
      if (slice[2].known) {
        if (slice[2].value <= 0) return Error::badRequest("step must be > 0");
        step = slice[2].value;
      }
      for (int64_t k = start; k < end; k += step) {
        out.push_back({&array[static_cast<size_t>(k)]});
        if (end - k <= step) break;  // avoid overflowing k with a huge step
      }
    }
    return out;
  }

  Result<Items> evalFilter(const Items& input, const Node& filter) {
    const Node& left = filter.children[0];
    const Node& right = filter.children[1];
    Items out;
    for (const Item& item : input) {
      if (item.origin != Item::Origin::kValue || !item.value || !item.value->is_array()) {
        return Error::badRequest(goV(item) + " is not array or slice and cannot be filtered");
      }
      for (const json::value& element : item.value->get_array()) {
        const Items candidate{Item{&element}};
        auto lefts = eval(candidate, left);
        if (filter.text == kExistsOperator) {
          // A failed lookup just means "does not exist".
          if (lefts && !lefts->empty()) out.push_back(candidate[0]);
          continue;
        }
        if (!lefts) return lefts;
        if (lefts->empty()) continue;
        if (lefts->size() > 1) return Error::badRequest("can only compare one element at a time");
        auto rights = eval(candidate, right);
        if (!rights) return rights;
        if (rights->empty()) continue;
        if (rights->size() > 1) return Error::badRequest("can only compare one element at a time");
        auto pass = applyOperator(filter.text, lefts->front(), rights->front());
        if (!pass) return pass.error();
        if (*pass) out.push_back(candidate[0]);
      }
    }
    return out;
  }

  Item literal(json::value v, Item::Origin origin = Item::Origin::kValue) {
    literals_.push_back(std::move(v));
    return Item{&literals_.back(), origin};
  }

  static Items repeat(const Items& input, const Item& item) { return Items(input.size(), item); }

  const std::vector<Node>& nodes_;
  const bool allowMissingKeys_;
  // kubectl's range bookkeeping: a `range` step raises beginRange_, the loop runs with inRange_
  // raised, and an `end` step inside it raises endRange_ to stop the body.
  int beginRange_ = 0;
  int inRange_ = 0;
  int endRange_ = 0;
  std::optional<size_t> lastEnd_;     // the `{end}` node that most recently stopped a range body
  std::deque<json::value> literals_;  // a deque keeps Item pointers valid as it grows
};

// One result as kubectl prints it: objects and arrays as compact JSON, the rest via fmt.Print.
void appendItem(std::string& out, const Item& item) {
  if (!item.value) {
    out += "<no value>";
  } else if (item.value->is_object() || item.value->is_array()) {
    appendGo(out, *item.value, GoFormat::kJson);
  } else if (item.value->is_string()) {
    out += item.value->get_string();
  } else if (item.value->is_null()) {
    out += "null";
  } else {
    appendGo(out, *item.value, GoFormat::kV);
  }
}

}  // namespace

Result<std::string> evaluateJsonPath(std::string_view templ, const boost::json::value& data,
                                     bool allowMissingKeys) {
  std::vector<jsonpath::Node> nodes;
  if (auto err = jsonpath::parseTemplate(templ, nodes)) {
    return Error::badRequest("error parsing jsonpath " + std::string(templ) + ", " + *err);
  }
  Evaluator evaluator(nodes, allowMissingKeys);
  auto results = evaluator.run(data);
  if (!results) {
    // kubectl's wording, including the dump of the object it was given.
    std::string message = "error executing jsonpath " + gofmt::quote(templ) +
                          ": Error executing template: " + results.error().message +
                          ". Printing more information for debugging the template:\n"
                          "\ttemplate was:\n\t\t" +
                          std::string(templ) + "\n\tobject given to jsonpath engine was:\n\t\t";
    appendGo(message, data, GoFormat::kSharpV);
    message += "\n\n";
    return Error::badRequest(std::move(message));
  }
  std::string out;
  for (const Items& list : *results) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) out += ' ';
      appendItem(out, list[i]);
    }
  }
  return out;
}

}  // namespace sluice::api
