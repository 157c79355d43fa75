#include "api/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::api {
namespace {

// Kubernetes' messages, written out in full so that a change of wording shows up here.
const std::string kDns1123LabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kDns1123SubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kDns1035LabelMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string kQualifiedNamePattern =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kPercentMsg =
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
    "'93%', regex used for validation is '[0-9]+%')";

struct FormatCase {
  std::string name;
  FormatErrors (*check)(std::string_view);
  std::string value;
  FormatErrors want;
};

TEST(NameFormats, Table) {
  const std::string long63(63, 'a');
  const std::string long64(64, 'a');
  const std::vector<FormatCase> cases = {
      // DNS-1123 labels.
      {"label", isDns1123Label, "nginx-v1", {}},
      {"label of digits", isDns1123Label, "123", {}},
      {"label of 63", isDns1123Label, long63, {}},
      {"label of 64", isDns1123Label, long64, {"must be no more than 63 characters"}},
      {"label with dots", isDns1123Label, "my.name", {"must not contain dots"}},
      {"label with capitals", isDns1123Label, "Nginx", {kDns1123LabelMsg}},
      {"label ending in a dash", isDns1123Label, "nginx-", {kDns1123LabelMsg}},
      {"empty label", isDns1123Label, "", {kDns1123LabelMsg}},
      // DNS-1123 subdomains.
      {"subdomain", isDns1123Subdomain, "app.kubernetes.io", {}},
      {"subdomain with an empty label", isDns1123Subdomain, "a..b", {kDns1123SubdomainMsg}},
      {"subdomain with an underscore", isDns1123Subdomain, "Nginx_V1", {kDns1123SubdomainMsg}},
      {"subdomain of 254",
       isDns1123Subdomain,
       std::string(254, 'a'),
       {"must be no more than 253 characters"}},
      // DNS-1035 labels.
      {"1035 label", isDns1035Label, "nginx", {}},
      {"1035 label starting with a digit", isDns1035Label, "1nginx", {kDns1035LabelMsg}},
      {"1035 label with dots", isDns1035Label, "a.b", {kDns1035LabelMsg}},
      // Qualified names.
      {"qualified name", isQualifiedName, "app", {}},
      {"qualified name with capitals and dots", isQualifiedName, "My.Name_x", {}},
      {"qualified name with a prefix", isQualifiedName, "app.kubernetes.io/name", {}},
      {"empty prefix", isQualifiedName, "/name", {"prefix part must be non-empty"}},
      {"bad prefix", isQualifiedName, "Example.com/name", {"prefix part " + kDns1123SubdomainMsg}},
      {"empty name part",
       isQualifiedName,
       "example.com/",
       {"name part must be non-empty", "name part " + kQualifiedNamePattern}},
      {"name part of 64",
       isQualifiedName,
       long64,
       {"name part must be no more than 63 characters"}},
      {"name part ending in a dash",
       isQualifiedName,
       "app-",
       {"name part " + kQualifiedNamePattern}},
      {"two slashes",
       isQualifiedName,
       "a/b/c",
       {"a qualified name " + kQualifiedNamePattern +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}},
      // Label values.
      {"label value", isValidLabelValue, "v1.2_rc-3", {}},
      {"empty label value", isValidLabelValue, "", {}},
      {"label value with a space", isValidLabelValue, "a b", {kLabelValueMsg}},
      {"label value of 64", isValidLabelValue, long64, {"must be no more than 63 characters"}},
      // Port names.
      {"port name", isValidPortName, "http-alt", {}},
      {"port name of 16",
       isValidPortName,
       "abcdefghijklmnop",
       {"must be no more than 15 characters"}},
      {"port name of digits", isValidPortName, "8080", {"must contain at least one letter (a-z)"}},
      {"port name with capitals",
       isValidPortName,
       "HTTP",
       {"must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "must contain at least one letter (a-z)"}},
      {"port name with double hyphens",
       isValidPortName,
       "a--b",
       {"must not contain consecutive hyphens"}},
      {"port name ending in a hyphen",
       isValidPortName,
       "http-",
       {"must not begin or end with a hyphen"}},
      // Percentages.
      {"percent", isValidPercent, "25%", {}},
      {"percent without digits", isValidPercent, "%", {kPercentMsg}},
      {"percent without the sign", isValidPercent, "25", {kPercentMsg}},
      {"negative percent", isValidPercent, "-5%", {kPercentMsg}},
  };
  for (const auto& tc : cases) EXPECT_EQ(tc.check(tc.value), tc.want) << tc.name;
}

TEST(NameFormats, Ip) {
  EXPECT_TRUE(isValidIp("10.96.0.1"));
  EXPECT_TRUE(isValidIp("fd00::10"));
  EXPECT_FALSE(isValidIp("10.96.0"));
  EXPECT_FALSE(isValidIp("None"));
  EXPECT_FALSE(isValidIp(""));
}

struct ObjectNameCase {
  std::string name;
  NameValidator validator;
  std::string value;
  bool prefix;
  FormatErrors want;
};

TEST(ObjectNames, GenerateNameMayEndInADash) {
  const std::vector<ObjectNameCase> cases = {
      {"subdomain name", nameIsDnsSubdomain, "nginx.v1", false, {}},
      {"name ending in a dash", nameIsDnsSubdomain, "nginx-", false, {kDns1123SubdomainMsg}},
      {"generateName ending in a dash", nameIsDnsSubdomain, "nginx-", true, {}},
      {"generateName is still checked", nameIsDnsSubdomain, "Nginx-", true, {kDns1123SubdomainMsg}},
      {"a lone dash is not masked", nameIsDnsSubdomain, "-", true, {kDns1123SubdomainMsg}},
      {"namespace name", nameIsDnsLabel, "blue-green", false, {}},
      {"namespace generateName", nameIsDnsLabel, "team-", true, {}},
      {"namespace name with dots", nameIsDnsLabel, "a.b", false, {"must not contain dots"}},
      {"service name", nameIsDns1035Label, "nginx", false, {}},
      {"service generateName", nameIsDns1035Label, "web-", true, {}},
      {"service name starting with a digit", nameIsDns1035Label, "1web", false, {kDns1035LabelMsg}},
  };
  for (const auto& tc : cases) EXPECT_EQ(tc.validator(tc.value, tc.prefix), tc.want) << tc.name;
}

}  // namespace
}  // namespace sluice::api
