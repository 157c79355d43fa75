// Helpers of the patch tests.
#pragma once

#include <boost/json.hpp>
#include <string_view>

namespace sluice::api::patchtest {

namespace json = boost::json;

inline json::value parse(std::string_view text) {
  return json::parse(text);
}

// Whether a directive key (`$patch`, `$retainKeys`, `$setElementOrder/...`, ...) is anywhere in v.
inline bool hasDirective(const json::value& v) {
  if (const auto* o = v.if_object()) {
    for (const auto& [key, value] : *o) {
      if (!key.empty() && key[0] == '$') return true;
      if (hasDirective(value)) return true;
    }
  }
  if (const auto* a = v.if_array()) {
    for (const auto& item : *a) {
      if (hasDirective(item)) return true;
    }
  }
  return false;
}
}  // namespace sluice::api::patchtest
