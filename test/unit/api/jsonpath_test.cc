// Expected outputs and messages were recorded from kubectl 1.33 (`kubectl ... -o jsonpath=...`),
// except where a comment says sluice deliberately differs.
#include "api/jsonpath.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::api {
namespace {

namespace json = boost::json;

// The sample input of the kubernetes.io "JSONPath Support" page.
constexpr const char* kDocsSample = R"json(
{
  "kind": "List",
  "items": [
    {
      "kind": "None",
      "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
      "status": {
        "capacity": {"cpu": "4"},
        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]
      }
    },
    {
      "kind": "None",
      "metadata": {"name": "127.0.0.2"},
      "status": {
        "capacity": {"cpu": "8"},
        "addresses": [
          {"type": "LegacyHostIP", "address": "127.0.0.2"},
          {"type": "another", "address": "127.0.0.3"}
        ]
      }
    }
  ],
  "users": [
    {"name": "myself", "user": {}},
    {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
  ]
}
)json";

// A Deployment, as `kubectl get deployment web` would receive it.
constexpr const char* kDeployment = R"json(
{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "web",
    "namespace": "default",
    "labels": {"app": "web", "app.kubernetes.io/name": "webapp"}
  },
  "spec": {
    "replicas": 3,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {
      "metadata": {"labels": {"app": "web"}},
      "spec": {
        "containers": [
          {
            "name": "nginx",
            "image": "nginx:1.25",
            "ports": [{"containerPort": 80, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
          },
          {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "3600"]}
        ]
      }
    }
  },
  "status": {
    "replicas": 3,
    "readyReplicas": 2,
    "conditions": [
      {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
      {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
    ]
  }
}
)json";

// What `kubectl get pods` hands the printer: the objects wrapped in a `kind: List`.
constexpr const char* kPodList = R"json(
{
  "apiVersion": "v1",
  "kind": "List",
  "metadata": {"resourceVersion": ""},
  "items": [
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"}},
      "spec": {"nodeName": "node-a", "containers": [{"name": "nginx", "image": "nginx:1.25"}]},
      "status": {
        "phase": "Running",
        "podIP": "10.0.0.5",
        "containerStatuses": [{"name": "nginx", "ready": true, "restartCount": 0}]
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "web-2", "namespace": "default", "labels": {"app": "web"}},
      "spec": {
        "nodeName": "node-b",
        "containers": [{"name": "nginx", "image": "nginx:1.25"}, {"name": "log", "image": "busybox"}]
      },
      "status": {
        "phase": "Pending",
        "containerStatuses": [
          {"name": "nginx", "ready": false, "restartCount": 3},
          {"name": "log", "ready": true, "restartCount": 1}
        ]
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"name": "db-0", "namespace": "data", "labels": {"app": "db"}},
      "spec": {"nodeName": "node-a", "containers": [{"name": "postgres", "image": "postgres:16"}]},
      "status": {
        "phase": "Running",
        "podIP": "10.0.0.9",
        "containerStatuses": [{"name": "postgres", "ready": true, "restartCount": 12}]
      }
    }
  ]
}
)json";

// Numbers spelled as JSON allows (2.0 and 1e21 are floats to Go), strings needing escapes.
constexpr const char* kScalars = R"json(
{
  "apiVersion": "example.com/v1",
  "kind": "Thing",
  "metadata": {"labels": {}, "name": "n"},
  "spec": {
    "int": 42, "neg": -7, "big": 123456789012,
    "float": 1.5, "whole": 2.0, "million": 1000000.0, "tiny": 0.000012345, "huge": 1e21,
    "small": 1e-7, "ratio": 123456.7, "seven": 1234567.0, "zero": 0.0,
    "uint": 18446744073709551615,
    "t": true, "f": false, "nul": null,
    "str": "ab", "empty": "", "html": "<a href=\"x\">&</a>",
    "ctrl": "tab\there\nnl\u0001\u2028", "utf": "h\u00e9llo",
    "list": [1, 2.5, "x", null, true, {}],
    "lists": [[1, 2], [], [3]],
    "xs": [
      {"n": "a", "i": 1, "f": 1.5, "b": true},
      {"n": "b", "i": 5, "f": 2.0, "b": false},
      {"n": "c", "i": 10, "f": 12.25},
      {"n": "d", "s": "x"}
    ]
  }
}
)json";

