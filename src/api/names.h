// Name and value formats of Kubernetes objects — DNS-1123 labels and subdomains, DNS-1035
// labels, qualified names (label and annotation keys), label values, IANA port names, IPs,
// percentages — as k8s.io/apimachinery/pkg/util/validation checks them. Pure; no I/O.
//
// Each check returns the problems it found, worded as the API server words them (empty when the
// value is valid), so validation and label selectors report the same text for the same mistake.
// Worked example: isDns1123Label("my.name") → {"must not contain dots"}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sluice::api {

using FormatErrors = std::vector<std::string>;

// IsDNS1123Label: at most 63 of [a-z0-9-], alphanumeric at both ends (container, port and
// volume names, Namespace names, namespaces).
FormatErrors isDns1123Label(std::string_view value);

// IsDNS1123Subdomain: at most 253 characters, DNS-1123 labels joined by dots (most object
// names).
FormatErrors isDns1123Subdomain(std::string_view value);

// IsDNS1035Label: a DNS-1123 label that starts with a letter (Service names).
FormatErrors isDns1035Label(std::string_view value);

// IsQualifiedName: `[prefix/]name`, the prefix a DNS-1123 subdomain, the name at most 63 of
// [A-Za-z0-9-_.] with alphanumeric ends (label keys; annotation keys after lower-casing).
FormatErrors isQualifiedName(std::string_view value);

// IsValidLabelValue: empty, or at most 63 of [A-Za-z0-9-_.] with alphanumeric ends.
FormatErrors isValidLabelValue(std::string_view value);

// IsValidPortName (IANA_SVC_NAME): at most 15 of [a-z0-9-], at least one letter, no "--", no
// hyphen at either end.
FormatErrors isValidPortName(std::string_view value);

// IsValidPercent: digits followed by '%' ("25%").
FormatErrors isValidPercent(std::string_view value);

// Whether `value` is an IPv4 or IPv6 address.
bool isValidIp(std::string_view value);

// ---------------------------------------------------------------------------------------------
// Object names (metadata.name and metadata.generateName), apimachinery's ValidateNameFunc.
// `prefix` is set for generateName: a trailing dash is allowed there, since a random suffix
// follows it (apimachinery's maskTrailingDash: the last two characters become "a" before the
// check, so "web-" is checked as "wa").

using NameValidator = FormatErrors (*)(std::string_view name, bool prefix);

FormatErrors nameIsDnsSubdomain(std::string_view name, bool prefix);  // most kinds
FormatErrors nameIsDnsLabel(std::string_view name, bool prefix);      // Namespace
FormatErrors nameIsDns1035Label(std::string_view name, bool prefix);  // Service

}  // namespace sluice::api
