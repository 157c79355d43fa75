#include "api/validation.h"
#include "api/defaulting.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/resources.h"

namespace sluice::api {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Fixtures: one valid object per kind (the seed's manifests), edited per case by JSON pointer.

constexpr std::string_view kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "nginx-v1", "namespace": "default",
               "labels": {"app": "nginx", "version": "v1"}},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "nginx", "version": "v1"}},
    "template": {
      "metadata": {"labels": {"app": "nginx", "version": "v1"}},
      "spec": {
        "containers": [{
          "name": "nginx", "image": "registry.example/nginx:v1",
          "ports": [{"containerPort": 80}],
          "resources": {"limits": {"cpu": "250m", "memory": "128Mi"},
                        "requests": {"cpu": "100m", "memory": "64Mi"}}
        }],
        "imagePullSecrets": [{"name": "regcred"}]
      }
    }
  }
})";

constexpr std::string_view kReplicaSet = R"({
  "apiVersion": "apps/v1", "kind": "ReplicaSet",
  "metadata": {"name": "nginx-v1-5d4f8b7c9", "namespace": "default"},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": "5d4f8b7c9"}},
    "template": {
      "metadata": {"labels": {"app": "nginx", "pod-template-hash": "5d4f8b7c9"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
    }
  }
})";

constexpr std::string_view kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "nginx-v1-5d4f8b7c9-x2x7k", "namespace": "default",
               "labels": {"app": "nginx"}},
  "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                           "ports": [{"name": "http", "containerPort": 80}]}]}
})";

constexpr std::string_view kService = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "nginx", "namespace": "default",
               "annotations": {"kubernetes.io/elb.id": "2d48d034-6046-48db-8bb2-3c91e3d3ef70"}},
  "spec": {"type": "LoadBalancer", "selector": {"app": "nginx"},
           "ports": [{"name": "http", "port": 80, "targetPort": 80}]}
})";

constexpr std::string_view kNamespace = R"({
  "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "blue-green"}
})";

constexpr std::string_view kEndpoints = R"({
  "apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "nginx", "namespace": "default"},
  "subsets": [{"addresses": [{"ip": "127.1.0.5"}], "ports": [{"port": 80}]}]
})";

std::string_view baseOf(std::string_view kind) {
  if (kind == "Deployment") return kDeployment;
  if (kind == "ReplicaSet") return kReplicaSet;
  if (kind == "Pod") return kPod;
  if (kind == "Service") return kService;
  if (kind == "Namespace") return kNamespace;
  return kEndpoints;
}

const ResourceType& typeOf(std::string_view kind) {
  const ResourceType* type = findByKind(kind);
  if (!type) throw std::logic_error("unknown kind in test: " + std::string(kind));
  return *type;
}

// One edit: the JSON text to put at a JSON pointer, or kDelete to remove the member.
using Edits = std::vector<std::pair<std::string, std::string>>;
constexpr std::string_view kDelete = "<delete>";

