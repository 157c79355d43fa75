// Table-driven tests for the four patch functions.
//
// The strategic merge expectations are kubectl's own behaviour: the applied results were compared
// with `kubectl patch --local --type strategic` (kubectl 1.32; list order included) and the
// three-way patches are the bodies `kubectl apply` sent for the same last-applied, live and new
// documents. A few strategic cases have no kubectl equivalent (unknown kinds) or show where
// sluice departs from a Kubernetes quirk on purpose (`$patch: delete` on a map leaves `{}`
// there; here the map goes); they are listed last in their table.
#include "api/patch.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

json::value parse(std::string_view text) {
  return json::parse(text);
}

// Whether a directive key (`$patch`, `$retainKeys`, `$setElementOrder/...`, ...) is anywhere in v.
bool hasDirective(const json::value& v) {
  if (const auto* o = v.if_object()) {
    for (const auto& [key, value] : *o) {
      if (!key.empty() && key[0] == '$') return true;
      if (hasDirective(value)) return true;
    }
  }
  if (const auto* a = v.if_array()) {
    for (const auto& item : *a) {
      if (hasDirective(item)) return true;
    }
  }
  return false;
}

// Sets (or with null, removes) the member a JSON pointer names. The parent must be an object.
void setAtPointer(json::value& doc, std::string_view pointer, const json::value& value) {
  auto slash = pointer.rfind('/');
  ASSERT_NE(slash, std::string_view::npos) << pointer;
  std::string key;
  for (std::size_t i = slash + 1; i < pointer.size(); ++i) {
    if (pointer[i] == '~' && i + 1 < pointer.size()) {
      key += pointer[++i] == '0' ? '~' : '/';
    } else {
      key += pointer[i];
    }
  }
  boost::system::error_code ec;
  json::value* parent = doc.find_pointer(pointer.substr(0, slash), ec);
  ASSERT_TRUE(parent && parent->is_object()) << "no object at the parent of " << pointer;
  if (value.is_null()) {
    parent->get_object().erase(key);
  } else {
    parent->get_object()[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386; the first cases are its Appendix A)
// ---------------------------------------------------------------------------------------------

struct MergePatchCase {
  const char* name;
  const char* target;
  const char* patch;
  const char* want;
};

const MergePatchCase kMergePatchCases[] = {
    {"ReplaceMember", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {"AddMember", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {"NullRemovesOnlyMember", R"({"a":"b"})", R"({"a":null})", R"({})"},
    {"NullRemovesMember", R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {"ScalarReplacesList", R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {"ListReplacesScalar", R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {"NestedMergeAndDelete", R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})",
     R"({"a":{"b":"d"}})"},
    {"ListsAreReplacedNotMerged", R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {"ListPatchReplacesListTarget", R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {"ListPatchReplacesObject", R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {"NullPatchReplacesEverything", R"({"a":"foo"})", R"(null)", R"(null)"},
    {"ScalarPatchReplacesEverything", R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {"ExistingNullIsKept", R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {"ObjectPatchOnListTarget", R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {"NullsInNewSubtreesAreDropped", R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    {"KubectlScale", R"({"spec":{"replicas":2,"paused":true},"status":{"replicas":2}})",
     R"({"spec":{"replicas":4}})",
     R"({"spec":{"replicas":4,"paused":true},"status":{"replicas":2}})"},
};

class MergePatchTest : public ::testing::TestWithParam<MergePatchCase> {};

TEST_P(MergePatchTest, Applies) {
  const auto& c = GetParam();
  auto got = applyMergePatch(parse(c.target), parse(c.patch));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(c.want)) << json::serialize(*got);
}

INSTANTIATE_TEST_SUITE_P(Rfc7386, MergePatchTest, ::testing::ValuesIn(kMergePatchCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902; most cases are its Appendix A)
// ---------------------------------------------------------------------------------------------

struct JsonPatchCase {
  const char* name;
  const char* doc;
  const char* patch;
  const char* want;
};

const JsonPatchCase kJsonPatchCases[] = {
    {"AddObjectMember", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
     R"({"baz":"qux","foo":"bar"})"},
    {"AddArrayElement", R"({"foo":["bar","baz"]})",
     R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})"},
    {"RemoveObjectMember", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
     R"({"foo":"bar"})"},
    {"RemoveArrayElement", R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
     R"({"foo":["bar","baz"]})"},
    {"ReplaceValue", R"({"baz":"qux","foo":"bar"})",
     R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})"},
    {"MoveValue", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
     R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
    {"MoveArrayElement", R"({"foo":["all","grass","cows","eat"]})",
     R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
     R"({"foo":["all","cows","eat","grass"]})"},
    {"TestSucceeds", R"({"baz":"qux","foo":["a",2,"c"]})",
     R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
     R"({"baz":"qux","foo":["a",2,"c"]})"},
    {"AddNestedMember", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
     R"({"foo":"bar","child":{"grandchild":{}}})"},
    {"UnknownMembersIgnored", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})"},
    {"TildeEscapes", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
     R"({"/":9,"~1":10})"},
    {"SlashEscape", R"({"metadata":{"annotations":{}}})",
     R"([{"op":"add","path":"/metadata/annotations/example.com~1owner","value":"me"}])",
     R"({"metadata":{"annotations":{"example.com/owner":"me"}}})"},
    {"AppendWithDash", R"({"foo":["bar"]})",
     R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])", R"({"foo":["bar",["abc","def"]]})"},
    {"AddReplacesExistingMember", R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])",
     R"({"a":2})"},
    {"CopyValue", R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])",
     R"({"a":{"b":1},"c":{"b":1}})"},
    {"ReplaceWholeDocument", R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])",
     R"({"b":2})"},
    {"TestComparesNumbersByValue", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
     R"({"a":1})"},
    {"EmptyPatch", R"({"a":1})", R"([])", R"({"a":1})"},
    {"RolloutUndo", R"({"metadata":{"annotations":{"a":"1"}},"spec":{"template":{"x":1}}})",
     R"([{"op":"replace","path":"/spec/template","value":{"x":2}},
         {"op":"replace","path":"/metadata/annotations","value":{"a":"2"}}])",
     R"({"metadata":{"annotations":{"a":"2"}},"spec":{"template":{"x":2}}})"},
};

class JsonPatchTest : public ::testing::TestWithParam<JsonPatchCase> {};

TEST_P(JsonPatchTest, Applies) {
  const auto& c = GetParam();
  auto got = applyJsonPatch(parse(c.doc), parse(c.patch));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(c.want)) << json::serialize(*got);
}

INSTANTIATE_TEST_SUITE_P(Rfc6902, JsonPatchTest, ::testing::ValuesIn(kJsonPatchCases),
                         [](const auto& info) { return std::string(info.param.name); });

// Operations that do not apply to the document are 422 Invalid (as the API server answers);
// malformed patch documents are 400 BadRequest. The message names the operation and the path.
struct JsonPatchErrorCase {
  const char* name;
  const char* doc;
  const char* patch;
  int code;
  const char* op;    // must appear in the message
  const char* path;  // must appear in the message
};

