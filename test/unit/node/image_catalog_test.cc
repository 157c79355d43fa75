#include "node/image_catalog.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::node {
namespace {

namespace json = boost::json;

ImageCatalog mustParse(std::string_view yaml, std::string_view source = "images.yaml") {
  auto catalog = ImageCatalog::parse(yaml, source);
  EXPECT_TRUE(catalog.ok()) << (catalog.ok() ? "" : catalog.error().message);
  return catalog.ok() ? std::move(*catalog) : ImageCatalog();
}

// ---------------------------------------------------------------------------------------------
// Parsing.

TEST(ImageCatalogParse, ReadsEveryField) {
  ImageCatalog catalog = mustParse(R"j(
images:
  - image: "example.com/nginx:v1"     # exact match
    command: ["{sluice}", "http-echo"]
    args: ["--text", "Nginx-v1"]
    env: {GREETING: hi, B: "2", A: "1"}
    workingDir: /tmp
  - image: "myapp:*"
    command: ["/usr/bin/env"]
)j");
  ASSERT_EQ(catalog.entries().size(), 2u);
  const CatalogEntry& nginx = catalog.entries()[0];
  EXPECT_EQ(nginx.pattern, "example.com/nginx:v1");
  EXPECT_EQ(nginx.source, "images.yaml");
  EXPECT_EQ(nginx.spec.command, (std::vector<std::string>{"{sluice}", "http-echo"}));
  EXPECT_EQ(nginx.spec.args, (std::vector<std::string>{"--text", "Nginx-v1"}));
  EXPECT_EQ(nginx.spec.env, (std::vector<EnvVar>{{"GREETING", "hi"}, {"B", "2"}, {"A", "1"}}));
  EXPECT_EQ(nginx.spec.workingDir, "/tmp");
  const CatalogEntry& myapp = catalog.entries()[1];
  EXPECT_EQ(myapp.pattern, "myapp:*");
  EXPECT_EQ(myapp.spec.command, (std::vector<std::string>{"/usr/bin/env"}));
  EXPECT_TRUE(myapp.spec.args.empty());
  EXPECT_TRUE(myapp.spec.env.empty());
  EXPECT_EQ(myapp.spec.workingDir, "");
}

TEST(ImageCatalogParse, EmptyInputs) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty file", ""},
      {"comments only", "# nothing yet\n"},
      {"null images", "images:\n"},
      {"empty list", "images: []\n"},
      {"null fields",
       "images:\n  - image: a\n    command:\n    args:\n    env:\n    workingDir:\n"},
  };
  for (const auto& [name, yaml] : cases) {
    SCOPED_TRACE(name);
    auto catalog = ImageCatalog::parse(yaml, "images.yaml");
    ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  }
}

TEST(ImageCatalogParse, JsonIsYaml) {
  ImageCatalog catalog = mustParse(R"j({"images":[{"image":"a:v1","command":["/bin/true"]}]})j");
  ASSERT_EQ(catalog.entries().size(), 1u);
  EXPECT_EQ(catalog.entries()[0].spec.command, (std::vector<std::string>{"/bin/true"}));
}

struct ParseErrorCase {
  std::string name;
  std::string yaml;
  std::string message;  // the whole message after "image catalog my/images.yaml: "
};

