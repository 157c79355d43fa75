// Durations as Kubernetes and Argo Rollouts write them: Go's time.Duration text ("30s", "1m30s",
// "1.5h", "500ms").
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sluice::api {

// Go's time.ParseDuration ("300ms", "1.5h", "2h45m", "-1s", "0"); nullopt when malformed or
// out of range.
std::optional<std::chrono::nanoseconds> parseGoDuration(std::string_view text);

}  // namespace sluice::api
