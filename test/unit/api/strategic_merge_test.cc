// Table-driven tests of strategic merge patch application.
//
// The expectations are kubectl's own behaviour: the applied results were compared with
// `kubectl patch --local --type strategic` (kubectl 1.32; list order included). A few cases have
// no kubectl equivalent (unknown kinds) or show where sluice departs from a Kubernetes quirk on
// purpose (`$patch: delete` on a map leaves `{}` there; here the map goes); they are listed
// last in their table.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/patch.h"
#include "patch_test_util.h"

namespace sluice::api {
namespace {

namespace json = boost::json;
using patchtest::hasDirective;
using patchtest::parse;

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

}  // namespace
}  // namespace sluice::api