TEST(ImageCatalogParse, Errors) {
  const std::vector<ParseErrorCase> cases = {
      {"syntax error names the line", "images:\n  - image: a\n   bad: [\n",
       "error converting YAML to JSON: yaml: line 3: did not find expected '-' indicator"},
      {"not a mapping", "- image: a\n", "must be a mapping with an \"images\" list, got a list"},
      {"unknown top-level field", "imagez: []\n", "unknown field \"imagez\""},
      {"images not a list", "images: {image: a}\n",
       "images: must be a list of entries, got a mapping"},
      {"entry not a mapping", "images:\n  - nginx:v1\n",
       "images[0]: must be a mapping with an \"image\" field, got \"nginx:v1\""},
      {"missing image", "images:\n  - image: a\n  - command: [x]\n",
       "images[1]: missing field \"image\""},
      {"image not a string", "images:\n  - image: 1.5\n",
       "images[0].image: must be a string, got 1.5 (quote it: \"1.5\")"},
      {"empty image", "images:\n  - image: ''\n", "images[0].image: must not be empty"},
      {"image with a space", "images:\n  - image: 'a b'\n",
       "images[0].image: must not contain whitespace, got \"a b\""},
      {"command not a list", "images:\n  - image: a\n    command: /bin/true\n",
       "images[0].command: must be a list of strings, got \"/bin/true\""},
      {"number in args", "images:\n  - image: a\n    args: [--port, 80]\n",
       "images[0].args[1]: must be a string, got 80 (quote it: \"80\")"},
      {"bool in command", "images:\n  - image: a\n    command: [x, true]\n",
       "images[0].command[1]: must be a string, got true (quote it: \"true\")"},
      {"list in args", "images:\n  - image: a\n    args: [[x]]\n",
       "images[0].args[0]: must be a string, got a list"},
      {"env as a list", "images:\n  - image: a\n    env: [A=1]\n",
       "images[0].env: must be a mapping of names to values, got a list"},
      {"number in env", "images:\n  - image: a\n    env: {PORT: 80}\n",
       "images[0].env.PORT: must be a string, got 80 (quote it: \"80\")"},
      {"bad env name", "images:\n  - image: a\n    env: {'A=B': x}\n",
       "images[0].env: invalid variable name \"A=B\""},
      {"workingDir not a string", "images:\n  - image: a\n    workingDir: [x]\n",
       "images[0].workingDir: must be a string, got a list"},
      {"typo in a field", "images:\n  - image: a\n    comand: [x]\n",
       "images[0]: unknown field \"comand\" (known: image, command, args, env, workingDir)"},
      {"duplicate pattern", "images:\n  - image: a:v1\n  - image: b\n  - image: a:v1\n",
       "images[2].image: \"a:v1\" is already listed at images[0]"},
      {"duplicate image written another way",
       "images:\n  - image: nginx:latest\n  - image: docker.io/library/nginx\n",
       "images[1].image: \"docker.io/library/nginx\" is already listed at images[0]"},
  };
  for (const ParseErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto catalog = ImageCatalog::parse(c.yaml, "my/images.yaml");
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.error().code, 400);
    EXPECT_EQ(catalog.error().reason, "BadRequest");
    EXPECT_EQ(catalog.error().message, "image catalog my/images.yaml: " + c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// References and matching.

TEST(CanonicalImageReference, NormalisesAsContainerRuntimesDo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nginx", "docker.io/library/nginx:latest"},
      {"nginx:v1", "docker.io/library/nginx:v1"},
      {"library/nginx:v1", "docker.io/library/nginx:v1"},
      {"docker.io/nginx:v1", "docker.io/library/nginx:v1"},
      {"index.docker.io/library/nginx:v1", "docker.io/library/nginx:v1"},
      {"user/app:v2", "docker.io/user/app:v2"},
      {"example.com/nginx:v1", "example.com/nginx:v1"},
      {"example.com/team/nginx", "example.com/team/nginx:latest"},
      {"localhost/app", "localhost/app:latest"},
      {"localhost:5000/app:v1", "localhost:5000/app:v1"},
      {"Registry/app", "Registry/app:latest"},
      {"app@sha256:abc", "docker.io/library/app@sha256:abc"},
      {"app:v1@sha256:abc", "docker.io/library/app:v1@sha256:abc"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(canonicalImageReference(in), want) << in;
  }
}

TEST(WildcardMatch, Table) {
  struct Case {
    std::string pattern, text;
    bool match;
  };
  const std::vector<Case> cases = {
      {"myapp:*", "myapp:v1", true},
      {"myapp:*", "myapp:", true},
      {"myapp:*", "myapp", false},
      {"myapp:*", "xmyapp:v1", false},
      {"*", "", true},
      {"*", "anything/at:all", true},
      {"*/nginx:v1", "example.com/nginx:v1", true},
      {"*/nginx:v1", "example.com/team/nginx:v1", true},
      {"*/nginx:v1", "example.com/mynginx:v1", false},
      {"a*b*c", "abc", true},
      {"a*b*c", "axxbyyc", true},
      {"a*b*c", "axxbyy", false},
      {"a*b", "abab", true},
      {"a**b", "ab", true},
      {"exact", "exact", true},
      {"exact", "exactly", false},
      {"", "", true},
      {"", "x", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(wildcardMatch(c.pattern, c.text), c.match) << c.pattern << " ~ " << c.text;
  }
}

TEST(ImageCatalogResolve, ExactBeatsWildcardAndFirstWildcardWins) {
  ImageCatalog catalog = mustParse(R"j(
images:
  - image: "*"
    command: [catch-all]
  - image: "myapp:*"
    command: [myapp-any]
  - image: "myapp:v*"
    command: [myapp-v]
  - image: "myapp:v2"
    command: [myapp-v2]
  - image: "example.com/nginx:v1"
    command: [nginx-v1]
  - image: "nginx"
    command: [nginx-latest]
  - image: "team/*"
    command: [team]
)j");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"myapp:v2", "myapp:v2"},
      {"docker.io/library/myapp:v2", "myapp:v2"},
      {"myapp:v1", "*"},  // the catch-all comes first
      {"example.com/nginx:v1", "example.com/nginx:v1"},
      {"example.com/nginx:v2", "*"},
      {"nginx", "nginx"},
      {"nginx:latest", "nginx"},
      {"docker.io/library/nginx:latest", "nginx"},
      {"nginx:v1", "*"},
  };
  for (const auto& [image, pattern] : cases) {
    auto resolved = catalog.resolve(image, "/bin/sluice");
    ASSERT_TRUE(resolved) << image;
    EXPECT_EQ(resolved->pattern, pattern) << image;
  }
}

TEST(ImageCatalogResolve, WildcardsSeeEveryFormOfTheReference) {
  ImageCatalog catalog = mustParse(R"j(
images:
  - image: "myapp:*"
    command: [myapp]
  - image: "team/*"
    command: [team]
  - image: "docker.io/library/tools:*"
    command: [tools]
)j");
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"myapp:v1", "myapp:*"},
      {"myapp", "myapp:*"},                       // familiar form "myapp:latest"
      {"docker.io/library/myapp:v3", "myapp:*"},  // familiar form "myapp:v3"
      {"team/web:v1", "team/*"},
      {"docker.io/team/web", "team/*"},
      {"tools:v1", "docker.io/library/tools:*"},  // canonical form
      {"example.com/myapp:v1", std::nullopt},
      {"other:v1", std::nullopt},
  };
  for (const auto& [image, pattern] : cases) {
    auto resolved = catalog.resolve(image, "/bin/sluice");
    if (!pattern) {
      EXPECT_FALSE(resolved) << image << " resolved to " << resolved->pattern;
    } else {
      ASSERT_TRUE(resolved) << image;
      EXPECT_EQ(resolved->pattern, *pattern) << image;
    }
  }
}