// A small object for errors, whose messages end with a Go %#v dump of the whole object.
constexpr const char* kSmall = R"json(
{
  "apiVersion": "example.com/v1",
  "kind": "Thing",
  "metadata": {"labels": {}, "name": "t"},
  "data": {"a": "1", "b": "x\ty"},
  "list": ["x", "y"],
  "flags": [true],
  "objs": [{"a": "1", "b": "2"}],
  "nul": null,
  "f": 0.5,
  "empty": []
}
)json";

struct Case {
  std::string name;
  std::string templ;
  std::string want;
};

void expectOutputs(const char* document, const std::vector<Case>& cases,
                   bool allowMissingKeys = true) {
  const json::value data = json::parse(document);
  for (const auto& c : cases) {
    auto got = evaluateJsonPath(c.templ, data, allowMissingKeys);
    if (!got.ok()) {
      ADD_FAILURE() << c.name << ": " << c.templ << ": unexpected error " << got.error().message;
      continue;
    }
    EXPECT_EQ(*got, c.want) << c.name << ": " << c.templ;
  }
}

// An error case: `detail` is what kubectl reports after "error parsing jsonpath TEMPLATE, " or
// inside "Error executing template: DETAIL. Printing more information ...".
struct ErrorCase {
  std::string name;
  std::string templ;
  std::string detail;
};

// The template as Go's %q prints it; enough for the templates below (no control characters).
std::string goQuoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void expectExecutionErrors(const char* document, const std::vector<ErrorCase>& cases,
                           bool allowMissingKeys) {
  const json::value data = json::parse(document);
  for (const auto& c : cases) {
    auto got = evaluateJsonPath(c.templ, data, allowMissingKeys);
    if (got.ok()) {
      ADD_FAILURE() << c.name << ": " << c.templ << ": expected an error, got output " << *got;
      continue;
    }
    // The message goes on to dump the whole object (see ExecutionErrorDumpsTheObject).
    const std::string prefix = "error executing jsonpath " + goQuoted(c.templ) +
                               ": Error executing template: " + c.detail +
                               ". Printing more information for debugging the template:\n"
                               "\ttemplate was:\n\t\t" +
                               c.templ + "\n\tobject given to jsonpath engine was:\n\t\t";
    EXPECT_EQ(got.error().message.substr(0, prefix.size()), prefix) << c.name;
    EXPECT_EQ(got.error().code, 400) << c.name;
    EXPECT_EQ(got.error().reason, "BadRequest") << c.name;
  }
}

// ---------------------------------------------------------------------------------------------
// The examples table of the kubernetes.io "JSONPath Support" page, and more over its input.