const JsonPatchErrorCase kJsonPatchErrorCases[] = {
    {"TestFails", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])", 422, "test",
     "/baz"},
    {"TestStringIsNotNumber", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])",
     422, "test", "/~01"},
    {"AddToMissingParent", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
     422, "add", "/baz/bat"},
    {"ReplaceMissingPath", R"({"spec":{}})",
     R"([{"op":"replace","path":"/spec/replicas","value":3}])", 422, "replace", "/spec/replicas"},
    {"RemoveMissingPath", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", 422, "remove", "/b"},
    {"IndexOutOfBounds", R"({"a":[1]})", R"([{"op":"add","path":"/a/5","value":2}])", 422, "add",
     "/a/5"},
    {"IndexWithLeadingZero", R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/01"}])", 422, "remove",
     "/a/01"},
    {"MoveIntoItsOwnChild", R"({"a":{"b":{}}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])",
     422, "move", "/a/b/c"},
    {"MoveFromMissingPath", R"({"a":1})", R"([{"op":"move","from":"/x","path":"/y"}])", 422, "move",
     "/x"},
    {"CopyFromMissingPath", R"({"a":1})", R"([{"op":"copy","from":"/x","path":"/y"}])", 422, "copy",
     "/x"},
    {"StopsAtTheFirstFailure", R"({"a":1})",
     R"([{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zz"}])", 422, "remove", "/zz"},
    {"UnknownOperation", R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])", 400, "frobnicate",
     "/a"},
    {"MissingValue", R"({"a":1})", R"([{"op":"add","path":"/b"}])", 400, "add", "/b"},
    {"MissingPath", R"({"a":1})", R"([{"op":"add","value":1}])", 400, "add", ""},
    {"MissingFrom", R"({"a":1})", R"([{"op":"move","path":"/b"}])", 400, "move", "/b"},
    {"PointerWithoutSlash", R"({"a":1})", R"([{"op":"remove","path":"a"}])", 400, "", "a"},
    {"PointerWithBadEscape", R"({"a":1})", R"([{"op":"remove","path":"/~2"}])", 400, "", "/~2"},
    {"NotAList", R"({"a":1})", R"({"op":"add","path":"/b","value":2})", 400, "", ""},
    {"OperationNotAnObject", R"({"a":1})", R"(["add"])", 400, "", ""},
};

class JsonPatchErrorTest : public ::testing::TestWithParam<JsonPatchErrorCase> {};

TEST_P(JsonPatchErrorTest, IsRejected) {
  const auto& c = GetParam();
  auto got = applyJsonPatch(parse(c.doc), parse(c.patch));
  ASSERT_FALSE(got.ok()) << json::serialize(*got);
  EXPECT_EQ(got.error().code, c.code) << got.error().message;
  EXPECT_EQ(got.error().reason, c.code == 400 ? "BadRequest" : "Invalid");
  EXPECT_NE(got.error().message.find(c.op), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find(c.path), std::string::npos) << got.error().message;
}

INSTANTIATE_TEST_SUITE_P(Rfc6902, JsonPatchErrorTest, ::testing::ValuesIn(kJsonPatchErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Strategic merge patch, applied
// ---------------------------------------------------------------------------------------------

// The objects the strategic cases patch.
const char* const kDeploymentObject = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{"name":"d","labels":{"app":"a","tier":"fe"},"finalizers":["a","b"]},
 "spec":{
  "replicas":2,
  "paused":true,
  "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
  "selector":{"matchLabels":{"app":"a"}},
  "template":{
   "metadata":{"labels":{"app":"a"}},
   "spec":{
    "containers":[
     {
      "name":"a",
      "image":"a:1",
      "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81,"protocol":"TCP"}],
      "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
      "volumeMounts":[{"name":"v","mountPath":"/v"}]
     },
     {"name":"b","image":"b:1"}
    ],
    "volumes":[{"name":"v","configMap":{"name":"cm"}}],
    "imagePullSecrets":[{"name":"s1"}],
    "tolerations":[{"key":"t1","operator":"Exists"}]
   }
  }
 }
})json";

const char* const kServiceObject = R"json(
{
 "apiVersion":"v1",
 "kind":"Service",
 "metadata":{"name":"nginx"},
 "spec":{
  "type":"ClusterIP",
  "selector":{"app":"nginx","version":"v1"},
  "ports":[{"name":"http","port":80,"targetPort":80,"protocol":"TCP"}]
 }
})json";

const char* const kEndpointsObject = R"json(
{
 "apiVersion":"v1",
 "kind":"Endpoints",
 "metadata":{"name":"e"},
 "subsets":[{"addresses":[{"ip":"1.1.1.1"}],"ports":[{"port":80}]}]
})json";

const char* const kPodObject = R"json(
{
 "apiVersion":"v1",
 "kind":"Pod",
 "metadata":{"name":"p"},
 "spec":{"containers":[{"name":"c","image":"i"}]},
 "status":{
  "phase":"Running",
  "conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]
 }
})json";

const char* const kNodeObject = R"json(
{
 "apiVersion":"v1",
 "kind":"Node",
 "metadata":{"name":"n"},
 "spec":{"podCIDRs":["10.0.0.0/24"]},
 "status":{"addresses":[{"type":"InternalIP","address":"1.1.1.1"}]}
})json";

const char* const kWidgetObject = R"json(
{
 "apiVersion":"example.com/v1",
 "kind":"Widget",
 "metadata":{"name":"w","finalizers":["a"]},
 "spec":{
  "items":[{"name":"a","size":1},{"name":"b","size":2}],
  "tags":["x","y"],
  "shape":{"kind":"circle","radius":2},
  "mode":"fast"
 }
})json";

struct StrategicCase {
  const char* name;
  const char* kind;
  const char* original;
  const char* patch;
  // JSON pointer → value expected there afterwards (null: the member is gone). Everything else
  // must be as in `original`. nullptr: the patch must be rejected with BadRequest.
  const char* changes;
  const char* errorPart = "";  // a substring of the rejection message
};