TEST(ImageCatalogResolve, UnknownImageIsNothing) {
  EXPECT_FALSE(ImageCatalog().resolve("nginx:v1", "/bin/sluice"));
  ImageCatalog catalog = mustParse("images:\n  - image: nginx:v1\n    command: [x]\n");
  EXPECT_FALSE(catalog.resolve("nginx:v2", "/bin/sluice"));
  EXPECT_FALSE(catalog.resolve("example.com/nginx:v1", "/bin/sluice"));
}

TEST(ImageCatalogResolve, HttpEchoPlaceholderPrefersTheSmallExecutable) {
  ImageCatalog catalog = mustParse(
      "images:\n  - image: echo\n    command: [\"{http-echo}\"]\n    args: [--text, "
      "hi]\n");
  auto small = catalog.resolve("echo", "/bin/sluice", "/bin/sluice-http-echo");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->spec.command, (std::vector<std::string>{"/bin/sluice-http-echo"}));
  EXPECT_EQ(small->spec.args, (std::vector<std::string>{"--text", "hi"}));
  auto big = catalog.resolve("echo", "/bin/sluice");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->spec.command, (std::vector<std::string>{"/bin/sluice", "http-echo"}));
}

TEST(ImageCatalogResolve, ExpandsSluicePlaceholderEverywhere) {
  ImageCatalog catalog = mustParse(R"j(
images:
  - image: "a:v1"
    command: ["{sluice}", "http-echo"]
    args: ["--config={sluice}.conf", "{sluice}{sluice}"]
    env: {SELF: "{sluice}"}
    workingDir: "{sluice}.d"
)j");
  auto resolved = catalog.resolve("a:v1", "/opt/sluice/bin/sluice");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->spec.command,
            (std::vector<std::string>{"/opt/sluice/bin/sluice", "http-echo"}));
  EXPECT_EQ(resolved->spec.args,
            (std::vector<std::string>{"--config=/opt/sluice/bin/sluice.conf",
                                      "/opt/sluice/bin/sluice/opt/sluice/bin/sluice"}));
  EXPECT_EQ(resolved->spec.env, (std::vector<EnvVar>{{"SELF", "/opt/sluice/bin/sluice"}}));
  EXPECT_EQ(resolved->spec.workingDir, "/opt/sluice/bin/sluice.d");
  EXPECT_EQ(resolved->source, "images.yaml");
  // The catalog itself is unchanged.
  EXPECT_EQ(catalog.entries()[0].spec.command[0], "{sluice}");
}