TEST(JsonPath, KubernetesDocsExamples) {
  const std::vector<Case> cases = {
      {"plain text", "kind is {.kind}", "kind is List"},
      {"current object", "{@}",
       "{\"items\":[{\"kind\":\"None\",\"metadata\":{\"labels\":{\"kubernetes.io/"
       "hostname\":\"127.0.0.1\"},\"name\":\"127.0.0.1\"},\"status\":{\"addresses\":[{\"address\":"
       "\"127.0.0.1\",\"type\":\"LegacyHostIP\"}],\"capacity\":{\"cpu\":\"4\"}}},{\"kind\":"
       "\"None\",\"metadata\":{\"name\":\"127.0.0.2\"},\"status\":{\"addresses\":[{\"address\":"
       "\"127.0.0.2\",\"type\":\"LegacyHostIP\"},{\"address\":\"127.0.0.3\",\"type\":\"another\"}],"
       "\"capacity\":{\"cpu\":\"8\"}}}],\"kind\":\"List\",\"users\":[{\"name\":\"myself\",\"user\":"
       "{}},{\"name\":\"e2e\",\"user\":{\"password\":\"secret\",\"username\":\"admin\"}}]}"},
      {"dollar is root", "{$}",
       "{\"items\":[{\"kind\":\"None\",\"metadata\":{\"labels\":{\"kubernetes.io/"
       "hostname\":\"127.0.0.1\"},\"name\":\"127.0.0.1\"},\"status\":{\"addresses\":[{\"address\":"
       "\"127.0.0.1\",\"type\":\"LegacyHostIP\"}],\"capacity\":{\"cpu\":\"4\"}}},{\"kind\":"
       "\"None\",\"metadata\":{\"name\":\"127.0.0.2\"},\"status\":{\"addresses\":[{\"address\":"
       "\"127.0.0.2\",\"type\":\"LegacyHostIP\"},{\"address\":\"127.0.0.3\",\"type\":\"another\"}],"
       "\"capacity\":{\"cpu\":\"8\"}}}],\"kind\":\"List\",\"users\":[{\"name\":\"myself\",\"user\":"
       "{}},{\"name\":\"e2e\",\"user\":{\"password\":\"secret\",\"username\":\"admin\"}}]}"},
      {"child operator", "{.kind}", "List"},
      {"bracket child", "{['kind']}", "List"},
      {"bracket child with escaped dot", "{['name\\.type']}", ""},
      {"recursive descent", "{..name}", "127.0.0.1 127.0.0.2 myself e2e"},
      {"wildcard", "{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"},
      {"subscript", "{.users[0].name}", "myself"},
      {"union of paths", "{.items[*]['metadata.name', 'status.capacity']}",
       "127.0.0.1 127.0.0.2 {\"cpu\":\"4\"} {\"cpu\":\"8\"}"},
      {"filter", "{.users[?(@.name==\"e2e\")].user.password}", "secret"},
      {"range end", "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
       "[127.0.0.1, {\"cpu\":\"4\"}] [127.0.0.2, {\"cpu\":\"8\"}] "},
      {"quoted tab", "{range .items[*]}{.metadata.name}{'\\t'}{end}", "127.0.0.1\t127.0.0.2\t"},
      {"escaped terminator", "{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"},
      {"negative slice", "{.items[-1:].metadata.name}", "127.0.0.2"},
      {"nested range",
       "{range .items[*]}{.metadata.name}:{range .status.addresses[*]} {.address}{end};{end}",
       "127.0.0.1: 127.0.0.1;127.0.0.2: 127.0.0.2 127.0.0.3;"},
      {"filter then field", "{.items[*].status.addresses[?(@.type==\"another\")].address}",
       "127.0.0.3"},
      {"dollar dot recursive", "{$..password}", "secret"},
      {"union of indexes", "{.users[0,1].name}", "myself e2e"},
      {"union of keys", "{.users[1].user['username','password']}", "admin secret"},
      {"empty object member", "{.users[0].user}", "{}"},
      {"array of objects", "{.users[*]}",
       "{\"name\":\"myself\",\"user\":{}} "
       "{\"name\":\"e2e\",\"user\":{\"password\":\"secret\",\"username\":\"admin\"}}"},
      {"whole array", "{.users}",
       "[{\"name\":\"myself\",\"user\":{}},{\"name\":\"e2e\",\"user\":{\"password\":\"secret\","
       "\"username\":\"admin\"}}]"},
      {"recursive then index", "{.items..addresses[0].type}", "LegacyHostIP LegacyHostIP"},
      {"wildcard on map", "{.items[0].status.capacity.*}", "4"},
      // kubectl visits map members in Go's random order; sluice keeps the document's order.
      {"recursive all under", "{.users[1]..}",
       "{\"name\":\"e2e\",\"user\":{\"password\":\"secret\",\"username\":\"admin\"}} e2e "
       "{\"password\":\"secret\",\"username\":\"admin\"} admin secret"},
  };
  expectOutputs(kDocsSample, cases);
}

// ---------------------------------------------------------------------------------------------
// Everyday templates over single objects and lists.

