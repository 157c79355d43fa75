// Typed views over JSON objects: small accessors for the fields every component reads.
// Objects stay JSON documents so that fields sluice does not know survive a round trip.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::api {

namespace json = boost::json;

// Returns the value at a dotted path ("metadata.name"), or nullptr when any step is missing or
// not an object.
const json::value* find(const json::value& v, std::string_view dottedPath);
json::value* find(json::value& v, std::string_view dottedPath);
// The string at a path, or `fallback` when absent or not a string.
std::string getString(const json::value& v, std::string_view dottedPath,
                      std::string_view fallback = "");
// The integer at a path, or `fallback`.
int64_t getInt(const json::value& v, std::string_view dottedPath, int64_t fallback = 0);
bool getBool(const json::value& v, std::string_view dottedPath, bool fallback = false);
// The object at a path, created (with any missing parents) when absent. A non-object in the way
// is replaced.
json::object& ensureObject(json::value& v, std::string_view dottedPath);

// metadata accessors.
inline std::string nameOf(const json::value& o) {
  return getString(o, "metadata.name");
}
inline std::string namespaceOf(const json::value& o) {
  return getString(o, "metadata.namespace");
}
inline std::string uidOf(const json::value& o) {
  return getString(o, "metadata.uid");
}
inline std::string kindOf(const json::value& o) {
  return getString(o, "kind");
}
int64_t resourceVersionOf(const json::value& o);  // 0 when absent or malformed

// RFC 3339 timestamps as Kubernetes writes them ("2026-11-27T04:08:19Z").
std::string formatTimestamp(std::chrono::system_clock::time_point t);
// Parses "2026-11-27T04:08:19Z" (fractions and offsets accepted); false when malformed.
bool parseTimestamp(std::string_view text, std::chrono::system_clock::time_point& out);
// kubectl's human duration: "5s", "3m20s", "2d5h", as in the AGE column.
std::string humanDuration(std::chrono::seconds d);

}  // namespace sluice::api

namespace sluice::api {
// Compact JSON with every object's keys sorted, as Go's encoding/json writes maps (used for the
// last-applied-configuration annotation).
std::string canonicalJson(const json::value& v);
}  // namespace sluice::api