const StrategicCase kStrategicCases[] = {
    {"ServiceSelectorKeyChanged", "Service", kServiceObject,
     R"({"spec":{"selector":{"version":"v2"}}})", R"({"/spec/selector/version":"v2"})"},
    {"NullRemovesPaused", "Deployment", kDeploymentObject, R"({"spec":{"paused":null}})",
     R"({"/spec/paused":null})"},
    {"PausedSet", "Deployment", kDeploymentObject, R"({"spec":{"paused":false,"replicas":4}})",
     R"({"/spec/replicas":4,"/spec/paused":false})"},
    {"ContainerImageByName", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}})",
     R"({"/spec/template/spec/containers/1/image":"b:2"})"},
    {"ContainerAddedWithoutOrderIsPrepended", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"c:1"}]}}}})",
     R"json(
{
 "/spec/template/spec/containers":[
  {"name":"c","image":"c:1"},
  {
   "name":"a",
   "image":"a:1",
   "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81,"protocol":"TCP"}],
   "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
   "volumeMounts":[{"name":"v","mountPath":"/v"}]
  },
  {"name":"b","image":"b:1"}
 ]
})json"},
    {"ContainerAddedWithOrder", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"a"},{"name":"b"},{"name":"c"}],
    "containers":[{"name":"c","image":"c:1"}]
   }
  }
 }
})json",
     R"json(
{
 "/spec/template/spec/containers":[
  {
   "name":"a",
   "image":"a:1",
   "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81,"protocol":"TCP"}],
   "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
   "volumeMounts":[{"name":"v","mountPath":"/v"}]
  },
  {"name":"b","image":"b:1"},
  {"name":"c","image":"c:1"}
 ]
})json"},
    {"ContainerDeletedByDirective", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}}})",
     R"({"/spec/template/spec/containers":[{"name":"b","image":"b:1"}]})"},
    {"OrderOnly", "Deployment", kDeploymentObject,
     R"json(
{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}}})json",
     R"json(
{
 "/spec/template/spec/containers":[
  {"name":"b","image":"b:1"},
  {
   "name":"a",
   "image":"a:1",
   "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":81,"protocol":"TCP"}],
   "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],
   "volumeMounts":[{"name":"v","mountPath":"/v"}]
  }
 ]
})json"},
    {"ContainersReplaced", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{"template":{"spec":{"containers":[{"name":"z","image":"z:1"},{"$patch":"replace"}]}}}
})json",
     R"({"/spec/template/spec/containers":[{"name":"z","image":"z:1"}]})"},
    {"PortMergedByContainerPort", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "containers":[
     {"name":"a","ports":[{"containerPort":81,"name":"metrics"},{"containerPort":443}]}
    ]
   }
  }
 }
})json",
     R"json(
{
 "/spec/template/spec/containers/0/ports":[
  {"containerPort":80,"protocol":"TCP"},
  {"containerPort":81,"protocol":"TCP","name":"metrics"},
  {"containerPort":443}
 ]
})json"},
    {"PortDeleted", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"$patch":"delete"}]}]}
  }
 }
})json",
     R"({"/spec/template/spec/containers/0/ports":[{"containerPort":81,"protocol":"TCP"}]})"},
    {"EnvMergedByName", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "containers":[
     {
      "name":"a",
      "$setElementOrder/env":[{"name":"Y"},{"name":"X"},{"name":"Z"}],
      "env":[{"name":"Y","value":"20"},{"name":"Z","value":"3"}]
     }
    ]
   }
  }
 }
})json",
     R"json(
{
 "/spec/template/spec/containers/0/env":[
  {"name":"Y","value":"20"},
  {"name":"X","value":"1"},
  {"name":"Z","value":"3"}
 ]
})json"},
    {"VolumeMountByMountPath", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "containers":[
     {
      "name":"a",
      "volumeMounts":[{"mountPath":"/v","readOnly":true},{"name":"w","mountPath":"/w"}]
     }
    ]
   }
  }
 }
})json",
     R"json(
{
 "/spec/template/spec/containers/0/volumeMounts":[
  {"name":"v","mountPath":"/v","readOnly":true},
  {"name":"w","mountPath":"/w"}
 ]
})json"},
    {"VolumeSourceSwappedWithRetainKeys", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "volumes":[{"$retainKeys":["name","secret"],"name":"v","secret":{"secretName":"s"}}]
   }
  }
 }
})json",
     R"json(
{
 "/spec/template/spec/volumes/0/configMap":null,
 "/spec/template/spec/volumes/0/secret":{"secretName":"s"}
})json"},
    {"VolumeSourceMergedWithoutRetainKeys", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"volumes":[{"name":"v","secret":{"secretName":"s"}}]}}}})",
     R"({"/spec/template/spec/volumes/0/secret":{"secretName":"s"}})"},
    {"ImagePullSecretAddedAndDeleted", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "$setElementOrder/imagePullSecrets":[{"name":"s2"}],
    "imagePullSecrets":[{"name":"s2"},{"$patch":"delete","name":"s1"}]
   }
  }
 }
})json",
     R"({"/spec/template/spec/imagePullSecrets":[{"name":"s2"}]})"},
    {"TolerationsReplaced", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"tolerations":[{"key":"t2","operator":"Exists"}]}}}})",
     R"({"/spec/template/spec/tolerations/0/key":"t2"})"},
    {"StrategyRecreateRetainKeys", "Deployment", kDeploymentObject,
     R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
     R"({"/spec/strategy/type":"Recreate","/spec/strategy/rollingUpdate":null})"},
    {"StrategyRollingUpdateNullRemoved", "Deployment", kDeploymentObject,
     R"({"spec":{"strategy":{"rollingUpdate":null,"type":"Recreate"}}})",
     R"({"/spec/strategy/type":"Recreate","/spec/strategy/rollingUpdate":null})"},
    {"MapReplaceDirective", "Deployment", kDeploymentObject,
     R"({"spec":{"selector":{"$patch":"replace","matchLabels":{"app":"b"}}}})",
     R"({"/spec/selector/matchLabels/app":"b"})"},
    {"LabelsReplaceDirective", "Deployment", kDeploymentObject,
     R"({"metadata":{"labels":{"$patch":"replace","new":"1"}}})",
     R"({"/metadata/labels/app":null,"/metadata/labels/tier":null,"/metadata/labels/new":"1"})"},
    {"FinalizersMergedAsSet", "Deployment", kDeploymentObject,
     R"({"metadata":{"finalizers":["b","c"]}})", R"({"/metadata/finalizers":["a","b","c"]})"},
    {"FinalizersNewPrepended", "Deployment", kDeploymentObject,
     R"({"metadata":{"finalizers":["c"]}})", R"({"/metadata/finalizers":["c","a","b"]})"},
    {"FinalizersDeleteFromPrimitiveList", "Deployment", kDeploymentObject,
     R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})",
     R"({"/metadata/finalizers":["b"]})"},
    {"FinalizersOrderAndDelete", "Deployment", kDeploymentObject,
     R"json(
{
 "metadata":{
  "$setElementOrder/finalizers":["b","c"],
  "$deleteFromPrimitiveList/finalizers":["a"],
  "finalizers":["c"]
 }
})json",
     R"({"/metadata/finalizers":["b","c"]})"},
    {"ServicePortByPort", "Service", kServiceObject,
     R"json(
{
 "spec":{
  "$setElementOrder/ports":[{"port":8080}],
  "ports":[
   {"name":"http","port":8080,"protocol":"TCP","targetPort":80},
   {"$patch":"delete","port":80}
  ]
 }
})json",
     R"({"/spec/ports/0/port":8080})"},
    {"ServicePortAdded", "Service", kServiceObject,
     R"({"spec":{"ports":[{"name":"https","port":443}]}})",
     R"json(
{
 "/spec/ports":[
  {"name":"https","port":443},
  {"name":"http","port":80,"targetPort":80,"protocol":"TCP"}
 ]
})json"},
    {"EndpointsSubsetsReplaced", "Endpoints", kEndpointsObject,
     R"({"subsets":[{"addresses":[{"ip":"2.2.2.2"}],"ports":[{"port":80}]}]})",
     R"({"/subsets/0/addresses/0/ip":"2.2.2.2"})"},
    {"PodConditionsByType", "Pod", kPodObject,
     R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})",
     R"({"/status/conditions/0/status":"True"})"},
    {"PodConditionAdded", "Pod", kPodObject,
     R"json(
{
 "status":{
  "$setElementOrder/conditions":[
   {"type":"Ready"},
   {"type":"PodScheduled"},
   {"type":"Initialized"}
  ],
  "conditions":[{"type":"Initialized","status":"True"}]
 }
})json",
     R"json(
{
 "/status/conditions":[
  {"type":"Ready","status":"False"},
  {"type":"PodScheduled","status":"True"},
  {"type":"Initialized","status":"True"}
 ]
})json"},
    {"NodePodCIDRsMerged", "Node", kNodeObject, R"({"spec":{"podCIDRs":["10.0.1.0/24"]}})",
     R"({"/spec/podCIDRs":["10.0.1.0/24","10.0.0.0/24"]})"},
    {"NodeAddressesByType", "Node", kNodeObject,
     R"json(
{
 "status":{
  "addresses":[{"type":"Hostname","address":"n"},{"type":"InternalIP","address":"2.2.2.2"}]
 }
})json",
     R"json(
{
 "/status/addresses":[
  {"type":"Hostname","address":"n"},
  {"type":"InternalIP","address":"2.2.2.2"}
 ]
})json"},
    {"NewSubtreeNullsDropped", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"metadata":{"annotations":{"a":"1","b":null}}}}})",
     R"({"/spec/template/metadata/annotations":{"a":"1"}})"},
    {"NewContainerListWithDirectivesOnMissingField", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"i:1"}]}}}})",
     R"({"/spec/template/spec/initContainers":[{"name":"i","image":"i:1"}]})"},
    {"ErrorMergeKeyMissing", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"containers":[{"image":"noname"}]}}}})", nullptr, "map"},
    {"ErrorUnknownPatchDirective", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"bogus"}]}}}})", nullptr,
     "unknown patch type"},
    {"ErrorRetainKeysMissingField", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{"maxSurge":2}}}
})json",
     nullptr, "the patch sets \"rollingUpdate\", which its $retainKeys list does not name"},
    {"ErrorSetElementOrderMismatch", "Deployment", kDeploymentObject,
     R"json(
{
 "spec":{
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
    "containers":[{"name":"b","image":"b:2"},{"name":"a","image":"a:2"}]
   }
  }
 }
})json",
     nullptr, "$setElementOrder"},

    // Below: no kubectl equivalent (unknown kinds), or sluice differs on purpose.
    {"MapDeleteDirectiveRemovesTheMap", "Deployment", kDeploymentObject,
     R"({"spec":{"strategy":{"$patch":"delete"}}})", R"({"/spec/strategy":null})"},
    {"MapMergeDirectiveIsTheDefault", "Deployment", kDeploymentObject,
     R"({"spec":{"strategy":{"$patch":"merge","type":"Recreate"}}})",
     R"({"/spec/strategy/type":"Recreate"})"},
    {"DeleteDirectiveForAbsentMapIsNoOp", "Deployment", kDeploymentObject,
     R"({"spec":{"template":{"spec":{"affinity":{"$patch":"delete"}}}}})", R"({})"},
    {"TopLevelReplace", "Service", kServiceObject,
     R"({"$patch":"replace","apiVersion":"v1","kind":"Service","metadata":{"name":"nginx"}})",
     R"({"/spec":null})"},
    {"UnknownKindListsReplaced", "Widget", kWidgetObject,
     R"({"spec":{"items":[{"name":"c","size":3}]}})", R"({"/spec/items":[{"name":"c","size":3}]})"},
    {"UnknownKindMapsMergeAndNullDeletes", "Widget", kWidgetObject,
     R"({"spec":{"shape":{"radius":3},"mode":null}})",
     R"({"/spec/shape/radius":3,"/spec/mode":null})"},
    {"UnknownKindRetainKeys", "Widget", kWidgetObject,
     R"({"spec":{"shape":{"$retainKeys":["kind","side"],"kind":"square","side":4}}})",
     R"({"/spec/shape/kind":"square","/spec/shape/radius":null,"/spec/shape/side":4})"},
    {"UnknownKindDeleteFromPrimitiveList", "Widget", kWidgetObject,
     R"({"spec":{"$deleteFromPrimitiveList/tags":["x"]}})", R"({"/spec/tags":["y"]})"},
    {"UnknownKindSetElementOrderDropped", "Widget", kWidgetObject,
     R"({"spec":{"$setElementOrder/items":[{"name":"c"}],"items":[{"name":"c","size":3}]}})",
     R"({"/spec/items":[{"name":"c","size":3}]})"},
    {"UnknownKindListReplaceMarkerStripped", "Widget", kWidgetObject,
     R"({"spec":{"items":[{"$patch":"replace"},{"name":"c","size":3,"note":null}]}})",
     R"({"/spec/items":[{"name":"c","size":3}]})"},
    {"UnknownKindMapDelete", "Widget", kWidgetObject, R"({"spec":{"shape":{"$patch":"delete"}}})",
     R"({"/spec/shape":null})"},
    {"ErrorRetainKeysNotAList", "Deployment", kDeploymentObject,
     R"({"spec":{"strategy":{"$retainKeys":"type"}}})", nullptr,
     "$retainKeys must be a list of field names"},
    {"ErrorListOfListsInMergingList", "Deployment", kDeploymentObject,
     R"({"metadata":{"finalizers":[["a"]]}})", nullptr, "lists of lists are not supported"},
};

