// kubectl's JSONPath templates, reimplemented to print byte-for-byte what
// `kubectl get -o jsonpath=...` prints (k8s.io/client-go/util/jsonpath as of kubectl 1.33).
//
// Three parts:
//   * a parser turning the template into nodes: top-level text and `{...}` actions, each action a
//     list of steps (field, array slice, filter, ...);
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
#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "api/gofmt.h"

namespace sluice::api {

namespace {

namespace json = boost::json;

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
// Parsed template.

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

constexpr std::string_view kExistsOperator = "exists";  // kFilter's text for `[?(path)]`

Node makeNode(Node::Kind kind, std::string text = {}) {
  Node n;
  n.kind = kind;
  n.text = std::move(text);
  return n;
}

// Characters that end a field name or identifier. (End of input ends them too.)
bool isTerminator(char c) {
  return std::string_view(" \t\r\n.,[]$@{}").find(c) != std::string_view::npos;
}

bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

// Letters, digits and '_' (Go's unicode.IsLetter/IsDigit). Non-ASCII runes count as letters
// unless they fall in the punctuation and symbol blocks (Latin-1 signs, arrows, math, box
// drawing, dingbats, CJK punctuation, emoji); an approximation without Unicode tables.
bool isAlphaNumericAt(std::string_view s, size_t i) {
  const char c = s[i];
  if (static_cast<unsigned char>(c) < 0x80) {
    return c == '_' || isAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  const gofmt::Rune rune = gofmt::decodeRune(s, i);
  if (rune.invalid()) return false;
  const int32_t r = rune.value;
  if (r <= 0xbf) return r == 0xaa || r == 0xb5 || r == 0xba;
  if (r == 0xd7 || r == 0xf7) return false;
  if ((r >= 0x2000 && r <= 0x2bff) || (r >= 0x3000 && r <= 0x303f)) return false;
  if ((r >= 0xfe30 && r <= 0xfe4f) || (r >= 0x1f000 && r <= 0x1faff)) return false;
  return gofmt::isPrint(r);
}

// Go's strconv.Atoi: optional sign and decimal digits within int64.
std::optional<int64_t> parseGoInt(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !std::all_of(s.begin(), s.end(), isAsciiDigit)) return std::nullopt;
  // Accumulate negatively so that INT64_MIN parses.
  int64_t v = 0;
  for (char c : s) {
    const int digit = c - '0';
    if (v < (std::numeric_limits<int64_t>::min() + digit) / 10) return std::nullopt;
    v = v * 10 - digit;
  }
  if (!negative) {
    if (v == std::numeric_limits<int64_t>::min()) return std::nullopt;
    v = -v;
  }
  return v;
}

// Go's strconv.ParseFloat for what the number scanner collects: sign, digits and dots.
std::optional<double> parseGoFloat(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? -v : v;
}

// Go's strconv.UnquoteChar loop over a quoted literal ('...' or "..."), with the escapes Go
// knows: \a \b \f \n \r \t \v \\ \' \" \xHH \ooo \uHHHH \UHHHHHHHH.
std::optional<std::string> unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != quoted.back()) return std::nullopt;
  const char quote = quoted.front();
  std::string_view s = quoted.substr(1, quoted.size() - 2);
  if (s.find('\\') == std::string_view::npos && s.find(quote) == std::string_view::npos) {
    return std::string(s);  // nothing to interpret, and Go leaves invalid UTF-8 alone here
  }
  std::string out;
  auto hexValue = [](char c) -> int {
    if (isAsciiDigit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote) return std::nullopt;
    if (static_cast<unsigned char>(c) >= 0x80) {
      const gofmt::Rune r = gofmt::decodeRune(s, i);
      if (r.invalid()) {
        gofmt::appendRune(out, gofmt::kRuneError);
      } else {
        out.append(s.substr(i, r.size));
      }
      i += r.size;
      continue;
    }
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    const char e = s[i + 1];
    i += 2;
    if (const size_t k = std::string_view("abfnrtv").find(e); k != std::string_view::npos) {
      out += "\a\b\f\n\r\t\v"[k];
      continue;
    }
    switch (e) {
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          const int h = hexValue(s[i + k]);
          if (h < 0) return std::nullopt;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);  // a raw byte, not a rune
        } else {
          if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return std::nullopt;
          gofmt::appendRune(out, v);
        }
        break;
      }
      default: {
        if (e < '0' || e > '7') return std::nullopt;
        if (i + 2 > s.size()) return std::nullopt;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          const char o = s[i + k];
          if (o < '0' || o > '7') return std::nullopt;
          v = v * 8 + static_cast<uint32_t>(o - '0');
        }
        if (v > 255) return std::nullopt;
        i += 2;
        out += static_cast<char>(v);
      }
    }
  }
  return out;
}

