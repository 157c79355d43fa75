// Table-driven tests of the three-way merge patch that `kubectl apply` sends: the expected
// patches are the bodies kubectl sent for the same last-applied, live and new documents.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/patch.h"
#include "patch_test_util.h"
#include "three_way_merge_objects.h"

namespace sluice::api {
namespace {

namespace json = boost::json;
using namespace patchtest;  // parse, hasDirective and the documents

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// A document: a constant of three_way_merge_objects.h with a JSON merge patch applied to it.
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
