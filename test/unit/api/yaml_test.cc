#include "api/yaml.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::api {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// YAML → JSON, typed the way sigs.k8s.io/yaml types scalars.

struct ParseCase {
  std::string name;
  std::string yaml;
  std::string json;  // expected, compared as parsed JSON values
};

TEST(ParseYamlDocument, Scalars) {
  const std::vector<ParseCase> cases = {
      {"true", "a: true", R"({"a":true})"},
      {"False", "a: False", R"({"a":false})"},
      {"yaml 1.1 yes", "a: yes", R"({"a":true})"},
      {"yaml 1.1 off", "a: off", R"({"a":false})"},
      {"yaml 1.1 y", "a: y", R"({"a":true})"},
      {"yaml 1.1 y as a key", "y: 1", R"({"true":1})"},
      {"quoted true stays a string", "a: 'true'", R"({"a":"true"})"},
      {"double-quoted number stays a string", "a: \"80\"", R"({"a":"80"})"},
      {"integer", "a: 42", R"({"a":42})"},
      {"negative integer", "a: -7", R"({"a":-7})"},
      {"plus sign", "a: +7", R"({"a":7})"},
      {"hex", "a: 0x1F", R"({"a":31})"},
      {"yaml 1.1 octal file mode", "a: 0644", R"({"a":420})"},
      {"0o octal", "a: 0o17", R"({"a":15})"},
      {"binary", "a: 0b101", R"({"a":5})"},
      {"underscores", "a: 1_000", R"({"a":1000})"},
      {"int64 max", "a: 9223372036854775807", R"({"a":9223372036854775807})"},
      {"int64 min", "a: -9223372036854775808", R"({"a":-9223372036854775808})"},
      {"beyond int64 is uint64", "a: 18446744073709551615", R"({"a":18446744073709551615})"},
      {"float", "a: 1.5", R"({"a":1.5})"},
      {"leading dot float", "a: .5", R"({"a":0.5})"},
      {"exponent float", "a: -2.5e-3", R"({"a":-0.0025})"},
      {"integral float is an integer", "a: 1.0", R"({"a":1})"},
      {"integral exponent is an integer", "a: 1e3", R"({"a":1000})"},
      {"invalid octal is a float, so an integer", "a: 09", R"({"a":9})"},
      {"float overflow stays a string", "a: 1e400", R"({"a":"1e400"})"},
      {"empty is null", "a:", R"({"a":null})"},
      {"tilde is null", "a: ~", R"({"a":null})"},
      {"null", "a: null", R"({"a":null})"},
      {"Null", "a: Null", R"({"a":null})"},
      {"quoted null stays a string", "a: 'null'", R"({"a":"null"})"},
      {"version-like", "a: 1.2.3", R"({"a":"1.2.3"})"},
      {"date stays a string", "a: 2024-01-01", R"({"a":"2024-01-01"})"},
      {"timestamp stays a string", "a: 2026-11-27T02:57:06Z", R"({"a":"2026-11-27T02:57:06Z"})"},
      {"sexagesimal stays a string", "a: 12:30", R"({"a":"12:30"})"},
      {"quantity", "a: 100m", R"({"a":"100m"})"},
      {"image", "a: x/nginx:v1.1", R"({"a":"x/nginx:v1.1"})"},
      {"bare sign", "a: '-'", R"({"a":"-"})"},
      {"hex prefix alone", "a: 0x", R"({"a":"0x"})"},
      {"explicit str tag", "a: !!str 12", R"({"a":"12"})"},
      {"explicit float tag, integral", "a: !!float 3", R"({"a":3})"},
      {"custom tag is a string", "a: !thing 12", R"({"a":"12"})"},
      {"literal block", "a: |\n  x\n  y\n", R"({"a":"x\ny\n"})"},
      {"literal block strip", "a: |-\n  x\n  y\n", R"({"a":"x\ny"})"},
      {"folded block", "a: >-\n  x\n  y\n", R"({"a":"x y"})"},
      {"multi-line plain", "a: one\n  two\n", R"({"a":"one two"})"},
      {"escapes", R"(a: "tab\there\u00e9")", R"({"a":"tab\there\u00e9"})"},
  };
  for (const auto& c : cases) {
    auto v = parseYamlDocument(c.yaml);
    ASSERT_TRUE(v.ok()) << c.name << ": " << v.error().message;
    EXPECT_EQ(*v, json::parse(c.json)) << c.name << ": got " << json::serialize(*v);
  }
}