void setAt(json::value& root, std::string_view pointer, const std::string& text) {
  json::value* at = &root;
  while (!pointer.empty()) {
    pointer.remove_prefix(1);  // '/'
    size_t end = pointer.find('/');
    std::string token(pointer.substr(0, end));
    pointer = end == std::string_view::npos ? std::string_view() : pointer.substr(end);
    bool last = pointer.empty();
    if (at->is_null()) at->emplace_object();
    if (auto* object = at->if_object()) {
      if (last && text == kDelete) {
        object->erase(token);
        return;
      }
      at = &(*object)[token];
    } else {
      auto& array = at->as_array();
      size_t i = token == "-" ? array.size() : std::stoul(token);
      if (i == array.size()) array.emplace_back(nullptr);
      if (last && text == kDelete) {
        array.erase(array.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
      at = &array.at(i);
    }
  }
  *at = json::parse(text);
}

json::object build(std::string_view kind, const Edits& edits) {
  json::value v = json::parse(baseOf(kind));
  for (const auto& [pointer, text] : edits) setAt(v, pointer, text);
  return v.as_object();
}

json::object defaulted(json::object object, std::string_view kind) {
  applyDefaults(object, typeOf(kind));
  return object;
}

// Causes as "type | field | message" lines, which diff readably when a case fails.
std::vector<std::string> lines(const std::vector<Cause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes) out.push_back(c.type + " | " + c.field + " | " + c.message);
  return out;
}

std::vector<std::string> causesOf(const Status& status) {
  return status.ok() ? std::vector<std::string>{} : lines(status.error().causes);
}

std::string repeat(char c, size_t n) {
  return std::string(n, c);
}

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
const std::string kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kNamePartMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kPortRangeMsg = "must be between 1 and 65535, inclusive";
const std::string kPortCharsetMsg =
    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
const std::string kSelectorMismatch = "`selector` does not match template `labels`";

std::string invalid(const std::string& field, const std::string& value, const std::string& why) {
  return "FieldValueInvalid | " + field + " | Invalid value: " + value + ": " + why;
}
std::string required(const std::string& field, const std::string& detail = "") {
  return "FieldValueRequired | " + field + " | Required value" +
         (detail.empty() ? "" : ": " + detail);
}
std::string duplicate(const std::string& field, const std::string& value) {
  return "FieldValueDuplicate | " + field + " | Duplicate value: " + value;
}
std::string notSupported(const std::string& field, const std::string& value,
                         const std::string& supported) {
  return "FieldValueNotSupported | " + field + " | Unsupported value: " + value +
         ": supported values: " + supported;
}
std::string forbidden(const std::string& field, const std::string& detail) {
  return "FieldValueForbidden | " + field + " | Forbidden: " + detail;
}

const std::string kContainer = "spec.template.spec.containers[0]";
const std::string kContainerPtr = "/spec/template/spec/containers/0";

// ---------------------------------------------------------------------------------------------
// Defaulting.

struct DefaultingCase {
  std::string name;
  std::string kind;
  Edits edits;
  // JSON pointer -> expected JSON text, or kDelete for "absent".
  std::vector<std::pair<std::string, std::string>> expect;
};

std::vector<DefaultingCase> defaultingCases() {
  const std::string tmpl = "/spec/template/spec";
  const std::string c0 = tmpl + "/containers/0";
  return {
      {"deployment gets the apps/v1 defaults",
       "Deployment",
       {},
       {{"/spec/replicas", "2"},
        {"/spec/strategy",
         R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}})"},
        {"/spec/revisionHistoryLimit", "10"},
        {"/spec/progressDeadlineSeconds", "600"},
        {tmpl + "/restartPolicy", R"("Always")"},
        {tmpl + "/terminationGracePeriodSeconds", "30"},
        {tmpl + "/dnsPolicy", R"("ClusterFirst")"},
        {tmpl + "/schedulerName", R"("default-scheduler")"},
        {tmpl + "/securityContext", "{}"},
        {tmpl + "/enableServiceLinks", std::string(kDelete)},
        {c0 + "/imagePullPolicy", R"("IfNotPresent")"},
        {c0 + "/terminationMessagePath", R"("/dev/termination-log")"},
        {c0 + "/terminationMessagePolicy", R"("File")"},
        {c0 + "/ports/0/protocol", R"("TCP")"}}},
      {"deployment without replicas gets one",
       "Deployment",
       {{"/spec/replicas", std::string(kDelete)}},
       {{"/spec/replicas", "1"}}},
      {"null reads as unset",
       "Deployment",
       {{"/spec/replicas", "null"}, {"/spec/revisionHistoryLimit", "null"}},
       {{"/spec/replicas", "1"}, {"/spec/revisionHistoryLimit", "10"}}},
      {"what the user set is kept, zeros included",
       "Deployment",
       {{"/spec/replicas", "0"},
        {"/spec/revisionHistoryLimit", "0"},
        {"/spec/progressDeadlineSeconds", "120"},
        {"/spec/strategy", R"({"rollingUpdate":{"maxSurge":0}})"},
        {tmpl + "/terminationGracePeriodSeconds", "0"},
        {tmpl + "/restartPolicy", R"("Always")"},
        {tmpl + "/securityContext", R"({"runAsNonRoot":true})"},
        {c0 + "/imagePullPolicy", R"("Never")"},
        {c0 + "/ports/0/protocol", R"("UDP")"}},
       {{"/spec/replicas", "0"},
        {"/spec/revisionHistoryLimit", "0"},
        {"/spec/progressDeadlineSeconds", "120"},
        {"/spec/strategy",
         R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":0,"maxUnavailable":"25%"}})"},
        {tmpl + "/terminationGracePeriodSeconds", "0"},
        {tmpl + "/securityContext", R"({"runAsNonRoot":true})"},
        {c0 + "/imagePullPolicy", R"("Never")"},
        {c0 + "/ports/0/protocol", R"("UDP")"}}},
      {"Recreate gets no rollingUpdate",
       "Deployment",
       {{"/spec/strategy", R"({"type":"Recreate"})"}},
       {{"/spec/strategy", R"({"type":"Recreate"})"}}},
      {"a deployment without a spec gets one",
       "Deployment",
       {{"/spec", std::string(kDelete)}},
       {{"/spec/replicas", "1"},
        {"/spec/template/spec/restartPolicy", R"("Always")"},
        {"/spec/template/spec/containers", std::string(kDelete)}}},
      {"pull policy follows the image tag",
       "Pod",
       {{"/spec/containers",
         R"([{"name":"a","image":"nginx"},{"name":"b","image":"nginx:latest"},
             {"name":"c","image":"nginx:1.25"},{"name":"d","image":"localhost:5000/nginx"},
             {"name":"e","image":"localhost:5000/nginx:v2"},
             {"name":"f","image":"nginx@sha256:0123456789abcdef"},
             {"name":"g","image":"nginx:latest@sha256:0123456789abcdef"},{"name":"h"}])"}},
       {{"/spec/containers/0/imagePullPolicy", R"("Always")"},
        {"/spec/containers/1/imagePullPolicy", R"("Always")"},
        {"/spec/containers/2/imagePullPolicy", R"("IfNotPresent")"},
        {"/spec/containers/3/imagePullPolicy", R"("Always")"},
        {"/spec/containers/4/imagePullPolicy", R"("IfNotPresent")"},
        {"/spec/containers/5/imagePullPolicy", R"("IfNotPresent")"},
        {"/spec/containers/6/imagePullPolicy", R"("Always")"},
        {"/spec/containers/7/imagePullPolicy", R"("IfNotPresent")"}}},
      {"probes get their periods, thresholds and HTTP scheme",
       "Pod",
       {{"/spec/containers/0/livenessProbe", R"({"httpGet":{"port":80}})"},
        {"/spec/containers/0/readinessProbe",
         R"({"tcpSocket":{"port":"http"},"periodSeconds":5})"}},
       {{"/spec/containers/0/livenessProbe",
         R"({"httpGet":{"port":80,"path":"/","scheme":"HTTP"},"timeoutSeconds":1,
             "periodSeconds":10,"successThreshold":1,"failureThreshold":3})"},
        {"/spec/containers/0/readinessProbe",
         R"({"tcpSocket":{"port":"http"},"periodSeconds":5,"timeoutSeconds":1,
             "successThreshold":1,"failureThreshold":3})"}}},
      {"pod: service links on, requests default to limits",
       "Pod",
       {{"/spec/containers/0/resources",
         R"({"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}})"}},
       {{"/spec/enableServiceLinks", "true"},
        {"/spec/containers/0/resources/requests", R"({"cpu":"500m","memory":"1Gi"})"},
        {"/spec/restartPolicy", R"("Always")"}}},
      {"volumes: a bare volume is an emptyDir, file modes default to 0644",
       "Pod",
       {{"/spec/volumes",
         R"([{"name":"scratch"},{"name":"conf","configMap":{"name":"nginx-conf"}},
             {"name":"tls","secret":{"secretName":"tls","defaultMode":256}}])"}},
       {{"/spec/volumes/0/emptyDir", "{}"},
        {"/spec/volumes/1/configMap/defaultMode", "420"},
        {"/spec/volumes/2/secret/defaultMode", "256"}}},
      {"service: ClusterIP defaults",
       "Service",
       {{"/spec", R"({"selector":{"app":"nginx"},"ports":[{"port":80},
                     {"name":"metrics","port":9090,"targetPort":"metrics","protocol":"UDP"}]})"}},
       {{"/spec/type", R"("ClusterIP")"},
        {"/spec/sessionAffinity", R"("None")"},
        {"/spec/ports/0/protocol", R"("TCP")"},
        {"/spec/ports/0/targetPort", "80"},
        {"/spec/ports/1/targetPort", R"("metrics")"},
        {"/spec/ports/1/protocol", R"("UDP")"},
        {"/spec/internalTrafficPolicy", R"("Cluster")"},
        {"/spec/ipFamilyPolicy", R"("SingleStack")"},
        {"/spec/ipFamilies", R"(["IPv4"])"},
        {"/spec/externalTrafficPolicy", std::string(kDelete)},
        {"/spec/allocateLoadBalancerNodePorts", std::string(kDelete)},
        {"/spec/clusterIPs", std::string(kDelete)}}},
      {"service: LoadBalancer defaults",
       "Service",
       {},
       {{"/spec/type", R"("LoadBalancer")"},
        {"/spec/externalTrafficPolicy", R"("Cluster")"},
        {"/spec/internalTrafficPolicy", R"("Cluster")"},
        {"/spec/allocateLoadBalancerNodePorts", "true"}}},
      {"service: targetPort 0 or empty means the port",
       "Service",
       {{"/spec/ports",
         R"([{"name":"a","port":80,"targetPort":0},{"name":"b","port":81,"targetPort":""}])"}},
       {{"/spec/ports/0/targetPort", "80"}, {"/spec/ports/1/targetPort", "81"}}},
      {"service: a chosen cluster IP fills clusterIPs and the family",
       "Service",
       {{"/spec/clusterIP", R"("fd00::10")"}},
       {{"/spec/clusterIPs", R"(["fd00::10"])"}, {"/spec/ipFamilies", R"(["IPv6"])"}}},
      {"service: ExternalName has no IP families or traffic policy",
       "Service",
       {{"/spec", R"({"type":"ExternalName","externalName":"db.example.com"})"}},
       {{"/spec/ipFamilies", std::string(kDelete)},
        {"/spec/ipFamilyPolicy", std::string(kDelete)},
        {"/spec/internalTrafficPolicy", std::string(kDelete)},
        {"/spec/sessionAffinity", R"("None")"}}},
      {"service: ClientIP affinity gets its timeout",
       "Service",
       {{"/spec/sessionAffinity", R"("ClientIP")"}},
       {{"/spec/sessionAffinityConfig", R"({"clientIP":{"timeoutSeconds":10800}})"}}},
      {"namespace: finalizer, phase and name label",
       "Namespace",
       {},
       {{"/spec/finalizers", R"(["kubernetes"])"},
        {"/status/phase", R"("Active")"},
        {"/metadata/labels", R"({"kubernetes.io/metadata.name":"blue-green"})"}}},
      {"namespace being finalized keeps its state",
       "Namespace",
       {{"/spec/finalizers", "[]"}, {"/status/phase", R"("Terminating")"}},
       {{"/spec/finalizers", "[]"}, {"/status/phase", R"("Terminating")"}}},
      {"replicaset: replicas and the pod template",
       "ReplicaSet",
       {{"/spec/replicas", std::string(kDelete)}},
       {{"/spec/replicas", "1"},
        {"/spec/template/spec/restartPolicy", R"("Always")"},
        {"/spec/template/spec/containers/0/imagePullPolicy", R"("IfNotPresent")"}}},
      {"endpoints are left alone", "Endpoints", {}, {{"/metadata/labels", std::string(kDelete)}}},
  };
}

