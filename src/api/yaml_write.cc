// YAML output as kubectl prints it (go-yaml v2's emitter over sigs.k8s.io/yaml's JSON-to-YAML):
// key order, indentation, and the choice of plain, quoted or literal style for each string.
#include "api/yaml.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/gofmt.h"
#include "api/yaml_scalar.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

using yaml::formatYamlFloat;
using yaml::integralText;
using yaml::needsTypeQuotes;

// The rune at s[i] (U+FFFD for an invalid byte) and, in `width`, its length in bytes.
char32_t decodeUtf8(std::string_view s, size_t i, size_t& width) {
  const gofmt::Rune r = gofmt::decodeRune(s, i);
  width = r.size;
  return static_cast<char32_t>(r.value);
}

std::vector<char32_t> codePoints(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    size_t w = 1;
    out.push_back(decodeUtf8(s, i, w));
    i += w;
  }
  return out;
}

// go-yaml's map key order: letters by code point, letters after other characters, and runs of
// digits compared as numbers ("a2" < "a10").
bool yamlKeyLess(std::string_view a, std::string_view b) {
  auto ar = codePoints(a);
  auto br = codePoints(b);
  auto isLetter = [](char32_t c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c > 0x7F;
  };
  auto digit = [](char32_t c) { return c >= '0' && c <= '9'; };
  for (size_t i = 0; i < ar.size() && i < br.size(); ++i) {
    if (ar[i] == br[i]) continue;
    bool al = isLetter(ar[i]);
    bool bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    uint64_t an = 0, bn = 0;
    if (ar[i] == '0' || br[i] == '0') {
      for (size_t j = i; j-- > 0 && digit(ar[j]);) {
        if (ar[j] != '0') {
          an = bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < ar.size() && digit(ar[ai]); ++ai) an = an * 10 + (ar[ai] - '0');
    for (; bi < br.size() && digit(br[bi]); ++bi) bn = bn * 10 + (br[bi] - '0');
    if (an != bn) return static_cast<int64_t>(an) < static_cast<int64_t>(bn);
    if (ai != bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.size() < br.size();
}

// libyaml's notion of printable characters (the emitter escapes everything else).
bool isPrintable(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  unsigned char c = b(0);
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && b(1) >= 0xA0) ||
         (c > 0xC2 && c < 0xED) || (c == 0xED && b(1) < 0xA0) || c == 0xEE ||
         (c == 0xEF && !(b(1) == 0xBB && b(2) == 0xBF) &&
          !(b(1) == 0xBF && (b(2) == 0xBE || b(2) == 0xBF)));
}

bool isBreak(char32_t c) {
  return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

enum class Style { Plain, SingleQuoted, DoubleQuoted, Literal };

// libyaml's scalar analysis plus go-yaml's choice of style for a string: quoted when it would
// read back as another type, literal block when it has a newline, plain when the characters
// allow it, else single quotes, else double quotes.
Style chooseStyle(std::string_view s, bool isKey) {
  if (s.empty()) return Style::DoubleQuoted;  // "" reads back as null
  bool blockIndicators = false, flowIndicators = false, lineBreaks = false, special = false;
  bool leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  bool breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  bool hasCarriageReturn = false;
  if (s.starts_with("---") || s.starts_with("...")) blockIndicators = flowIndicators = true;
  bool precededByWhitespace = true;
  for (size_t i = 0; i < s.size();) {
    size_t w = 1;
    char32_t c = decodeUtf8(s, i, w);
    bool followedByWhitespace = i + w >= s.size() || s[i + w] == ' ' || s[i + w] == '\t';
    if (i == 0) {
      switch (c) {
        case '#':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
          flowIndicators = blockIndicators = true;
          break;
        case '?':
        case ':':
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case '-':
          if (followedByWhitespace) flowIndicators = blockIndicators = true;
          break;
        default:
          break;
      }
    } else {
      switch (c) {
        case ',':
        case '?':
        case '[':
        case ']':
        case '{':
        case '}':
          flowIndicators = true;
          break;
        case ':':
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case '#':
          if (precededByWhitespace) flowIndicators = blockIndicators = true;
          break;
        default:
          break;
      }
    }
    if (!isPrintable(s, i)) special = true;
    if (c == '\r') hasCarriageReturn = true;
    if (c == ' ') {
      if (i == 0) leadingSpace = true;
      if (i + w == s.size()) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i == 0) leadingBreak = true;
      if (i + w == s.size()) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = previousBreak = false;
    }
    precededByWhitespace = c == ' ' || c == '\t' || c == 0 || isBreak(c);
    i += w;
  }
  bool plainAllowed = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak ||
                        breakSpace || spaceBreak || special || lineBreaks || blockIndicators);
  bool singleAllowed = !(breakSpace || spaceBreak || special);
  bool blockAllowed = !(trailingSpace || spaceBreak || special);

  Style style = needsTypeQuotes(s)                       ? Style::DoubleQuoted
                : s.find('\n') != std::string_view::npos ? Style::Literal
                                                         : Style::Plain;
  if (style == Style::Plain && !plainAllowed) style = Style::SingleQuoted;
  if (style == Style::SingleQuoted && (!singleAllowed || lineBreaks)) style = Style::DoubleQuoted;
  // A carriage return would not survive a block scalar (readers normalise line breaks).
  if (style == Style::Literal && (!blockAllowed || isKey || hasCarriageReturn)) {
    style = Style::DoubleQuoted;
  }
  return style;
}

std::string doubleQuoted(std::string_view s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t w = 1;
    char32_t c = decodeUtf8(s, i, w);
    bool bom = c == 0xFEFF;
    if (!isPrintable(s, i) || bom || isBreak(c) || c == '"' || c == '\\') {
      out += '\\';
      switch (c) {
        case 0x00:
          out += '0';
          break;
        case 0x07:
          out += 'a';
          break;
        case 0x08:
          out += 'b';
          break;
        case 0x09:
          out += 't';
          break;
        case 0x0A:
          out += 'n';
          break;
        case 0x0B:
          out += 'v';
          break;
        case 0x0C:
          out += 'f';
          break;
        case 0x0D:
          out += 'r';
          break;
        case 0x1B:
          out += 'e';
          break;
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case 0x2028:
          out += 'L';
          break;
        case 0x2029:
          out += 'P';
          break;
        default: {
          // go-yaml writes \N and \xNN for U+0080..U+00FF; yaml-cpp decodes those to raw bytes,
          // so \u00NN is used instead (same meaning to every YAML reader).
          int digits = c < 0x80 ? 2 : c <= 0xFFFF ? 4 : 8;
          out += digits == 2 ? 'x' : digits == 4 ? 'u' : 'U';
          for (int k = (digits - 1) * 4; k >= 0; k -= 4) out += hex[(c >> k) & 0xF];
        }
      }
    } else {
      out.append(s.substr(i, w));
    }
    i += w;
  }
  return out + "\"";
}

class YamlWriter {
 public:
  std::string take() { return std::move(out_); }

  void document(const json::value& v) {
    if (isNonEmptyObject(v)) {
      mapping(v.as_object(), 0, false);
    } else if (isNonEmptyArray(v)) {
      sequence(v.as_array(), 0, false);
    } else {
      scalar(v, 0);
      out_ += '\n';
    }
  }

 private:
  static bool isNonEmptyObject(const json::value& v) {
    return v.is_object() && !v.as_object().empty();
  }
  static bool isNonEmptyArray(const json::value& v) {
    return v.is_array() && !v.as_array().empty();
  }

  // Keys at column `indent`; the first key continues the current line when `inlineFirst`
  // (a mapping that is a sequence item: "- name: x").
  void mapping(const json::object& obj, int indent, bool inlineFirst) {
    std::vector<std::string> keys;
    keys.reserve(obj.size());
    for (const auto& kv : obj) keys.push_back(gofmt::toValidUtf8(kv.key()));
    std::vector<const json::value*> values;
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    for (const auto& kv : obj) values.push_back(&kv.value());
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return yamlKeyLess(keys[a], keys[b]); });
    bool first = true;
    for (size_t idx : order) {
      if (!first || !inlineFirst) out_.append(indent, ' ');
      first = false;
      writeString(keys[idx], indent, true);
      out_ += ':';
      const json::value& v = *values[idx];
      if (isNonEmptyObject(v)) {
        out_ += '\n';
        mapping(v.as_object(), indent + 2, false);
      } else if (isNonEmptyArray(v)) {
        // Sequences under a key are not indented, as go-yaml writes them.
        out_ += '\n';
        sequence(v.as_array(), indent, false);
      } else {
        out_ += ' ';
        scalar(v, indent);
        out_ += '\n';
      }
    }
  }

  void sequence(const json::array& arr, int indent, bool inlineFirst) {
    bool first = true;
    for (const auto& item : arr) {
      if (!first || !inlineFirst) out_.append(indent, ' ');
      first = false;
      out_ += "- ";
      if (isNonEmptyObject(item)) {
        mapping(item.as_object(), indent + 2, true);
      } else if (isNonEmptyArray(item)) {
        sequence(item.as_array(), indent + 2, true);
      } else {
        scalar(item, indent);
        out_ += '\n';
      }
    }
  }

  // A scalar or an empty collection; `indent` is the column of the owning key or dash, so a
  // literal block's lines go two columns further in.
  void scalar(const json::value& v, int indent) {
    switch (v.kind()) {
      case json::kind::null:
        out_ += "null";
        break;
      case json::kind::bool_:
        out_ += v.get_bool() ? "true" : "false";
        break;
      case json::kind::int64:
        out_ += std::to_string(v.get_int64());
        break;
      case json::kind::uint64:
        out_ += std::to_string(v.get_uint64());
        break;
      case json::kind::double_: {
        auto integral = integralText(v.get_double());
        out_ += integral ? *integral : formatYamlFloat(v.get_double());
        break;
      }
      case json::kind::string:
        writeString(gofmt::toValidUtf8(v.get_string()), indent, false);
        break;
      case json::kind::object:
        out_ += "{}";
        break;
      case json::kind::array:
        out_ += "[]";
        break;
    }
  }

  void writeString(std::string_view s, int indent, bool isKey) {
    switch (chooseStyle(s, isKey)) {
      case Style::Plain:
        out_ += s;
        break;
      case Style::SingleQuoted:
        out_ += '\'';
        for (char c : s) {
          if (c == '\'') out_ += '\'';
          out_ += c;
        }
        out_ += '\'';
        break;
      case Style::DoubleQuoted:
        out_ += doubleQuoted(s);
        break;
      case Style::Literal:
        literal(s, indent + 2);
        break;
    }
  }

  // "|" with libyaml's hints: an indentation digit when the text starts with a space or a line
  // break, "-" without a final newline, "+" with more than one.
  void literal(std::string_view s, int contentIndent) {
    out_ += '|';
    if (s[0] == ' ' || s[0] == '\n') out_ += '2';
    if (s.back() != '\n') {
      out_ += '-';
    } else if (s.size() == 1 || s[s.size() - 2] == '\n') {
      out_ += '+';
    }
    bool lineStart = true;
    out_ += '\n';
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') {
        out_ += '\n';
        lineStart = true;
        continue;
      }
      if (lineStart) out_.append(contentIndent, ' ');
      lineStart = false;
      out_ += s[i];
    }
    // The caller ends the line; a text with a final newline has already ended it.
    if (s.back() == '\n') out_.pop_back();
  }

  std::string out_;
};

}  // namespace

std::string toYaml(const json::value& v) {
  YamlWriter writer;
  writer.document(v);
  return writer.take();
}

}  // namespace sluice::api