TEST(ParseYamlDocument, Structure) {
  const std::vector<ParseCase> cases = {
      {"empty document is null", "", "null"},
      {"comment only is null", "# nothing\n", "null"},
      {"top-level scalar", "hello", R"("hello")"},
      {"top-level list", "- a\n- 1", R"(["a",1])"},
      {"nested", "a:\n  b:\n    c: 1\n", R"({"a":{"b":{"c":1}}})"},
      {"unindented sequence", "a:\n- x\n- z\n", R"({"a":["x","z"]})"},
      {"sequence of maps", "a:\n- name: x\n  port: 80\n- name: z\n",
       R"({"a":[{"name":"x","port":80},{"name":"z"}]})"},
      {"nested sequences", "- - a\n  - b\n- []\n", R"([["a","b"],[]])"},
      {"flow collections", "a: [1, 'b', {c: d}]\nb: {}\n", R"({"a":[1,"b",{"c":"d"}],"b":{}})"},
      {"integer key", "1: a", R"({"1":"a"})"},
      {"boolean key", "true: a", R"({"true":"a"})"},
      {"yaml 1.1 boolean key", "on: a", R"({"true":"a"})"},
      {"float key", "1.5: a", R"({"1.5":"a"})"},
      {"quoted key", "'on': a", R"({"on":"a"})"},
      {"duplicate key, last wins", "a: 1\na: 2\n", R"({"a":2})"},
      {"anchor and alias", "a: &x [1, 2]\nb: *x\n", R"({"a":[1,2],"b":[1,2]})"},
      {"merge key", "base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\n",
       R"({"base":{"p":1,"q":2},"d":{"p":1,"q":3}})"},
      {"merge list, first wins", "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n",
       R"({"a":{"x":1},"b":{"x":2,"z":2},"c":{"x":1,"z":2}})"},
      {"document start marker", "---\na: 1\n", R"({"a":1})"},
      {"empty documents around it", "---\n---\na: 1\n---\n# end\n", R"({"a":1})"},
      {"json", R"({"a": [1, "x", null, true], "b": {"c": -1}})",
       R"({"a":[1,"x",null,true],"b":{"c":-1}})"},
      {"json-looking yaml flow", "{a: 1, b: [x]}", R"({"a":1,"b":["x"]})"},
  };
  for (const auto& c : cases) {
    auto v = parseYamlDocument(c.yaml);
    ASSERT_TRUE(v.ok()) << c.name << ": " << v.error().message;
    EXPECT_EQ(*v, json::parse(c.json)) << c.name << ": got " << json::serialize(*v);
  }
}

// A JSON document is read by the JSON parser, so numbers keep their exact JSON types.
TEST(ParseYamlDocument, JsonKeepsNumberTypes) {
  auto v = parseYamlDocument(R"({"a": 1.0, "b": 12345678901234567890, "c": 0.1})");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->at("a").is_double());
  EXPECT_TRUE(v->at("b").is_uint64());
  EXPECT_EQ(v->at("c").as_double(), 0.1);
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;  // a substring of the error message
};