class StrategicMergePatchTest : public ::testing::TestWithParam<StrategicCase> {};

TEST_P(StrategicMergePatchTest, Applies) {
  const auto& c = GetParam();
  auto got = applyStrategicMergePatch(parse(c.original), parse(c.patch), c.kind);
  if (!c.changes) {
    ASSERT_FALSE(got.ok()) << json::serialize(*got);
    EXPECT_EQ(got.error().code, 400);
    EXPECT_EQ(got.error().reason, "BadRequest");
    EXPECT_NE(got.error().message.find(c.errorPart), std::string::npos) << got.error().message;
    return;
  }
  ASSERT_TRUE(got.ok()) << got.error().message;
  json::value want = parse(c.original);
  const json::value changes = parse(c.changes);
  for (const auto& [pointer, value] : changes.as_object()) {
    setAtPointer(want, pointer, value);
  }
  EXPECT_EQ(*got, want) << "got  " << json::serialize(*got) << "\nwant " << json::serialize(want);
  EXPECT_FALSE(hasDirective(*got)) << json::serialize(*got);
}

INSTANTIATE_TEST_SUITE_P(Kinds, StrategicMergePatchTest, ::testing::ValuesIn(kStrategicCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StrategicMergePatch, RejectsAPatchThatIsNotAnObject) {
  auto got = applyStrategicMergePatch(parse(kServiceObject), parse(R"([{"op":"add"}])"), "Service");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "BadRequest");
}

TEST(StrategicMergePatch, TopLevelDeleteLeavesAnEmptyObject) {
  auto got =
      applyStrategicMergePatch(parse(kServiceObject), parse(R"({"$patch":"delete"})"), "Service");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, json::value(json::object{}));
}

TEST(StrategicMergePatch, DoesNotModifyItsArguments) {
  const json::value original = parse(kDeploymentObject);
  const json::value patch =
      parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:2"}]}}}})");
  const json::value originalCopy = original, patchCopy = patch;
  ASSERT_TRUE(applyStrategicMergePatch(original, patch, "Deployment").ok());
  EXPECT_EQ(original, originalCopy);
  EXPECT_EQ(patch, patchCopy);
}

// ---------------------------------------------------------------------------------------------
// Three-way merge patch (kubectl apply)
// ---------------------------------------------------------------------------------------------

