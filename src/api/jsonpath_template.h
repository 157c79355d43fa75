// The parsed form of a kubectl JSONPath template (internal to api/jsonpath*.cc): the parser in
// jsonpath_parse.cc builds it, the evaluator in jsonpath.cc walks it. Pure; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::api::jsonpath {

// One bound of a slice `[start:end:step]`.
struct SliceBound {
  bool known = false;  // written in the template (or derived, below)
  int64_t value = 0;
  // `[i]` is parsed as `[i:i+1]`; the derived end 0 (from `[-1]`) then means "the length".
  bool derived = false;
};

struct Node {
  enum class Kind {
    kList,        // an action's steps, applied in order (children)
    kText,        // literal text: template text or a quoted string; text
    kField,       // map key lookup; text is the key
    kWildcard,    // `.*`: every member or element
    kRecursive,   // `..`: the value and everything below it
    kArray,       // `[start:end:step]`; slice
    kUnion,       // `[a,b]`: children are one kList per alternative
    kFilter,      // `[?(left op right)]`: children are the left and right kLists; text is op
    kInt,         // integer literal; intValue
    kFloat,       // float literal; floatValue
    kBool,        // true/false; boolValue
    kIdentifier,  // `range`, `end` (anything else fails when evaluated); text
  };
  Kind kind = Kind::kList;
  std::string text;
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  std::array<SliceBound, 3> slice{};
  std::vector<Node> children;
};

inline constexpr std::string_view kExistsOperator = "exists";  // kFilter's text for `[?(path)]`

// Parses a template into top-level nodes: kText for text outside braces and kList per action.
// Mirrors client-go's scanner, including its quirks (a dict key `['a.b']` is the path `.a.b`;
// `[]` is `[0]`; a single `=` is accepted as a filter operator and fails when evaluated), since
// kubectl users depend on exactly what it accepts. On failure returns the message kubectl prints
// after "error parsing jsonpath TEMPLATE, ".
std::optional<std::string> parseTemplate(std::string_view templ, std::vector<Node>& out);

}  // namespace sluice::api::jsonpath
