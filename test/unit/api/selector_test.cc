#include "api/selector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::api {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Label selector strings: parse, canonical form, and matching.

struct ParseCase {
  std::string name;
  std::string text;
  std::string canonical;  // toString() of the parsed selector
};

TEST(LabelSelectorParse, CanonicalForm) {
  const std::vector<ParseCase> cases = {
      {"empty", "", ""},
      {"only whitespace", "   ", ""},
      {"single equality", "app=nginx", "app=nginx"},
      {"double equals is equality", "env==prod", "env=prod"},
      {"sorted by key", "version=v1,app=nginx", "app=nginx,version=v1"},
      {"not equals", "tier!=db", "tier!=db"},
      {"in with sorted unique values", "version in (v2,v1,v2)", "version in (v1,v2)"},
      {"notin", "track notin (a)", "track notin (a)"},
      {"exists", "canary", "canary"},
      {"does not exist", "!canary", "!canary"},
      {"whitespace tolerant", "  app = nginx ,  version in ( v1 , v2 ) , ! canary ",
       "app=nginx,!canary,version in (v1,v2)"},
      {"dns prefix key", "app.kubernetes.io/name=web", "app.kubernetes.io/name=web"},
      {"empty value", "app=", "app="},
      {"empty set", "app in ()", "app in ()"},
      {"keywords as values", "in in (in,notin)", "in in (in,notin)"},
      {"everything from the header", "app=nginx,version in (v1,v2),!canary,tier!=db,env==prod",
       "app=nginx,!canary,env=prod,tier!=db,version in (v1,v2)"},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::parse(c.text);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.error().message;
    EXPECT_EQ(s->toString(), c.canonical) << c.name;
  }
}

TEST(LabelSelectorParse, RequirementsAreStructured) {
  auto s = LabelSelector::parse("version notin (v2,v1),app");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->requirements().size(), 2u);
  EXPECT_EQ(s->requirements()[0].key, "app");
  EXPECT_EQ(s->requirements()[0].op, Requirement::Op::Exists);
  EXPECT_TRUE(s->requirements()[0].values.empty());
  EXPECT_EQ(s->requirements()[1].key, "version");
  EXPECT_EQ(s->requirements()[1].op, Requirement::Op::NotIn);
  EXPECT_EQ(s->requirements()[1].values, (std::vector<std::string>{"v1", "v2"}));
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;  // the whole message, or a prefix of it when `prefixOnly`
  bool prefixOnly = false;
};