TEST(ImageCatalogMerge, LaterOverridesSameImageAndGoesFirst) {
  ImageCatalog catalog = mustParse(R"j(
images:
  - image: "nginx:v1"
    command: [old-nginx]
  - image: "app:*"
    command: [old-app-any]
  - image: "keep:v1"
    command: [keep]
)j",
                                   "data/images.yaml");
  catalog.merge(mustParse(R"j(
images:
  - image: "docker.io/library/nginx:v1"
    command: [new-nginx]
  - image: "app:v*"
    command: [new-app-v]
  - image: "app:*"
    command: [new-app-any]
)j",
                          "extra.yaml"));
  std::vector<std::string> patterns;
  for (const CatalogEntry& e : catalog.entries()) patterns.push_back(e.pattern);
  EXPECT_EQ(patterns,
            (std::vector<std::string>{"docker.io/library/nginx:v1", "app:v*", "app:*", "keep:v1"}));

  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"nginx:v1", "new-nginx", "extra.yaml"},
      {"app:v1", "new-app-v", "extra.yaml"},   // the later file's wildcard is tried first
      {"app:x", "new-app-any", "extra.yaml"},  // overridden in place of the old one
      {"keep:v1", "keep", "data/images.yaml"},
  };
  for (const auto& [image, command, source] : cases) {
    auto resolved = catalog.resolve(image, "/bin/sluice");
    ASSERT_TRUE(resolved) << image;
    EXPECT_EQ(resolved->spec.command, (std::vector<std::string>{command})) << image;
    EXPECT_EQ(resolved->source, source) << image;
  }
}