TEST(ParseYamlDocument, Errors) {
  const std::vector<ErrorCase> cases = {
      {"bad indentation", "a:\n  b: 1\n c: 2\n",
       "error converting YAML to JSON: yaml: line 3: did not find expected key"},
      {"mapping in a plain value", "a: b: c",
       "error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this "
       "context"},
      {"unclosed flow sequence", "a: [1, 2\n", "did not find expected ',' or ']'"},
      {"unclosed flow mapping", "a: {b: 1\n", "did not find expected ',' or '}'"},
      {"unknown alias", "a: *nope", "line 1: unknown anchor referenced"},
      {"infinity has no JSON form", "a: .inf", "line 1: json: unsupported value: .inf"},
      {"explicit tag mismatch", "a: !!int abc", "cannot decode `abc` as a !!int"},
      {"several documents", "a: 1\n---\nb: 2\n",
       "expected a single YAML or JSON document, found 2"},
      // yaml-cpp alone would loop forever on these, reading empty documents at the same token.
      {"too deeply nested", "a: " + std::string(5000, '[') + std::string(5000, ']'),
       "exceeded max depth of nesting"},
      {"stray comma at the top", ", a: 1\n", "yaml: line 1: did not find expected node content"},
      {"stray comma after a document", "[a]\n,\n",
       "yaml: line 2: did not find expected node content"},
  };
  for (const auto& c : cases) {
    auto v = parseYamlDocument(c.text);
    ASSERT_FALSE(v.ok()) << c.name;
    EXPECT_EQ(v.error().reason, "BadRequest") << c.name;
    EXPECT_NE(v.error().message.find(c.message), std::string::npos)
        << c.name << ": " << v.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// Manifest streams.

struct ManifestCase {
  std::string name;
  std::string text;
  std::vector<std::string> kinds;  // the kinds of the objects, in order
};

TEST(ParseManifests, Streams) {
  const std::vector<ManifestCase> cases = {
      {"single", "kind: Deployment\n", {"Deployment"}},
      {"two documents", "kind: Deployment\n---\nkind: Service\n", {"Deployment", "Service"}},
      {"leading, trailing and repeated separators",
       "---\nkind: A\n---\n---\nkind: B\n---\n",
       {"A", "B"}},
      {"comment-only and blank documents skipped",
       "# header\n---\n\n---\nkind: A\n---\n# end\n",
       {"A"}},
      {"separator with a comment", "kind: A\n--- # next\nkind: B\n", {"A", "B"}},
      {"separator with trailing spaces", "kind: A\n---   \nkind: B\n", {"A", "B"}},
      {"indented dashes are content", "kind: A\ndata:\n  x: |\n    ---\n    y\n", {"A"}},
      {"explicit null document skipped", "null\n---\nkind: A\n", {"A"}},
      {"json document", R"({"kind": "A", "apiVersion": "v1"})", {"A"}},
      {"json stream", "{\"kind\": \"A\"}\n{\"kind\": \"B\"}\n", {"A", "B"}},
      {"json and yaml documents", "{\"kind\": \"A\"}\n---\nkind: B\n", {"A", "B"}},
      {"list expands", "kind: List\nitems:\n- kind: A\n- kind: B\n", {"A", "B"}},
      {"empty list", "kind: List\nitems: []\n", {}},
      {"list without items", "kind: List\n", {}},
      {"typed list expands", "kind: PodList\napiVersion: v1\nitems:\n- kind: Pod\n", {"Pod"}},
      {"nested lists",
       "kind: List\nitems:\n- kind: List\n  items:\n  - kind: A\n- kind: B\n",
       {"A", "B"}},
      {"kind ending in List without items is an object",
       "kind: WatchList\nspec: {}\n",
       {"WatchList"}},
      {"list between documents",
       "kind: A\n---\nkind: List\nitems:\n- kind: B\n---\nkind: C\n",
       {"A", "B", "C"}},
  };
  for (const auto& c : cases) {
    auto objects = parseManifests(c.text, "test.yaml");
    ASSERT_TRUE(objects.ok()) << c.name << ": " << objects.error().message;
    std::vector<std::string> kinds;
    for (const auto& o : *objects) kinds.emplace_back(o.at("kind").as_string());
    EXPECT_EQ(kinds, c.kinds) << c.name;
  }
}

TEST(ParseManifests, TypedListItemsGetKindAndApiVersion) {
  auto objects = parseManifests(
      "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: a}\n", "list.yaml");
  ASSERT_TRUE(objects.ok()) << objects.error().message;
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ(objects->front(),
            json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"}})"));
}

TEST(ParseManifests, Errors) {
  const std::vector<ErrorCase> cases = {
      {"names the source and the line of the whole stream",
       "kind: A\n---\nkind: B\nspec:\n  a: 1\n b: 2\n",
       "error parsing deploy.yaml: error converting YAML to JSON: yaml: line 6: did not find "
       "expected key"},
      {"scalar document", "kind: A\n---\njust text\n",
       "error parsing deploy.yaml: line 3: expected an object (a Kubernetes manifest), found a "
       "string"},
      {"list document", "- a\n- b\n", "found a list"},
      {"list item not an object", "kind: List\nitems:\n- 1\n", "found a number"},
      {"placeholder without a suffix",
       "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: "
       "{your_repository}\n",
       "error parsing deploy.yaml: error converting YAML to JSON: yaml: line 6: found flow "
       "mapping \"{your_repository}\" where a value was expected; \"{your_repository}\" looks like "
       "a placeholder: replace it with a registry name (e.g. example.com)"},
      {"other placeholder word", "kind: A\nname: {app_name}-x\n",
       "\"{app_name}\" looks like a placeholder: replace it with a real value"},
      {"placeholder on another line than the error", "a: {tag}\nb: [\n",
       "\"{tag}\" on line 1 looks like a placeholder"},
  };
  for (const auto& c : cases) {
    auto objects = parseManifests(c.text, "deploy.yaml");
    ASSERT_FALSE(objects.ok()) << c.name;
    EXPECT_EQ(objects.error().reason, "BadRequest") << c.name;
    EXPECT_EQ(objects.error().code, 400) << c.name;
    EXPECT_NE(objects.error().message.find(c.message), std::string::npos)
        << c.name << ": " << objects.error().message;
  }
}

// The first Deployment of the seed document, verbatim: `{your_repository}` makes it invalid.
const char* const kSeedDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-v1
spec:
  replicas: 2               # Deployment的副本数，即Pod的数量
  selector:                 # Label Selector（标签选择器）
    matchLabels:
      app: nginx
      version: v1
  template:
    metadata:
      labels:               # Pod的标签
        app: nginx
        version: v1
    spec:
      containers:
      - image: {your_repository}/nginx:v1 # 容器使用的镜像为：nginx:v1
        name: container-0
        resources:
          limits:
            cpu: 100m
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
      imagePullSecrets:
      - name: default-secret
)";