TEST(JsonPath, Deployment) {
  const std::vector<Case> cases = {
      {"name", "{.metadata.name}", "web"},
      {"text around", "deployment/{.metadata.name} in {.metadata.namespace}\n",
       "deployment/web in default\n"},
      {"integer", "{.spec.replicas}", "3"},
      {"container names", "{.spec.template.spec.containers[*].name}", "nginx sidecar"},
      {"container images by range",
       "{range .spec.template.spec.containers[*]}{.name}={.image}{\"\\n\"}{end}",
       "nginx=nginx:1.25\nsidecar=busybox:1.36\n"},
      {"label with dots escaped", "{.metadata.labels.app\\.kubernetes\\.io/name}", "webapp"},
      {"bracket key with escaped dots", "{.metadata.labels['app\\.kubernetes\\.io/name']}",
       "webapp"},
      {"bracket key with dots is a path", "{.metadata.labels['app.kubernetes.io/name']}", ""},
      {"labels object", "{.metadata.labels}",
       "{\"app\":\"web\",\"app.kubernetes.io/name\":\"webapp\"}"},
      {"condition filter", "{.status.conditions[?(@.type==\"Available\")].status}", "True"},
      {"condition filter single quotes", "{.status.conditions[?(@.type=='Progressing')].reason}",
       "NewReplicaSetAvailable"},
      {"filter != ", "{.status.conditions[?(@.type!=\"Available\")].type}", "Progressing"},
      {"numeric filter", "{.spec.template.spec.containers[?(@.ports[0].containerPort==80)].name}",
       "nginx"},
      {"existence filter", "{.spec.template.spec.containers[?(@.args)].name}", "sidecar"},
      {"args array", "{.spec.template.spec.containers[1].args}", "[\"sleep\",\"3600\"]"},
      {"recursive image", "{..image}", "nginx:1.25 busybox:1.36"},
      {"recursive containerPort", "{..containerPort}", "80"},
      {"missing key allowed", "[{.status.unavailableReplicas}]", "[]"},
      {"missing nested key allowed", "[{.spec.nothing.deeper[0]}]", "[]"},
      {"two actions", "{.status.readyReplicas}/{.status.replicas}", "2/3"},
      {"resources", "{.spec.template.spec.containers[0].resources.limits}",
       "{\"cpu\":\"500m\",\"memory\":\"128Mi\"}"},
      {"whole object", "{@}",
       "{\"apiVersion\":\"apps/"
       "v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"web\",\"app.kubernetes.io/"
       "name\":\"webapp\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,"
       "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{"
       "\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"nginx\","
       "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{\"limits\":{\"cpu\":"
       "\"500m\",\"memory\":\"128Mi\"}}},{\"args\":[\"sleep\",\"3600\"],\"image\":\"busybox:1.36\","
       "\"name\":\"sidecar\"}]}}},\"status\":{\"conditions\":[{\"reason\":"
       "\"MinimumReplicasAvailable\",\"status\":\"True\",\"type\":\"Available\"},{\"reason\":"
       "\"NewReplicaSetAvailable\",\"status\":\"True\",\"type\":\"Progressing\"}],"
       "\"readyReplicas\":2,\"replicas\":3}}"},
      {"literals", "{\"a\"}{'b'}{1}{-2}{1.50}{true}", "ab1-21.5true"},
      {"spaces inside action", "{ .metadata.name }", "web"},
      {"at prefix", "{@.metadata.name}", "web"},
      {"dollar prefix", "{$.kind}", "Deployment"},
      {"text only", "plain text", "plain text"},
      {"unbalanced close brace is text", "a}b", "a}b"},
  };
  expectOutputs(kDeployment, cases);
}