TEST(ImageCatalogMerge, IntoEmpty) {
  ImageCatalog catalog;
  catalog.merge(mustParse("images:\n  - image: a\n    command: [x]\n"));
  ASSERT_EQ(catalog.entries().size(), 1u);
  catalog.merge(ImageCatalog());
  EXPECT_EQ(catalog.entries().size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// $(VAR) expansion.

TEST(ExpandReferences, KubernetesCases) {
  const std::map<std::string, std::string, std::less<>> vars = {
      {"A", "1"}, {"VAR", "value"}, {"EMPTY", ""}, {"NESTED", "$(A)"}};
  const EnvLookup lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  // Cases from k8s.io/kubernetes/third_party/forked/golang/expansion/expand_test.go.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"$(VAR)", "value"},
      {"___$(VAR)___", "___value___"},
      {"$(A)-$(VAR)", "1-value"},
      {"$(EMPTY)", ""},
      {"$(UNKNOWN)", "$(UNKNOWN)"},
      {"$$(VAR)", "$(VAR)"},
      {"$$$(VAR)", "$value"},
      {"$$$$(VAR)", "$$(VAR)"},
      {"$(VAR", "$(VAR"},
      {"$(A)$(VAR", "1$(VAR"},
      {"$()", "$()"},
      {"$VAR", "$VAR"},
      {"$", "$"},
      {"x$", "x$"},
      {"$$", "$"},
      {"$(NESTED)", "$(A)"},  // expansion is one pass
      {"no references", "no references"},
      {"", ""},
      {"$(A)$(A)$(A)", "111"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(expandReferences(in, lookup), want) << in;
  }
}

// ---------------------------------------------------------------------------------------------
// Container → process.

ImageSpec echoImage() {
  ImageSpec image;
  image.command = {"/bin/sluice", "http-echo"};
  image.args = {"--text", "Nginx-v1"};
  image.env = {{"GREETING", "hi"}, {"PORT", "8080"}};
  image.workingDir = "/srv";
  return image;
}

struct ProcessCase {
  std::string name;
  std::string container;  // JSON
  std::vector<std::string> argv;
  std::vector<EnvVar> env;
  std::string workingDir = "/srv";
};

TEST(BuildProcessSpec, KubernetesSemantics) {
  const std::vector<ProcessCase> cases = {
      {"image defaults",
       R"j({"name":"c","image":"x"})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}}},
      {"args replace the image args",
       R"j({"name":"c","args":["--text","custom"]})j",
       {"/bin/sluice", "http-echo", "--text", "custom"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}}},
      {"command drops the image args",
       R"j({"name":"c","command":["/bin/sh","-c","echo hi"]})j",
       {"/bin/sh", "-c", "echo hi"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}}},
      {"command and args",
       R"j({"name":"c","command":["/bin/echo"],"args":["a","b"]})j",
       {"/bin/echo", "a", "b"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}}},
      {"empty lists mean unset",
       R"j({"name":"c","command":[],"args":[]})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}}},
      {"container env over runtime env over image env",
       R"j({"name":"c","env":[{"name":"GREETING","value":"hello"},{"name":"PORT","value":"9000"},
           {"name":"NEW","value":"n"}]})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hello"}, {"PORT", "9000"}, {"POD_IP", "127.42.0.7"}, {"NEW", "n"}}},
      {"references in args expand from container and runtime env",
       R"j({"name":"c","env":[{"name":"TEXT","value":"v1"}],
           "args":["--text","$(TEXT)","--listen","$(POD_IP):$(PORT)","$(GREETING)","$$(TEXT)"]})j",
       {"/bin/sluice", "http-echo", "--text", "v1", "--listen", "127.42.0.7:80", "$(GREETING)",
        "$(TEXT)"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}, {"TEXT", "v1"}}},
      {"references in command",
       R"j({"name":"c","env":[{"name":"BIN","value":"/bin/echo"}],"command":["$(BIN)","$(BIN)"]})j",
       {"/bin/echo", "/bin/echo"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}, {"BIN", "/bin/echo"}}},
      {"image args are not expanded",
       R"j({"name":"c","env":[{"name":"Nginx-v1","value":"x"}]})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}, {"Nginx-v1", "x"}}},
      {"env values see earlier entries and the runtime env, not later ones",
       R"j({"name":"c","env":[{"name":"A","value":"a$(B)"},{"name":"B","value":"b"},
           {"name":"C","value":"$(A)$(B)@$(POD_IP)"},{"name":"D","value":"$(GREETING)"}]})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"},
        {"PORT", "80"},
        {"POD_IP", "127.42.0.7"},
        {"A", "a$(B)"},
        {"B", "b"},
        {"C", "a$(B)b@127.42.0.7"},
        {"D", "$(GREETING)"}}},
      {"a repeated name keeps the last value",
       R"j({"name":"c","env":[{"name":"X","value":"1"},{"name":"X","value":"2$(X)"}],
           "args":["$(X)"]})j",
       {"/bin/sluice", "http-echo", "21"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}, {"X", "21"}}},
      {"env without value is empty",
       R"j({"name":"c","env":[{"name":"E"}]})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}, {"E", ""}}},
      {"fieldRef reads the pod",
       R"j({"name":"c","env":[
           {"name":"NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
           {"name":"NS","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}},
           {"name":"IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}},
           {"name":"IPS","valueFrom":{"fieldRef":{"fieldPath":"status.podIPs"}}},
           {"name":"VER","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['version']"}}},
           {"name":"NONE","valueFrom":{"fieldRef":{"fieldPath":"metadata.annotations['none']"}}},
           {"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}],
           "args":["$(NAME).$(NS)"]})j",
       {"/bin/sluice", "http-echo", "web-1.blue-green"},
       {{"GREETING", "hi"},
        {"PORT", "80"},
        {"POD_IP", "127.42.0.7"},
        {"NAME", "web-1"},
        {"NS", "blue-green"},
        {"IP", "127.42.0.7"},
        {"IPS", "127.42.0.7,::1"},
        {"VER", "v1"},
        {"NONE", ""},
        {"NODE", ""}}},
      {"workingDir replaces the image's",
       R"j({"name":"c","workingDir":"/work"})j",
       {"/bin/sluice", "http-echo", "--text", "Nginx-v1"},
       {{"GREETING", "hi"}, {"PORT", "80"}, {"POD_IP", "127.42.0.7"}},
       "/work"},
  };
  const json::value pod = json::parse(R"j({
    "metadata": {"name": "web-1", "namespace": "blue-green", "labels": {"version": "v1"}},
    "spec": {},
    "status": {"podIP": "127.42.0.7", "podIPs": [{"ip": "127.42.0.7"}, {"ip": "::1"}]}})j");
  ContainerContext context;
  context.runtimeEnv = {{"PORT", "80"}, {"POD_IP", "127.42.0.7"}};
  context.pod = &pod;
  for (const ProcessCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto process = buildProcessSpec(echoImage(), json::parse(c.container), context);
    ASSERT_TRUE(process.ok()) << process.error().message;
    EXPECT_EQ(process->argv, c.argv);
    EXPECT_EQ(process->env, c.env);
    EXPECT_EQ(process->workingDir, c.workingDir);
  }
}

