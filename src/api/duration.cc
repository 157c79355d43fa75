#include "api/duration.h"

#include <cstdint>
#include <limits>

namespace sluice::api {

std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view s) {
  // As Go's time.ParseDuration: [-+]? then one or more <decimal><unit>, or a bare "0".
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    uint64_t nanos;
  };
  static const Unit kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"\xc2\xb5s", 1'000},  // U+00B5 micro sign
      {"\xce\xbcs", 1'000},  // U+03BC Greek mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  };
  // Up to 2^63 nanoseconds, as Go allows (about 292 years).
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  uint64_t total = 0;
  while (!s.empty()) {
    uint64_t whole = 0, fraction = 0, scale = 1;
    size_t digits = 0, i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (__builtin_mul_overflow(whole, 10, &whole) ||
          __builtin_add_overflow(whole, static_cast<uint64_t>(s[i] - '0'), &whole)) {
        return std::nullopt;
      }
    }
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
        if (scale < 1'000'000'000'000'000'000ull) {  // further digits cannot matter
          fraction = fraction * 10 + static_cast<uint64_t>(s[i] - '0');
          scale *= 10;
        }
      }
    }
    if (digits == 0) return std::nullopt;
    s.remove_prefix(i);
    size_t unitLength = 0;
    while (unitLength < s.size() && s[unitLength] != '.' &&
           (s[unitLength] < '0' || s[unitLength] > '9')) {
      ++unitLength;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == s.substr(0, unitLength)) unit = &u;
    }
    if (!unit) return std::nullopt;
    s.remove_prefix(unitLength);
    uint64_t value = 0;
    if (__builtin_mul_overflow(whole, unit->nanos, &value)) return std::nullopt;
    // fraction/scale of a unit, e.g. 1.5h: 5/10 × 3.6e12 ns. long double keeps it exact enough.
    value += static_cast<uint64_t>(static_cast<long double>(fraction) * unit->nanos / scale);
    if (__builtin_add_overflow(total, value, &total) || total > limit) return std::nullopt;
  }
  if (!negative && total == limit) return std::nullopt;
  int64_t signedTotal = negative ? static_cast<int64_t>(0 - total) : static_cast<int64_t>(total);
  return std::chrono::nanoseconds(signedTotal);
}

}  // namespace sluice::api