TEST(LabelSelectorParse, Errors) {
  const std::vector<ErrorCase> cases = {
      {"open paren instead of key", "(a)",
       "found '(', expected: !, identifier, or 'end of string'"},
      {"not-equals without a key", "!=a",
       "found '!=', expected: !, identifier, or 'end of string'"},
      {"operator without key after bang", "!(",
       "unable to parse requirement: found '(', expected: identifier"},
      {"in without parens", "a in b", "unable to parse requirement: found 'b' expected: '('"},
      {"unclosed set", "a in (b", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"garbage after requirement", "a=b c", "found 'c', expected: ',' or 'end of string'"},
      {"trailing comma", "a=b,", "found '', expected: identifier after ','"},
      {"invalid value", "version=-bad",
       "unable to parse requirement: values[0][version]: Invalid value: \"-bad\": a valid label "
       "must "
       "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
       "and "
       "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
       "used "
       "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
      {"invalid key", "-app=x",
       "unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of "
       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
       "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
      {"invalid key prefix", "Example.com/app=x",
       "unable to parse requirement: <nil>: Invalid value: \"Example.com/app\": prefix part a "
       "lowercase RFC 1123 subdomain",
       true},
      {"too many slashes", "a/b/c",
       "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": "
       "a qualified name must consist of",
       true},
      {"value too long", "a=" + std::string(64, 'x'),
       "unable to parse requirement: values[0][a]: Invalid value: \"" + std::string(64, 'x') +
           "\": must be no more than 63 characters",
       true},
      {"two bad values aggregate", "a in (-x,-y)",
       "unable to parse requirement: [values[0][a]:", true},
      {"greater than unsupported", "a>1",
       "unable to parse requirement: operator '>' is not supported", true},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::parse(c.text);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.error().reason, "BadRequest") << c.name;
    EXPECT_EQ(s.error().code, 400) << c.name;
    if (c.prefixOnly) {
      EXPECT_EQ(s.error().message.substr(0, c.message.size()), c.message) << c.name;
    } else {
      EXPECT_EQ(s.error().message, c.message) << c.name;
    }
  }
}

struct MatchCase {
  std::string name;
  std::string selector;
  Labels labels;
  bool matches;
};

TEST(LabelSelectorMatch, Table) {
  const Labels nginxV1 = {{"app", "nginx"}, {"version", "v1"}};
  const std::vector<MatchCase> cases = {
      {"empty matches everything", "", {}, true},
      {"equality hit", "app=nginx", nginxV1, true},
      {"equality miss", "app=web", nginxV1, false},
      {"equality needs the key", "tier=db", nginxV1, false},
      {"conjunction", "app=nginx,version=v1", nginxV1, true},
      {"conjunction one miss", "app=nginx,version=v2", nginxV1, false},
      {"not equals hit", "version!=v2", nginxV1, true},
      {"not equals miss", "version!=v1", nginxV1, false},
      {"not equals matches a missing key", "tier!=db", nginxV1, true},
      {"in hit", "version in (v1,v2)", nginxV1, true},
      {"in miss", "version in (v2,v3)", nginxV1, false},
      {"in needs the key", "tier in (db)", nginxV1, false},
      {"notin hit", "version notin (v2)", nginxV1, true},
      {"notin miss", "version notin (v1,v2)", nginxV1, false},
      {"notin matches a missing key", "tier notin (db)", nginxV1, true},
      {"exists hit", "app", nginxV1, true},
      {"exists miss", "canary", nginxV1, false},
      {"does not exist hit", "!canary", nginxV1, true},
      {"does not exist miss", "!app", nginxV1, false},
      {"empty value matches empty label", "app=", {{"app", ""}}, true},
      {"empty value does not match missing", "app=", {}, false},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.error().message;
    EXPECT_EQ(s->matches(c.labels), c.matches) << c.name;
  }
}

TEST(LabelSelector, NothingAndEmpty) {
  LabelSelector everything;
  EXPECT_TRUE(everything.empty());
  EXPECT_TRUE(everything.matches({}));
  LabelSelector none = LabelSelector::nothing();
  EXPECT_FALSE(none.empty());
  EXPECT_FALSE(none.matches({}));
  EXPECT_FALSE(none.matches({{"app", "nginx"}}));
  EXPECT_EQ(none.toString(), "");
}

TEST(LabelSelector, FromMap) {
  auto s = LabelSelector::fromMap({{"version", "v1"}, {"app", "nginx"}});
  EXPECT_EQ(s.toString(), "app=nginx,version=v1");
  EXPECT_TRUE(s.matches({{"app", "nginx"}, {"version", "v1"}, {"pod-template-hash", "x"}}));
  EXPECT_FALSE(s.matches({{"app", "nginx"}}));
  EXPECT_TRUE(LabelSelector::fromMap({}).empty());
}

TEST(LabelSelector, LabelsFrom) {
  json::value labels = json::parse(R"({"app":"nginx","n":1,"version":"v1"})");
  EXPECT_EQ(labelsFrom(&labels), (Labels{{"app", "nginx"}, {"version", "v1"}}));
  EXPECT_TRUE(labelsFrom(nullptr).empty());
  json::value notObject = json::parse("[1]");
  EXPECT_TRUE(labelsFrom(&notObject).empty());
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector JSON.

struct JsonCase {
  std::string name;
  std::string json;
  std::string canonical;
  bool matchesNginxV1;  // {app: nginx, version: v1}
};

TEST(LabelSelectorFromJson, CanonicalFormAndMatching) {
  const std::vector<JsonCase> cases = {
      {"empty object matches everything", "{}", "", true},
      {"empty parts", R"({"matchLabels":{},"matchExpressions":[]})", "", true},
      {"match labels sorted", R"({"matchLabels":{"version":"v1","app":"nginx"}})",
       "app=nginx,version=v1", true},
      {"match labels miss", R"({"matchLabels":{"app":"nginx","version":"v2"}})",
       "app=nginx,version=v2", false},
      {"in", R"({"matchExpressions":[{"key":"version","operator":"In","values":["v2","v1"]}]})",
       "version in (v1,v2)", true},
      {"notin", R"({"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]}]})",
       "tier notin (db)", true},
      {"exists", R"({"matchExpressions":[{"key":"canary","operator":"Exists"}]})", "canary", false},
      {"does not exist with empty values",
       R"({"matchExpressions":[{"key":"canary","operator":"DoesNotExist","values":[]}]})",
       "!canary", true},
      {"labels and expressions sorted together",
       R"({"matchLabels":{"version":"v1"},"matchExpressions":[{"key":"app","operator":"In","values":["nginx"]}]})",
       "app in (nginx),version=v1", true},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::fromJson(json::parse(c.json));
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.error().message;
    EXPECT_EQ(s->toString(), c.canonical) << c.name;
    EXPECT_EQ(s->matches({{"app", "nginx"}, {"version", "v1"}}), c.matchesNginxV1) << c.name;
  }
}

