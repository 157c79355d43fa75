// The cluster core end to end: the real `sluice server`, the `sluice` CLI, real kubectl and curl.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>

#include "harness.h"

namespace sluice::testing {
namespace {

namespace json = boost::json;

std::string seedFile(const std::string& name) {
  return sourceDir() + "/examples/seed/" + name;
}

// Table output without the AGE column (the last one), which ticks between two commands.
std::string withoutAge(const std::string& table) {
  return std::regex_replace(table, std::regex(R"(\s+(AGE|[0-9]+[smhdy][0-9a-z]*)\n)"), "\n");
}

#define EXPECT_OK(r) EXPECT_EQ((r).exitCode, 0) << "stdout: " << (r).out << "\nstderr: " << (r).err

class CoreTest : public ::testing::Test {
 protected:
  Server server;
  TempDir work;
};

TEST_F(CoreTest, ApplySeedManifestsGetPatchScale) {
  auto r = server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")});
  EXPECT_OK(r);
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 created\n");
  r = server.sluice({"apply", "-f", seedFile("nginx-v2.yaml")});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v2 created\n");
  r = server.sluice({"apply", "-f", seedFile("service-gray.yaml")});
  EXPECT_EQ(r.out, "service/nginx created\n");

  r = server.sluice({"get", "deploy,svc"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("deployment.apps/nginx-v1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deployment.apps/nginx-v2"), std::string::npos);
  EXPECT_NE(r.out.find("service/nginx"), std::string::npos);
  EXPECT_NE(r.out.find("NAME"), std::string::npos);
  EXPECT_NE(r.out.find("LoadBalancer"), std::string::npos);

  // Defaults filled in by the server.
  r = server.sluice({"get", "deployment", "nginx-v1", "-o", "yaml"});
  EXPECT_OK(r);
  for (const char* want : {"revisionHistoryLimit: 10", "progressDeadlineSeconds: 600",
                           "maxSurge: 25%", "maxUnavailable: 25%", "type: RollingUpdate",
                           "restartPolicy: Always", "terminationGracePeriodSeconds: 30",
                           "generation: 1", "kubectl.kubernetes.io/last-applied-configuration"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;

  // Unchanged file: unchanged. Changed file: configured, and a removed field is removed.
  r = server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 unchanged\n");
  std::string text = readFile(seedFile("nginx-v1.yaml"));
  text = std::regex_replace(text, std::regex("replicas: 2"), "replicas: 3");
  text = std::regex_replace(
      text, std::regex("      imagePullSecrets:\n      - name: default-secret\n"), "");
  std::string changed = work.path() + "/nginx-v1.yaml";
  writeFile(changed, text);
  r = server.sluice({"apply", "-f", changed});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 configured\n") << r.err;
  r = server.sluice(
      {"get", "deploy", "nginx-v1", "-o",
       "jsonpath={.spec.replicas} {.spec.template.spec.imagePullSecrets} {.metadata.generation}"});
  EXPECT_EQ(r.out, "3  2");

  // The seed's blue-green switch: a strategic merge patch keeps app=nginx.
  r = server.sluice(
      {"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"});
  EXPECT_EQ(r.out, "service/nginx patched\n") << r.err;
  r = server.sluice({"get", "svc", "nginx", "-o", "json"});
  auto svc = json::parse(r.out);
  EXPECT_EQ(svc.at("spec").at("selector"), (json::object{{"app", "nginx"}, {"version", "v2"}}));
  r = server.sluice(
      {"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"});
  EXPECT_EQ(r.out, "service/nginx patched (no change)\n");

  // scale sets spec.replicas through the scale subresource, which answers a Scale.
  r = server.sluice({"scale", "deployment/nginx-v1", "--replicas=4"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 scaled\n") << r.err;
  r = server.sluice({"get", "deploy", "nginx-v1", "-o", "jsonpath={.spec.replicas}"});
  EXPECT_EQ(r.out, "4");
  auto [code, body] =
      server.curl("GET", "/apis/apps/v1/namespaces/default/deployments/nginx-v1/scale");
  EXPECT_EQ(code, 200);
  auto scale = json::parse(body);
  EXPECT_EQ(scale.at("kind"), "Scale");
  EXPECT_EQ(scale.at("spec").at("replicas"), 4);
  EXPECT_EQ(scale.at("status").at("selector"), "app=nginx,version=v1");
}

TEST_F(CoreTest, GetWatchStreamsChanges) {
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  Background watch({sluiceBinary(), "--kubeconfig", server.kubeconfig(), "get", "deploy", "-w"});
  ASSERT_TRUE(waitFor([&] { return watch.out().find("nginx-v1") != std::string::npos; }))
      << watch.err();
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=5"}).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return watch.out().find("0/5") != std::string::npos; })) << watch.out();
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v2.yaml")}).exitCode, 0);
  EXPECT_TRUE(waitFor([&] { return watch.out().find("nginx-v2") != std::string::npos; }));
  // One header only.
  auto out = watch.out();
  EXPECT_EQ(out.find("NAME"), out.rfind("NAME")) << out;
}

TEST_F(CoreTest, StateAndWatchesSurviveSigkill) {
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("service-gray.yaml")}).exitCode, 0);
  auto rvOf = [&](const std::string& what) {
    auto r = server.sluice({"get", what, "-o", "jsonpath={.metadata.resourceVersion}"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return r.out;
  };
  auto [c1, list] = server.curl("GET", "/apis/apps/v1/namespaces/default/deployments");
  std::string seenRv =
      json::value_to<std::string>(json::parse(list).at("metadata").at("resourceVersion"));
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=3"}).exitCode, 0);
  // Objects no controller writes to keep their resourceVersion exactly.
  std::string nsRv = rvOf("namespace/default"), svcRv = rvOf("svc/nginx");

  server.kill();
  server.start();

  EXPECT_EQ(rvOf("namespace/default"), nsRv);
  EXPECT_EQ(rvOf("svc/nginx"), svcRv);
  EXPECT_EQ(server.sluice({"get", "deploy", "nginx-v1", "-o", "jsonpath={.spec.replicas}"}).out,
            "3");
  // A watch from the revision seen before the crash replays what followed it.
  auto [c2, events] = server.curl(
      "GET", "/apis/apps/v1/namespaces/default/deployments?watch=true&resourceVersion=" + seenRv +
                 "&timeoutSeconds=1");
  EXPECT_EQ(c2, 200);
  EXPECT_NE(events.find("\"type\":\"MODIFIED\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"replicas\":3"), std::string::npos);
}

TEST_F(CoreTest, NamespacesExistAndDeletingOneDeletesItsObjects) {
  auto r = server.sluice({"get", "ns"});
  for (const char* ns : {"default", "kube-system", "kube-public"})
    EXPECT_NE(r.out.find(ns), std::string::npos) << r.out;
  r = server.sluice({"create", "namespace", "blue-green"});
  EXPECT_EQ(r.out, "namespace/blue-green created\n") << r.err;
  ASSERT_EQ(server.sluice({"apply", "-n", "blue-green", "-f", seedFile("nginx-v1.yaml")}).exitCode,
            0);
  EXPECT_NE(server.sluice({"get", "deploy", "-n", "blue-green"}).out.find("nginx-v1"),
            std::string::npos);
  r = server.sluice({"delete", "namespace", "blue-green"});
  EXPECT_EQ(r.out, "namespace \"blue-green\" deleted\n") << r.err;
  auto [code, body] =
      server.curl("GET", "/apis/apps/v1/namespaces/blue-green/deployments/nginx-v1");
  EXPECT_EQ(code, 404);
  r = server.sluice({"get", "deploy", "-A"});
  EXPECT_EQ(r.out.find("blue-green"), std::string::npos);
}

TEST_F(CoreTest, CascadingDeletionThroughOwnerReferences) {
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  auto deploy = json::parse(server.sluice({"get", "deploy", "nginx-v1", "-o", "json"}).out);
  std::string uid = json::value_to<std::string>(deploy.at("metadata").at("uid"));
  auto makeRs = [&](const std::string& name) {
    json::object rs = {
        {"apiVersion", "apps/v1"},
        {"kind", "ReplicaSet"},
        {"metadata",
         {{"name", name},
          {"ownerReferences", json::array{json::object{{"apiVersion", "apps/v1"},
                                                       {"kind", "Deployment"},
                                                       {"name", "nginx-v1"},
                                                       {"uid", uid},
                                                       {"controller", true}}}}}},
        {"spec",
         {{"replicas", 0},
          {"selector", {{"matchLabels", {{"app", "nginx"}}}}},
          {"template",
           {{"metadata", {{"labels", {{"app", "nginx"}}}}},
            {"spec",
             {{"containers", json::array{json::object{{"name", "c"}, {"image", "x"}}}}}}}}}}};
    return server.curl("POST", "/apis/apps/v1/namespaces/default/replicasets", json::serialize(rs))
        .first;
  };
  ASSERT_EQ(makeRs("owned"), 201);
  auto r = server.sluice({"delete", "deployment", "nginx-v1", "--cascade=orphan"});
  EXPECT_EQ(r.out, "deployment.apps \"nginx-v1\" deleted\n") << r.err;
  auto orphan = json::parse(server.sluice({"get", "rs", "owned", "-o", "json"}).out);
  EXPECT_FALSE(orphan.at("metadata").as_object().contains("ownerReferences"));

  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  deploy = json::parse(server.sluice({"get", "deploy", "nginx-v1", "-o", "json"}).out);
  uid = json::value_to<std::string>(deploy.at("metadata").at("uid"));
  ASSERT_EQ(makeRs("owned2"), 201);
  r = server.sluice({"delete", "-f", seedFile("nginx-v1.yaml")});
  EXPECT_EQ(r.out, "deployment.apps \"nginx-v1\" deleted\n") << r.err;
  EXPECT_EQ(server.curl("GET", "/apis/apps/v1/namespaces/default/replicasets/owned2").first, 404);
  EXPECT_EQ(server.curl("GET", "/apis/apps/v1/namespaces/default/replicasets/owned").first, 200);
}

// --- bad input: a clear error, a non-zero exit, nothing half-written -----------------------

TEST_F(CoreTest, MalformedYamlNamesFileAndLine) {
  std::string f = work.path() + "/bad.yaml";
  writeFile(f, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels: [a\n");
  auto r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("bad.yaml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line"), std::string::npos) << r.err;
}

TEST_F(CoreTest, SeedPlaceholderGetsAHint) {
  auto r = server.sluice({"apply", "-f", sourceDir() + "/test/data/seed-unedited-nginx-v1.yaml"});
  EXPECT_NE(r.exitCode, 0);
  // The line of the placeholder itself (kubectl, through go-yaml, names the line before it).
  EXPECT_NE(r.err.find("line 18"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("{your_repository}"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("placeholder"), std::string::npos) << r.err;
  EXPECT_EQ(server.curl("GET", "/apis/apps/v1/namespaces/default/deployments/nginx-v1").first, 404);
}

TEST_F(CoreTest, UnknownKindAndMissingName) {
  std::string f = work.path() + "/widget.yaml";
  writeFile(f, "apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n");
  auto r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("no matches for kind \"Widget\" in version \"v1\""), std::string::npos)
      << r.err;
  writeFile(f, "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    a: b\n");
  r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("metadata.name"), std::string::npos) << r.err;
}

TEST_F(CoreTest, ValidationErrorsUseKubernetesWording) {
  std::string text = readFile(seedFile("nginx-v1.yaml"));
  std::string f = work.path() + "/d.yaml";
  // Selector not matching the template labels.
  writeFile(f,
            std::regex_replace(text, std::regex("        version: v1\n"), "        version: v9\n"));
  auto r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("The Deployment \"nginx-v1\" is invalid"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("spec.template.metadata.labels"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`selector` does not match template `labels`"), std::string::npos) << r.err;
  // Negative replicas.
  writeFile(f, std::regex_replace(text, std::regex("replicas: 2"), "replicas: -1"));
  r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("spec.replicas"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("must be greater than or equal to 0"), std::string::npos) << r.err;
  // Invalid label value.
  writeFile(f, std::regex_replace(text, std::regex("version: v1"), "version: -bad-"));
  r = server.sluice({"apply", "-f", f});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("Invalid value: \"-bad-\""), std::string::npos) << r.err;
  // Nothing was written.
  EXPECT_EQ(server.curl("GET", "/apis/apps/v1/namespaces/default/deployments/nginx-v1").first, 404);
}

TEST_F(CoreTest, ApiErrorsAreStatusObjects) {
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  auto [c0, current] = server.curl("GET", "/apis/apps/v1/namespaces/default/deployments/nginx-v1");
  auto obj = json::parse(current);
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=3"}).exitCode, 0);
  // Stale resourceVersion on update: 409 Conflict.
  auto [c1, b1] = server.curl("PUT", "/apis/apps/v1/namespaces/default/deployments/nginx-v1",
                              json::serialize(obj));
  EXPECT_EQ(c1, 409) << b1;
  EXPECT_EQ(json::parse(b1).at("reason"), "Conflict");
  // Patch of a missing object: 404, through the CLI.
  auto r = server.sluice({"patch", "deployment", "nope", "-p", "{\"spec\":{}}"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"nope\" not found\n");
  // Malformed patch body: 400.
  auto [c2, b2] = server.curl("PATCH", "/apis/apps/v1/namespaces/default/deployments/nginx-v1",
                              "{not json", "application/merge-patch+json");
  EXPECT_EQ(c2, 400) << b2;
  EXPECT_EQ(json::parse(b2).at("reason"), "BadRequest");
  // No token: 401.
  auto [c3, b3] =
      server.curl("GET", "/api/v1/namespaces/default/pods", "", "application/json", false);
  EXPECT_EQ(c3, 401);
  EXPECT_EQ(json::parse(b3).at("reason"), "Unauthorized");
  // Unsupported patch content type: 415.
  auto [c4, b4] = server.curl("PATCH", "/apis/apps/v1/namespaces/default/deployments/nginx-v1",
                              "{}", "text/plain");
  EXPECT_EQ(c4, 415) << b4;
  // A 10 MB body: 413, and the server goes on serving.
  std::string big(10 * 1024 * 1024, 'x');
  auto [c5, b5] = server.curl("POST", "/api/v1/namespaces/default/pods", big);
  EXPECT_EQ(c5, 413) << b5.substr(0, 200);
  EXPECT_EQ(server.curl("GET", "/api/v1/namespaces").first, 200);
  // Unknown resource: 404.
  EXPECT_EQ(server.curl("GET", "/api/v1/namespaces/default/widgets").first, 404);
}

TEST_F(CoreTest, SilentClientDoesNotBlockOthers) {
  // Open connections that send nothing (and one that sends half a request).
  auto port = std::stoi(server.url().substr(server.url().rfind(':') + 1));
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (i == 0) {
      const char* half = "GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n";
      ASSERT_GT(write(fd, half, strlen(half)), 0);
    }
    fds.push_back(fd);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(server.sluice({"get", "ns"}).exitCode, 0);
  for (int fd : fds) close(fd);
}

TEST_F(CoreTest, DiscoveryVersionAndApiResources) {
  auto r = server.sluice({"api-resources"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("deployments"), std::string::npos);
  EXPECT_NE(r.out.find("deploy"), std::string::npos);
  r = server.sluice({"version"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("Server Version: v1.33"), std::string::npos) << r.out;
  auto [code, body] = server.curl("GET", "/openapi/v2");
  EXPECT_EQ(code, 200);
  EXPECT_TRUE(body.empty());
}

TEST_F(CoreTest, LabelAnnotateAndSetImage) {
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  auto r = server.sluice({"label", "deployment", "nginx-v1", "tier=web"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 labeled\n") << r.err;
  r = server.sluice({"label", "deployment", "nginx-v1", "tier=db"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("--overwrite is false"), std::string::npos);
  r = server.sluice({"annotate", "deploy/nginx-v1", "kubernetes.io/change-cause=demo"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 annotated\n") << r.err;
  r = server.sluice({"set", "image", "deployment", "nginx-v1", "container-0=example.com/nginx:v2"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 image updated\n") << r.err;
  r = server.sluice({"get", "deploy", "-l", "tier=web", "-o",
                     "jsonpath={.items[0].spec.template.spec.containers[0].image}"});
  EXPECT_EQ(r.out, "example.com/nginx:v2");
  r = server.sluice({"set", "image", "deployment", "nginx-v1", "nope=x"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("unable to find container named \"nope\""), std::string::npos);
  r = server.sluice({"get", "deploy", "--show-labels"});
  EXPECT_NE(r.out.find("LABELS"), std::string::npos);
  EXPECT_NE(r.out.find("tier=web"), std::string::npos) << r.out;
}

// --- real kubectl --------------------------------------------------------------------------

class KubectlTest : public ::testing::TestWithParam<std::string> {
 protected:
  Server server;
  TempDir work;
};

TEST_P(KubectlTest, SeedSequenceWithoutValidateFalse) {
  std::string v = GetParam();
  SLUICE_REQUIRE_KUBECTL(v);
  auto k = [&](std::vector<std::string> args) { return *server.kubectl(v, args); };
  auto r = k({"apply", "-f", seedFile("nginx-v1.yaml")});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 created\n") << r.err;
  r = k({"apply", "-f", seedFile("nginx-v2.yaml")});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v2 created\n") << r.err;
  r = k({"apply", "-f", seedFile("service-gray.yaml")});
  EXPECT_EQ(r.out, "service/nginx created\n") << r.err;
  r = k({"apply", "-f", seedFile("nginx-v1.yaml")});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 unchanged\n") << r.err;

  // The same output as sluice's own CLI for a table (controllers may still be writing status
  // between the two commands, so compare until the two agree).
  ProcessResult mine;
  waitFor(
      [&] {
        mine = server.sluice({"get", "deploy,svc"});
        r = k({"get", "deploy,svc"});
        return withoutAge(r.out) == withoutAge(mine.out);
      },
      std::chrono::seconds(10));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(withoutAge(r.out), withoutAge(mine.out));

  r = k({"get", "deploy", "nginx-v1", "-o", "yaml"});
  EXPECT_NE(r.out.find("revisionHistoryLimit: 10"), std::string::npos) << r.out << r.err;

  std::string text = std::regex_replace(readFile(seedFile("nginx-v1.yaml")),
                                        std::regex("replicas: 2"), "replicas: 3");
  writeFile(work.path() + "/d.yaml", text);
  r = k({"apply", "-f", work.path() + "/d.yaml"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 configured\n") << r.err;

  r = k({"patch", "service", "nginx", "-p", R"({"spec":{"selector":{"version":"v2"}}})"});
  EXPECT_EQ(r.out, "service/nginx patched\n") << r.err;
  r = k({"get", "svc", "nginx", "-o", "jsonpath={.spec.selector}"});
  EXPECT_NE(r.out.find("\"app\":\"nginx\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"version\":\"v2\""), std::string::npos) << r.out;

  r = k({"scale", "deployment/nginx-v1", "--replicas=4"});
  EXPECT_EQ(r.out, "deployment.apps/nginx-v1 scaled\n") << r.err;
  r = k({"get", "deploy", "nginx-v1", "-o", "jsonpath={.spec.replicas}"});
  EXPECT_EQ(r.out, "4");

  r = k({"get", "all"});
  EXPECT_NE(r.out.find("deployment.apps/nginx-v1"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("service/nginx"), std::string::npos);

  r = k({"delete", "-f", seedFile("nginx-v2.yaml")});
  EXPECT_EQ(r.out, "deployment.apps \"nginx-v2\" deleted\n") << r.err;
  r = k({"get", "deploy", "nginx-v2"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"nginx-v2\" not found\n");
}

TEST_P(KubectlTest, WatchStreamsRows) {
  std::string v = GetParam();
  SLUICE_REQUIRE_KUBECTL(v);
  ASSERT_EQ(server.sluice({"apply", "-f", seedFile("nginx-v1.yaml")}).exitCode, 0);
  Background watch({kubectlBinary(v), "--kubeconfig", server.kubeconfig(), "--cache-dir",
                    work.path() + "/cache", "get", "deploy", "-w"});
  ASSERT_TRUE(waitFor([&] { return watch.out().find("nginx-v1") != std::string::npos; }))
      << watch.err();
  ASSERT_EQ(server.sluice({"scale", "deployment/nginx-v1", "--replicas=5"}).exitCode, 0);
  EXPECT_TRUE(waitFor([&] { return watch.out().find("0/5") != std::string::npos; }))
      << watch.out() << watch.err();
}

INSTANTIATE_TEST_SUITE_P(Versions, KubectlTest, ::testing::Values("1.33", "1.27"),
                         [](const auto& info) {
                           return "kubectl_" + std::string(info.param == "1.33" ? "1_33" : "1_27");
                         });

}  // namespace
}  // namespace sluice::testing