TEST(BuildProcessSpec, ImageWithoutEntrypoint) {
  ImageSpec image;
  image.args = {"/bin/echo", "default"};
  auto process = buildProcessSpec(image, json::parse(R"j({"name":"c"})j"));
  ASSERT_TRUE(process.ok()) << process.error().message;
  EXPECT_EQ(process->argv, (std::vector<std::string>{"/bin/echo", "default"}));

  // Args alone then are the whole command line, as Docker runs CMD without an ENTRYPOINT.
  process = buildProcessSpec(image, json::parse(R"j({"name":"c","args":["/bin/true"]})j"));
  ASSERT_TRUE(process.ok()) << process.error().message;
  EXPECT_EQ(process->argv, (std::vector<std::string>{"/bin/true"}));
  EXPECT_TRUE(process->env.empty());
  EXPECT_EQ(process->workingDir, "");
}

TEST(BuildProcessSpec, Errors) {
  const json::value pod = json::parse(R"j({"metadata":{"name":"p"}})j");
  struct Case {
    std::string name;
    std::string container;
    std::string message;
    bool withPod = true;
  };
  const std::vector<Case> cases = {
      {"nothing to run", R"j({"name":"web"})j",
       "container \"web\": command: nothing to run: the image has no command or args and the "
       "container sets none"},
      {"command not a list", R"j({"name":"web","command":"/bin/true"})j",
       "container \"web\": command: must be a list of strings, got \"/bin/true\""},
      {"number in args", R"j({"name":"web","command":["x"],"args":["--port",80]})j",
       "container \"web\": args[1]: must be a string, got 80 (quote it: \"80\")"},
      {"env without name", R"j({"name":"web","command":["x"],"env":[{"value":"1"}]})j",
       "container \"web\": env[0]: name is required"},
      {"env value not a string",
       R"j({"name":"web","command":["x"],"env":[{"name":"P","value":80}]})j",
       "container \"web\": env[0] (P).value: must be a string, got 80 (quote it: \"80\")"},
      {"secretKeyRef",
       R"j({"name":"web","command":["x"],"env":[{"name":"A","value":"1"},
           {"name":"PW","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]})j",
       "container \"web\": env[1] (PW).valueFrom: secretKeyRef is not supported by sluice yet "
       "(use value or fieldRef)"},
      {"configMapKeyRef",
       R"j({"name":"web","command":["x"],"env":[
           {"name":"C","valueFrom":{"configMapKeyRef":{"name":"s","key":"k"}}}]})j",
       "container \"web\": env[0] (C).valueFrom: configMapKeyRef is not supported by sluice yet "
       "(use value or fieldRef)"},
      {"unsupported fieldPath",
       R"j({"name":"web","command":["x"],"env":[
           {"name":"F","valueFrom":{"fieldRef":{"fieldPath":"spec.containers"}}}]})j",
       "container \"web\": env[0] (F).valueFrom.fieldRef.fieldPath: unsupported field "
       "\"spec.containers\""},
      {"fieldRef without a pod",
       R"j({"name":"web","command":["x"],"env":[
           {"name":"F","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]})j",
       "container \"web\": env[0] (F).valueFrom.fieldRef: the pod is not known, so metadata.name "
       "cannot be read",
       false},
      {"envFrom", R"j({"name":"web","command":["x"],"envFrom":[{"configMapRef":{"name":"c"}}]})j",
       "container \"web\": envFrom: is not supported by sluice yet (use env)"},
      {"workingDir not a string", R"j({"name":"web","command":["x"],"workingDir":1})j",
       "container \"web\": workingDir: must be a string, got 1 (quote it: \"1\")"},
      {"unnamed container", R"j({"command":"x"})j",
       "container: command: must be a list of strings, got \"x\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerContext context;
    if (c.withPod) context.pod = &pod;
    auto process = buildProcessSpec(ImageSpec(), json::parse(c.container), context);
    ASSERT_FALSE(process.ok());
    EXPECT_EQ(process.error().reason, "BadRequest");
    EXPECT_EQ(process.error().message, c.message);
  }
}