// Splits a slice expression like kubectl's `^(-?\d*)(:-?\d*)?(:-?\d*)?$`, returning the three
// groups (the second and third keep their ':'; an absent group is nullopt).
std::optional<std::array<std::optional<std::string_view>, 3>> splitSlice(std::string_view text) {
  std::array<std::optional<std::string_view>, 3> groups;
  size_t pos = 0;
  auto scanNumber = [&](size_t from) {
    size_t p = from;
    if (p < text.size() && text[p] == '-') ++p;
    while (p < text.size() && isAsciiDigit(text[p])) ++p;
    return p;
  };
  size_t end = scanNumber(0);
  groups[0] = text.substr(0, end);
  pos = end;
  for (size_t g = 1; g < 3 && pos < text.size() && text[pos] == ':'; ++g) {
    end = scanNumber(pos + 1);
    groups[g] = text.substr(pos, end - pos);
    pos = end;
  }
  if (pos != text.size()) return std::nullopt;
  return groups;
}

// Parses a template into top-level nodes: kText for text outside braces and kList per action.
// Mirrors client-go's scanner, including its quirks (a dict key `['a.b']` is the path `.a.b`;
// `[]` is `[0]`; a single `=` is accepted as a filter operator and fails when evaluated), since
// kubectl users depend on exactly what it accepts.
class TemplateParser {
 public:
  explicit TemplateParser(std::string_view input) : in_(input) {}

  // On failure returns the message kubectl prints after "error parsing jsonpath TEMPLATE, ".
  std::optional<std::string> parse(std::vector<Node>& out) {
    while (pos_ < in_.size()) {
      const size_t brace = in_.find('{', pos_);
      const size_t textEnd = brace == std::string_view::npos ? in_.size() : brace;
      if (textEnd > pos_)
        out.push_back(makeNode(Node::Kind::kText, std::string(in_.substr(pos_, textEnd - pos_))));
      if (brace == std::string_view::npos) break;
      pos_ = brace + 1;
      Node action = makeNode(Node::Kind::kList);
      if (!parseAction(action)) return error_;
      out.push_back(std::move(action));
    }
    return std::nullopt;
  }