TEST(ParseManifests, SeedPlaceholderIsExplained) {
  auto objects = parseManifests(kSeedDeployment, "nginx-v1.yaml");
  ASSERT_FALSE(objects.ok());
  EXPECT_EQ(objects.error().reason, "BadRequest");
  EXPECT_EQ(objects.error().message,
            "error parsing nginx-v1.yaml: error converting YAML to JSON: yaml: line 18: did not "
            "find expected key; \"{your_repository}\" looks like a placeholder: replace it with a "
            "registry name (e.g. example.com)");

  // After a second document, the line still counts from the top of the file.
  auto second =
      parseManifests(std::string("kind: Namespace\n---\n") + kSeedDeployment, "both.yaml");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("yaml: line 20: did not find expected key"),
            std::string::npos)
      << second.error().message;
}

TEST(ParseManifests, SeedWithRegistryParses) {
  std::string text = kSeedDeployment;
  text.replace(text.find("{your_repository}"), std::string("{your_repository}").size(),
               "example.com");
  auto objects = parseManifests(text, "nginx-v1.yaml");
  ASSERT_TRUE(objects.ok()) << objects.error().message;
  ASSERT_EQ(objects->size(), 1u);
  const auto& d = objects->front();
  EXPECT_EQ(d.at("spec").at("replicas"), json::value(2));
  const auto& container = d.at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(container.at("image"), json::value("example.com/nginx:v1"));
  EXPECT_EQ(container.at("resources").at("limits").at("memory"), json::value("200Mi"));
  EXPECT_EQ(d.at("spec").at("template").at("spec").at("imagePullSecrets"),
            json::parse(R"([{"name":"default-secret"}])"));
}

// ---------------------------------------------------------------------------------------------
// YAML output, as `kubectl get -o yaml` prints it.

struct YamlCase {
  std::string name;
  std::string json;
  std::string yaml;
};

