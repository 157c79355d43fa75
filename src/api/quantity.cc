#include "api/quantity.h"

#include <cmath>
#include <string>

namespace sluice::api {

namespace {

// value * multiplier as a double; nullopt when malformed.
std::optional<double> parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  if (text[i] == '+' || text[i] == '-') ++i;
  size_t digits = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == digits) return std::nullopt;
  double number;
  try {
    number = std::stod(std::string(text.substr(0, i)));
  } catch (...) {
    return std::nullopt;
  }
  std::string_view suffix = text.substr(i);
  struct Unit {
    std::string_view name;
    double factor;
  };
  static const Unit units[] = {{"", 1},
                               {"m", 1e-3},
                               {"k", 1e3},
                               {"M", 1e6},
                               {"G", 1e9},
                               {"T", 1e12},
                               {"P", 1e15},
                               {"E", 1e18},
                               {"Ki", 1024.0},
                               {"Mi", 1048576.0},
                               {"Gi", 1073741824.0},
                               {"Ti", 1099511627776.0},
                               {"Pi", 1125899906842624.0},
                               {"Ei", 1152921504606846976.0},
                               {"n", 1e-9},
                               {"u", 1e-6}};
  for (const auto& u : units)
    if (suffix == u.name) return number * u.factor;
  if (!suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E')) {
    try {
      size_t used = 0;
      int exp = std::stoi(std::string(suffix.substr(1)), &used);
      if (used + 1 != suffix.size()) return std::nullopt;
      return number * std::pow(10.0, exp);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<long long> parseQuantityBytes(std::string_view text) {
  auto v = parse(text);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<long long>(std::ceil(*v));
}

std::optional<long long> parseQuantityMillis(std::string_view text) {
  auto v = parse(text);
  if (!v || *v < 0) return std::nullopt;
  return static_cast<long long>(std::ceil(*v * 1000.0));
}

}  // namespace sluice::api
