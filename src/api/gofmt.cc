#include "api/gofmt.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sluice::api::gofmt {

namespace {

constexpr char kLowerHex[] = "0123456789abcdef";
constexpr char kUpperHex[] = "0123456789ABCDEF";

void appendHex(std::string& out, uint32_t v, int digits, const char* hex = kLowerHex) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += hex[(v >> shift) & 0xf];
}

// The shortest decimal digits of a finite, non-zero value: value = D.DDD × 10^exponent.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

Decimal shortestDecimal(double f, int bitSize) {
  char buf[64];
  auto result = bitSize == 32
                    ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(f),
                                    std::chars_format::scientific)
                    : std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));  // "-1.2345e+06"
  Decimal d;
  if (!sci.empty() && sci[0] == '-') {
    d.negative = true;
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  for (char c : sci.substr(0, e)) {
    if (c != '.') d.digits += c;
  }
  std::string_view exponent = sci.substr(e + 1);
  if (!exponent.empty() && exponent[0] == '+') exponent.remove_prefix(1);
  std::from_chars(exponent.data(), exponent.data() + exponent.size(), d.exponent);
  return d;
}

// "D.DDDe±XX"; encoding/json drops the padding zero of a negative exponent ("1e-7").
std::string exponentForm(const Decimal& d, FloatStyle style) {
  std::string out = d.negative ? "-" : "";
  out += d.digits[0];
  if (d.digits.size() > 1) out += "." + d.digits.substr(1);
  out += d.exponent < 0 ? "e-" : "e+";
  const int magnitude = std::abs(d.exponent);
  if (magnitude < 10 && !(style == FloatStyle::kJson && d.exponent < 0)) out += '0';
  return out + std::to_string(magnitude);
}

std::string positionalForm(const Decimal& d) {
  std::string out = d.negative ? "-" : "";
  if (d.exponent < 0) {
    return out + "0." + std::string(static_cast<size_t>(-d.exponent - 1), '0') + d.digits;
  }
  const size_t integerDigits = static_cast<size_t>(d.exponent) + 1;
  if (d.digits.size() <= integerDigits) {
    return out + d.digits + std::string(integerDigits - d.digits.size(), '0');
  }
  return out + d.digits.substr(0, integerDigits) + "." + d.digits.substr(integerDigits);
}

}  // namespace

Rune decodeRune(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t continuation = 0;
  int32_t value = 0;
  int32_t minimum = 0;  // the smallest rune that needs this many bytes (shorter is overlong)
  if (lead >= 0xc2 && lead <= 0xdf) {
    continuation = 1, value = lead & 0x1f, minimum = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    continuation = 2, value = lead & 0x0f, minimum = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    continuation = 3, value = lead & 0x07, minimum = 0x10000;
  } else {
    return {};
  }
  if (i + continuation >= s.size()) return {};  // truncated
  for (size_t k = 1; k <= continuation; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xc0) != 0x80) return {};
    value = (value << 6) | (b & 0x3f);
  }
  if (value < minimum || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return {};
  return {value, continuation + 1};
}

void appendRune(std::string& out, uint32_t rune) {
  if (rune < 0x80) {
    out += static_cast<char>(rune);
  } else if (rune < 0x800) {
    out += static_cast<char>(0xc0 | (rune >> 6));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  } else if (rune < 0x10000) {
    out += static_cast<char>(0xe0 | (rune >> 12));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (rune >> 18));
    out += static_cast<char>(0x80 | ((rune >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (rune & 0x3f));
  }
}

std::string toValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const Rune r = decodeRune(s, i);
    if (r.invalid()) {
      appendRune(out, kRuneError);
    } else {
      out.append(s.substr(i, r.size));
    }
    i += r.size;
  }
  return out;
}

bool isPrint(int32_t r) {
  if (r < 0x20 || r == 0x7f) return false;
  if (r < 0x7f) return true;
  if (r < 0xa1 || r == 0xad) return false;
  if (r == 0x1680 || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f)) return false;
  if ((r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff) return false;
  if ((r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000) return false;
  return true;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const Rune r = decodeRune(s, i);
    if (r.invalid()) {
      out += "\\x";
      appendHex(out, static_cast<unsigned char>(s[i]), 2);
    } else if (r.value == '"' || r.value == '\\') {
      out += '\\';
      out += static_cast<char>(r.value);
    } else if (isPrint(r.value)) {
      out.append(s.substr(i, r.size));
    } else if (r.value >= '\a' && r.value <= '\r') {
      out += '\\';
      out += "abtnvfr"[r.value - '\a'];  // \a \b \t \n \v \f \r are 7..13
    } else if (r.value < 0x20 || r.value == 0x7f) {
      out += "\\x";
      appendHex(out, static_cast<uint32_t>(r.value), 2);
    } else if (r.value < 0x10000) {
      out += "\\u";
      appendHex(out, static_cast<uint32_t>(r.value), 4);
    } else {
      out += "\\U";
      appendHex(out, static_cast<uint32_t>(r.value), 8);
    }
    i += r.size;
  }
  out += '"';
  return out;
}

std::string runeDescription(int32_t rune) {
  std::string out = "U+";
  const int digits = rune > 0xfffff ? 6 : rune > 0xffff ? 5 : 4;
  appendHex(out, static_cast<uint32_t>(rune), digits, kUpperHex);
  if (isPrint(rune)) {
    out += " '";
    appendRune(out, static_cast<uint32_t>(rune));
    out += "'";
  }
  return out;
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= '\b' && c <= '\r' && c != '\v') {
      out += '\\';
      out += "btnvfr"[c - '\b'];  // \b \t \n \f \r are 8, 9, 10, 12, 13
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      appendHex(out, c, 2);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      const Rune r = decodeRune(s, i);
      if (r.invalid()) {
        out += "\\ufffd";
      } else if (r.value == 0x2028 || r.value == 0x2029) {
        out += "\\u";
        appendHex(out, static_cast<uint32_t>(r.value), 4);
      } else {
        out.append(s.substr(i, r.size));
      }
      i += r.size;
      continue;
    }
    ++i;
  }
  out += '"';
}

std::string formatFloat(double f, FloatStyle style, int bitSize) {
  // A float64 at or past the midpoint between float32's largest value and 2^128 rounds to an
  // infinity (in C++ that conversion would be undefined, so it is done by hand).
  constexpr double kFloat32Overflow = 0x1.ffffffp127;
  if (bitSize == 32 && std::isfinite(f) && std::fabs(f) >= kFloat32Overflow) {
    f = std::copysign(std::numeric_limits<double>::infinity(), f);
  }
  if (std::isnan(f)) return style == FloatStyle::kJson ? "null" : "NaN";
  if (std::isinf(f)) return style == FloatStyle::kJson ? "null" : f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  const Decimal d = shortestDecimal(f, bitSize);
  bool exponent;
  if (style == FloatStyle::kShortest) {
    exponent = d.exponent < -4 || d.exponent >= 6;
  } else {
    const double magnitude = std::fabs(f);
    exponent = magnitude < 1e-6 || magnitude >= 1e21;
  }
  return exponent ? exponentForm(d, style) : positionalForm(d);
}

}  // namespace sluice::api::gofmt
