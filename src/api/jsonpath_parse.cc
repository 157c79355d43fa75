// The parser of kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath's parser, as of
// kubectl 1.33): template text and `{...}` actions into the nodes of jsonpath_template.h.
#include "api/jsonpath_template.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "api/gofmt.h"

namespace sluice::api::jsonpath {

namespace {

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

}  // namespace

std::optional<std::string> parseTemplate(std::string_view templ, std::vector<Node>& out) {
  return TemplateParser(templ).parse(out);
}

}  // namespace sluice::api::jsonpath
