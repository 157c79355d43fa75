// The YAML/JSON codec of manifests and of `-o yaml|json` output. Pure; no I/O.
//
// One file per direction: yaml_read.cc (manifests in), yaml_write.cc (YAML out), json_print.cc
// (JSON out); yaml_scalar.h holds the scalar typing the reader and the writer share.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"

namespace sluice::api {

// Parses a manifest stream: YAML (several documents separated by `---`) or JSON. Empty documents
// are skipped; a `kind: List` (or `*List`) document expands to its `items`. YAML scalars become
// JSON types as Kubernetes' sigs.k8s.io/yaml does (YAML 1.1-ish: unquoted true/false, null/~,
// integers, floats; everything quoted stays a string). Errors are BadRequest and name `source`
// and the line, e.g. `error parsing deploy.yaml: yaml: line 17: did not find expected key`; when
// the text contains a `{your_repository}`-style placeholder the message says it is a placeholder
// to replace.
Result<std::vector<boost::json::value>> parseManifests(std::string_view text,
                                                       std::string_view source);

// One YAML or JSON document to JSON (no List expansion).
Result<boost::json::value> parseYamlDocument(std::string_view text);

// YAML output as kubectl prints it: keys of every mapping sorted, 2-space indent, sequences
// of mappings not indented under their key ("- name: x"), strings quoted only when needed
// (quoting strings that would read back as another type, e.g. "true", "1", "", "null").
std::string toYaml(const boost::json::value& v);

// JSON output as kubectl prints it (-o json): 4-space indented, keys sorted.
std::string toPrettyJson(const boost::json::value& v);

}  // namespace sluice::api