  // Parses `text` as the inside of one action, as client-go re-parses union alternatives, dict
  // keys and filter operands.
  static std::optional<std::string> parseInner(std::string_view text, Node& list) {
    const std::string wrapped = "{" + std::string(text) + "}";
    TemplateParser inner(wrapped);
    std::vector<Node> nodes;
    if (auto err = inner.parse(nodes)) return err;
    // The wrapped text starts with '{', so the first node is that action.
    list = std::move(nodes.front());
    return std::nullopt;
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool startsWith(std::string_view prefix) const { return in_.substr(pos_).starts_with(prefix); }

  // Parses steps after '{' up to and including the closing '}'.
  bool parseAction(Node& list) {
    while (true) {
      if (startsWith("}")) {
        ++pos_;
        return true;
      }
      if (startsWith("[?(")) {
        if (!parseFilter(list)) return false;
        continue;
      }
      if (startsWith("..")) {
        if (!parseRecursive(list)) return false;
        continue;
      }
      if (pos_ >= in_.size() || in_[pos_] == '\r' || in_[pos_] == '\n') {
        return fail("unclosed action");
      }
      const char c = in_[pos_];
      bool ok = true;
      if (c == ' ' || c == '@' || c == '$') {
        ++pos_;  // '@' and '$' both mean the current value, which is where every step starts
      } else if (c == '[') {
        ok = parseArray(list);
      } else if (c == '"' || c == '\'') {
        ok = parseQuote(list);
      } else if (c == '.') {
        ++pos_;
        ok = parseField(list);
      } else if (c == '+' || c == '-' || isAsciiDigit(c)) {
        ok = parseNumber(list);
      } else if (isAlphaNumericAt(in_, pos_)) {
        ok = parseIdentifier(list);
      } else {
        return fail("unrecognized character in action: " +
                    gofmt::runeDescription(gofmt::decodeRune(in_, pos_).value));
      }
      if (!ok) return false;
    }
  }

  // A field name runs to the next unescaped terminator; backslashes are then dropped, so
  // `app\.kubernetes\.io/name` is the single key "app.kubernetes.io/name".
  bool parseField(Node& list) {
    const size_t start = pos_;
    while (pos_ < in_.size()) {
      if (in_[pos_] == '\\') {
        pos_ = std::min(pos_ + 2, in_.size());
      } else if (isTerminator(in_[pos_])) {
        break;
      } else {
        ++pos_;
      }
    }
    std::string name(in_.substr(start, pos_ - start));
    if (name == "*") {
      list.children.push_back(makeNode(Node::Kind::kWildcard));
    } else {
      std::erase(name, '\\');
      list.children.push_back(makeNode(Node::Kind::kField, std::move(name)));
    }
    return true;
  }

  bool parseRecursive(Node& list) {
    if (!list.children.empty() && list.children.back().kind == Node::Kind::kRecursive) {
      return fail("invalid multiple recursive descent");
    }
    pos_ += 2;
    list.children.push_back(makeNode(Node::Kind::kRecursive));
    // `..name` names a field directly; `...name` and `..[0]` go through the usual steps.
    if (pos_ < in_.size() && isAlphaNumericAt(in_, pos_)) return parseField(list);
    return true;
  }

  bool parseNumber(Node& list) {
    const size_t start = pos_;
    if (in_[pos_] == '+' || in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() && (in_[pos_] == '.' || isAsciiDigit(in_[pos_]))) ++pos_;
    const std::string_view text = in_.substr(start, pos_ - start);
    if (auto i = parseGoInt(text)) {
      Node n = makeNode(Node::Kind::kInt);
      n.intValue = *i;
      list.children.push_back(std::move(n));
    } else if (auto f = parseGoFloat(text)) {
      Node n = makeNode(Node::Kind::kFloat);
      n.floatValue = *f;
      list.children.push_back(std::move(n));
    } else {
      return fail("cannot parse number " + std::string(text));
    }
    return true;
  }

  bool parseIdentifier(Node& list) {
    const size_t start = pos_;
    while (pos_ < in_.size() && !isTerminator(in_[pos_])) ++pos_;
    std::string word(in_.substr(start, pos_ - start));
    if (word == "true" || word == "false") {
      Node n = makeNode(Node::Kind::kBool);
      n.boolValue = word == "true";
      list.children.push_back(std::move(n));
    } else {
      list.children.push_back(makeNode(Node::Kind::kIdentifier, std::move(word)));
    }
    return true;
  }

  // A quoted literal ends at the first matching quote not preceded by a backslash.
  bool parseQuote(Node& list) {
    const size_t start = pos_;
    const char quote = in_[pos_++];
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated quoted string");
      const char c = in_[pos_++];
      if (c == quote && in_[pos_ - 2] != '\\') break;
    }
    const std::string_view quoted = in_.substr(start, pos_ - start);
    auto text = unquote(quoted);
    if (!text) return fail("unquote string " + std::string(quoted) + " error invalid syntax");
    list.children.push_back(makeNode(Node::Kind::kText, std::move(*text)));
    return true;
  }