// Manifests: deploy.yaml, deploy-changed.yaml, deploy-v3.yaml, svc.yaml and svc-changed.yaml of
// the kubectl transcripts, plus a two-container Deployment and a Pod with lists of every kind.
// Live objects: those manifests as the API server holds them after creating them (namespace,
// defaults, server-set metadata, status, items the server adds to lists).
const char* const kDeploy = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{"name":"nginx-v1","labels":{"app":"nginx","version":"v1"}},
 "spec":{
  "replicas":2,
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"}},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "ports":[{"containerPort":80}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      }
     }
    ],
    "imagePullSecrets":[{"name":"regcred"}]
   }
  }
 }
})json";

const char* const kDeployChanged = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{"name":"nginx-v1","labels":{"app":"nginx","version":"v1"}},
 "spec":{
  "replicas":3,
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"}},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1.1",
      "ports":[{"containerPort":80}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      }
     }
    ],
    "imagePullSecrets":[{"name":"regcred"}]
   }
  }
 }
})json";

const char* const kDeployV3 = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{"name":"nginx-v1","labels":{"app":"nginx"}},
 "spec":{
  "replicas":2,
  "strategy":{"type":"Recreate"},
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"}},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "env":[{"name":"MODE","value":"blue"}],
      "ports":[{"containerPort":80},{"containerPort":443}],
      "resources":{"requests":{"cpu":"100m","memory":"64Mi"}}
     },
     {"name":"sidecar","image":"x/sidecar:v1"}
    ],
    "imagePullSecrets":[{"name":"regcred2"}]
   }
  }
 }
})json";

const char* const kService = R"json(
{
 "apiVersion":"v1",
 "kind":"Service",
 "metadata":{
  "name":"nginx",
  "annotations":{"service.beta.kubernetes.io/aws-load-balancer-type":"nlb"}
 },
 "spec":{
  "type":"LoadBalancer",
  "selector":{"app":"nginx","version":"v1"},
  "ports":[{"name":"http","port":80,"targetPort":80,"protocol":"TCP"}]
 }
})json";

const char* const kServiceChanged = R"json(
{
 "apiVersion":"v1",
 "kind":"Service",
 "metadata":{
  "name":"nginx",
  "annotations":{"service.beta.kubernetes.io/aws-load-balancer-type":"external"}
 },
 "spec":{
  "type":"LoadBalancer",
  "selector":{"app":"nginx","version":"v1"},
  "ports":[{"name":"http","port":8080,"targetPort":80,"protocol":"TCP"}]
 }
})json";

const char* const kDeployTwoContainers = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{"name":"nginx-v1","labels":{"app":"nginx","version":"v1"}},
 "spec":{
  "replicas":2,
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"}},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "ports":[{"containerPort":80}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      }
     },
     {"name":"sidecar","image":"x/sidecar:v1"}
    ],
    "imagePullSecrets":[{"name":"regcred"}]
   }
  }
 }
})json";

const char* const kPod = R"json(
{
 "apiVersion":"v1",
 "kind":"Pod",
 "metadata":{
  "name":"web",
  "labels":{"app":"web","tier":"fe"},
  "finalizers":["a.example/x","b.example/y"]
 },
 "spec":{
  "containers":[
   {
    "name":"web",
    "image":"web:1",
    "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
    "volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"cfg","mountPath":"/etc/cfg"}]
   }
  ],
  "volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","configMap":{"name":"web-cfg"}}],
  "tolerations":[{"key":"k1","operator":"Exists"}]
 }
})json";

const char* const kPodChanged = R"json(
{
 "apiVersion":"v1",
 "kind":"Pod",
 "metadata":{
  "name":"web",
  "labels":{"app":"web","release":"r2"},
  "finalizers":["b.example/y","c.example/z"]
 },
 "spec":{
  "containers":[
   {
    "name":"web",
    "image":"web:1",
    "env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],
    "volumeMounts":[{"name":"cfg","mountPath":"/etc/cfg","readOnly":true}]
   }
  ],
  "volumes":[
   {"name":"data","emptyDir":{}},
   {"name":"cfg","secret":{"secretName":"web-secret"}}
  ],
  "tolerations":[{"key":"k2","operator":"Exists","effect":"NoSchedule"}],
  "initContainers":[{"name":"init","image":"busybox","command":["true"]}]
 }
})json";

const char* const kDeployLive = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{
  "name":"nginx-v1",
  "labels":{"app":"nginx","version":"v1"},
  "namespace":"default",
  "uid":"0f0c4c5e",
  "resourceVersion":"1021",
  "generation":1,
  "creationTimestamp":"2026-01-01T00:00:00Z"
 },
 "spec":{
  "replicas":2,
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"},"creationTimestamp":null},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "ports":[{"containerPort":80,"protocol":"TCP"}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      },
      "imagePullPolicy":"IfNotPresent",
      "terminationMessagePath":"/dev/termination-log",
      "terminationMessagePolicy":"File"
     }
    ],
    "imagePullSecrets":[{"name":"regcred"}],
    "dnsPolicy":"ClusterFirst",
    "restartPolicy":"Always",
    "schedulerName":"default-scheduler",
    "securityContext":{},
    "terminationGracePeriodSeconds":30
   }
  },
  "progressDeadlineSeconds":600,
  "revisionHistoryLimit":10,
  "strategy":{
   "type":"RollingUpdate",
   "rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}
  }
 },
 "status":{
  "observedGeneration":1,
  "replicas":2,
  "readyReplicas":2,
  "conditions":[{"type":"Available","status":"True"}]
 }
})json";

const char* const kDeployV3Live = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{
  "name":"nginx-v1",
  "labels":{"app":"nginx"},
  "namespace":"default",
  "uid":"0f0c4c5e",
  "resourceVersion":"1021",
  "generation":1,
  "creationTimestamp":"2026-01-01T00:00:00Z"
 },
 "spec":{
  "replicas":2,
  "strategy":{"type":"Recreate"},
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"},"creationTimestamp":null},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "env":[{"name":"MODE","value":"blue"}],
      "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"protocol":"TCP"}],
      "resources":{"requests":{"cpu":"100m","memory":"64Mi"}},
      "imagePullPolicy":"IfNotPresent",
      "terminationMessagePath":"/dev/termination-log",
      "terminationMessagePolicy":"File"
     },
     {
      "name":"sidecar",
      "image":"x/sidecar:v1",
      "imagePullPolicy":"IfNotPresent",
      "terminationMessagePath":"/dev/termination-log",
      "terminationMessagePolicy":"File"
     }
    ],
    "imagePullSecrets":[{"name":"regcred2"}],
    "dnsPolicy":"ClusterFirst",
    "restartPolicy":"Always",
    "schedulerName":"default-scheduler",
    "securityContext":{},
    "terminationGracePeriodSeconds":30
   }
  },
  "progressDeadlineSeconds":600,
  "revisionHistoryLimit":10
 },
 "status":{
  "observedGeneration":1,
  "replicas":2,
  "readyReplicas":2,
  "conditions":[{"type":"Available","status":"True"}]
 }
})json";