TEST(ToYaml, Strings) {
  const std::vector<YamlCase> cases = {
      {"plain", R"({"a":"nginx"})", "a: nginx\n"},
      {"with spaces", R"({"a":"Deployment has minimum availability."})",
       "a: Deployment has minimum availability.\n"},
      {"quotes inside", R"({"a":"ReplicaSet \"x\" has progressed."})",
       "a: ReplicaSet \"x\" has progressed.\n"},
      {"image with colon", R"({"a":"x/nginx:v1"})", "a: x/nginx:v1\n"},
      {"apostrophe inside", R"({"a":"it's"})", "a: it's\n"},
      {"non-ascii", R"({"a":"容器"})", "a: 容器\n"},
      {"boolean-like", R"({"a":"true"})", "a: \"true\"\n"},
      {"yaml 1.1 boolean-like", R"({"a":"y"})", "a: \"y\"\n"},
      {"title-case boolean-like", R"({"a":"True"})", "a: \"True\"\n"},
      {"integer-like", R"({"a":"80"})", "a: \"80\"\n"},
      {"float-like", R"({"a":"1.5"})", "a: \"1.5\"\n"},
      {"octal-like", R"({"a":"0644"})", "a: \"0644\"\n"},
      {"hex-like", R"({"a":"0x1F"})", "a: \"0x1F\"\n"},
      {"exponent-like", R"({"a":"1e3"})", "a: \"1e3\"\n"},
      {"null-like", R"({"a":"null"})", "a: \"null\"\n"},
      {"tilde", R"({"a":"~"})", "a: \"~\"\n"},
      {"empty", R"({"a":""})", "a: \"\"\n"},
      {"timestamp", R"({"a":"2026-11-27T02:57:06Z"})", "a: \"2026-11-27T02:57:06Z\"\n"},
      {"date", R"({"a":"2026-11-27"})", "a: \"2026-11-27\"\n"},
      {"sexagesimal", R"({"a":"12:30"})", "a: \"12:30\"\n"},
      {"version is plain", R"({"a":"1.2.3"})", "a: 1.2.3\n"},
      {"quantity is plain", R"({"a":"100m"})", "a: 100m\n"},
      {"percent in the middle is plain", R"({"a":"25%"})", "a: 25%\n"},
      {"star", R"({"a":"*"})", "a: '*'\n"},
      {"leading dash and space", R"({"a":"- x"})", "a: '- x'\n"},
      {"lone dash", R"({"a":"-"})", "a: '-'\n"},
      {"colon space", R"({"a":"a: b"})", "a: 'a: b'\n"},
      {"trailing colon", R"({"a":"a:"})", "a: 'a:'\n"},
      {"space hash", R"({"a":"a #b"})", "a: 'a #b'\n"},
      {"leading hash", R"({"a":"#x"})", "a: '#x'\n"},
      {"leading at", R"({"a":"@x"})", "a: '@x'\n"},
      {"leading brace", R"({"a":"{x}"})", "a: '{x}'\n"},
      {"leading space", R"({"a":" x"})", "a: ' x'\n"},
      {"trailing space", R"({"a":"x "})", "a: 'x '\n"},
      {"single quotes doubled", R"({"a":"'q'"})", "a: '''q'''\n"},
      {"document marker", R"({"a":"---"})", "a: '---'\n"},
      {"tab", R"({"a":"a\tb"})", "a: \"a\\tb\"\n"},
      {"control character", R"({"a":"a\u0001"})", "a: \"a\\x01\"\n"},
      {"emoji", R"({"a":"hi 😀"})", "a: \"hi \\U0001F600\"\n"},
      {"multi-line", R"({"a":"line1\nline2\n"})", "a: |\n  line1\n  line2\n"},
      {"multi-line without final newline", R"({"a":"line1\nline2"})", "a: |-\n  line1\n  line2\n"},
      {"multi-line with extra newlines", R"({"a":"x\n\n"})", "a: |+\n  x\n\n"},
      {"multi-line with empty line", R"({"a":"x\n\ny\n"})", "a: |\n  x\n\n  y\n"},
      {"multi-line leading space", R"({"a":" x\ny"})", "a: |2-\n   x\n  y\n"},
      {"multi-line space before newline", R"({"a":"x \ny"})", "a: \"x \\ny\"\n"},
      {"multi-line with carriage return", R"({"a":"x\r\ny"})", "a: \"x\\r\\ny\"\n"},
      {"nested literal indent", R"({"a":{"b":"x\ny\n"}})", "a:\n  b: |\n    x\n    y\n"},
      {"literal in a sequence", R"({"a":["x\ny\n"]})", "a:\n- |\n  x\n  y\n"},
      {"long line is not folded",
       R"({"a":"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh"})",
       "a: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee ffffffffff gggggggggg "
       "hhhhhhhhhh\n"},
      {"quoted keys", R"({"80":"a","true":"b","":"c","a b":"d"})",
       "\"\": c\n\"80\": a\na b: d\n\"true\": b\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(toYaml(json::parse(c.json)), c.yaml) << c.name;
  }
}

TEST(ToYaml, ScalarsAndStructure) {
  const std::vector<YamlCase> cases = {
      {"integers", R"({"a":1,"b":-2,"c":18446744073709551615})",
       "a: 1\nb: -2\nc: 18446744073709551615\n"},
      {"floats", R"({"a":1.5,"b":0.0001,"c":0.00001,"d":1234567.5,"e":1e21})",
       "a: 1.5\nb: 0.0001\nc: 1e-05\nd: 1.2345675e+06\ne: 1e+21\n"},
      {"integral float prints as an integer", R"({"a":2.0,"b":1e15})",
       "a: 2\nb: 1000000000000000\n"},
      {"booleans and null", R"({"a":true,"b":false,"c":null})", "a: true\nb: false\nc: null\n"},
      {"empty collections", R"({"a":{},"b":[]})", "a: {}\nb: []\n"},
      {"nested mapping", R"({"a":{"b":{"c":1}}})", "a:\n  b:\n    c: 1\n"},
      {"sequence under a key is not indented", R"({"a":["x","z"]})", "a:\n- x\n- z\n"},
      {"sequence of mappings", R"({"containers":[{"name":"web","image":"x"},{"name":"z"}]})",
       "containers:\n- image: x\n  name: web\n- name: z\n"},
      {"mapping in mapping in sequence", R"({"a":[{"b":{"c":1},"d":[1]}]})",
       "a:\n- b:\n    c: 1\n  d:\n  - 1\n"},
      {"nested sequences", R"([["a","b"],[],[{"c":1,"d":2}]])",
       "- - a\n  - b\n- []\n- - c: 1\n    d: 2\n"},
      {"empty collections in a sequence", R"({"a":[{},[]]})", "a:\n- {}\n- []\n"},
      {"top-level scalar", R"("x")", "x\n"},
      {"top-level null", "null", "null\n"},
      {"top-level empty object", "{}", "{}\n"},
      {"top-level empty array", "[]", "[]\n"},
      {"top-level literal", R"("a\nb\n")", "|\n  a\n  b\n"},
      {"keys sorted like go-yaml", R"({"b":1,"a10":1,"a2":1,"a":1,"A":1,"_x":1,"a-b":1})",
       "_x: 1\nA: 1\na: 1\na-b: 1\na2: 1\na10: 1\nb: 1\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(toYaml(json::parse(c.json)), c.yaml) << c.name;
  }
}

// `kubectl get deploy nginx-v1 -o yaml` (kubectl 1.33), byte for byte: parsing it and printing it
// again gives the same text.
const char* const kKubectlDeploymentYaml = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "2"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"nginx","version":"v1"},"name":"nginx-v1","namespace":"default"},"spec":{"replicas":3}}
  creationTimestamp: "2026-11-27T02:57:06Z"
  generation: 2
  labels:
    app: nginx
    version: v1
  name: nginx-v1
  namespace: default
  resourceVersion: "1047"
  uid: f68c11c4-aa82-474b-a6e5-944d9a868c0b