TEST(JsonPath, List) {
  const std::vector<Case> cases = {
      {"names", "{.items[*].metadata.name}", "web-1 web-2 db-0"},
      {"kind", "{.kind}", "List"},
      {"namespace/name lines",
       "{range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}",
       "default/web-1\ndefault/web-2\ndata/db-0\n"},
      {"filter by label", "{.items[?(@.metadata.labels.app==\"web\")].metadata.name}",
       "web-1 web-2"},
      {"filter by phase", "{.items[?(@.status.phase!=\"Running\")].metadata.name}", "web-2"},
      {"missing podIP skipped", "{.items[*].status.podIP}", "10.0.0.5 10.0.0.9"},
      {"range with missing podIP", "{range .items[*]}{.metadata.name}={.status.podIP};{end}",
       "web-1=10.0.0.5;web-2=;db-0=10.0.0.9;"},
      {"restart counts", "{.items[*].status.containerStatuses[*].restartCount}", "0 3 1 12"},
      {"restart count filter gt", "{.items[*].status.containerStatuses[?(@.restartCount>1)].name}",
       "nginx postgres"},
      {"restart count filter le", "{.items[*].status.containerStatuses[?(@.restartCount<=1)].name}",
       "nginx log"},
      {"ready bool filter", "{.items[*].status.containerStatuses[?(@.ready==false)].name}",
       "nginx"},
      {"nested range",
       "{range .items[*]}{.metadata.name}:{range .spec.containers[*]} {.image}{end}{\"\\n\"}{end}",
       "web-1: nginx:1.25\nweb-2: nginx:1.25 busybox\ndb-0: postgres:16\n"},
      {"last item", "{.items[-1].metadata.name}", "db-0"},
      {"first two", "{.items[0:2].metadata.name}", "web-1 web-2"},
      {"every other", "{.items[::2].metadata.name}", "web-1 db-0"},
      {"from second", "{.items[1:].metadata.name}", "web-2 db-0"},
      {"all but last", "{.items[:-1].metadata.name}", "web-1 web-2"},
      {"index union", "{.items[2,0].metadata.name}", "db-0 web-1"},
      {"recursive names", "{..containers[*].name}", "nginx nginx log postgres"},
      {"node names per pod",
       "{range .items[*]}{.spec.nodeName}{\"\\t\"}{.metadata.name}{\"\\n\"}{end}",
       "node-a\tweb-1\nnode-b\tweb-2\nnode-a\tdb-0\n"},
      {"range over string wildcard", "{range .items[0].metadata.name.*}{@},{end}",
       "119,101,98,45,49,"},
      {"empty range", "{range .items[?(@.kind==\"Service\")]}{.metadata.name}{end}none", "none"},
      // The body runs once more against the List itself, which has no name.
      {"range without end", "{range .items[*]}<{.metadata.name}>", "<web-1><web-2><db-0><>"},
      {"string compare lt", "{.items[?(@.metadata.name<\"web\")].metadata.name}", "db-0"},
  };
  expectOutputs(kPodList, cases);
}

// ---------------------------------------------------------------------------------------------
// How values print (Go's fmt for scalars, encoding/json for objects and arrays), literals,
// slices, filters, and kubectl's quirks.