const char* const kDeployTwoContainersLive = R"json(
{
 "apiVersion":"apps/v1",
 "kind":"Deployment",
 "metadata":{
  "name":"nginx-v1",
  "labels":{"app":"nginx","version":"v1"},
  "namespace":"default",
  "uid":"0f0c4c5e",
  "resourceVersion":"1021",
  "generation":1,
  "creationTimestamp":"2026-01-01T00:00:00Z"
 },
 "spec":{
  "replicas":2,
  "selector":{"matchLabels":{"app":"nginx","version":"v1"}},
  "template":{
   "metadata":{"labels":{"app":"nginx","version":"v1"},"creationTimestamp":null},
   "spec":{
    "containers":[
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "ports":[{"containerPort":80,"protocol":"TCP"}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      },
      "imagePullPolicy":"IfNotPresent",
      "terminationMessagePath":"/dev/termination-log",
      "terminationMessagePolicy":"File"
     },
     {
      "name":"sidecar",
      "image":"x/sidecar:v1",
      "imagePullPolicy":"IfNotPresent",
      "terminationMessagePath":"/dev/termination-log",
      "terminationMessagePolicy":"File"
     }
    ],
    "imagePullSecrets":[{"name":"regcred"}],
    "dnsPolicy":"ClusterFirst",
    "restartPolicy":"Always",
    "schedulerName":"default-scheduler",
    "securityContext":{},
    "terminationGracePeriodSeconds":30
   }
  },
  "progressDeadlineSeconds":600,
  "revisionHistoryLimit":10,
  "strategy":{
   "type":"RollingUpdate",
   "rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}
  }
 },
 "status":{
  "observedGeneration":1,
  "replicas":2,
  "readyReplicas":2,
  "conditions":[{"type":"Available","status":"True"}]
 }
})json";

const char* const kServiceLive = R"json(
{
 "apiVersion":"v1",
 "kind":"Service",
 "metadata":{
  "name":"nginx",
  "annotations":{"service.beta.kubernetes.io/aws-load-balancer-type":"nlb"},
  "namespace":"default",
  "uid":"5d1e",
  "resourceVersion":"1030",
  "creationTimestamp":"2026-01-01T00:00:00Z"
 },
 "spec":{
  "type":"LoadBalancer",
  "selector":{"app":"nginx","version":"v1"},
  "ports":[{"name":"http","port":80,"targetPort":80,"protocol":"TCP","nodePort":30080}],
  "clusterIP":"10.96.0.10",
  "clusterIPs":["10.96.0.10"],
  "sessionAffinity":"None",
  "externalTrafficPolicy":"Cluster",
  "ipFamilies":["IPv4"],
  "ipFamilyPolicy":"SingleStack",
  "allocateLoadBalancerNodePorts":true,
  "internalTrafficPolicy":"Cluster"
 },
 "status":{"loadBalancer":{"ingress":[{"ip":"172.18.0.5"}]}}
})json";

const char* const kPodLive = R"json(
{
 "apiVersion":"v1",
 "kind":"Pod",
 "metadata":{
  "name":"web",
  "labels":{"app":"web","tier":"fe"},
  "finalizers":["a.example/x","b.example/y"],
  "namespace":"default",
  "uid":"77aa"
 },
 "spec":{
  "containers":[
   {
    "name":"web",
    "image":"web:1",
    "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
    "volumeMounts":[
     {"name":"data","mountPath":"/data"},
     {"name":"cfg","mountPath":"/etc/cfg"},
     {
      "name":"kube-api-access",
      "mountPath":"/var/run/secrets/kubernetes.io/serviceaccount",
      "readOnly":true
     }
    ],
    "imagePullPolicy":"IfNotPresent",
    "terminationMessagePath":"/dev/termination-log",
    "terminationMessagePolicy":"File"
   }
  ],
  "volumes":[
   {"name":"data","emptyDir":{}},
   {"name":"cfg","configMap":{"name":"web-cfg"}},
   {
    "name":"kube-api-access",
    "projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}
   }
  ],
  "tolerations":[
   {"key":"k1","operator":"Exists"},
   {
    "key":"node.kubernetes.io/not-ready",
    "operator":"Exists",
    "effect":"NoExecute",
    "tolerationSeconds":300
   }
  ],
  "nodeName":"node1",
  "restartPolicy":"Always"
 },
 "status":{
  "phase":"Running",
  "conditions":[{"type":"Ready","status":"True"}],
  "podIP":"10.244.0.5"
 }
})json";

// A document: a constant above with a JSON merge patch applied to it.
struct Doc {
  const char* base;
  const char* edit = "{}";
};

json::value build(const Doc& doc) {
  auto edited = applyMergePatch(parse(doc.base), parse(doc.edit));
  EXPECT_TRUE(edited.ok());
  return edited.ok() ? *edited : json::value();
}

struct ThreeWayCase {
  const char* name;
  const char* kind;
  std::optional<Doc> applied;  // the manifest of the previous apply; none: never applied
  Doc live;                    // the live object, without the last-applied annotation
  Doc manifest;                // the manifest being applied
  const char* want;            // the patch kubectl sent
};

// What kubectl stores as last-applied: the manifest with its namespace and an annotations map.
json::value lastApplied(json::value manifest) {
  auto& metadata = manifest.as_object()["metadata"].as_object();
  metadata["namespace"] = "default";
  if (!metadata.contains("annotations")) metadata["annotations"] = json::object{};
  return manifest;
}

json::value withLastApplied(json::value doc, std::string_view annotation) {
  auto& metadata = doc.as_object()["metadata"].as_object();
  if (!metadata.contains("annotations")) metadata["annotations"] = json::object{};
  metadata["annotations"].as_object()[kLastApplied] = annotation;
  return doc;
}

// The three inputs as `kubectl apply` has them. The annotation's text is opaque to the diff, so
// "old"/"new" stand in for the serialized manifests ("same" both when they are equal).
struct ThreeWayInputs {
  json::value original, modified, current;
};

ThreeWayInputs inputsFor(const ThreeWayCase& c) {
  json::value manifest = lastApplied(build(c.manifest));
  json::value original = c.applied ? lastApplied(build(*c.applied)) : json::value();
  bool same = c.applied && original == manifest;
  json::value current = build(c.live);
  if (c.applied) current = withLastApplied(std::move(current), same ? "same" : "old");
  return {original, withLastApplied(manifest, same ? "same" : "new"), current};
}

