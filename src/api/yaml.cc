#include "api/yaml.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

#include "api/gofmt.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

// =============================================================================================
// Plain scalar resolution, as go-yaml v2 (the YAML library behind sigs.k8s.io/yaml and so behind
// kubectl) types unquoted scalars. The same rules decide which strings need quotes on output.

enum class ScalarType { String, Null, Bool, Int, Uint, Float, Timestamp };

struct Resolved {
  ScalarType type = ScalarType::String;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// strconv.ParseUint(s, 0, 64) without a sign: "0x1F", "0o17", "0b101", "017" (octal), "42".
std::optional<uint64_t> parseGoUnsigned(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
      if (s.empty()) return 0;
    }
  }
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool isYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t intDigits = 0;
  while (i < s.size() && isDigit(s[i])) ++i, ++intDigits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t fracDigits = 0;
    while (i < s.size() && isDigit(s[i])) ++i, ++fracDigits;
    if (intDigits == 0 && fracDigits == 0) return false;
  } else if (intDigits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t expDigits = 0;
    while (i < s.size() && isDigit(s[i])) ++i, ++expDigits;
    if (expDigits == 0) return false;
  }
  return i == s.size();
}

// strconv.ParseFloat on decimal syntax: overflow is an error, underflow gives zero.
std::optional<double> parseDecimalFloat(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    size_t e = s.find_first_of("eE");
    if (e == std::string_view::npos || e + 1 >= s.size() || s[e + 1] != '-') return std::nullopt;
    value = 0;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// Reads 1 or 2 digits, like Go's time.Parse does for "1", "2", "15", "4" and "5".
bool readShortNumber(std::string_view s, size_t& i, int& out) {
  if (i >= s.size() || !isDigit(s[i])) return false;
  out = s[i++] - '0';
  if (i < s.size() && isDigit(s[i])) out = out * 10 + (s[i++] - '0');
  return true;
}

bool readFixedNumber(std::string_view s, size_t& i, size_t width, int& out) {
  out = 0;
  for (size_t k = 0; k < width; ++k, ++i) {
    if (i >= s.size() || !isDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int daysIn(int month, int year) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

// go-yaml's timestamp formats: "2006-1-2T15:4:5.999999999Z07:00" (or lower-case t),
// "2006-1-2 15:4:5.999999999" and "2006-1-2".
bool isTimestamp(std::string_view s) {
  size_t i = 0;
  int year = 0, month = 0, day = 0;
  if (!readFixedNumber(s, i, 4, year) || i >= s.size() || s[i++] != '-') return false;
  if (!readShortNumber(s, i, month) || i >= s.size() || s[i++] != '-') return false;
  if (!readShortNumber(s, i, day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  if (i == s.size()) return true;
  char sep = s[i++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  int hour = 0, minute = 0, second = 0;
  if (!readShortNumber(s, i, hour) || i >= s.size() || s[i++] != ':') return false;
  if (!readShortNumber(s, i, minute) || i >= s.size() || s[i++] != ':') return false;
  if (!readShortNumber(s, i, second)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (i + 1 < s.size() && s[i] == '.' && isDigit(s[i + 1])) {
    ++i;
    while (i < s.size() && isDigit(s[i])) ++i;
  }
  if (sep == ' ') return i == s.size();
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  ++i;
  int zh = 0, zm = 0;
  if (!readFixedNumber(s, i, 2, zh) || i >= s.size() || s[i++] != ':') return false;
  return readFixedNumber(s, i, 2, zm) && i == s.size();
}

// YAML 1.1 sexagesimal numbers ("1:20"): go-yaml reads them as strings but quotes them on output
// so that other parsers do too. ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
bool isBase60Float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !isDigit(s[i])) return false;
  while (i < s.size() && (isDigit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    size_t start = i;
    while (i < s.size() && isDigit(s[i]) && i - start < 2) ++i;
    size_t n = i - start;
    if (n == 0 || (n == 2 && s[start] > '5')) return false;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (isDigit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

Resolved resolvePlain(std::string_view in) {
  Resolved r;
  static const std::pair<std::string_view, ScalarType> named[] = {
      {"", ScalarType::Null},     {"~", ScalarType::Null},    {"null", ScalarType::Null},
      {"Null", ScalarType::Null}, {"NULL", ScalarType::Null},
  };
  for (const auto& [text, type] : named) {
    if (in == text) return Resolved{type};
  }
  static const std::string_view trueWords[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                               "True", "TRUE", "on",  "On",  "ON"};
  static const std::string_view falseWords[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  for (auto w : trueWords) {
    if (in == w) return Resolved{ScalarType::Bool, true};
  }
  for (auto w : falseWords) {
    if (in == w) return Resolved{ScalarType::Bool, false};
  }
  auto special = [](double d) {
    Resolved f{ScalarType::Float};
    f.d = d;
    return f;
  };
  const double inf = std::numeric_limits<double>::infinity();
  if (in == ".nan" || in == ".NaN" || in == ".NAN") {
    return special(std::numeric_limits<double>::quiet_NaN());
  }
  if (in == ".inf" || in == ".Inf" || in == ".INF" || in == "+.inf" || in == "+.Inf" ||
      in == "+.INF") {
    return special(inf);
  }
  if (in == "-.inf" || in == "-.Inf" || in == "-.INF") return special(-inf);

  char c = in[0];
  if (c == '.') {
    if (auto f = parseDecimalFloat(in); f && isYamlStyleFloat(in)) return special(*f);
    return r;
  }
  if (!isDigit(c) && c != '+' && c != '-') return r;
  if (isTimestamp(in)) return Resolved{ScalarType::Timestamp};

  std::string plain;
  for (char ch : in) {
    if (ch != '_') plain += ch;
  }
  std::string_view digits = plain;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (auto magnitude = parseGoUnsigned(digits)) {
    constexpr uint64_t maxInt = std::numeric_limits<int64_t>::max();
    if (negative && *magnitude <= maxInt + 1) {
      r.type = ScalarType::Int;
      r.i = *magnitude == maxInt + 1 ? std::numeric_limits<int64_t>::min()
                                     : -static_cast<int64_t>(*magnitude);
      return r;
    }
    if (!negative && *magnitude <= maxInt) {
      r.type = ScalarType::Int;
      r.i = static_cast<int64_t>(*magnitude);
      return r;
    }
    if (!negative && plain[0] != '+') {  // ParseUint takes no sign
      r.type = ScalarType::Uint;
      r.u = *magnitude;
      return r;
    }
  }
  if (isYamlStyleFloat(plain)) {
    if (auto f = parseDecimalFloat(plain)) return special(*f);
  }
  return r;
}

// Whether a string must be quoted so that it reads back as a string.
bool needsTypeQuotes(std::string_view s) {
  // "<<" would read back as a merge key.
  return resolvePlain(s).type != ScalarType::String || isBase60Float(s) || s == "<<";
}

// =============================================================================================
// Number formatting as Go's strconv does it.

// strconv.FormatFloat(v, 'g', -1, bits) with go-yaml's names for the non-finite values.
std::string formatYamlFloat(double v, bool asFloat32 = false) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  return gofmt::formatFloat(v, gofmt::FloatStyle::kShortest, asFloat32 ? 32 : 64);
}

// A double that holds an integer reads back from YAML (and from Kubernetes' JSON) as an integer.
std::optional<std::string> integralText(double v) {
  if (!std::isfinite(v) || v != std::trunc(v)) return std::nullopt;
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
    return std::to_string(static_cast<int64_t>(v));
  }
  if (v >= 0 && v < 18446744073709551616.0) return std::to_string(static_cast<uint64_t>(v));
  return std::nullopt;
}

// =============================================================================================
// UTF-8.

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

// =============================================================================================
// YAML output.

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

// =============================================================================================
// JSON output.

void appendPrettyJson(std::string& out, const json::value& v, int indent) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_:
      out += gofmt::formatFloat(v.get_double(), gofmt::FloatStyle::kJson);
      return;
    case json::kind::string:
      gofmt::appendJsonString(out, v.get_string());
      return;
    case json::kind::array: {
      const auto& arr = v.get_array();
      if (arr.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < arr.size(); ++i) {
        out.append(indent + 4, ' ');
        appendPrettyJson(out, arr[i], indent + 4);
        out += i + 1 < arr.size() ? ",\n" : "\n";
      }
      out.append(indent, ' ');
      out += ']';
      return;
    }
    case json::kind::object: {
      const auto& obj = v.get_object();
      if (obj.empty()) {
        out += "{}";
        return;
      }
      std::vector<const json::key_value_pair*> entries;
      for (const auto& kv : obj) entries.push_back(&kv);
      std::stable_sort(entries.begin(), entries.end(),
                       [](auto* a, auto* b) { return a->key() < b->key(); });
      out += "{\n";
      for (size_t i = 0; i < entries.size(); ++i) {
        out.append(indent + 4, ' ');
        gofmt::appendJsonString(out, entries[i]->key());
        out += ": ";
        appendPrettyJson(out, entries[i]->value(), indent + 4);
        out += i + 1 < entries.size() ? ",\n" : "\n";
      }
      out.append(indent, ' ');
      out += '}';
      return;
    }
  }
}

// =============================================================================================
// YAML input.

bool isIdentifierStart(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c == '_';
}
bool isIdentifierChar(char c) {
  return isIdentifierStart(c) || isDigit(c) || c == '-' || c == '.';
}

// A `{word}` where a YAML node starts (after "key: ", "- ", or at the start of a line): a
// template placeholder such as `{your_repository}`, which YAML reads as a flow mapping.
struct Placeholder {
  std::string text;  // "{your_repository}"
  std::string word;  // "your_repository"
  int line = 0;      // 1-based
};

std::optional<Placeholder> findPlaceholder(std::string_view text) {
  int line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
      continue;
    }
    if (text[i] != '{') continue;
    size_t p = i;
    while (p > lineStart && text[p - 1] == ' ') --p;
    // "key: {", "- {", "[{", ", {" and "{" at the start of a line; "key:{" is plain text.
    char before = p == lineStart ? '\n' : text[p - 1];
    bool nodeStart = before == '\n' || before == '[' || before == ',' ||
                     ((before == ':' || before == '-') && p < i);
    if (!nodeStart) continue;
    size_t j = i + 1;
    while (j < text.size() && text[j] == ' ') ++j;
    size_t wordStart = j;
    if (j >= text.size() || !isIdentifierStart(text[j])) continue;
    while (j < text.size() && isIdentifierChar(text[j])) ++j;
    size_t wordEnd = j;
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || text[j] != '}') continue;
    return Placeholder{std::string(text.substr(i, j + 1 - i)),
                       std::string(text.substr(wordStart, wordEnd - wordStart)), line};
  }
  return std::nullopt;
}

// A parse problem: `line` is 1-based within the text given to the parser, 0 when unknown.
struct Problem {
  int line = 0;
  std::string message;
  std::optional<Placeholder> placeholder;  // a likely cause, named in a hint
};

struct Document {
  json::value value;
  int line = 1;  // where the document starts
};

// `errorLine` is the line the error names; the hint names its own line only when it differs.
std::string placeholderHint(const Placeholder& p, int errorLine) {
  std::string what = "a real value";
  std::string lower;
  for (char c : p.word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("repo") != std::string::npos || lower.find("registry") != std::string::npos) {
    what = "a registry name (e.g. example.com)";
  }
  std::string where = p.line == errorLine ? "" : " on line " + std::to_string(p.line);
  return "\"" + p.text + "\"" + where + " looks like a placeholder: replace it with " + what;
}

// yaml-cpp's messages, reworded as go-yaml (and so kubectl) words them.
std::string goYamlMessage(const std::string& msg) {
  static const std::pair<std::string_view, std::string_view> table[] = {
      {YAML::ErrorMsg::END_OF_MAP, "did not find expected key"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "did not find expected ',' or '}'"},
      {YAML::ErrorMsg::END_OF_SEQ, "did not find expected '-' indicator"},
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "did not find expected ',' or ']'"},
      {YAML::ErrorMsg::MAP_VALUE, "mapping values are not allowed in this context"},
      {YAML::ErrorMsg::UNKNOWN_TOKEN, "found character that cannot start any token"},
      {YAML::ErrorMsg::TAB_IN_INDENTATION, "found character that cannot start any token"},
      {YAML::ErrorMsg::UNKNOWN_ANCHOR, "unknown anchor referenced"},
  };
  for (const auto& [from, to] : table) {
    if (msg == from) return std::string(to);
  }
  if (msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE)) {
    return "found unknown escape character while parsing a quoted scalar";
  }
  return msg;
}

class Converter {
 public:
  explicit Converter(std::string_view text) : text_(text) {}

  std::optional<Problem> convert(const YAML::Node& node, json::value& out, int depth = 0) {
    if (depth > kMaxDepth) return Problem{lineOf(node), "exceeded max depth of nesting", {}};
    if (++nodes_ > kMaxNodes) {
      return Problem{lineOf(node), "document contains excessive aliasing", {}};
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = nullptr;
        return std::nullopt;
      case YAML::NodeType::Scalar:
        return scalar(node, out);
      case YAML::NodeType::Sequence: {
        json::array arr;
        arr.reserve(node.size());
        for (const auto& item : node) {
          json::value v;
          if (auto p = convert(item, v, depth + 1)) return p;
          arr.push_back(std::move(v));
        }
        out = std::move(arr);
        return std::nullopt;
      }
      case YAML::NodeType::Map: {
        if (auto p = placeholderMap(node)) return p;
        json::object obj;
        for (const auto& kv : node) {
          if (isMergeKey(kv.first)) {
            if (auto p = merge(kv.second, obj, depth)) return p;
            continue;
          }
          std::string key;
          if (auto p = keyText(kv.first, key)) return p;
          json::value v;
          if (auto p = convert(kv.second, v, depth + 1)) return p;
          obj.insert_or_assign(key, std::move(v));  // the last duplicate wins, as in go-yaml v2
        }
        out = std::move(obj);
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

 private:
  static constexpr int kMaxDepth = 1000;
  static constexpr size_t kMaxNodes = 1'000'000;

  static int lineOf(const YAML::Node& node) {
    int line = node.Mark().line;
    return line >= 0 ? line + 1 : 0;
  }

  static bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

  static bool isMergeKey(const YAML::Node& key) {
    return key.IsScalar() && isPlain(key) && key.Scalar() == "<<";
  }

  // `<<: *base` or `<<: [*a, *b]`: keys of the merged mappings, the first mapping winning.
  std::optional<Problem> merge(const YAML::Node& source, json::object& into, int depth) {
    // YAML::Node's assignment rewrites the node it refers to, so the list is only appended to
    // and walked backwards, never reordered in place.
    std::vector<YAML::Node> maps;
    if (source.IsMap()) {
      maps.push_back(source);
    } else if (source.IsSequence()) {
      for (const auto& item : source) maps.push_back(item);
    }
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
      const YAML::Node& m = *it;
      if (!m.IsMap()) {
        return Problem{
            lineOf(source), "map merge requires map or sequence of maps as the value", {}};
      }
      json::value merged;
      if (auto p = convert(m, merged, depth + 1)) return p;
      for (auto& kv : merged.as_object()) into.insert_or_assign(kv.key(), std::move(kv.value()));
    }
    return std::nullopt;
  }

  std::optional<Problem> keyText(const YAML::Node& key, std::string& out) {
    if (key.IsNull()) {
      return Problem{lineOf(key), "Unsupported map key of type: <nil>, key: <nil>", {}};
    }
    if (!key.IsScalar()) {
      return Problem{lineOf(key), "Unsupported map key: a mapping or sequence cannot be a key", {}};
    }
    json::value v;
    if (auto p = scalar(key, v)) return p;
    // sigs.k8s.io/yaml turns non-string keys into strings.
    switch (v.kind()) {
      case json::kind::string:
        out = v.get_string();
        break;
      case json::kind::bool_:
        out = v.get_bool() ? "true" : "false";
        break;
      case json::kind::int64:
        out = std::to_string(v.get_int64());
        break;
      case json::kind::uint64:
        out = std::to_string(v.get_uint64());
        break;
      case json::kind::double_:
        out = formatYamlFloat(v.get_double(), true);
        break;
      default:
        return Problem{lineOf(key), "Unsupported map key of type: <nil>, key: <nil>", {}};
    }
    // Integral floats were turned into integers; go-yaml would have kept "1.0" as a float key.
    if (v.is_int64() && isPlain(key) && key.Scalar().find_first_of(".eE") != std::string::npos) {
      out = formatYamlFloat(static_cast<double>(v.get_int64()), true);
    }
    return std::nullopt;
  }

  std::optional<Problem> scalar(const YAML::Node& node, json::value& out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    static const std::string yamlTag = "tag:yaml.org,2002:";
    if (tag == "!" || tag == yamlTag + "str" || tag == yamlTag + "binary" ||
        tag == yamlTag + "timestamp" || (tag != "?" && !tag.starts_with(yamlTag))) {
      out = json::string(text);  // quoted, block and custom-tagged scalars are strings
      return std::nullopt;
    }
    Resolved r = resolvePlain(text);
    if (tag != "?") {
      std::string want = tag.substr(yamlTag.size());
      bool ok = (want == "int" && (r.type == ScalarType::Int || r.type == ScalarType::Uint)) ||
                (want == "float" && (r.type == ScalarType::Float || r.type == ScalarType::Int ||
                                     r.type == ScalarType::Uint)) ||
                (want == "bool" && r.type == ScalarType::Bool) ||
                (want == "null" && r.type == ScalarType::Null) ||
                (want != "int" && want != "float" && want != "bool" && want != "null");
      if (!ok) {
        return Problem{lineOf(node), "cannot decode `" + text + "` as a !!" + want, {}};
      }
      if (want == "float" && r.type == ScalarType::Int)
        r = Resolved{ScalarType::Float, false, 0, 0, static_cast<double>(r.i)};
    }
    switch (r.type) {
      case ScalarType::String:
      case ScalarType::Timestamp:
        out = json::string(text);
        break;
      case ScalarType::Null:
        out = nullptr;
        break;
      case ScalarType::Bool:
        out = r.b;
        break;
      case ScalarType::Int:
        out = r.i;
        break;
      case ScalarType::Uint:
        out = r.u;
        break;
      case ScalarType::Float: {
        if (!std::isfinite(r.d)) {
          return Problem{lineOf(node),
                         "json: unsupported value: " + formatYamlFloat(r.d) + " (`" + text + "`)",
                         {}};
        }
        // A float that holds an integer reaches the API server as a JSON integer ("1.0" -> 1).
        auto integral = integralText(r.d);
        if (integral && r.d >= -9223372036854775808.0 && r.d < 9223372036854775808.0) {
          out = static_cast<int64_t>(r.d);
        } else if (integral) {
          out = static_cast<uint64_t>(r.d);
        } else {
          out = r.d;
        }
        break;
      }
    }
    return std::nullopt;
  }

  // `image: {your_repository}/nginx:v1` fails to parse, but `image: {your_repository}` parses as
  // a mapping with one null entry; both are a template placeholder left in the text.
  std::optional<Problem> placeholderMap(const YAML::Node& node) {
    if (node.Style() != YAML::EmitterStyle::Flow || node.size() != 1) return std::nullopt;
    auto kv = *node.begin();
    if (!kv.first.IsScalar() || !isPlain(kv.first) || !kv.second.IsNull()) return std::nullopt;
    int line = lineOf(node);
    if (line == 0) return std::nullopt;
    std::string_view lineText = lineAt(line);
    auto p = findPlaceholder(lineText);
    if (!p || p->word != kv.first.Scalar()) return std::nullopt;
    p->line = line;
    return Problem{line, "found flow mapping \"" + p->text + "\" where a value was expected", p};
  }

  std::string_view lineAt(int line) const {
    size_t start = 0;
    for (int l = 1; l < line; ++l) {
      start = text_.find('\n', start);
      if (start == std::string_view::npos) return {};
      ++start;
    }
    size_t end = text_.find('\n', start);
    return text_.substr(start, end == std::string_view::npos ? text_.npos : end - start);
  }

  std::string_view text_;
  size_t nodes_ = 0;
};

int lineAtOffset(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// One or more concatenated JSON texts (kubectl decodes a JSON stream this way). nullopt when the
// text is not JSON, so that it is read as YAML (of which JSON is a subset) instead.
std::optional<std::vector<Document>> parseJsonStream(std::string_view text) {
  std::vector<Document> docs;
  json::parse_options options;
  options.max_depth = 1000;  // the default of 32 is too shallow for some CRD schemas
  json::stream_parser parser({}, options);
  size_t pos = 0;
  auto skipSpace = [&] {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n')) {
      ++pos;
    }
  };
  skipSpace();
  while (pos < text.size()) {
    if (text[pos] != '{' && text[pos] != '[') return std::nullopt;
    parser.reset();
    boost::system::error_code ec;
    size_t used = parser.write_some(text.data() + pos, text.size() - pos, ec);
    if (ec || !parser.done()) return std::nullopt;
    docs.push_back({parser.release(), lineAtOffset(text, pos)});
    pos += used;
    skipSpace();
  }
  return docs;
}

// yaml-cpp 0.7 does not consume a stray token at the top of a document (`,` in ", a" or after
// "[a]"): it reports an empty document and starts the next one at the same token, forever, so
// YAML::LoadAll never returns. This pass walks the events first and stops a stream whose next
// document starts where the previous one did.
class ProgressCheck : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (started_ && mark.pos == last_.pos) {
      throw YAML::ParserException(mark, "did not find expected node content");
    }
    started_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  bool started_ = false;
  YAML::Mark last_;
};

std::variant<std::vector<Document>, Problem> parseYamlStream(std::string_view text) {
  std::optional<std::vector<YAML::Node>> nodes;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    ProgressCheck check;
    while (parser.HandleNextDocument(check)) {
    }
    nodes.emplace(YAML::LoadAll(std::string(text)));
  } catch (const YAML::DeepRecursion& e) {  // its own message is a misleading "bad file"
    return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, "exceeded max depth of nesting", {}};
  } catch (const YAML::Exception& e) {
    return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, goYamlMessage(e.msg),
                   findPlaceholder(text)};
  }
  std::vector<Document> docs;
  Converter converter(text);
  for (const auto& node : *nodes) {
    Document d;
    int line = node.Mark().line;
    d.line = line >= 0 ? line + 1 : 1;
    try {
      if (auto p = converter.convert(node, d.value)) return *p;
    } catch (const YAML::Exception& e) {
      return Problem{e.mark.line >= 0 ? e.mark.line + 1 : 0, goYamlMessage(e.msg), {}};
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

// A stream of documents; JSON when it looks like JSON and parses as such.
std::variant<std::vector<Document>, Problem> parseStream(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    if (auto docs = parseJsonStream(text)) return std::move(*docs);
  }
  return parseYamlStream(text);
}

// `lineOffset` renumbers lines of a chunk as lines of the whole text.
std::string describe(const Problem& p, int lineOffset = 0) {
  std::string msg = "error converting YAML to JSON: yaml: ";
  if (p.line > 0) msg += "line " + std::to_string(p.line + lineOffset) + ": ";
  msg += p.message;
  if (p.placeholder) {
    Placeholder placeholder = *p.placeholder;
    placeholder.line += lineOffset;
    msg += "; " + placeholderHint(placeholder, p.line > 0 ? p.line + lineOffset : 0);
  }
  return msg;
}

// Splits a stream at "---" lines, as kubectl's YAML reader does; each chunk keeps the number of
// lines before it so that messages name lines of the whole text.
struct Chunk {
  std::string_view text;
  int lineOffset;
};

std::vector<Chunk> splitDocuments(std::string_view text) {
  std::vector<Chunk> chunks;
  size_t chunkStart = 0;
  int chunkLine = 0;
  int line = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (l.starts_with("---")) {
      std::string_view rest = l.substr(3);
      size_t k = rest.find_first_not_of(" \t\r");
      if (k == std::string_view::npos || rest[k] == '#') {
        chunks.push_back({text.substr(chunkStart, pos - chunkStart), chunkLine});
        chunkStart = end + 1 <= text.size() ? end + 1 : text.size();
        chunkLine = line + 1;
      }
    }
    ++line;
    if (end == text.size()) break;
    pos = end + 1;
  }
  chunks.push_back({text.substr(std::min(chunkStart, text.size())), chunkLine});
  return chunks;
}

const char* kindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
      return "a list";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

// Appends an object, or the items of a List (nested Lists too).
std::optional<std::string> expandInto(json::value v, int line, std::vector<json::value>& out) {
  auto* obj = v.if_object();
  if (!obj) {
    return "line " + std::to_string(line) + ": expected an object (a Kubernetes manifest), found " +
           kindName(v);
  }
  std::string kind;
  if (auto* k = obj->if_contains("kind"); k && k->is_string()) kind = k->as_string();
  auto* items = obj->if_contains("items");
  bool isList = kind == "List" ? (!items || items->is_array() || items->is_null())
                               : (kind.ends_with("List") && items && items->is_array());
  if (!isList) {
    out.push_back(std::move(v));
    return std::nullopt;
  }
  if (!items || items->is_null()) return std::nullopt;
  // Items of a typed list ("DeploymentList") may leave out their kind and apiVersion.
  std::string itemKind = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
  json::value apiVersion = obj->contains("apiVersion") ? obj->at("apiVersion") : json::value();
  for (auto& item : items->as_array()) {
    if (auto* io = item.if_object(); io && !itemKind.empty()) {
      if (!io->contains("kind")) (*io)["kind"] = itemKind;
      if (!io->contains("apiVersion") && apiVersion.is_string()) (*io)["apiVersion"] = apiVersion;
    }
    if (auto err = expandInto(std::move(item), line, out)) return err;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<json::value>> parseManifests(std::string_view text, std::string_view source) {
  std::vector<json::value> out;
  const std::string prefix = "error parsing " + std::string(source) + ": ";
  for (const Chunk& chunk : splitDocuments(text)) {
    if (chunk.text.find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    auto parsed = parseStream(chunk.text);
    if (auto* problem = std::get_if<Problem>(&parsed)) {
      return Error::badRequest(prefix + describe(*problem, chunk.lineOffset));
    }
    for (auto& doc : std::get<std::vector<Document>>(parsed)) {
      if (doc.value.is_null()) continue;  // an empty document
      if (auto err = expandInto(std::move(doc.value), doc.line + chunk.lineOffset, out)) {
        return Error::badRequest(prefix + *err);
      }
    }
  }
  return out;
}

Result<json::value> parseYamlDocument(std::string_view text) {
  auto parsed = parseStream(text);
  if (auto* problem = std::get_if<Problem>(&parsed)) return Error::badRequest(describe(*problem));
  auto& docs = std::get<std::vector<Document>>(parsed);
  // Empty documents around the one with content ("---\nkind: A\n---\n") do not count.
  std::erase_if(docs, [](const Document& d) { return d.value.is_null(); });
  if (docs.empty()) return json::value(nullptr);
  if (docs.size() > 1) {
    return Error::badRequest("expected a single YAML or JSON document, found " +
                             std::to_string(docs.size()));
  }
  return std::move(docs.front().value);
}

std::string toYaml(const json::value& v) {
  YamlWriter writer;
  writer.document(v);
  return writer.take();
}

std::string toPrettyJson(const json::value& v) {
  std::string out;
  appendPrettyJson(out, v, 0);
  out += '\n';
  return out;
}

}  // namespace sluice::api