spec:
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: nginx
      version: v1
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: nginx
        version: v1
    spec:
      containers:
      - image: x/nginx:v1.1
        imagePullPolicy: IfNotPresent
        name: nginx
        ports:
        - containerPort: 80
          protocol: TCP
        resources:
          limits:
            cpu: 250m
            memory: 128Mi
          requests:
            cpu: 100m
            memory: 64Mi
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      imagePullSecrets:
      - name: regcred
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  availableReplicas: 3
  conditions:
  - lastTransitionTime: "2026-11-27T02:57:06Z"
    lastUpdateTime: "2026-11-27T02:57:09Z"
    message: Deployment has minimum availability.
    reason: MinimumReplicasAvailable
    status: "True"
    type: Available
  - lastTransitionTime: "2026-11-27T02:57:06Z"
    lastUpdateTime: "2026-11-27T02:57:09Z"
    message: ReplicaSet "nginx-v1-qp956n7pjw" has successfully progressed.
    reason: NewReplicaSetAvailable
    status: "True"
    type: Progressing
  observedGeneration: 2
  readyReplicas: 3
  replicas: 3
  updatedReplicas: 3
)";

TEST(ToYaml, MatchesKubectlOutput) {
  auto v = parseYamlDocument(kKubectlDeploymentYaml);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(toYaml(*v), kKubectlDeploymentYaml);
}