// ---------------------------------------------------------------------------------------------
// The shipped seed catalog.

TEST(SeedImageCatalog, MapsTheSeedImagesToHttpEcho) {
  const std::filesystem::path file =
      std::filesystem::path(__FILE__).parent_path() / "../../../examples/seed/images.yaml";
  std::ifstream in(file);
  ASSERT_TRUE(in) << "cannot read " << file;
  std::stringstream text;
  text << in.rdbuf();
  ImageCatalog catalog = mustParse(text.str(), "examples/seed/images.yaml");

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"example.com/nginx:v1", "Nginx-v1"},
      {"nginx:v1", "Nginx-v1"},
      {"example.com/nginx:v2", "Nginx-v2"},
      {"nginx:v2", "Nginx-v2"},
      {"myapp:v1", "myapp-v1"},
      {"myapp:v2", "myapp-v2"},
      {"swr.example.cn/team/nginx:v1", "Nginx-v1"},  // any registry in place of the placeholder
  };
  const json::value pod = json::parse(R"j({"metadata":{"name":"nginx-v1-abc"}})j");
  for (const auto& [image, text] : cases) {
    SCOPED_TRACE(image);
    auto resolved = catalog.resolve(image, "/usr/bin/sluice");
    ASSERT_TRUE(resolved);
    ContainerContext context;
    context.runtimeEnv = {{"POD_IP", "127.42.0.7"}};
    context.pod = &pod;
    auto process = buildProcessSpec(resolved->spec, json::parse(R"j({"name":"c"})j"), context);
    ASSERT_TRUE(process.ok()) << process.error().message;
    EXPECT_EQ(process->argv,
              (std::vector<std::string>{"/usr/bin/sluice", "http-echo", "--text", text}));
    // Port 80 as nginx, unless the runtime says otherwise (a declared containerPort).
    EXPECT_EQ(process->env, (std::vector<EnvVar>{{"PORT", "80"}, {"POD_IP", "127.42.0.7"}}));
    context.runtimeEnv.push_back({"PORT", "8081"});
    process = buildProcessSpec(resolved->spec, json::parse(R"j({"name":"c"})j"), context);
    ASSERT_TRUE(process.ok()) << process.error().message;
    EXPECT_EQ(process->env, (std::vector<EnvVar>{{"PORT", "8081"}, {"POD_IP", "127.42.0.7"}}));
  }
  EXPECT_FALSE(catalog.resolve("nginx:v3", "/usr/bin/sluice"));
  EXPECT_FALSE(catalog.resolve("myapp:v3", "/usr/bin/sluice"));
}

TEST(CurrentExecutablePath, IsThisTest) {
  std::string path = currentExecutablePath();
  ASSERT_FALSE(path.empty());
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
}

}  // namespace
}  // namespace sluice::node