void PrintTo(const DefaultingCase& tc, std::ostream* os) {
  *os << tc.name;
}

class DefaultingTest : public testing::TestWithParam<DefaultingCase> {};

TEST_P(DefaultingTest, FillsWhatTheApiServerFills) {
  const auto& tc = GetParam();
  json::value object = defaulted(build(tc.kind, tc.edits), tc.kind);
  for (const auto& [pointer, want] : tc.expect) {
    boost::system::error_code ec;
    const json::value* got = object.find_pointer(pointer, ec);
    if (want == kDelete) {
      EXPECT_EQ(got, nullptr) << pointer << " = " << (got ? json::serialize(*got) : "");
    } else {
      ASSERT_NE(got, nullptr) << pointer << " missing in " << object;
      EXPECT_EQ(*got, json::parse(want)) << pointer << ": " << json::serialize(*got);
    }
  }
}

TEST_P(DefaultingTest, IsIdempotent) {
  const auto& tc = GetParam();
  json::object once = defaulted(build(tc.kind, tc.edits), tc.kind);
  EXPECT_EQ(defaulted(once, tc.kind), once);
}

INSTANTIATE_TEST_SUITE_P(Cases, DefaultingTest, testing::ValuesIn(defaultingCases()),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param.name)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// The seed's Deployment after defaulting is what `kubectl get deploy -o yaml` shows from a real
// API server (kubectl-transcripts/1.33/09-get-deploy-yaml.txt, spec only).
TEST(Defaulting, SeedDeploymentMatchesRealServer) {
  json::object object = defaulted(build("Deployment", {}), "Deployment");
  json::value want = json::parse(R"({
    "progressDeadlineSeconds": 600, "replicas": 2, "revisionHistoryLimit": 10,
    "selector": {"matchLabels": {"app": "nginx", "version": "v1"}},
    "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                 "type": "RollingUpdate"},
    "template": {
      "metadata": {"labels": {"app": "nginx", "version": "v1"}},
      "spec": {
        "containers": [{
          "image": "registry.example/nginx:v1", "imagePullPolicy": "IfNotPresent",
          "name": "nginx", "ports": [{"containerPort": 80, "protocol": "TCP"}],
          "resources": {"limits": {"cpu": "250m", "memory": "128Mi"},
                        "requests": {"cpu": "100m", "memory": "64Mi"}},
          "terminationMessagePath": "/dev/termination-log",
          "terminationMessagePolicy": "File"
        }],
        "dnsPolicy": "ClusterFirst", "imagePullSecrets": [{"name": "regcred"}],
        "restartPolicy": "Always", "schedulerName": "default-scheduler",
        "securityContext": {}, "terminationGracePeriodSeconds": 30
      }
    }
  })");
  EXPECT_EQ(object.at("spec"), want) << json::serialize(object.at("spec"));
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct ValidationCase {
  std::string name;
  std::string kind;
  Edits edits;                    // applied to the kind's valid object
  std::optional<Edits> old;       // on update: the stored object (valid object + these edits)
  std::vector<std::string> want;  // causes; empty when valid
};