// toYaml then parseYamlDocument gives the value back.
TEST(ToYaml, RoundTrips) {
  const std::vector<std::string> values = {
      R"({"a":"true","b":"yes","c":"80","d":"","e":"*","f":"- x","g":"a: b","h":"a #b","i":"null"})",
      R"({"a":"~","b":"1e3","c":"0x1F","d":"0644","e":"12:30","f":"2026-11-27","g":" lead","h":"trail "})",
      R"({"a":"'q'","b":"\"dq\"","c":"back\\slash","d":"tab\there","e":"x\u0001y","f":"😀","g":"容器"})",
      R"({"a":"x\ny\n","b":"x\ny","c":"x\n\n","d":" x\ny","e":"x \ny","f":"\nx","g":"x\r\ny","h":"\n"})",
      R"({"a":"\u0085","b":"\u2028","c":"\u00a0","d":"\ufeffbom","e":"a\u007fb","f":"%x","g":"@x","h":"`x"})",
      R"({"a":"---","b":"...","c":"? x","d":"?x","e":":x","f":"-x","g":"[x]","h":"x,y","i":"{x}"})",
      R"({"a":1,"b":-1,"c":1.5,"d":-0.25,"e":1e-7,"f":1.2345675e+06,"g":9223372036854775807})",
      R"({"a":true,"b":false,"c":null,"d":{},"e":[],"f":[[]],"g":[{}],"h":[null,1,"x"]})",
      R"({"on":"key","80":"k","":"empty","a b":"space","x\ny":"newline key","<<":"merge"})",
      R"({"l1":[{"l2":[{"l3":{"x":["a",{"b":"c\nd"}]}}]}],"m":[["a",["b",["c"]]]]})",
      R"(["top", 1, {"a": "b"}])",
      R"("just a string")",
      R"("multi\nline\n")",
      R"(42)",
      R"(null)",
  };
  for (const auto& text : values) {
    json::value original = json::parse(text);
    std::string yaml = toYaml(original);
    auto back = parseYamlDocument(yaml);
    ASSERT_TRUE(back.ok()) << text << "\n" << yaml << "\n" << back.error().message;
    EXPECT_EQ(*back, original) << text << "\n--- yaml:\n"
                               << yaml << "--- back:\n"
                               << json::serialize(*back);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON output, as `kubectl get -o json` prints it.

struct JsonCase {
  std::string name;
  std::string json;
  std::string pretty;
};

TEST(ToPrettyJson, Table) {
  const std::vector<JsonCase> cases = {
      {"object with sorted keys", R"({"b":1,"a":{"d":{},"c":[1,"x"]},"e":[]})",
       "{\n"
       "    \"a\": {\n"
       "        \"c\": [\n"
       "            1,\n"
       "            \"x\"\n"
       "        ],\n"
       "        \"d\": {}\n"
       "    },\n"
       "    \"b\": 1,\n"
       "    \"e\": []\n"
       "}\n"},
      {"scalars", R"({"a":true,"b":null,"c":-5,"d":"s"})",
       "{\n    \"a\": true,\n    \"b\": null,\n    \"c\": -5,\n    \"d\": \"s\"\n}\n"},
      {"floats like encoding/json", R"([1.5, 2.0, 1e21, 1e-7, 0.000001, 123456789.0])",
       "[\n    1.5,\n    2,\n    1e+21,\n    1e-7,\n    0.000001,\n    123456789\n]\n"},
      {"escaping like encoding/json", R"(["<a&b>", "q\"\\", "\n\t\u0001", "é\u2028"])",
       "[\n    \"\\u003ca\\u0026b\\u003e\",\n    \"q\\\"\\\\\",\n    \"\\n\\t\\u0001\",\n    "
       "\"é\\u2028\"\n]\n"},
      {"top-level scalar", R"("x")", "\"x\"\n"},
      {"empty object", "{}", "{}\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(toPrettyJson(json::parse(c.json)), c.pretty) << c.name;
  }
}

TEST(ToPrettyJson, ParsesBack) {
  auto v = parseYamlDocument(kKubectlDeploymentYaml);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(json::parse(toPrettyJson(*v)), *v);
}

}  // namespace
}  // namespace sluice::api