TEST(JsonPath, ScalarsFiltersAndFormatting) {
  const std::vector<Case> cases = {
      {"int", "{.spec.int} {.spec.neg} {.spec.big}", "42 -7 123456789012"},
      {"floats",
       "{.spec.float} {.spec.whole} {.spec.million} {.spec.tiny} {.spec.huge} {.spec.small} "
       "{.spec.ratio} {.spec.seven} {.spec.zero}",
       "1.5 2 1e+06 1.2345e-05 1e+21 1e-07 123456.7 1.234567e+06 0"},
      {"uint64 is float", "{.spec.uint}", "1.8446744073709552e+19"},
      {"bools", "{.spec.t} {.spec.f}", "true false"},
      {"null", "{.spec.nul}", "null"},
      {"strings raw", "{.spec.html}|{.spec.ctrl}|{.spec.utf}",
       "<a href=\"x\">&</a>|tab\there\nnl\001 |héllo"},
      {"empty string", "[{.spec.empty}]", "[]"},
      {"array json", "{.spec.list}", "[1,2.5,\"x\",null,true,{}]"},
      {"array elements", "{.spec.list[*]}", "1 2.5 x null true {}"},
      {"json floats", "{.spec.xs[1]}", "{\"b\":false,\"f\":2,\"i\":5,\"n\":\"b\"}"},
      {"json number forms", "{.spec}",
       "{\"big\":123456789012,\"ctrl\":\"tab\\there\\nnl\\u0001\\u2028\",\"empty\":\"\",\"f\":"
       "false,\"float\":1.5,\"html\":\"\\u003ca "
       "href=\\\"x\\\"\\u003e\\u0026\\u003c/"
       "a\\u003e\",\"huge\":1e+21,\"int\":42,\"list\":[1,2.5,\"x\",null,true,{}],\"lists\":[[1,2],["
       "],[3]],\"million\":1000000,\"neg\":-7,\"nul\":null,\"ratio\":123456.7,\"seven\":1234567,"
       "\"small\":1e-7,\"str\":\"ab\",\"t\":true,\"tiny\":0.000012345,\"uint\":"
       "18446744073709552000,\"utf\":\"héllo\",\"whole\":2,\"xs\":[{\"b\":true,\"f\":1.5,\"i\":1,"
       "\"n\":\"a\"},{\"b\":false,\"f\":2,\"i\":5,\"n\":\"b\"},{\"f\":12.25,\"i\":10,\"n\":\"c\"},{"
       "\"n\":\"d\",\"s\":\"x\"}],\"zero\":0}"},
      {"json escaping", "{.spec.xs[3]}{.metadata}",
       "{\"n\":\"d\",\"s\":\"x\"}{\"labels\":{},\"name\":\"n\"}"},
      {"string wildcard yields bytes", "{.spec.str.*}", "97 98"},
      {"recursive skips scalars", "{.spec.xs[0]..}",
       "{\"b\":true,\"f\":1.5,\"i\":1,\"n\":\"a\"} a"},
      {"quoted escapes", "{\"a\\tb\"}{\"\\u00e9\\x41\\101\"}{'it\\'s'}{\"\\\"\"}", "a\tbéAAit's\""},
      {"int literal repeats per input", "{.spec.xs[*] 7}", "7 7 7 7"},
      {"text after field", "{.spec.str \"x\"}", "x"},
      {"empty bracket is index 0", "{.spec.list[]}", "1"},
      {"step", "{.spec.xs[0:4:2].n}", "a c"},
      {"zero-length slice", "[{.spec.xs[1:1]}]", "[]"},
      {"empty list all", "[{.spec.lists[1][*]}]", "[]"},
      {"empty selection stops later inputs", "{.spec.lists[*][*]}", "1 2"},
      {"null element in range", "{range .spec.list[*]}[{@}]{end}",
       "[1][2.5][x][<no value>][true][{}]"},
      {"null element in union", "{.spec.list[3,4]}", "null true"},
      {"filter int gt", "{.spec.xs[?(@.i>1)].n}", "b c"},
      {"filter int ge spaces", "{.spec.xs[?(@.i >= 5)].n}", "b c"},
      {"filter float", "{.spec.xs[?(@.f<2.5)].n}", "a b"},
      {"filter float equal", "{.spec.xs[?(@.f==2.0)].n}", "b"},
      {"filter bool", "{.spec.xs[?(@.b==true)].n}", "a"},
      {"filter string gt", "{.spec.xs[?(@.n>\"a\")].i}", "5 10"},
      {"filter two paths", "{.spec.xs[?(@.n==@.n)].i}", "1 5 10"},
      {"filter existence", "{.spec.xs[?(@.s)].n}", "d"},
      {"filter plus sign", "{.spec.xs[?(@.i==+1)].n}", "a"},
      {"filter recursive left", "{.spec.xs[?(@..i==10)].n}", "c"},
      {"filter quoted paren", "{.spec.xs[?(@.n=='a)')].n}", ""},
      {"filter missing is skipped", "{.spec.xs[?(@.i<100)].n}", "a b c"},
      {"triple dot", "{.spec.xs[0]...n}", "a"},
  };
  expectOutputs(kScalars, cases);
}

TEST(JsonPath, MapMembersFollowDocumentOrder) {
  // Go ranges over maps in random order, so kubectl's `*` and `..` order varies from run to run;
  // sluice uses the order of the document.
  const std::vector<Case> cases = {
      {"wildcard", "{.b.*}", "1 2"},
      {"recursive", "{..}", "{\"a\":[3],\"b\":{\"a\":2,\"z\":1}} {\"a\":2,\"z\":1} [3]"},
      {"recursive field", "{..a}", "[3] 2"},
  };
  expectOutputs(R"({"b": {"z": 1, "a": 2}, "a": [3]})", cases);
}