const ThreeWayCase kThreeWayCases[] = {
    {"DeployReplicasAndImage", "Deployment", Doc{kDeploy}, Doc{kDeployLive}, Doc{kDeployChanged},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "replicas":3,
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"nginx"}],
    "containers":[{"image":"x/nginx:v1.1","name":"nginx"}]
   }
  }
 }
})json"},
    {"DeployV3", "Deployment", Doc{kDeploy}, Doc{kDeployLive}, Doc{kDeployV3},
     R"json(
{
 "metadata":{
  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"},
  "labels":{"version":null}
 },
 "spec":{
  "strategy":{"$retainKeys":["type"],"type":"Recreate"},
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"nginx"},{"name":"sidecar"}],
    "$setElementOrder/imagePullSecrets":[{"name":"regcred2"}],
    "containers":[
     {
      "$setElementOrder/ports":[{"containerPort":80},{"containerPort":443}],
      "env":[{"name":"MODE","value":"blue"}],
      "name":"nginx",
      "ports":[{"containerPort":443}],
      "resources":{"limits":null}
     },
     {"image":"x/sidecar:v1","name":"sidecar"}
    ],
    "imagePullSecrets":[{"name":"regcred2"},{"$patch":"delete","name":"regcred"}]
   }
  }
 }
})json"},
    {"DeployUnchanged", "Deployment", Doc{kDeploy}, Doc{kDeployLive}, Doc{kDeploy}, R"({})"},
    {"DeployBackFromV3", "Deployment", Doc{kDeployV3}, Doc{kDeployV3Live}, Doc{kDeploy},
     R"json(
{
 "metadata":{
  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"},
  "labels":{"version":"v1"}
 },
 "spec":{
  "strategy":null,
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"nginx"}],
    "$setElementOrder/imagePullSecrets":[{"name":"regcred"}],
    "containers":[
     {
      "$setElementOrder/ports":[{"containerPort":80}],
      "env":null,
      "name":"nginx",
      "ports":[{"$patch":"delete","containerPort":443}],
      "resources":{"limits":{"cpu":"250m","memory":"128Mi"}}
     },
     {"$patch":"delete","name":"sidecar"}
    ],
    "imagePullSecrets":[{"name":"regcred"},{"$patch":"delete","name":"regcred2"}]
   }
  }
 }
})json"},
    {"ServiceChanged", "Service", Doc{kService}, Doc{kServiceLive}, Doc{kServiceChanged},
     R"json(
{
 "metadata":{
  "annotations":{
   "kubectl.kubernetes.io/last-applied-configuration":"new",
   "service.beta.kubernetes.io/aws-load-balancer-type":"external"
  }
 },
 "spec":{
  "$setElementOrder/ports":[{"port":8080}],
  "ports":[
   {"name":"http","port":8080,"protocol":"TCP","targetPort":80},
   {"$patch":"delete","port":80}
  ]
 }
})json"},
    {"ServiceSelectorKeyRemovedAndPortAdded", "Service", Doc{kService}, Doc{kServiceLive},
     Doc{kService, R"json(
{
 "spec":{
  "selector":{"version":null},
  "ports":[
   {"name":"http","port":80,"targetPort":80,"protocol":"TCP"},
   {"name":"https","port":443,"targetPort":8443,"protocol":"TCP"}
  ]
 }
})json"},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "$setElementOrder/ports":[{"port":80},{"port":443}],
  "ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":8443}],
  "selector":{"version":null}
 }
})json"},
    {"ExplicitRollingUpdateClearsServerDefaults", "Deployment",
     Doc{kDeploy, R"({"spec":{"strategy":{"type":"RollingUpdate"}}})"}, Doc{kDeployLive},
     Doc{kDeploy, R"({"spec":{"strategy":{"type":"RollingUpdate"}}})"},
     R"({"spec":{"strategy":{"$retainKeys":["type"]}}})"},
    {"ExplicitRollingUpdateScaled", "Deployment",
     Doc{kDeploy, R"({"spec":{"strategy":{"type":"RollingUpdate"}}})"}, Doc{kDeployLive},
     Doc{kDeploy, R"({"spec":{"strategy":{"type":"RollingUpdate"},"replicas":4}})"},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{"replicas":4,"strategy":{"$retainKeys":["type"]}}
})json"},
    {"ReplicasRemovedFromManifestWhileScaledByOthers", "Deployment", Doc{kDeploy},
     Doc{kDeployLive, R"({"spec":{"replicas":5}})"}, Doc{kDeploy, R"({"spec":{"replicas":null}})"},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{"replicas":null}
})json"},
    {"FieldsSetByOthersAreKept", "Deployment", Doc{kDeploy}, Doc{kDeployLive, R"json(
{
 "metadata":{"labels":{"team":"web"}},
 "spec":{
  "template":{
   "metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-02T00:00:00Z"}}
  }
 }
})json"},
     Doc{kDeployChanged},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "replicas":3,
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"nginx"}],
    "containers":[{"image":"x/nginx:v1.1","name":"nginx"}]
   }
  }
 }
})json"},
    {"ContainersReordered", "Deployment", Doc{kDeployTwoContainers}, Doc{kDeployTwoContainersLive},
     Doc{kDeployTwoContainers, R"json(
{
 "spec":{
  "template":{
   "spec":{
    "containers":[
     {"name":"sidecar","image":"x/sidecar:v1"},
     {
      "name":"nginx",
      "image":"x/nginx:v1",
      "ports":[{"containerPort":80}],
      "resources":{
       "requests":{"cpu":"100m","memory":"64Mi"},
       "limits":{"cpu":"250m","memory":"128Mi"}
      }
     }
    ]
   }
  }
 }
})json"},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"nginx"}]}}
 }
})json"},
    {"NoLastAppliedConfiguration", "Deployment", std::nullopt, Doc{kDeployLive},
     Doc{kDeployChanged},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "replicas":3,
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"nginx"}],
    "containers":[{"image":"x/nginx:v1.1","name":"nginx"}]
   }
  }
 }
})json"},
    {"PodListsOfEveryKind", "Pod", Doc{kPod}, Doc{kPodLive}, Doc{kPodChanged},
     R"json(
{
 "metadata":{
  "$deleteFromPrimitiveList/finalizers":["a.example/x"],
  "$setElementOrder/finalizers":["b.example/y","c.example/z"],
  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"},
  "finalizers":["c.example/z"],
  "labels":{"release":"r2","tier":null}
 },
 "spec":{
  "$setElementOrder/containers":[{"name":"web"}],
  "$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
  "containers":[
   {
    "$setElementOrder/env":[{"name":"B"},{"name":"C"}],
    "$setElementOrder/volumeMounts":[{"mountPath":"/etc/cfg"}],
    "env":[{"name":"B","value":"3"},{"name":"C","value":"4"},{"$patch":"delete","name":"A"}],
    "name":"web",
    "volumeMounts":[
     {"mountPath":"/etc/cfg","readOnly":true},
     {"$patch":"delete","mountPath":"/data"}
    ]
   }
  ],
  "initContainers":[{"command":["true"],"image":"busybox","name":"init"}],
  "tolerations":[{"effect":"NoSchedule","key":"k2","operator":"Exists"}],
  "volumes":[
   {
    "$retainKeys":["name","secret"],
    "configMap":null,
    "name":"cfg",
    "secret":{"secretName":"web-secret"}
   }
  ]
 }
})json"},
    {"UnchangedPodWithServerAddedListItems", "Pod", Doc{kPod}, Doc{kPodLive}, Doc{kPod},
     R"json(
{
 "spec":{
  "$setElementOrder/containers":[{"name":"web"}],
  "$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
  "containers":[
   {
    "$setElementOrder/volumeMounts":[{"mountPath":"/data"},{"mountPath":"/etc/cfg"}],
    "name":"web"
   }
  ],
  "tolerations":[{"key":"k1","operator":"Exists"}]
 }
})json"},
    {"ContainerAndSecretReplacedByRename", "Deployment", Doc{kDeploy}, Doc{kDeployLive},
     Doc{kDeploy, R"json(
{
 "spec":{
  "template":{
   "spec":{
    "containers":[{"name":"web","image":"x/web:v1"}],
    "imagePullSecrets":[{"name":"other"}]
   }
  }
 }
})json"},
     R"json(
{
 "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
 "spec":{
  "template":{
   "spec":{
    "$setElementOrder/containers":[{"name":"web"}],
    "$setElementOrder/imagePullSecrets":[{"name":"other"}],
    "containers":[{"image":"x/web:v1","name":"web"},{"$patch":"delete","name":"nginx"}],
    "imagePullSecrets":[{"name":"other"},{"$patch":"delete","name":"regcred"}]
   }
  }
 }
})json"},
};

