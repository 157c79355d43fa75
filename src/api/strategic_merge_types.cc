// The patch metadata of the built-in kinds: which lists merge by which key, which maps retain
// keys. Data, not logic; the analogue of the struct tags in k8s.io/api.
#include "api/strategic_merge.h"

#include <initializer_list>
#include <utility>

namespace sluice::api::strategic {

namespace {

FieldInfo nested(const TypeInfo& type) {
  return FieldInfo{false, false, {}, &type};
}

FieldInfo mergeByKey(std::string_view key, const TypeInfo* element = nullptr) {
  return FieldInfo{true, false, key, element};
}

// A list of primitives merged as a set (e.g. metadata.finalizers).
FieldInfo primitiveSet() {
  return FieldInfo{true, false, {}, nullptr};
}

// Immutable type tables, built once. The members point at each other, so the object is never
// copied or moved.
class BuiltinTypes {
 public:
  BuiltinTypes() {
    objectMeta_.fields = {{"finalizers", primitiveSet()}, {"ownerReferences", mergeByKey("uid")}};

    container_.fields = {{"ports", mergeByKey("containerPort")},
                         {"env", mergeByKey("name")},
                         {"volumeMounts", mergeByKey("mountPath")},
                         {"volumeDevices", mergeByKey("devicePath")}};

    FieldInfo volumes = mergeByKey("name");
    volumes.retainKeys = true;  // "merge,retainKeys": a volume has exactly one source
    FieldInfo resourceClaims = mergeByKey("name");
    resourceClaims.retainKeys = true;
    podSpec_.fields = {{"containers", mergeByKey("name", &container_)},
                       {"initContainers", mergeByKey("name", &container_)},
                       {"ephemeralContainers", mergeByKey("name", &container_)},
                       {"volumes", volumes},
                       {"imagePullSecrets", mergeByKey("name")},
                       {"hostAliases", mergeByKey("ip")},
                       {"topologySpreadConstraints", mergeByKey("topologyKey")},
                       {"schedulingGates", mergeByKey("name")},
                       {"resourceClaims", resourceClaims}};
    podStatus_.fields = {{"conditions", mergeByKey("type")},
                         {"podIPs", mergeByKey("ip")},
                         {"hostIPs", mergeByKey("ip")},
                         {"resourceClaimStatuses", resourceClaims}};
    podTemplateSpec_.fields = {{"metadata", nested(objectMeta_)}, {"spec", nested(podSpec_)}};
    conditionsStatus_.fields = {{"conditions", mergeByKey("type")}};

    FieldInfo strategy;
    strategy.retainKeys = true;  // Recreate must drop rollingUpdate
    deploymentSpec_.fields = {{"template", nested(podTemplateSpec_)}, {"strategy", strategy}};
    replicaSetSpec_.fields = {{"template", nested(podTemplateSpec_)}};
    serviceSpec_.fields = {{"ports", mergeByKey("port")}};
    nodeSpec_.fields = {{"podCIDRs", primitiveSet()}};
    nodeStatus_.fields = {{"conditions", mergeByKey("type")}, {"addresses", mergeByKey("type")}};

    auto kind = [this](std::initializer_list<std::pair<const std::string, FieldInfo>> fields) {
      TypeInfo t;
      t.fields = fields;
      t.fields.emplace("metadata", nested(objectMeta_));
      return t;
    };
    kinds_.emplace("Pod", kind({{"spec", nested(podSpec_)}, {"status", nested(podStatus_)}}));
    kinds_.emplace("Deployment", kind({{"spec", nested(deploymentSpec_)},
                                       {"status", nested(conditionsStatus_)}}));
    kinds_.emplace("ReplicaSet", kind({{"spec", nested(replicaSetSpec_)},
                                       {"status", nested(conditionsStatus_)}}));
    kinds_.emplace("Service",
                   kind({{"spec", nested(serviceSpec_)}, {"status", nested(conditionsStatus_)}}));
    kinds_.emplace("Namespace", kind({{"status", nested(conditionsStatus_)}}));
    kinds_.emplace("Node", kind({{"spec", nested(nodeSpec_)}, {"status", nested(nodeStatus_)}}));
    // Endpoints.subsets, EndpointSlice.endpoints/ports and everything in Event are replaced.
    kinds_.emplace("Endpoints", kind({}));
    kinds_.emplace("EndpointSlice", kind({}));
    kinds_.emplace("Event", kind({}));
  }
  BuiltinTypes(const BuiltinTypes&) = delete;
  BuiltinTypes& operator=(const BuiltinTypes&) = delete;

  // Null for a kind without patch metadata: JSON merge patch semantics (plus directives).
  const TypeInfo* forKind(std::string_view kind) const {
    auto it = kinds_.find(kind);
    return it == kinds_.end() ? nullptr : &it->second;
  }

 private:
  TypeInfo objectMeta_, container_, podSpec_, podStatus_, podTemplateSpec_, conditionsStatus_;
  TypeInfo deploymentSpec_, replicaSetSpec_, serviceSpec_, nodeSpec_, nodeStatus_;
  std::map<std::string, TypeInfo, std::less<>> kinds_;
};

}  // namespace

const FieldInfo& fieldOf(const TypeInfo* type, std::string_view name) {
  static const FieldInfo kDefault;
  if (!type) return kDefault;
  auto it = type->fields.find(name);
  return it == type->fields.end() ? kDefault : it->second;
}

const TypeInfo* typeForKind(std::string_view kind) {
  static const BuiltinTypes types;  // constant data, the analogue of Go's struct tags
  return types.forKind(kind);
}

}  // namespace sluice::api::strategic