TEST(LabelSelectorFromJson, NullSelectsNothing) {
  auto s = LabelSelector::fromJson(json::value(nullptr));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->matches({}));
  EXPECT_FALSE(s->empty());
}

TEST(LabelSelectorFromJson, Errors) {
  const std::vector<ErrorCase> cases = {
      {"not an object", "[]", "invalid label selector: expected an object"},
      {"in without values", R"({"matchExpressions":[{"key":"a","operator":"In"}]})",
       "matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
       "'NotIn'"},
      {"notin with empty values",
       R"({"matchExpressions":[{"key":"a","operator":"NotIn","values":[]}]})",
       "matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
       "'NotIn'"},
      {"exists with values",
       R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})",
       "matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or "
       "'DoesNotExist'"},
      {"does not exist with values",
       R"({"matchExpressions":[{"key":"a","operator":"Exists"},{"key":"b","operator":"DoesNotExist","values":["x"]}]})",
       "matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or "
       "'DoesNotExist'"},
      {"unknown operator",
       R"({"matchExpressions":[{"key":"a","operator":"Equals","values":["x"]}]})",
       "matchExpressions[0].operator: Unsupported value: \"Equals\": supported values: "
       "\"DoesNotExist\", \"Exists\", \"In\", \"NotIn\""},
      {"invalid expression key", R"({"matchExpressions":[{"key":"!x","operator":"Exists"}]})",
       "matchExpressions[0].key: Invalid value: \"!x\": name part must consist of", true},
      {"invalid expression value",
       R"({"matchExpressions":[{"key":"a","operator":"In","values":["ok","-bad"]}]})",
       "matchExpressions[0].values: Invalid value: \"-bad\": a valid label must be", true},
      {"invalid match label key", R"({"matchLabels":{"a b":"x"}})",
       "matchLabels: Invalid value: \"a b\": name part must consist of", true},
      {"invalid match label value", R"({"matchLabels":{"a":"x y"}})",
       "matchLabels: Invalid value: \"x y\": a valid label must be", true},
      {"non-string match label", R"({"matchLabels":{"replicas":2}})",
       "matchLabels.replicas: Invalid value: must be a string"},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::fromJson(json::parse(c.text));
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.error().reason, "BadRequest") << c.name;
    if (c.prefixOnly) {
      EXPECT_EQ(s.error().message.substr(0, c.message.size()), c.message) << c.name;
    } else {
      EXPECT_EQ(s.error().message, c.message) << c.name;
    }
  }
}

// Parsing the canonical form gives the same selector back.
TEST(LabelSelector, CanonicalFormRoundTrips) {
  const std::vector<std::string> selectors = {
      "app=nginx,version=v1",  "version in (v1,v2)", "!canary", "tier!=db",
      "a.b/c notin (x,y,z),d", "app in (),x="};
  for (const auto& text : selectors) {
    auto s = LabelSelector::parse(text);
    ASSERT_TRUE(s.ok()) << text;
    auto again = LabelSelector::parse(s->toString());
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(again->toString(), s->toString()) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

const char* const kPod = R"({
  "kind": "Pod",
  "metadata": {"name": "nginx-v1-abc", "namespace": "default"},
  "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
  "status": {"phase": "Running", "podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.7"}]}
})";

const char* const kEvent = R"({
  "kind": "Event",
  "metadata": {"name": "nginx-v1.17a", "namespace": "default"},
  "involvedObject": {"kind": "Deployment", "name": "nginx-v1", "namespace": "default",
                     "uid": "f68c11c4", "apiVersion": "apps/v1", "resourceVersion": "1047"},
  "reason": "ScalingReplicaSet",
  "type": "Normal",
  "source": {"component": "deployment-controller"}
})";

const char* const kService = R"({
  "kind": "Service",
  "metadata": {"name": "nginx", "namespace": "default"},
  "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10"}
})";

struct FieldCase {
  std::string name;
  std::string kind;
  const char* object;
  std::string selector;
  bool matches;
};

