// Text as Go's standard library writes it: strconv.Quote (%q), strconv/fmt float formatting,
// encoding/json's string escaping, and the UTF-8 decoding they rest on. Pure; no I/O.
//
// kubectl and the API server are Go programs, and sluice prints what they print byte for byte
// (validation messages, selector errors, `-o yaml|json|jsonpath`). Every place that renders a
// value as Go would goes through this one unit, so a rule (which runes are printable, when a
// float switches to exponent form) is decided once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::api::gofmt {

// ---------------------------------------------------------------------------------------------
// UTF-8 (Go's unicode/utf8).

constexpr int32_t kRuneError = 0xFFFD;  // utf8.RuneError, what invalid bytes decode to

// One decoded rune: utf8.DecodeRuneInString. An invalid or truncated sequence (a stray
// continuation byte, an overlong form, a surrogate, above U+10FFFF) decodes as {kRuneError, 1},
// so a caller steps over one bad byte at a time, as Go does.
struct Rune {
  int32_t value = kRuneError;
  size_t size = 1;  // bytes consumed
  // Whether the bytes were not valid UTF-8 (a well-formed U+FFFD has size 3).
  bool invalid() const { return value == kRuneError && size == 1; }
};

// The rune starting at s[i]; `i` must be < s.size().
Rune decodeRune(std::string_view s, size_t i);

// utf8.AppendRune for a valid rune (at most U+10FFFF, not a surrogate).
void appendRune(std::string& out, uint32_t rune);

// `s` with every invalid byte replaced by U+FFFD, as encoding/json does to strings before
// kubectl's YAML printer sees them.
std::string toValidUtf8(std::string_view s);

// An approximation of unicode.IsPrint without Unicode tables: ASCII graphic characters and
// space, and non-ASCII runes other than C1 controls, the soft hyphen, format characters,
// non-ASCII spaces, private use and noncharacters at the end of the BMP.
bool isPrint(int32_t rune);

// ---------------------------------------------------------------------------------------------
// Quoting.

// strconv.Quote, which is also what %q and %#v print for a string: `"a\tb\x01\"é"`. Named
// escapes for \a \b \f \n \r \t \v, \xNN for other control bytes and for each invalid byte,
// \uNNNN or \UNNNNNNNN for runes that are not printable; printable runes stay as they are.
std::string quote(std::string_view s);

// %#U: "U+007B '{'", or just "U+0009" when the rune is not printable.
std::string runeDescription(int32_t rune);

// encoding/json's string encoding, quotes included: \" \\ \n \r \t \b \f, \u00NN for other
// control characters and (HTML-safe) for < > &, \u2028 and \u2029, and \ufffd for each invalid
// byte. Appends to `out`.
void appendJsonString(std::string& out, std::string_view s);

// ---------------------------------------------------------------------------------------------
// Floats. Both styles take the shortest decimal digits that read back as the same number (as
// Go's strconv picks them) and differ only in layout. Worked numbers:
//   1500000.0 → shortest "1.5e+06", json "1500000";   0.00001 → "1e-05", json "0.00001";
//   1e-7      → shortest "1e-07",   json "1e-7";      123456.7 → "123456.7" in both.
enum class FloatStyle {
  // strconv.FormatFloat(f, 'g', -1, bitSize), which fmt's %v prints too: exponent form when the
  // decimal exponent is < -4 or >= 6 (so 1e6 is "1e+06"), with at least two exponent digits.
  // NaN, +Inf and -Inf print as Go names them.
  kShortest,
  // encoding/json's float64: positional unless |f| < 1e-6 or |f| >= 1e21, and "e-7" rather
  // than "e-07". JSON cannot hold NaN or infinities (encoding/json refuses them): they print as
  // null.
  kJson,
};

// `bitSize` 32 formats `f` as the float32 it converts to (go-yaml's map keys), else 64.
std::string formatFloat(double f, FloatStyle style, int bitSize = 64);

}  // namespace sluice::api::gofmt
