// How go-yaml v2 (the YAML library behind sigs.k8s.io/yaml, and so behind kubectl) types plain
// (unquoted) scalars, and how it writes numbers. Internal to the YAML reader and writer, which
// must agree: the writer quotes exactly the strings the reader would read as something else.
// Pure; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::api::yaml {

enum class ScalarType { String, Null, Bool, Int, Uint, Float, Timestamp };

// A plain scalar's type and, for Bool, Int, Uint and Float, its value.
struct Resolved {
  ScalarType type = ScalarType::String;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
};

// The type of an unquoted scalar, YAML 1.1-ish as go-yaml v2 resolves it: "", "~" and null are
// Null; y/yes/on/true (and their capitalised forms) Bool; 0x1F, 0o17, 017, 1_000 and 42 Int (Uint
// beyond int64); 1.5, .5, 1e3, .inf, .nan Float; 2006-01-02 Timestamp; anything else String.
Resolved resolvePlain(std::string_view text);

// Whether a string must be quoted so that it reads back as a string ("true", "1", "", "1:20",
// "<<").
bool needsTypeQuotes(std::string_view s);

// strconv.FormatFloat(v, 'g', -1, bits) with go-yaml's names for the non-finite values (.nan,
// .inf, -.inf); `asFloat32` formats the float32 `v` converts to.
std::string formatYamlFloat(double v, bool asFloat32 = false);

// The integer a double holds, as text ("3" for 3.0), or nullopt when it holds a fraction or does
// not fit int64/uint64: such a double reads back from YAML (and from Kubernetes' JSON) as an
// integer.
std::optional<std::string> integralText(double v);

}  // namespace sluice::api::yaml
