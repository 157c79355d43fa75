// Kubernetes resource quantities ("200Mi", "1Gi", "100m", "0.5", "1e3"). Pure.
#pragma once

#include <optional>
#include <string_view>

namespace sluice::api {

// Bytes for memory-style quantities (binary and decimal suffixes, plain numbers, exponents).
std::optional<long long> parseQuantityBytes(std::string_view text);
// Millicores for CPU-style quantities ("100m" -> 100, "0.5" -> 500, "2" -> 2000).
std::optional<long long> parseQuantityMillis(std::string_view text);

}  // namespace sluice::api
