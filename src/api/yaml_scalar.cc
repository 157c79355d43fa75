#include "api/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "api/gofmt.h"

namespace sluice::api::yaml {

namespace {

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

}  // namespace

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

bool needsTypeQuotes(std::string_view s) {
  // "<<" would read back as a merge key.
  return resolvePlain(s).type != ScalarType::String || isBase60Float(s) || s == "<<";
}

std::string formatYamlFloat(double v, bool asFloat32) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  return gofmt::formatFloat(v, gofmt::FloatStyle::kShortest, asFloat32 ? 32 : 64);
}

std::optional<std::string> integralText(double v) {
  if (!std::isfinite(v) || v != std::trunc(v)) return std::nullopt;
  if (v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
    return std::to_string(static_cast<int64_t>(v));
  }
  if (v >= 0 && v < 18446744073709551616.0) return std::to_string(static_cast<uint64_t>(v));
  return std::nullopt;
}

}  // namespace sluice::api::yaml