TEST(FieldSelectorMatch, Table) {
  const std::vector<FieldCase> cases = {
      {"empty matches", "Pod", kPod, "", true},
      {"name", "Pod", kPod, "metadata.name=nginx-v1-abc", true},
      {"name double equals", "Pod", kPod, "metadata.name==nginx-v1-abc", true},
      {"name miss", "Pod", kPod, "metadata.name=other", false},
      {"namespace not equal", "Pod", kPod, "metadata.namespace!=kube-system", true},
      {"namespace not equal miss", "Pod", kPod, "metadata.namespace!=default", false},
      {"phase", "Pod", kPod, "status.phase=Running", true},
      {"phase miss", "Pod", kPod, "status.phase=Pending", false},
      {"node name", "Pod", kPod, "spec.nodeName=node-1", true},
      {"old clients spec.host", "Pod", kPod, "spec.host=node-1", true},
      {"pod IP prefers podIPs", "Pod", kPod, "status.podIP=10.0.0.7", true},
      {"restart policy", "Pod", kPod, "spec.restartPolicy=Always", true},
      {"host network defaults to false", "Pod", kPod, "spec.hostNetwork=false", true},
      {"missing field compares as empty", "Pod", kPod, "spec.schedulerName=", true},
      {"missing field not equal", "Pod", kPod, "spec.serviceAccountName!=default", true},
      {"several terms", "Pod", kPod, "status.phase=Running,metadata.name=nginx-v1-abc", true},
      {"several terms one miss", "Pod", kPod, "status.phase=Running,metadata.name=x", false},
      {"empty terms skipped", "Pod", kPod, ",metadata.name=nginx-v1-abc,", true},
      {"describe's terms, any order", "Event", kEvent,
       "involvedObject.uid=f68c11c4,involvedObject.name=nginx-v1,involvedObject.namespace=default,"
       "involvedObject.kind=Deployment",
       true},
      {"describe's terms, other order", "Event", kEvent,
       "involvedObject.kind=Deployment,involvedObject.namespace=default,involvedObject.name=nginx-"
       "v1,"
       "involvedObject.uid=f68c11c4",
       true},
      {"event uid miss", "Event", kEvent, "involvedObject.name=nginx-v1,involvedObject.uid=other",
       false},
      {"event api version", "Event", kEvent, "involvedObject.apiVersion=apps/v1", true},
      {"event missing field path", "Event", kEvent, "involvedObject.fieldPath=", true},
      {"event source is the component", "Event", kEvent, "source=deployment-controller", true},
      {"event reason and type", "Event", kEvent, "reason=ScalingReplicaSet,type=Normal", true},
      {"event type miss", "Event", kEvent, "type=Warning", false},
      {"service type", "Service", kService, "spec.type=LoadBalancer", true},
      {"service cluster IP", "Service", kService, "spec.clusterIP!=None", true},
      {"escaped value", "Pod", R"({"metadata":{"name":"a,b=c\\d"}})", R"(metadata.name=a\,b\=c\\d)",
       true},
      {"generic kind name", "Deployment", kService, "metadata.name=nginx", true},
  };
  for (const auto& c : cases) {
    auto s = FieldSelector::parse(c.selector, c.kind);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.error().message;
    EXPECT_EQ(s->matches(json::parse(c.object)), c.matches) << c.name;
  }
}

TEST(FieldSelectorParse, Terms) {
  auto s = FieldSelector::parse("metadata.namespace!=x,metadata.name==y", "Deployment");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->empty());
  ASSERT_EQ(s->terms().size(), 2u);
  // Sorted by term text, as the API server does.
  EXPECT_EQ(s->terms()[0].field, "metadata.name");
  EXPECT_EQ(s->terms()[0].value, "y");
  EXPECT_FALSE(s->terms()[0].negate);
  EXPECT_EQ(s->terms()[1].field, "metadata.namespace");
  EXPECT_TRUE(s->terms()[1].negate);
  EXPECT_TRUE(FieldSelector::parse("", "Pod")->empty());
}

struct FieldErrorCase {
  std::string name;
  std::string kind;
  std::string selector;
  std::string message;
};

TEST(FieldSelectorParse, Errors) {
  const std::vector<FieldErrorCase> cases = {
      {"unsupported on deployments", "Deployment", "spec.replicas=2",
       "field label not supported: spec.replicas"},
      {"pod field on services", "Service", "status.phase=Running",
       "field label not supported: status.phase"},
      {"unknown pod field", "Pod", "metadata.name=a,status.foo=b",
       "field label not supported: status.foo"},
      {"event field on pods", "Pod", "involvedObject.name=x",
       "field label not supported: involvedObject.name"},
      {"no operator", "Pod", "metadata.name",
       "invalid selector: 'metadata.name'; can't understand "
       "'metadata.name'"},
      {"unescaped equals in value", "Pod", "metadata.name=a=b",
       "invalid field selector: unescaped character in value: ="},
      {"bad escape", "Pod", R"(metadata.name=a\x)",
       R"(invalid field selector: invalid escape sequence: \x)"},
      {"trailing backslash", "Pod", R"(metadata.name=a\)",
       R"(invalid field selector: invalid escape sequence: \)"},
  };
  for (const auto& c : cases) {
    auto s = FieldSelector::parse(c.selector, c.kind);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.error().reason, "BadRequest") << c.name;
    EXPECT_EQ(s.error().message, c.message) << c.name;
  }
}

}  // namespace
}  // namespace sluice::api