TEST(JsonPath, EmptyTemplatePrintsNothing) {
  auto got = evaluateJsonPath("", json::parse(kSmall));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "");
}

// ---------------------------------------------------------------------------------------------
// allowMissingKeys = false (kubectl --allow-missing-template-keys=false).

TEST(JsonPath, MissingKeysRejectedOnlyWhenNothingMatches) {
  const std::vector<Case> cases = {
      {"present", "{.metadata.name}", "web"},
      {"wildcard found", "{.spec.template.spec.containers[*].ports[*].containerPort}", "80"},
      {"recursive finds some", "{..args}", "[\"sleep\",\"3600\"]"},
      {"filter existence tolerates missing", "{.spec.template.spec.containers[?(@.args)].name}",
       "sidecar"},
  };
  expectOutputs(kDeployment, cases, /*allowMissingKeys=*/false);
}

TEST(JsonPath, MissingKeysRejected) {
  const std::vector<ErrorCase> cases = {
      {"missing top", "{.status.nothing}", "nothing is not found"},
      {"missing reports first missing", "{.spec.nothing.deeper}", "nothing is not found"},
      {"field on string", "{.metadata.name.x}", "x is not found"},
      {"empty field", "{.}", " is not found"},
      {"filter compare on missing",
       "{.spec.template.spec.containers[?(@.args[0]==\"sleep\")].name}", "args is not found"},
      {"range without end reruns at root", "{range .spec.template.spec.containers[*]}{.name}",
       "name is not found"},
      {"empty range body still checked",
       "{range .status.conditions[?(@.type==\"X\")]}{.nothing}{end}", "nothing is not found"},
  };
  expectExecutionErrors(kDeployment, cases, /*allowMissingKeys=*/false);
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(JsonPath, ParseErrors) {
  const json::value data = json::parse(kSmall);
  const std::vector<ErrorCase> cases = {
      {"unterminated array", "{.a[", "unterminated array"},
      {"unterminated array index", "{.items[0", "unterminated array"},
      {"unclosed action", "{.spec", "unclosed action"},
      {"unclosed action at end", "abc{", "unclosed action"},
      {"newline in action", "{.a\nb}", "unclosed action"},
      {"filter missing bracket", "{.a[?(@.x==\"y\")", "unclosed array expect ]"},
      {"unterminated filter", "{.a[?(@.x==\"y\"]}", "unterminated filter"},
      {"nested brace", "{{.spec}}", "unrecognized character in action: U+007B '{'"},
      {"tab in action", "{\t.kind}", "unrecognized character in action: U+0009"},
      {"invalid index", "{.a[x]}", "invalid array index x"},
      {"invalid slice", "{.a[1:a]}", "invalid array index 1:a"},
      {"double quoted key", "{.a[\"x\"]}", "invalid array index \"x\""},
      {"spaces around key", "{.a[ 'x' ]}", "invalid array index  'x' "},
      {"not a number index", "{.a[-]}", "array index - is not a number"},
      {"unterminated quote", "{\"abc}", "unterminated quoted string"},
      {"bad escape", "{\"\\q\"}", "unquote string \"\\q\" error invalid syntax"},
      {"bad number", "{1.2.3}", "cannot parse number 1.2.3"},
      {"lone minus", "{-}", "cannot parse number -"},
      {"comma in action", "{.kind,.kind}", "unrecognized character in action: U+002C ','"},
      {"recursive star", "{.a..*}", "unrecognized character in action: U+002A '*'"},
      {"multiple recursive", "{.a....b}", "invalid multiple recursive descent"},
      {"regex operator", "{.a[?(@.n=~\"a\")]}", "unrecognized character in action: U+007E '~'"},
      {"bad union member", "{.a[0,x]}", "invalid array index x"},
      {"unicode start", "{→}", "unrecognized character in action: U+2192 '→'"},
  };
  for (const auto& c : cases) {
    auto got = evaluateJsonPath(c.templ, data);
    if (got.ok()) {
      ADD_FAILURE() << c.name << ": " << c.templ << ": expected an error, got output " << *got;
      continue;
    }
    EXPECT_EQ(got.error().message, "error parsing jsonpath " + c.templ + ", " + c.detail) << c.name;
    EXPECT_EQ(got.error().code, 400) << c.name;
  }
}

TEST(JsonPath, ExecutionErrors) {
  const std::vector<ErrorCase> cases = {
      {"index out of range", "{.list[5]}", "array index out of bounds: index 5, length 2"},
      {"slice end out of range", "{.list[0:5]}", "array index out of bounds: index 4, length 2"},
      {"negative index out of range", "{.list[-3]}",
       "array index out of bounds: index -1, length 2"},
      {"step zero", "{.list[::0]}", "step must be > 0"},
      {"start after end", "{.list[1:0]}", "starting index 1 is greater than ending index 0"},
      {"last of empty", "{.empty[-1:]}", "array index out of bounds: index -1, length 0"},
      {"incompatible comparison", "{.list[?(@<1)]}", "incompatible types for comparison"},
      {"string vs float", "{.list[?(@==0.5)]}", "incompatible types for comparison"},
      {"bool ordering", "{.flags[?(@<true)]}", "invalid type for comparison"},
      {"unrecognized operator", "{.list[?(@===\"x\")]}", "unrecognized filter operator ==="},
      {"single equals", "{.list[?(@=\"x\")]}", "unrecognized filter operator ="},
      {"compare several", "{.objs[?(@.*==\"1\")]}", "can only compare one element at a time"},
      {"compare object", "{.objs[?(@==\"1\")]}", "invalid type for comparison"},
      {"int literal not array", "{1[0]}", "int is not array or slice"},
      {"not an array", "{.metadata[0]}", "map[string]interface {} is not array or slice"},
      {"string not array", "{.kind[0]}", "string is not array or slice"},
      {"end outside range", "{end}", "not in range, nothing to end"},
      {"extra end", "{range .metadata.labels}{end}{end}", "not in range, nothing to end"},
      {"unknown identifier", "{.metadata name}", "unrecognized identifier name"},
      {"filter on map", "{.data[?(@.x)]}",
       "map[a:1 b:x\ty] is not array or slice and cannot be filtered"},
      {"filter on null", "{.nul[?(@.x)]}", "<nil> is not array or slice and cannot be filtered"},
      {"filter on float", "{.f[?(@.x)]}", "0.5 is not array or slice and cannot be filtered"},
      {"quoted template", "{.x[?(@.a==\"b\")]}{.kind[0]}", "string is not array or slice"},
  };
  expectExecutionErrors(kSmall, cases, /*allowMissingKeys=*/true);
}

TEST(JsonPath, ExecutionErrorDumpsTheObject) {
  // kubectl prints the object it was given with Go's %#v: keys sorted, strings quoted, null as
  // interface {}(nil). The message ends in a blank line; the CLI adds the final newline.
  auto got = evaluateJsonPath("{.data[?(@.x)]}", json::parse(kSmall));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message,
            "error executing jsonpath \"{.data[?(@.x)]}\": Error executing template: map[a:1 "
            "b:x\ty] is not array or slice and cannot be filtered. Printing more information for "
            "debugging the template:\n\ttemplate was:\n\t\t{.data[?(@.x)]}\n\tobject given to "
            "jsonpath engine was:\n\t\tmap[string]interface {}{\"apiVersion\":\"example.com/v1\", "
            "\"data\":map[string]interface {}{\"a\":\"1\", \"b\":\"x\\ty\"}, \"empty\":[]interface "
            "{}{}, \"f\":0.5, \"flags\":[]interface {}{true}, \"kind\":\"Thing\", "
            "\"list\":[]interface {}{\"x\", \"y\"}, \"metadata\":map[string]interface "
            "{}{\"labels\":map[string]interface {}{}, \"name\":\"t\"}, \"nul\":interface {}(nil), "
            "\"objs\":[]interface {}{map[string]interface {}{\"a\":\"1\", \"b\":\"2\"}}}\n\n");
}

}  // namespace
}  // namespace sluice::api