  bool parseArray(Node& list) {
    const size_t start = pos_ + 1;
    const size_t close = in_.find_first_of("]\n", start);
    if (close == std::string_view::npos || in_[close] == '\n') return fail("unterminated array");
    pos_ = close + 1;
    std::string_view text = in_.substr(start, close - start);
    if (text == "*") text = ":";

    // Union: every comma-separated alternative is parsed as `[alternative]` on its own.
    if (text.find(',') != std::string_view::npos) {
      Node un = makeNode(Node::Kind::kUnion);
      size_t from = 0;
      while (true) {
        const size_t comma = text.find(',', from);
        std::string_view part =
            text.substr(from, comma == std::string_view::npos ? text.npos : comma - from);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        Node alternative;
        if (auto err = parseInner("[" + std::string(part) + "]", alternative)) return fail(*err);
        un.children.push_back(std::move(alternative));
        if (comma == std::string_view::npos) break;
        from = comma + 1;
      }
      list.children.push_back(std::move(un));
      return true;
    }

    // Dict key `['a.b']`: kubectl parses the key as the path `.a.b`, so dots need escaping
    // (`['a\.b']`) to stay inside one key.
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'' &&
        text.substr(1, text.size() - 2).find('\'') == std::string_view::npos) {
      Node path;
      if (auto err = parseInner("." + std::string(text.substr(1, text.size() - 2)), path)) {
        return fail(*err);
      }
      for (auto& step : path.children) list.children.push_back(std::move(step));
      return true;
    }

    auto groups = splitSlice(text);
    if (!groups) return fail("invalid array index " + std::string(text));
    Node array = makeNode(Node::Kind::kArray);
    for (size_t i = 0; i < 3; ++i) {
      SliceBound& bound = array.slice[i];
      if (!(*groups)[i] || (*groups)[i]->empty()) {
        if (i == 1) {
          // `[i]` selects `[i:i+1]`.
          bound = {true,
                   array.slice[0].value +
                       (array.slice[0].value < std::numeric_limits<int64_t>::max() ? 1 : 0),
                   true};
        }
        continue;
      }
      std::string_view number = *(*groups)[i];
      if (i > 0) number.remove_prefix(1);  // the ':'
      if (i > 0 && number.empty()) continue;
      auto v = parseGoInt(number);
      if (!v) return fail("array index " + std::string(number) + " is not a number");
      bound = {true, *v, false};
    }
    list.children.push_back(std::move(array));
    return true;
  }

  // `[?(left op right)]` or `[?(path)]` (existence). The expression ends at the first ')' outside
  // a quoted operand, and must be followed by ']'.
  bool parseFilter(Node& list) {
    pos_ += 3;
    const size_t start = pos_;
    bool quoteOpen = false;
    bool quoteClosed = false;
    char pair = 0;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return fail("unterminated filter");
      const char c = in_[pos_++];
      if (c == '"' || c == '\'') {
        if (!quoteOpen) {
          quoteOpen = true;
          pair = c;
        } else if (c == pair && in_[pos_ - 2] != '\\') {
          quoteClosed = true;
        }
      } else if (c == ')' && quoteOpen == quoteClosed) {
        break;
      }
    }
    if (pos_ >= in_.size() || in_[pos_] != ']') return fail("unclosed array expect ]");
    const std::string_view text = in_.substr(start, pos_ - 1 - start);
    ++pos_;

    // kubectl splits with `^([^!<>=]+)([!<>=]+)(.+?)$`: the operator is the first run of
    // operator characters, leaving at least one character for the right operand.
    auto isOperatorChar = [](char c) { return c == '!' || c == '<' || c == '>' || c == '='; };
    const size_t opStart = std::find_if(text.begin(), text.end(), isOperatorChar) - text.begin();
    size_t opEnd = opStart;
    while (opEnd < text.size() && isOperatorChar(text[opEnd])) ++opEnd;
    if (opEnd == text.size() && opEnd - opStart > 1) --opEnd;
    Node filter = makeNode(Node::Kind::kFilter);
    Node left;
    Node right = makeNode(Node::Kind::kList);
    if (opStart == 0 || opStart == text.size() || opEnd == text.size()) {
      if (auto err = parseInner(text, left)) return fail(*err);
      filter.text = kExistsOperator;
    } else {
      if (auto err = parseInner(text.substr(0, opStart), left)) return fail(*err);
      if (auto err = parseInner(text.substr(opEnd), right)) return fail(*err);
      filter.text = std::string(text.substr(opStart, opEnd - opStart));
    }
    filter.children.push_back(std::move(left));
    filter.children.push_back(std::move(right));
    list.children.push_back(std::move(filter));
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string error_;
};

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
  std::vector<Node> nodes;
  if (auto err = TemplateParser(templ).parse(nodes)) {
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
