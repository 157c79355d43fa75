// Defaulting: what the API server fills in per kind, idempotently.
#include <string>
#include <utility>
#include <vector>

#include "validation_fixtures.h"

namespace sluice::api {
namespace {

using namespace fixtures;

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

}  // namespace
}  // namespace sluice::api