std::vector<ValidationCase> validationCases() {
  const std::string deployLabels = R"(map[string]string{"app":"nginx", "version":"v1"})";
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

      // Deployment: spec.
      {"replicas must not be negative",
       "Deployment",
       {{"/spec/replicas", "-1"}},
       std::nullopt,
       {invalid("spec.replicas", "-1", "must be greater than or equal to 0")}},
      {"replicas 0 is fine", "Deployment", {{"/spec/replicas", "0"}}, std::nullopt, {}},
      {"selector must match the template labels",
       "Deployment",
       {{"/spec/template/metadata/labels", R"({"app":"nginx"})"}},
       std::nullopt,
       {invalid("spec.template.metadata.labels", R"(map[string]string{"app":"nginx"})",
                kSelectorMismatch)}},
      {"template without labels",
       "Deployment",
       {{"/spec/template/metadata", std::string(kDelete)}},
       std::nullopt,
       {invalid("spec.template.metadata.labels", "map[string]string(nil)", kSelectorMismatch)}},
      {"selector is required",
       "Deployment",
       {{"/spec/selector", std::string(kDelete)}},
       std::nullopt,
       {required("spec.selector"),
        invalid("spec.template.metadata.labels", deployLabels, kSelectorMismatch)}},
      {"empty selector",
       "Deployment",
       {{"/spec/selector", "{}"}},
       std::nullopt,
       {invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string(nil), "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                "empty selector is invalid for deployment")}},
      {"selector expressions match",
       "Deployment",
       {{"/spec/selector",
         R"({"matchExpressions":[{"key":"app","operator":"In","values":["nginx","web"]},
             {"key":"canary","operator":"DoesNotExist"},
             {"key":"version","operator":"NotIn","values":["v0"]},
             {"key":"version","operator":"Exists"}]})"}},
       std::nullopt,
       {}},
      {"selector expression that does not match",
       "Deployment",
       {{"/spec/selector",
         R"({"matchLabels":{"app":"nginx"},
             "matchExpressions":[{"key":"version","operator":"NotIn","values":["v1"]}]})"}},
       std::nullopt,
       {invalid("spec.template.metadata.labels", deployLabels, kSelectorMismatch)}},
      {"unknown selector operator",
       "Deployment",
       {{"/spec/selector",
         R"({"matchLabels":{"app":"nginx"},
             "matchExpressions":[{"key":"version","operator":"Equals","values":["v1"]}]})"}},
       std::nullopt,
       {invalid("spec.selector.matchExpressions[0].operator", R"("Equals")",
                "not a valid selector operator"),
        invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx\"}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{"
                "Key:\"version\", Operator:\"Equals\", Values:[]string{\"v1\"}}}}",
                "invalid label selector")}},
      {"In needs values",
       "Deployment",
       {{"/spec/selector", R"({"matchExpressions":[{"key":"app","operator":"In"}]})"}},
       std::nullopt,
       {required("spec.selector.matchExpressions[0].values",
                 "must be specified when `operator` is 'In' or 'NotIn'"),
        invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string(nil), "
                "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{"
                "Key:\"app\", Operator:\"In\", Values:[]string(nil)}}}",
                "invalid label selector")}},
      {"Exists takes no values",
       "Deployment",
       {{"/spec/selector",
         R"({"matchExpressions":[{"key":"app","operator":"Exists","values":["x"]}]})"}},
       std::nullopt,
       {forbidden("spec.selector.matchExpressions[0].values",
                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string(nil), "
                "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{"
                "Key:\"app\", Operator:\"Exists\", Values:[]string{\"x\"}}}}",
                "invalid label selector")}},
      {"template labels are reported at spec.template.labels",
       "Deployment",
       {{"/spec/template/metadata/labels/tier", R"("-x")"}},
       std::nullopt,
       {invalid("spec.template.labels", R"("-x")", kLabelValueMsg)}},
      {"template restartPolicy must be Always",
       "Deployment",
       {{"/spec/template/spec/restartPolicy", R"("Never")"}},
       std::nullopt,
       {notSupported("spec.template.spec.restartPolicy", R"("Never")", R"("Always")")}},
      {"template activeDeadlineSeconds is forbidden",
       "Deployment",
       {{"/spec/template/spec/activeDeadlineSeconds", "30"}},
       std::nullopt,
       {forbidden("spec.template.spec.activeDeadlineSeconds",
                  "activeDeadlineSeconds in ReplicaSet is not Supported")}},
      {"maxSurge and maxUnavailable both 0",
       "Deployment",
       {{"/spec/strategy/rollingUpdate", R"({"maxSurge":0,"maxUnavailable":0})"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxUnavailable",
                R"(intstr.IntOrString{Type:0, IntVal:0, StrVal:""})",
                "may not be 0 when `maxSurge` is 0")}},
      {"maxSurge and maxUnavailable both 0%",
       "Deployment",
       {{"/spec/strategy/rollingUpdate", R"({"maxSurge":"0%","maxUnavailable":"0%"})"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxUnavailable",
                R"(intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"})",
                "may not be 0 when `maxSurge` is 0")}},
      {"maxUnavailable 0 with a surge is fine",
       "Deployment",
       {{"/spec/strategy/rollingUpdate", R"({"maxSurge":1,"maxUnavailable":0})"}},
       std::nullopt,
       {}},
      {"maxUnavailable must be a percentage when a string",
       "Deployment",
       {{"/spec/strategy/rollingUpdate/maxUnavailable", R"("25percent")"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxUnavailable",
                R"(intstr.IntOrString{Type:1, IntVal:0, StrVal:"25percent"})",
                "a valid percent string must be a numeric string followed by an ending '%' "
                "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}},
      {"maxUnavailable at most 100%",
       "Deployment",
       {{"/spec/strategy/rollingUpdate/maxUnavailable", R"("120%")"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxUnavailable",
                R"(intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"})",
                "must not be greater than 100%")}},
      {"maxSurge must not be negative",
       "Deployment",
       {{"/spec/strategy/rollingUpdate/maxSurge", "-1"}},
       std::nullopt,
       {invalid("spec.strategy.rollingUpdate.maxSurge", "-1",
                "must be greater than or equal to 0")}},
      {"Recreate takes no rollingUpdate",
       "Deployment",
       {{"/spec/strategy", R"({"type":"Recreate","rollingUpdate":{"maxSurge":1}})"}},
       std::nullopt,
       {forbidden("spec.strategy.rollingUpdate",
                  "may not be specified when strategy `type` is 'Recreate'")}},
      {"unknown strategy type",
       "Deployment",
       {{"/spec/strategy", R"({"type":"BlueGreen"})"}},
       std::nullopt,
       {notSupported("spec.strategy",
                     R"(apps.DeploymentStrategy{Type:"BlueGreen", )"
                     R"(RollingUpdate:(*apps.RollingUpdateDeployment)(nil)})",
                     R"("Recreate", "RollingUpdate")")}},
      {"progressDeadlineSeconds must exceed minReadySeconds",
       "Deployment",
       {{"/spec/minReadySeconds", "600"}},
       std::nullopt,
       {invalid("spec.progressDeadlineSeconds", "600", "must be greater than minReadySeconds")}},
      {"revisionHistoryLimit must not be negative",
       "Deployment",
       {{"/spec/revisionHistoryLimit", "-1"}},
       std::nullopt,
       {invalid("spec.revisionHistoryLimit", "-1", "must be greater than or equal to 0")}},

      // Deployment: containers.
      {"containers are required",
       "Deployment",
       {{"/spec/template/spec/containers", "[]"}},
       std::nullopt,
       {required("spec.template.spec.containers")}},
      {"container name and image are required",
       "Deployment",
       {{"/spec/template/spec/containers", "[{}]"}},
       std::nullopt,
       {required(kContainer + ".name"), required(kContainer + ".image")}},
      {"container name must be a DNS label",
       "Deployment",
       {{kContainerPtr + "/name", R"("Nginx_V1")"}},
       std::nullopt,
       {invalid(kContainer + ".name", R"("Nginx_V1")", kDns1123LabelMsg)}},
      {"container names must be unique",
       "Deployment",
       {{"/spec/template/spec/containers",
         R"([{"name":"nginx","image":"a"},{"name":"nginx","image":"b"}])"}},
       std::nullopt,
       {duplicate("spec.template.spec.containers[1].name", R"("nginx")")}},
      {"container port in range",
       "Deployment",
       {{kContainerPtr + "/ports/0/containerPort", "70000"}},
       std::nullopt,
       {invalid(kContainer + ".ports[0].containerPort", "70000", kPortRangeMsg)}},
      {"container port is required",
       "Deployment",
       {{kContainerPtr + "/ports/0", R"({"name":"http"})"}},
       std::nullopt,
       {required(kContainer + ".ports[0].containerPort")}},
      {"container port names are unique IANA names",
       "Deployment",
       {{kContainerPtr + "/ports",
         R"([{"name":"http","containerPort":80},{"name":"http","containerPort":81},
             {"name":"a--b","containerPort":82}])"}},
       std::nullopt,
       {duplicate(kContainer + ".ports[1].name", R"("http")"),
        invalid(kContainer + ".ports[2].name", R"("a--b")",
                "must not contain consecutive hyphens")}},
      {"host port in range",
       "Deployment",
       {{kContainerPtr + "/ports/0/hostPort", "-8"}},
       std::nullopt,
       {invalid(kContainer + ".ports[0].hostPort", "-8", kPortRangeMsg)}},
      {"port protocol",
       "Deployment",
       {{kContainerPtr + "/ports/0/protocol", R"("HTTP")"}},
       std::nullopt,
       {notSupported(kContainer + ".ports[0].protocol", R"("HTTP")", R"("SCTP", "TCP", "UDP")")}},
      {"imagePullPolicy",
       "Deployment",
       {{kContainerPtr + "/imagePullPolicy", R"("Sometimes")"}},
       std::nullopt,
       {notSupported(kContainer + ".imagePullPolicy", R"("Sometimes")",
                     R"("Always", "IfNotPresent", "Never")")}},
      {"env var names are required",
       "Deployment",
       {{kContainerPtr + "/env", R"([{"value":"x"},{"name":"A=B"},{"name":"OK_1"}])"}},
       std::nullopt,
       {required(kContainer + ".env[0].name"),
        invalid(kContainer + ".env[1].name", R"("A=B")",
                "a valid environment variable name must consist only of printable ASCII "
                "characters other than '='")}},
      {"volume mounts refer to volumes",
       "Deployment",
       {{kContainerPtr + "/volumeMounts",
         R"([{"name":"data","mountPath":"/data"},{"name":"conf","mountPath":"/data"}])"},
        {"/spec/template/spec/volumes", R"([{"name":"conf","configMap":{"name":"c"}}])"}},
       std::nullopt,
       {"FieldValueNotFound | " + kContainer + ".volumeMounts[0].name | Not found: \"data\"",
        invalid(kContainer + ".volumeMounts[1].mountPath", R"("/data")", "must be unique")}},
      {"volume names are unique DNS labels",
       "Deployment",
       {{"/spec/template/spec/volumes",
         R"([{"name":"conf","emptyDir":{}},{"name":"conf","emptyDir":{}},
             {"name":"Conf","emptyDir":{}}])"}},
       std::nullopt,
       {duplicate("spec.template.spec.volumes[1].name", R"("conf")"),
        invalid("spec.template.spec.volumes[2].name", R"("Conf")", kDns1123LabelMsg)}},

      // Deployment: probes.
      {"probes are fine with one handler",
       "Deployment",
       {{kContainerPtr + "/livenessProbe", R"({"httpGet":{"port":"http","path":"/healthz"}})"},
        {kContainerPtr + "/readinessProbe", R"({"tcpSocket":{"port":80}})"},
        {kContainerPtr + "/startupProbe", R"({"exec":{"command":["true"]}})"}},
       std::nullopt,
       {}},
      {"a probe needs a handler",
       "Deployment",
       {{kContainerPtr + "/livenessProbe", R"({"initialDelaySeconds":5})"}},
       std::nullopt,
       {required(kContainer + ".livenessProbe", "must specify a handler type")}},
      {"a probe has one handler",
       "Deployment",
       {{kContainerPtr + "/livenessProbe", R"({"httpGet":{"port":80},"tcpSocket":{"port":80}})"}},
       std::nullopt,
       {forbidden(kContainer + ".livenessProbe.tcpSocket",
                  "may not specify more than 1 handler type")}},
      {"liveness successThreshold must be 1",
       "Deployment",
       {{kContainerPtr + "/livenessProbe", R"({"httpGet":{"port":80},"successThreshold":2})"},
        {kContainerPtr + "/readinessProbe", R"({"httpGet":{"port":80},"successThreshold":2})"}},
       std::nullopt,
       {invalid(kContainer + ".livenessProbe.successThreshold", "2", "must be 1")}},
      {"probe ports",
       "Deployment",
       {{kContainerPtr + "/livenessProbe", R"({"tcpSocket":{"port":"HTTP_PORT"}})"},
        {kContainerPtr + "/readinessProbe", R"({"httpGet":{"port":0,"scheme":"FTP"}})"}},
       std::nullopt,
       {invalid(kContainer + ".livenessProbe.tcpSocket.port", R"("HTTP_PORT")", kPortCharsetMsg),
        invalid(kContainer + ".livenessProbe.tcpSocket.port", R"("HTTP_PORT")",
                "must contain at least one letter (a-z)"),
        invalid(kContainer + ".readinessProbe.httpGet.port", "0", kPortRangeMsg),
        notSupported(kContainer + ".readinessProbe.httpGet.scheme", R"("FTP")",
                     R"("HTTP", "HTTPS")")}},
      {"probe periods must not be negative",
       "Deployment",
       {{kContainerPtr + "/readinessProbe", R"({"exec":{"command":["true"]},"periodSeconds":-1})"}},
       std::nullopt,
       {invalid(kContainer + ".readinessProbe.periodSeconds", "-1",
                "must be greater than or equal to 0")}},
      {"exec needs a command",
       "Deployment",
       {{kContainerPtr + "/readinessProbe", R"({"exec":{"command":[]}})"}},
       std::nullopt,
       {required(kContainer + ".readinessProbe.exec.command")}},

      // Deployment: updates.
      {"selector is immutable",
       "Deployment",
       {{"/spec/selector/matchLabels/version", R"("v2")"},
        {"/spec/template/metadata/labels/version", R"("v2")"}},
       Edits{},
       {invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx\", "
                "\"version\":\"v2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                "field is immutable")}},
      {"updates that keep the selector are fine",
       "Deployment",
       {{"/spec/replicas", "5"}, {"/spec/selector/matchExpressions", "[]"}},
       Edits{},
       {}},
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

      // ReplicaSet.
      {"replicaset is valid", "ReplicaSet", {}, std::nullopt, {}},
      {"replicaset empty selector (Kubernetes says deployment here too)",
       "ReplicaSet",
       {{"/spec/selector", R"({"matchLabels":{}})"}},
       std::nullopt,
       {invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string{}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                "empty selector is invalid for deployment")}},
      {"replicaset selector is immutable",
       "ReplicaSet",
       {{"/spec/selector/matchLabels/app", R"("web")"},
        {"/spec/template/metadata/labels/app", R"("web")"}},
       Edits{},
       {invalid("spec.selector",
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", "
                "\"pod-template-hash\":\"5d4f8b7c9\"}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                "field is immutable")}},
      {"replicaset replicas",
       "ReplicaSet",
       {{"/spec/replicas", "-3"}},
       std::nullopt,
       {invalid("spec.replicas", "-3", "must be greater than or equal to 0")}},

      // Pod.
      {"pod is valid", "Pod", {}, std::nullopt, {}},
      {"pod restartPolicy Never is fine",
       "Pod",
       {{"/spec/restartPolicy", R"("Never")"}},
       std::nullopt,
       {}},
      {"pod restartPolicy",
       "Pod",
       {{"/spec/restartPolicy", R"("Sometimes")"}},
       std::nullopt,
       {notSupported("spec.restartPolicy", R"("Sometimes")", R"("Always", "OnFailure", "Never")")}},
      {"pod dnsPolicy",
       "Pod",
       {{"/spec/dnsPolicy", R"("Cluster")"}},
       std::nullopt,
       {notSupported("spec.dnsPolicy", R"("Cluster")",
                     R"("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")")}},
      {"init container names differ from container names",
       "Pod",
       {{"/spec/initContainers", R"([{"name":"nginx","image":"busybox"}])"}},
       std::nullopt,
       {duplicate("spec.initContainers[0].name", R"("nginx")")}},
      {"pod activeDeadlineSeconds",
       "Pod",
       {{"/spec/activeDeadlineSeconds", "0"}},
       std::nullopt,
       {invalid("spec.activeDeadlineSeconds", "0", "must be between 1 and 2147483647, inclusive")}},
      {"pod nodeSelector is a label map",
       "Pod",
       {{"/spec/nodeSelector", R"({"disk":"ssd!"})"}},
       std::nullopt,
       {invalid("spec.nodeSelector", R"("ssd!")", kLabelValueMsg)}},
      {"pod without spec",
       "Pod",
       {{"/spec", std::string(kDelete)}},
       std::nullopt,
       {required("spec.containers")}},

      // Service.
      {"seed service is valid", "Service", {}, std::nullopt, {}},
      {"service name must be a DNS-1035 label",
       "Service",
       {{"/metadata/name", R"("1nginx")"}},
       std::nullopt,
       {invalid("metadata.name", R"("1nginx")", kDns1035LabelMsg)}},
      {"service port in range",
       "Service",
       {{"/spec/ports/0/port", "70000"}},
       std::nullopt,
       {invalid("spec.ports[0].port", "70000", kPortRangeMsg)}},
      {"service targetPort in range",
       "Service",
       {{"/spec/ports/0/targetPort", "70000"}},
       std::nullopt,
       {invalid("spec.ports[0].targetPort", "70000", kPortRangeMsg)}},
      {"service targetPort names",
       "Service",
       {{"/spec/ports/0/targetPort", R"("HTTP")"}},
       std::nullopt,
       {invalid("spec.ports[0].targetPort", R"("HTTP")", kPortCharsetMsg),
        invalid("spec.ports[0].targetPort", R"("HTTP")",
                "must contain at least one letter (a-z)")}},
      {"service ports need names when there are several",
       "Service",
       {{"/spec/ports", R"([{"port":80},{"port":443}])"}},
       std::nullopt,
       {required("spec.ports[0].name"), required("spec.ports[1].name")}},
      {"service port names are unique",
       "Service",
       {{"/spec/ports", R"([{"name":"web","port":80},{"name":"web","port":443}])"}},
       std::nullopt,
       {duplicate("spec.ports[1].name", R"("web")")}},
      {"service port name must be a DNS label",
       "Service",
       {{"/spec/ports/0/name", R"("Web")"}},
       std::nullopt,
       {invalid("spec.ports[0].name", R"("Web")", kDns1123LabelMsg)}},
      {"service ports are unique per protocol",
       "Service",
       {{"/spec/ports",
         R"([{"name":"a","port":80},{"name":"b","port":80},
             {"name":"c","port":80,"protocol":"UDP"}])"}},
       std::nullopt,
       {duplicate("spec.ports[1]",
                  R"(core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), )"
                  R"(Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, )"
                  R"(NodePort:0})")}},
      {"service ports are required",
       "Service",
       {{"/spec/ports", std::string(kDelete)}},
       std::nullopt,
       {required("spec.ports")}},
      {"headless service needs no ports",
       "Service",
       {{"/spec", R"({"clusterIP":"None","selector":{"app":"nginx"}})"}},
       std::nullopt,
       {}},
      {"nodePort is not for ClusterIP",
       "Service",
       {{"/spec/type", R"("ClusterIP")"}, {"/spec/ports/0/nodePort", "30080"}},
       std::nullopt,
       {forbidden("spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'")}},
      {"nodePort in range",
       "Service",
       {{"/spec/type", R"("NodePort")"}, {"/spec/ports/0/nodePort", "70000"}},
       std::nullopt,
       {invalid("spec.ports[0].nodePort", "70000", kPortRangeMsg)}},
      {"nodePorts are unique",
       "Service",
       {{"/spec/type", R"("NodePort")"},
        {"/spec/ports",
         R"([{"name":"a","port":80,"nodePort":30080},{"name":"b","port":81,"nodePort":30080}])"}},
       std::nullopt,
       {duplicate("spec.ports[1].nodePort", "30080")}},
      {"service type",
       "Service",
       {{"/spec/type", R"("Internal")"}},
       std::nullopt,
       {notSupported("spec.type", R"("Internal")",
                     R"("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")")}},
      {"service port protocol",
       "Service",
       {{"/spec/ports/0/protocol", R"("HTTP")"}},
       std::nullopt,
       {notSupported("spec.ports[0].protocol", R"("HTTP")", R"("SCTP", "TCP", "UDP")")}},
      {"service selector is a label map",
       "Service",
       {{"/spec/selector/version", R"("v1 beta")"}},
       std::nullopt,
       {invalid("spec.selector", R"("v1 beta")", kLabelValueMsg)}},
      {"sessionAffinity is ClientIP or None",
       "Service",
       {{"/spec/sessionAffinity", R"("Cookie")"}},
       std::nullopt,
       {notSupported("spec.sessionAffinity", R"("Cookie")", R"("ClientIP", "None")")}},
      {"cluster IP must be an IP",
       "Service",
       {{"/spec/clusterIP", R"("10.96.0.300")"}},
       std::nullopt,
       {invalid("spec.clusterIP", R"("10.96.0.300")",
                "must be empty, 'None', or a valid IP address")}},
      {"externalTrafficPolicy only for external services",
       "Service",
       {{"/spec/type", R"("ClusterIP")"}, {"/spec/externalTrafficPolicy", R"("Local")"}},
       std::nullopt,
       {invalid("spec.externalTrafficPolicy", R"("Local")",
                "may only be set for externally-accessible services")}},
      {"ExternalName service",
       "Service",
       {{"/spec", R"({"type":"ExternalName","externalName":"db.example.com."})"}},
       std::nullopt,
       {}},
      {"ExternalName needs a name",
       "Service",
       {{"/spec", R"({"type":"ExternalName"})"}},
       std::nullopt,
       {required("spec.externalName")}},
      {"cluster IP is immutable",
       "Service",
       {{"/spec/clusterIP", R"("10.96.0.20")"}},
       Edits{{"/spec/clusterIP", R"("10.96.0.10")"}},
       {invalid("spec.clusterIP", R"("10.96.0.20")", "field is immutable")}},
      {"cluster IP cannot be dropped",
       "Service",
       {},
       Edits{{"/spec/clusterIP", R"("10.96.0.10")"}},
       {invalid("spec.clusterIP", R"("")", "field is immutable")}},
      {"cluster IP may be set once",
       "Service",
       {{"/spec/clusterIP", R"("10.96.0.10")"}},
       Edits{},
       {}},
      {"cluster IP may change to ExternalName",
       "Service",
       {{"/spec", R"({"type":"ExternalName","externalName":"db.example.com"})"}},
       Edits{{"/spec/clusterIP", R"("10.96.0.10")"}},
       {}},
      {"selector patch (blue-green switch) is fine",
       "Service",
       {{"/spec/selector", R"({"app":"nginx","version":"v2"})"},
        {"/spec/clusterIP", R"("10.96.0.10")"}},
       Edits{{"/spec/clusterIP", R"("10.96.0.10")"}},
       {}},

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

void PrintTo(const ValidationCase& tc, std::ostream* os) {
  *os << tc.name;
}

class ValidationTest : public testing::TestWithParam<ValidationCase> {};

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

INSTANTIATE_TEST_SUITE_P(Cases, ValidationTest, testing::ValuesIn(validationCases()),
                         [](const auto& info) {
                           std::string name;
                           for (char c : info.param.name)
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

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
