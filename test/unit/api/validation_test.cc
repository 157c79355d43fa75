// Validation: object metadata and names, wrong JSON types, kinds without their own rules, the
// Status it returns, and robustness. The TEST_P of every validation_*_test.cc is here.
#include <string>
#include <vector>

#include "validation_fixtures.h"

namespace sluice::api {
namespace {

using namespace fixtures;

std::vector<ValidationCase> metadataCases() {
  return {
      // Deployment: metadata.
      {"seed deployment is valid", "Deployment", {}, std::nullopt, {}},
      {"deployment name must be a DNS subdomain",
       "Deployment",
       {{"/metadata/name", R"("Nginx_V1")"}},
       std::nullopt,
       {invalid("metadata.name", R"("Nginx_V1")", kDns1123SubdomainMsg)}},
      {"dots are fine in a subdomain",
       "Deployment",
       {{"/metadata/name", R"("nginx.v1")"}},
       std::nullopt,
       {}},
      {"name or generateName is required",
       "Deployment",
       {{"/metadata/name", std::string(kDelete)}},
       std::nullopt,
       {required("metadata.name", "name or generateName is required")}},
      {"generateName alone is fine",
       "Deployment",
       {{"/metadata/name", std::string(kDelete)}, {"/metadata/generateName", R"("nginx-")"}},
       std::nullopt,
       {}},
      {"generateName is a prefix of a DNS subdomain",
       "Deployment",
       {{"/metadata/name", std::string(kDelete)}, {"/metadata/generateName", R"("Nginx-")"}},
       std::nullopt,
       {invalid("metadata.generateName", R"("Nginx-")", kDns1123SubdomainMsg)}},
      {"namespace must be a DNS label",
       "Deployment",
       {{"/metadata/namespace", R"("blue.green")"}},
       std::nullopt,
       {invalid("metadata.namespace", R"("blue.green")", "must not contain dots")}},
      {"label value must be a valid label",
       "Deployment",
       {{"/metadata/labels/version", R"("-bad")"}},
       std::nullopt,
       {invalid("metadata.labels", R"("-bad")", kLabelValueMsg)}},
      {"label value at most 63 characters",
       "Deployment",
       {{"/metadata/labels/version", "\"" + repeat('a', 64) + "\""}},
       std::nullopt,
       {invalid("metadata.labels", "\"" + repeat('a', 64) + "\"",
                "must be no more than 63 characters")}},
      {"empty label value is fine",
       "Deployment",
       {{"/metadata/labels/tier", R"("")"}},
       std::nullopt,
       {}},
      {"label key name part",
       "Deployment",
       {{"/metadata/labels", R"({"bad key":"x"})"}},
       std::nullopt,
       {invalid("metadata.labels", R"("bad key")", kNamePartMsg)}},
      {"label key prefix must be a DNS subdomain",
       "Deployment",
       {{"/metadata/labels", R"({"Example.com/app":"x","example.com/app":"y"})"}},
       std::nullopt,
       {invalid("metadata.labels", R"("Example.com/app")", "prefix part " + kDns1123SubdomainMsg)}},
      {"label key with two slashes",
       "Deployment",
       {{"/metadata/labels", R"({"a/b/c":"x"})"}},
       std::nullopt,
       {invalid("metadata.labels", R"("a/b/c")",
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                "'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                "prefix and '/' (e.g. 'example.com/MyName')")}},
      {"annotation keys are case-insensitive qualified names",
       "Deployment",
       {{"/metadata/annotations", R"({"Example.com/Owner":"x","kubernetes.io/":"y"})"}},
       std::nullopt,
       {invalid("metadata.annotations", R"("kubernetes.io/")", "name part must be non-empty"),
        invalid("metadata.annotations", R"("kubernetes.io/")", kNamePartMsg)}},
      {"annotations at most 256 KiB",
       "Deployment",
       {{"/metadata/annotations", R"({"big":")" + repeat('x', 256 * 1024) + "\"}"}},
       std::nullopt,
       {"FieldValueTooLong | metadata.annotations | Too long: must have at most 262144 bytes"}},

      {"name is immutable",
       "Deployment",
       {{"/metadata/name", R"("nginx-v2")"}},
       Edits{},
       {invalid("metadata.name", R"("nginx-v2")", "field is immutable")}},
      // Malformed input: wrong JSON types are Invalid causes.
      {"replicas as a string",
       "Deployment",
       {{"/spec/replicas", R"("3")"}},
       std::nullopt,
       {invalid("spec.replicas", R"("3")", "must be of type integer")}},
      {"replicas as a float",
       "Deployment",
       {{"/spec/replicas", "1.5"}},
       std::nullopt,
       {invalid("spec.replicas", "1.5", "must be of type integer")}},
      {"labels as a list",
       "Deployment",
       {{"/metadata/labels", R"(["app"])"}},
       std::nullopt,
       {invalid("metadata.labels", R"(["app"])", "must be of type object")}},
      {"label value as a number",
       "Deployment",
       {{"/metadata/labels/version", "1"}},
       std::nullopt,
       {invalid("metadata.labels", "1", "must be of type string")}},
      {"containers as a string",
       "Deployment",
       {{"/spec/template/spec/containers", R"("nginx")"}},
       std::nullopt,
       {invalid("spec.template.spec.containers", R"("nginx")", "must be of type array")}},
      {"container as a string",
       "Deployment",
       {{"/spec/template/spec/containers", R"(["nginx"])"}},
       std::nullopt,
       {invalid("spec.template.spec.containers[0]", R"("nginx")", "must be of type object")}},
      {"maxSurge as a bool",
       "Deployment",
       {{"/spec/strategy/rollingUpdate/maxSurge", "true"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxSurge", "true",
                "must be of type integer or string")}},
      {"selector as a string",
       "Deployment",
       {{"/spec/selector", R"("app=nginx")"}},
       std::nullopt,
       {invalid("spec.selector", R"("app=nginx")", "must be of type object")}},

      // Namespace and the rest.
      {"namespace is valid", "Namespace", {}, std::nullopt, {}},
      {"namespace name must not contain dots",
       "Namespace",
       {{"/metadata/name", R"("blue.green")"}},
       std::nullopt,
       {invalid("metadata.name", R"("blue.green")", "must not contain dots")}},
      {"namespace name must be a DNS label",
       "Namespace",
       {{"/metadata/name", R"("Blue")"}},
       std::nullopt,
       {invalid("metadata.name", R"("Blue")", kDns1123LabelMsg)}},
      {"namespace name at most 63 characters",
       "Namespace",
       {{"/metadata/name", "\"" + repeat('a', 64) + "\""}},
       std::nullopt,
       // The defaulted kubernetes.io/metadata.name label repeats the name, and fails too.
       {invalid("metadata.name", "\"" + repeat('a', 64) + "\"",
                "must be no more than 63 characters"),
        invalid("metadata.labels", "\"" + repeat('a', 64) + "\"",
                "must be no more than 63 characters")}},
      {"endpoints are valid", "Endpoints", {}, std::nullopt, {}},
      {"endpoints name is a DNS subdomain",
       "Endpoints",
       {{"/metadata/name", R"("Nginx")"}},
       std::nullopt,
       {invalid("metadata.name", R"("Nginx")", kDns1123SubdomainMsg)}},
      {"metadata as a string",
       "Endpoints",
       {{"/metadata", R"("nginx")"}},
       std::nullopt,
       {invalid("metadata", R"("nginx")", "must be of type object"),
        required("metadata.name", "name or generateName is required")}},
      {"control characters are quoted as Go quotes them",
       "Endpoints",
       {{"/metadata/name", R"("a\tb\u0001\"é")"}},
       std::nullopt,
       {invalid("metadata.name", R"("a\tb\x01\"é")", kDns1123SubdomainMsg)}},
  };
}

TEST_P(ValidationTest, ReportsKubernetesCauses) {
  const auto& tc = GetParam();
  json::object object = defaulted(build(tc.kind, tc.edits), tc.kind);
  std::optional<json::object> old;
  if (tc.old) old = defaulted(build(tc.kind, *tc.old), tc.kind);
  Status status = validate(object, old ? &*old : nullptr, typeOf(tc.kind));
  EXPECT_EQ(causesOf(status), tc.want);
  if (!status.ok()) {
    EXPECT_EQ(status.error().code, 422);
    EXPECT_EQ(status.error().reason, "Invalid");
    EXPECT_EQ(status.error().kind, tc.kind);
  }
}

INSTANTIATE_TEST_SUITE_P(Metadata, ValidationTest, testing::ValuesIn(metadataCases()), caseName);

TEST(Validation, MessageNamesTheObjectAndTheField) {
  json::object object =
      defaulted(build("Deployment", {{"/spec/template/metadata/labels", R"({"app":"nginx"})"}}),
                "Deployment");
  Status status = validate(object, nullptr, typeOf("Deployment"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "The Deployment \"nginx-v1\" is invalid: spec.template.metadata.labels: Invalid "
            "value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template "
            "`labels`");
  EXPECT_EQ(status.error().group, "apps");
  EXPECT_EQ(status.error().name, "nginx-v1");
}

TEST(Validation, SeveralCausesAreListed) {
  json::object object = defaulted(
      build("Deployment", {{"/spec/replicas", "-1"}, {kContainerPtr + "/image", R"("")"}}),
      "Deployment");
  Status status = validate(object, nullptr, typeOf("Deployment"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "The Deployment \"nginx-v1\" is invalid: [spec.replicas: Invalid value: -1: must be "
            "greater than or equal to 0, spec.template.spec.containers[0].image: Required value]");
}

TEST(Validation, ObjectWithoutNameIsReportedWithEmptyName) {
  json::object object = defaulted(build("Pod", {{"/metadata", "{}"}}), "Pod");
  Status status = validate(object, nullptr, typeOf("Pod"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "The Pod \"\" is invalid: metadata.name: Required value: name or generateName is "
            "required");
}

// ---------------------------------------------------------------------------------------------
// Robustness: any member replaced by any JSON type neither throws nor breaks idempotence.

void collectPointers(const json::value& v, const std::string& at, std::vector<std::string>& out) {
  if (!at.empty()) out.push_back(at);
  if (const auto* object = v.if_object()) {
    for (const auto& kv : *object) {
      std::string key;
      for (char c : kv.key()) key += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      collectPointers(kv.value(), at + "/" + key, out);
    }
  } else if (const auto* array = v.if_array()) {
    for (size_t i = 0; i < array->size(); ++i)
      collectPointers((*array)[i], at + "/" + std::to_string(i), out);
  }
}

TEST(Robustness, EveryMemberOfEveryTypeIsHandled) {
  const std::vector<std::string> replacements = {"null",
                                                 R"("")",
                                                 R"("x")",
                                                 "0",
                                                 "-1",
                                                 "70000",
                                                 "1.5",
                                                 "true",
                                                 "[]",
                                                 "{}",
                                                 "[1]",
                                                 R"({"a":1})",
                                                 "18446744073709551615"};
  size_t runs = 0;
  for (std::string_view kind :
       {"Deployment", "ReplicaSet", "Pod", "Service", "Namespace", "Endpoints"}) {
    json::value base = defaulted(build(kind, {}), kind);
    std::vector<std::string> pointers;
    collectPointers(base, "", pointers);
    for (const auto& pointer : pointers) {
      for (const auto& replacement : replacements) {
        json::value edited = base;
        boost::system::error_code ec;
        json::value* target = edited.find_pointer(pointer, ec);
        ASSERT_NE(target, nullptr) << pointer;
        *target = json::parse(replacement);
        json::object object = edited.as_object();
        ASSERT_NO_THROW(applyDefaults(object, typeOf(kind))) << kind << " " << pointer;
        json::object again = object;
        applyDefaults(again, typeOf(kind));
        EXPECT_EQ(again, object) << kind << " " << pointer << " = " << replacement;
        ASSERT_NO_THROW(validate(object, &base.as_object(), typeOf(kind)))
            << kind << " " << pointer << " = " << replacement;
        ASSERT_NO_THROW(validate(base.as_object(), &object, typeOf(kind)))
            << kind << " " << pointer << " = " << replacement;
        ++runs;
      }
    }
  }
  EXPECT_GT(runs, 1000u);
}

TEST(Robustness, NonObjectsWhereObjectsBelong) {
  for (std::string_view kind : {"Deployment", "ReplicaSet", "Pod", "Service", "Namespace"}) {
    for (std::string_view text :
         {"{}", R"({"metadata":[]})", R"({"metadata":{"name":"x"},"spec":7})",
          R"({"metadata":{"name":"x"},"spec":{"template":"t","selector":[]}})",
          R"({"metadata":{"name":"x"},"spec":{"ports":{"port":80},"containers":{}}})"}) {
      json::object object = json::parse(text).as_object();
      ASSERT_NO_THROW(applyDefaults(object, typeOf(kind))) << kind << " " << text;
      Status status = Status();
      ASSERT_NO_THROW(status = validate(object, nullptr, typeOf(kind))) << kind << " " << text;
      // A Namespace has nothing to validate beyond its metadata.
      if (kind != "Namespace" || text == "{}") {
        EXPECT_FALSE(status.ok()) << kind << " " << text;
      }
    }
  }
}

}  // namespace
}  // namespace sluice::api