// Whether every field of `want` is in `got` with the same value. Lists must hold want's items
// in want's order; `got` may have more (server-only items of merging lists).
bool containsFields(const json::value& got, const json::value& want) {
  if (want.is_object()) {
    if (!got.is_object()) return false;
    for (const auto& [key, value] : want.get_object()) {
      const auto* g = got.get_object().if_contains(key);
      if (!g || !containsFields(*g, value)) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!got.is_array()) return false;
    std::size_t next = 0;
    for (const auto& item : want.get_array()) {
      while (next < got.get_array().size() && !containsFields(got.get_array()[next], item)) ++next;
      if (next == got.get_array().size()) return false;
      ++next;
    }
    return true;
  }
  return got == want;
}

class ThreeWayMergePatchTest : public ::testing::TestWithParam<ThreeWayCase> {};

TEST_P(ThreeWayMergePatchTest, MatchesKubectl) {
  const auto& c = GetParam();
  auto in = inputsFor(c);
  auto got = createThreeWayMergePatch(in.original, in.modified, in.current, c.kind);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(c.want)) << "got  " << json::serialize(*got);
}

TEST_P(ThreeWayMergePatchTest, AppliedPatchYieldsTheManifest) {
  const auto& c = GetParam();
  auto in = inputsFor(c);
  auto patch = createThreeWayMergePatch(in.original, in.modified, in.current, c.kind);
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  auto applied = applyStrategicMergePatch(in.current, *patch, c.kind);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_TRUE(containsFields(*applied, in.modified))
      << "applied  " << json::serialize(*applied) << "\nmanifest " << json::serialize(in.modified);
  EXPECT_FALSE(hasDirective(*applied)) << json::serialize(*applied);
  // Applying the same manifest again changes nothing. (The patch need not be empty: with
  // server-added items in a merging list kubectl still sends `$setElementOrder`.)
  auto again = createThreeWayMergePatch(in.modified, in.modified, *applied, c.kind);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto reapplied = applyStrategicMergePatch(*applied, *again, c.kind);
  ASSERT_TRUE(reapplied.ok()) << reapplied.error().message;
  EXPECT_EQ(*reapplied, *applied) << "patch " << json::serialize(*again);
}

INSTANTIATE_TEST_SUITE_P(Kubectl, ThreeWayMergePatchTest, ::testing::ValuesIn(kThreeWayCases),
                         [](const auto& info) { return std::string(info.param.name); });

// tests/1.33/03-apply-update-deploy: the exact body kubectl 1.33 sent for deploy-changed.yaml.
TEST(ThreeWayMergePatch, TranscriptApplyUpdateDeploy) {
  // The PATCH body, verbatim (split into adjacent literals).
  const std::string sent =
      R"json({"metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration")json"
      R"json(: "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotatio)json"
      R"json(ns\":{},\"labels\":{\"app\":\"nginx\",\"version\":\"v1\"},\"name\":\"nginx-v1\",)json"
      R"json(\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\)json"
      R"json(":{\"app\":\"nginx\",\"version\":\"v1\"}},\"template\":{\"metadata\":{\"labels\")json"
      R"json(:{\"app\":\"nginx\",\"version\":\"v1\"}},\"spec\":{\"containers\":[{\"image\":\")json"
      R"json(x/nginx:v1.1\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}],\"resources)json"
      R"json(\":{\"limits\":{\"cpu\":\"250m\",\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"1)json"
      R"json(00m\",\"memory\":\"64Mi\"}}}],\"imagePullSecrets\":[{\"name\":\"regcred\"}]}}}}\)json"
      R"json(n"}}, "spec": {"replicas": 3, "template": {"spec": {"$setElementOrder/containers)json"
      R"json(": [{"name": "nginx"}], "containers": [{"image": "x/nginx:v1.1", "name": "nginx")json"
      R"json(}]}}}})json";
  // The last-applied annotation before this apply: deploy.yaml as kubectl serializes it.
  const std::string oldLastApplied =
      R"json({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels)json"
      R"json(":{"app":"nginx","version":"v1"},"name":"nginx-v1","namespace":"default"},"spec")json"
      R"json(:{"replicas":2,"selector":{"matchLabels":{"app":"nginx","version":"v1"}},"templa)json"
      R"json(te":{"metadata":{"labels":{"app":"nginx","version":"v1"}},"spec":{"containers":[)json"
      R"json({"image":"x/nginx:v1","name":"nginx","ports":[{"containerPort":80}],"resources":)json"
      R"json({"limits":{"cpu":"250m","memory":"128Mi"},"requests":{"cpu":"100m","memory":"64M)json"
      R"json(i"}}}],"imagePullSecrets":[{"name":"regcred"}]}}}})json"
      "\n";
  const json::value body = parse(sent);
  const std::string newLastApplied(
      body.at_pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
          .as_string());
  json::value original = parse(oldLastApplied);
  json::value modified = withLastApplied(parse(newLastApplied), newLastApplied);
  json::value current = withLastApplied(parse(kDeployLive), oldLastApplied);
  auto got = createThreeWayMergePatch(original, modified, current, "Deployment");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, body) << json::serialize(*got);
}

TEST(ThreeWayMergePatch, UnknownKindUsesMergePatchSemantics) {
  const char* applied = R"({"kind":"Widget","metadata":{"name":"w"},
                            "spec":{"items":[{"name":"a"},{"name":"b"}],"mode":"fast","size":1}})";
  const char* manifest = R"({"kind":"Widget","metadata":{"name":"w"},
                             "spec":{"items":[{"name":"b"}],"size":2}})";
  const char* live = R"({"kind":"Widget","metadata":{"name":"w","uid":"1"},
                         "spec":{"items":[{"name":"a"},{"name":"b"}],"mode":"fast","size":1},
                         "status":{"ready":true}})";
  auto got = createThreeWayMergePatch(parse(applied), parse(manifest), parse(live), "Widget");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, parse(R"({"spec":{"items":[{"name":"b"}],"mode":null,"size":2}})"))
      << json::serialize(*got);
}

TEST(ThreeWayMergePatch, RejectsDocumentsThatAreNotObjects) {
  EXPECT_EQ(createThreeWayMergePatch(json::value(), parse("[]"), parse("{}"), "Pod").error().code,
            400);
  EXPECT_EQ(createThreeWayMergePatch(json::value(), parse("{}"), parse("3"), "Pod").error().code,
            400);
  EXPECT_EQ(createThreeWayMergePatch(parse("[1]"), parse("{}"), parse("{}"), "Pod").error().code,
            400);
}

TEST(ThreeWayMergePatch, ListWithoutMergeKeyValueIsRejected) {
  auto got = createThreeWayMergePatch(
      json::value(), parse(R"({"spec":{"containers":[{"image":"x"}]}})"),
      parse(R"({"spec":{"containers":[{"name":"a","image":"y"}]}})"), "Pod");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().reason, "BadRequest");
  EXPECT_NE(got.error().message.find("name"), std::string::npos) << got.error().message;
}

}  // namespace
}  // namespace sluice::api
