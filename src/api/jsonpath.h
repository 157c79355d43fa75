// kubectl's JSONPath templates (`-o jsonpath=...`): text with `{...}` expressions. Pure; no I/O.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "api/error.h"

namespace sluice::api {

// Evaluates a kubectl JSONPath template against `data`, as `kubectl get -o jsonpath=TEMPLATE`
// prints it. Supports: literal text, `{.a.b}`, `{.items[0]}`, `{.items[*].metadata.name}`
// (several results joined by a space), `{.items[-1:]}`, slices `[start:end:step]`, `{$}`,
// `{@}`, recursive descent `{..name}`, filters `{.items[?(@.metadata.name=="x")]}` (==, !=, <,
// <=, >, >= against numbers/strings, and existence `[?(@.status)]`), unions `[0,1]` and
// `['a','b']`, `{range .items[*]}...{end}`, string literals `{"\n"}` and `{"\t"}`, and quoted
// keys with dots (`{.metadata.labels.app\.kubernetes\.io/name}` and `['key.with.dots']`).
// Strings print raw; objects and arrays print as compact JSON (as kubectl does); a missing key
// is an error `<name> is not found` unless `allowMissingKeys` (kubectl's default for get is to
// allow missing keys: it prints nothing for them).
Result<std::string> evaluateJsonPath(std::string_view templ, const boost::json::value& data,
                                     bool allowMissingKeys = true);

}  // namespace sluice::api
