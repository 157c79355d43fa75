// Patch application and the client-side three-way diff.
//
// The strategic merge parts follow the observable behaviour of Kubernetes'
// k8s.io/apimachinery/pkg/util/strategicpatch (what the API server applies and what
// `kubectl apply` sends), including its list ordering rules, so that a patch computed here equals,
// as a JSON value, the one kubectl sends for the same documents. Where that package has
// accidents (`$patch: delete` on a map leaves `{}`, or inserts a literal `{"$patch":"delete"}`
// where there was no map; directive keys survive inside replaced values) we do the sensible
// thing instead: the map goes, and no directive key ever reaches a stored object.
#include "api/patch.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sluice::api {

namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// JSON values
// ---------------------------------------------------------------------------------------------

bool isNumber(const json::value& v) {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

// Kubernetes decodes every JSON number as float64, so 3 and 3.0 are the same value and the same
// "type" for patching purposes.
bool sameKind(const json::value& a, const json::value& b) {
  if (isNumber(a) && isNumber(b)) return true;
  return a.kind() == b.kind();
}

bool jsonEqual(const json::value& a, const json::value& b) {
  if (isNumber(a) && isNumber(b)) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    return a == b;  // boost compares int64 against uint64 correctly
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* ao = a.if_object()) {
    const auto& bo = b.get_object();
    if (ao->size() != bo.size()) return false;
    for (const auto& [key, value] : *ao) {
      const auto* other = bo.if_contains(key);
      if (!other || !jsonEqual(value, *other)) return false;
    }
    return true;
  }
  if (const auto* aa = a.if_array()) {
    const auto& ba = b.get_array();
    if (aa->size() != ba.size()) return false;
    for (std::size_t i = 0; i < aa->size(); ++i) {
      if (!jsonEqual((*aa)[i], ba[i])) return false;
    }
    return true;
  }
  return a == b;
}

// The string a scalar sorts by, like Go's fmt "%v": strings as they are, numbers in decimal.
// Only the relative order of deletions in a computed patch depends on it.
std::string sortString(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  if (v.is_double()) {
    double d = v.get_double();
    if (d > -1e15 && d < 1e15 && d == static_cast<double>(static_cast<std::int64_t>(d))) {
      return std::to_string(static_cast<std::int64_t>(d));
    }
  }
  return json::serialize(v);
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch directives
// ---------------------------------------------------------------------------------------------

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kDeleteDirective = "delete";
constexpr std::string_view kReplaceDirective = "replace";
constexpr std::string_view kMergeDirective = "merge";
constexpr std::string_view kRetainKeysDirective = "$retainKeys";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

bool isDirectiveKey(std::string_view key) {
  return key == kPatchDirective || key == kRetainKeysDirective ||
         startsWith(key, kSetElementOrderPrefix) || startsWith(key, kDeleteFromPrimitiveListPrefix);
}

// True for a list element `{"<mergeKey>": v, "$patch": "delete"}`.
bool isDeleteElement(const json::value& v) {
  const auto* o = v.if_object();
  if (!o) return false;
  const auto* d = o->if_contains(kPatchDirective);
  return d && d->is_string() && d->get_string() == kDeleteDirective;
}

// A value taken from a patch as a whole (no counterpart in the original) must not carry patch
// syntax into the stored object: directive keys are dropped, a `$patch: delete` map disappears,
// list elements that are only directives are dropped, and nulls inside maps are removed (RFC 7386
// does the same for new subtrees). Returns nullopt when the value itself is a delete directive.
std::optional<json::value> stripDirectives(const json::value& v) {
  if (const auto* o = v.if_object()) {
    if (isDeleteElement(v)) return std::nullopt;
    json::object out;
    for (const auto& [key, value] : *o) {
      if (isDirectiveKey(key) || value.is_null()) continue;
      if (auto cleaned = stripDirectives(value)) out[key] = std::move(*cleaned);
    }
    return json::value(std::move(out));
  }
  if (const auto* a = v.if_array()) {
    json::array out;
    for (const auto& element : *a) {
      const auto* eo = element.if_object();
      if (eo && eo->size() == 1 && eo->contains(kPatchDirective)) continue;  // list-level marker
      if (auto cleaned = stripDirectives(element)) out.push_back(std::move(*cleaned));
    }
    return json::value(std::move(out));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Patch metadata for the built-in kinds: the `patchStrategy` / `patchMergeKey` struct tags of
// k8s.io/api, reduced to the fields sluice serves. A field not listed here has the default
// strategy: maps merge recursively, lists are replaced.
// ---------------------------------------------------------------------------------------------

struct TypeInfo;

struct FieldInfo {
  bool mergeList = false;          // patchStrategy "merge" on a list
  bool retainKeys = false;         // patchStrategy "retainKeys" (map, or the elements of a list)
  std::string_view mergeKey;       // patchMergeKey; empty for lists of primitives
  const TypeInfo* type = nullptr;  // the value's type (the element type for lists); null: unknown
};

struct TypeInfo {
  std::map<std::string, FieldInfo, std::less<>> fields;
};

const FieldInfo& fieldOf(const TypeInfo* type, std::string_view name) {
  static const FieldInfo kDefault;
  if (!type) return kDefault;
  auto it = type->fields.find(name);
  return it == type->fields.end() ? kDefault : it->second;
}

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

const TypeInfo* typeForKind(std::string_view kind) {
  static const BuiltinTypes types;  // constant data, the analogue of Go's struct tags
  return types.forKind(kind);
}

// ---------------------------------------------------------------------------------------------
// Ordering of merged lists (Kubernetes' "preserve order in strategic merge patch" rules):
// items named by the patch (or by `$setElementOrder`) keep the patch's order, items only the
// server has keep theirs, and the two are interleaved by their positions in the server's list.
// ---------------------------------------------------------------------------------------------

// Whether two list items are "the same element": maps by merge key, primitives by value.
bool sameElement(const json::value& a, const json::value& b, std::string_view mergeKey) {
  if (mergeKey.empty()) return jsonEqual(a, b);
  const auto* ao = a.if_object();
  const auto* bo = b.if_object();
  const auto* ak = ao ? ao->if_contains(mergeKey) : nullptr;
  const auto* bk = bo ? bo->if_contains(mergeKey) : nullptr;
  return ak && bk && jsonEqual(*ak, *bk);
}

// Position of `item` in `list`, or -1.
int indexOf(const json::array& list, const json::value& item, std::string_view mergeKey) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (sameElement(list[i], item, mergeKey)) return static_cast<int>(i);
  }
  return -1;
}

Status requireMergeKey(const json::value& item, std::string_view mergeKey) {
  const auto* o = item.if_object();
  if (!o) {
    return Error::badRequest("expected a map in a list merged by key \"" + std::string(mergeKey) +
                             "\", got " + json::serialize(item));
  }
  if (!o->contains(mergeKey)) {
    return Error::badRequest("map: " + json::serialize(item) +
                             " does not contain declared merge key: " + std::string(mergeKey));
  }
  return {};
}

Status requireMergeKeys(const json::array& list, std::string_view mergeKey) {
  for (const auto& item : list) {
    if (auto st = requireMergeKey(item, mergeKey); !st) return st;
  }
  return {};
}

// Sorts `items` by their position in `order`; delete directives go last, items `order` does not
// name keep their relative order after the ones it does.
Result<json::array> sortByOrder(const json::array& items, const json::array& order,
                                std::string_view mergeKey) {
  if (!mergeKey.empty()) {
    if (auto st = requireMergeKeys(items, mergeKey); !st) return st.error();
    if (auto st = requireMergeKeys(order, mergeKey); !st) return st.error();
  }
  std::vector<std::pair<int, const json::value*>> keyed;
  json::array deletions;
  for (const auto& item : items) {
    if (!mergeKey.empty() && isDeleteElement(item)) {
      deletions.push_back(item);
      continue;
    }
    int index = indexOf(order, item, mergeKey);
    keyed.emplace_back(index < 0 ? static_cast<int>(order.size()) : index, &item);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array sorted;
  for (const auto& [index, item] : keyed) sorted.push_back(*item);
  for (auto& d : deletions) sorted.push_back(std::move(d));
  return sorted;
}

// Interleaves server-only items (`left`) into patch items (`right`): a server-only item goes
// before the next patch item only when both are in `serverOrder` and it came first there.
// Example: server [a, s, b], patch names [a, b, c] → [a, s, b, c].
json::array interleave(const json::array& left, const json::array& right,
                       const json::array& serverOrder, std::string_view mergeKey) {
  json::array out;
  std::size_t i = 0, j = 0;
  while (i < left.size() || j < right.size()) {
    bool takeLeft = j >= right.size();
    if (i < left.size() && j < right.size()) {
      int li = indexOf(serverOrder, left[i], mergeKey);
      int ri = indexOf(serverOrder, right[j], mergeKey);
      takeLeft = li >= 0 && ri >= 0 && li < ri;
    }
    out.push_back(takeLeft ? left[i++] : right[j++]);
  }
  return out;
}

Result<json::array> orderMerged(const json::array& merged, const json::array& patchOrder,
                                const json::array& serverOrder, std::string_view mergeKey) {
  json::array patchItems, serverOnly;
  for (const auto& item : merged) {
    if (!mergeKey.empty()) {
      if (auto st = requireMergeKey(item, mergeKey); !st) return st.error();
    }
    (indexOf(patchOrder, item, mergeKey) >= 0 ? patchItems : serverOnly).push_back(item);
  }
  auto sortedPatch = sortByOrder(patchItems, patchOrder, mergeKey);
  if (!sortedPatch) return sortedPatch.error();
  auto sortedServer = sortByOrder(serverOnly, serverOrder, mergeKey);
  if (!sortedServer) return sortedServer.error();
  return interleave(*sortedServer, *sortedPatch, serverOrder, mergeKey);
}

// ---------------------------------------------------------------------------------------------
// Strategic merge: applying a patch to an object, and combining the two halves of a three-way
// patch. The two differ only in what happens to directives and nulls (see MergeOptions).
// ---------------------------------------------------------------------------------------------

struct MergeOptions {
  // true: apply to a live object (directives are executed and never kept, nulls delete).
  // false: merge one patch into another (kubectl's deletions + delta): directives and nulls
  // are carried into the result.
  bool apply = true;
};

constexpr MergeOptions kApplyToObject{true};
constexpr MergeOptions kCombinePatches{false};

enum class ElementKind { kNone, kMap, kScalar };

Result<ElementKind> elementKind(const json::array& a, const json::array& b) {
  ElementKind kind = ElementKind::kNone;
  for (const auto* list : {&a, &b}) {
    for (const auto& item : *list) {
      if (item.is_array()) return Error::badRequest("lists of lists are not supported");
      ElementKind k = item.is_object() ? ElementKind::kMap : ElementKind::kScalar;
      if (kind != ElementKind::kNone && kind != k) {
        return Error::badRequest("list element types are not identical: " + json::serialize(a) +
                                 " and " + json::serialize(b));
      }
      kind = k;
    }
  }
  return kind;
}

using MergedMap = std::optional<json::object>;  // nullopt: the patch deleted the whole map

Result<MergedMap> mergeMap(json::object original, json::object patch, const TypeInfo* type,
                           const MergeOptions& options);

Result<json::array> mergeScalarList(json::array original, const json::array& patch,
                                    bool isDeleteList, const MergeOptions& options) {
  if (isDeleteList && options.apply) {
    json::array kept;
    for (auto& item : original) {
      if (indexOf(patch, item, {}) < 0) kept.push_back(std::move(item));
    }
    return kept;
  }
  json::array merged;
  for (const json::array* list : {&std::as_const(original), &patch}) {
    for (const auto& item : *list) {
      if (indexOf(merged, item, {}) < 0) merged.push_back(item);
    }
  }
  return orderMerged(merged, patch, original, {});
}

// Handles the `$patch` elements of a merging list: deletes remove matching originals, a replace
// marker makes the rest of the patch the whole list. Returns the ordinary patch elements.
Result<json::array> applyListDirectives(json::array& original, const json::array& patch,
                                        std::string_view mergeKey, bool& replace) {
  json::array plain;
  for (const auto& item : patch) {
    const auto& element = item.get_object();  // elementKind() checked these are maps
    const auto* directive = element.if_contains(kPatchDirective);
    if (!directive) {
      plain.push_back(item);
      continue;
    }
    const auto* name = directive->if_string();
    if (name && *name == kDeleteDirective) {
      if (auto st = requireMergeKey(item, mergeKey); !st) return st.error();
      json::array kept;
      for (auto& o : original) {
        if (!sameElement(o, item, mergeKey)) kept.push_back(std::move(o));
      }
      original = std::move(kept);
    } else if (name && *name == kReplaceDirective) {
      replace = true;
    } else if (!name || *name != kMergeDirective) {  // merge is the default: nothing to do
      return Error::badRequest("unknown patch type: " + json::serialize(*directive) +
                               " in map: " + json::serialize(item));
    }
  }
  return plain;
}

Result<json::array> mergeMapList(json::array original, const json::array& patch,
                                 const FieldInfo& field, const MergeOptions& options) {
  if (field.mergeKey.empty()) {
    return Error::badRequest("cannot merge lists of maps without a merge key");
  }
  bool replace = false;
  auto plain = applyListDirectives(original, patch, field.mergeKey, replace);
  if (!plain) return plain.error();
  if (replace) {
    json::array replaced;
    for (const auto& item : *plain) {
      auto cleaned = options.apply ? stripDirectives(item) : std::optional<json::value>(item);
      if (cleaned) replaced.push_back(std::move(*cleaned));
    }
    return replaced;
  }
  const json::array serverOrder = original;  // after deletions, before additions
  for (const auto& item : *plain) {
    const auto& element = item.get_object();
    if (auto st = requireMergeKey(item, field.mergeKey); !st) return st.error();
    int index = indexOf(original, item, field.mergeKey);
    if (index < 0) {
      auto cleaned = options.apply ? stripDirectives(item) : std::optional<json::value>(item);
      if (cleaned) original.push_back(std::move(*cleaned));
      continue;
    }
    auto& target = original[static_cast<std::size_t>(index)];
    auto merged = mergeMap(std::move(target.get_object()), element, field.type, options);
    if (!merged) return merged.error();
    if (*merged) {
      target = std::move(**merged);
    } else {
      original.erase(original.begin() + index);
    }
  }
  return orderMerged(original, *plain, serverOrder, field.mergeKey);
}

// Merges a patch list into a list whose field has patch strategy "merge".
Result<json::array> mergeList(json::array original, const json::array& patch,
                              const FieldInfo& field, bool isDeleteList,
                              const MergeOptions& options) {
  if (original.empty() && patch.empty()) return original;
  auto kind = elementKind(original, patch);
  if (!kind) return kind.error();
  if (*kind == ElementKind::kMap) {
    if (isDeleteList) {
      return Error::badRequest("$deleteFromPrimitiveList applies only to lists of primitives");
    }
    return mergeMapList(std::move(original), patch, field, options);
  }
  return mergeScalarList(std::move(original), patch, isDeleteList, options);
}

// `$retainKeys: [k...]`: keys of the original map not listed are cleared.
Status applyRetainKeys(json::object& original, json::object& patch, const MergeOptions& options) {
  auto it = patch.find(kRetainKeysDirective);
  if (it == patch.end()) return {};
  json::value retain = it->value();
  patch.erase(it);
  if (!options.apply) {
    if (const auto* existing = original.if_contains(kRetainKeysDirective)) {
      if (!jsonEqual(*existing, retain)) {
        return Error::badRequest("conflicting $retainKeys directives: " +
                                 json::serialize(*existing) + " and " + json::serialize(retain));
      }
    }
    original[kRetainKeysDirective] = std::move(retain);
    return {};
  }
  const auto* list = retain.if_array();
  if (!list) return Error::badRequest("$retainKeys must be a list of field names");
  std::set<std::string, std::less<>> keep;
  for (const auto& k : *list) {
    if (!k.is_string()) return Error::badRequest("$retainKeys must be a list of field names");
    keep.emplace(k.get_string());
  }
  for (const auto& [key, value] : patch) {
    if (value.is_null() || isDirectiveKey(key) || keep.count(key)) continue;
    return Error::badRequest("the patch sets \"" + std::string(key) +
                             "\", which its $retainKeys list does not name");
  }
  std::vector<std::string> drop;
  for (const auto& [key, value] : original) {
    if (!keep.count(key)) drop.emplace_back(key);
  }
  for (const auto& key : drop) original.erase(key);
  return {};
}

// The items of the patch list must appear in the same relative order as in the
// `$setElementOrder` list (deletions aside).
Status validateAgainstOrder(const json::array& patchList, const json::array& order,
                            std::string_view mergeKey) {
  std::size_t p = 0, o = 0;
  while (p < patchList.size() && o < order.size()) {
    const auto* po = patchList[p].if_object();
    if (!mergeKey.empty() && po && po->contains(kPatchDirective)) {
      ++p;
      continue;
    }
    if (sameElement(order[o], patchList[p], mergeKey)) ++p;
    ++o;
  }
  for (; p < patchList.size(); ++p) {
    const auto* po = patchList[p].if_object();
    if (mergeKey.empty() || !po || !po->contains(kPatchDirective)) {
      return Error::badRequest("the order in patch list " + json::serialize(patchList) +
                               " doesn't match $setElementOrder list " + json::serialize(order));
    }
  }
  return {};
}

// `$setElementOrder/<list>: [...]`: merge that list now and put it in the given order.
Status applyOneElementOrder(json::object& original, json::object& patch, std::string_view listKey,
                            const json::array& order, const TypeInfo* type,
                            const MergeOptions& options) {
  const FieldInfo& field = fieldOf(type, listKey);
  // Order only means something for a merging list; a replaced list takes the patch's order.
  if (!field.mergeList) return {};
  const auto* originalValue = original.if_contains(listKey);
  const auto* patchValue = patch.if_contains(listKey);
  if ((originalValue && !originalValue->is_array()) || (patchValue && !patchValue->is_array())) {
    return {};  // a type change or null: handled like any other field
  }
  if (!originalValue && !patchValue) return {};
  if (patchValue) {
    if (auto st = validateAgainstOrder(patchValue->get_array(), order, field.mergeKey); !st) {
      return st;
    }
  }
  const json::array serverOrder = originalValue ? originalValue->get_array() : json::array{};
  json::array merged = serverOrder;
  if (patchValue) {
    if (!originalValue && !options.apply) {
      merged = patchValue->get_array();
    } else {
      auto m = mergeList(serverOrder, patchValue->get_array(), field, false, options);
      if (!m) return m.error();
      merged = std::move(*m);
    }
  }
  auto ordered = orderMerged(merged, order, serverOrder, field.mergeKey);
  if (!ordered) return ordered.error();
  original[listKey] = std::move(*ordered);
  patch.erase(listKey);
  return {};
}

Status applyElementOrders(json::object& original, json::object& patch, const TypeInfo* type,
                          const MergeOptions& options) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : patch) {
    if (startsWith(key, kSetElementOrderPrefix)) keys.emplace_back(key);
  }
  for (const auto& key : keys) {
    json::value order = patch.at(key);
    patch.erase(key);
    if (!order.is_array()) return Error::badRequest(key + " must be a list");
    std::string_view listKey = std::string_view(key).substr(kSetElementOrderPrefix.size());
    if (listKey.empty()) return Error::badRequest("invalid directive " + key);
    if (!options.apply) {
      if (const auto* existing = original.if_contains(key);
          existing && !jsonEqual(*existing, order)) {
        return Error::badRequest("conflicting " + key + " lists");
      }
      original[key] = order;
    }
    auto st = applyOneElementOrder(original, patch, listKey, order.get_array(), type, options);
    if (!st) return st;
  }
  return {};
}

void insertFromPatch(json::object& original, const std::string& key, json::value value,
                     const MergeOptions& options) {
  if (!options.apply) {
    original[key] = std::move(value);
    return;
  }
  if (auto cleaned = stripDirectives(value)) {
    original[key] = std::move(*cleaned);
  } else {
    original.erase(key);
  }
}

// Merges one patch entry into `original`.
Status mergeField(json::object& original, const std::string& patchKey, json::value patchValue,
                  const TypeInfo* type, const MergeOptions& options) {
  std::string key = patchKey;
  bool isDeleteList = false;
  if (startsWith(key, kDeleteFromPrimitiveListPrefix)) {
    if (!options.apply) {
      original[key] = std::move(patchValue);
      return {};
    }
    key = key.substr(kDeleteFromPrimitiveListPrefix.size());
    isDeleteList = true;
    if (!patchValue.is_array()) return Error::badRequest(patchKey + " must be a list");
  }
  if (patchValue.is_null()) {
    original.erase(key);
    if (options.apply) return {};
  }
  auto* current = original.if_contains(key);
  if (!current) {
    if (!isDeleteList) insertFromPatch(original, key, std::move(patchValue), options);
    return {};
  }
  const FieldInfo& field = fieldOf(type, key);
  if (current->is_object() && patchValue.is_object() && !isDeleteList) {
    auto merged = mergeMap(std::move(current->get_object()), std::move(patchValue.get_object()),
                           field.type, options);
    if (!merged) return merged.error();
    if (*merged) {
      original[key] = std::move(**merged);
    } else {
      original.erase(key);
    }
    return {};
  }
  if (current->is_array() && patchValue.is_array()) {
    if (field.mergeList || isDeleteList) {
      // A delete list on a field without metadata (unknown kind) still deletes.
      FieldInfo info = field;
      if (!field.mergeList) info.mergeKey = {};
      auto merged = mergeList(std::move(current->get_array()), patchValue.get_array(), info,
                              isDeleteList, options);
      if (!merged) return merged.error();
      original[key] = std::move(*merged);
      return {};
    }
  }
  if (isDeleteList) return {};  // nothing to delete from
  insertFromPatch(original, key, std::move(patchValue), options);
  return {};
}

Result<MergedMap> mergeMap(json::object original, json::object patch, const TypeInfo* type,
                           const MergeOptions& options) {
  if (const auto* directive = patch.if_contains(kPatchDirective)) {
    const auto* name = directive->if_string();
    if (name && *name == kDeleteDirective) return MergedMap{};
    if (name && *name == kReplaceDirective) {
      patch.erase(kPatchDirective);
      if (!options.apply) return MergedMap(std::move(patch));
      return MergedMap(stripDirectives(patch)->get_object());
    }
    if (!name || *name != kMergeDirective) {
      return Error::badRequest("unknown patch type: " + json::serialize(*directive) +
                               " in map: " + json::serialize(patch));
    }
    patch.erase(kPatchDirective);
  }
  if (auto st = applyRetainKeys(original, patch, options); !st) return st.error();
  if (auto st = applyElementOrders(original, patch, type, options); !st) return st.error();
  std::vector<std::string> keys;
  for (const auto& [key, value] : patch) keys.emplace_back(key);
  for (const auto& key : keys) {
    auto st = mergeField(original, key, std::move(patch.at(key)), type, options);
    if (!st) return st.error();
  }
  return MergedMap(std::move(original));
}

// ---------------------------------------------------------------------------------------------
// Diff (kubectl's side): the patch that turns `original` into `modified`.
// ---------------------------------------------------------------------------------------------

struct DiffOptions {
  bool ignoreChangesAndAdditions = false;
  bool ignoreDeletions = false;
  bool buildRetainKeys = false;  // the map's field has patch strategy retainKeys
};

Result<json::object> diffMaps(const json::object& original, const json::object& modified,
                              const TypeInfo* type, const DiffOptions& options);

struct ListDiff {
  json::array changes;    // additions, changed elements, then `$patch: delete` elements
  json::array deletions;  // primitives removed (the `$deleteFromPrimitiveList` list)
  json::array order;      // the `$setElementOrder` list, empty if not needed
};

Result<std::vector<const json::object*>> sortedByMergeKey(const json::array& list,
                                                          std::string_view mergeKey) {
  if (auto st = requireMergeKeys(list, mergeKey); !st) return st.error();
  std::vector<const json::object*> sorted;
  for (const auto& item : list) sorted.push_back(&item.get_object());
  std::stable_sort(sorted.begin(), sorted.end(), [&](const auto* a, const auto* b) {
    return sortString(a->at(mergeKey)) < sortString(b->at(mergeKey));
  });
  return sorted;
}

// Walks both lists sorted by merge key, like a merge join.
Status diffListsOfMaps(const json::array& original, const json::array& modified,
                       const FieldInfo& field, const DiffOptions& options, ListDiff& out) {
  auto orig = sortedByMergeKey(original, field.mergeKey);
  if (!orig) return orig.error();
  auto mod = sortedByMergeKey(modified, field.mergeKey);
  if (!mod) return mod.error();
  json::array changes, deletes;
  std::size_t o = 0, m = 0;
  while (o < orig->size() || m < mod->size()) {
    int cmp = o >= orig->size() ? 1 : m >= mod->size() ? -1 : 0;
    if (cmp == 0) {
      std::string os = sortString((*orig)[o]->at(field.mergeKey));
      std::string ms = sortString((*mod)[m]->at(field.mergeKey));
      cmp = os == ms ? 0 : (os > ms ? 1 : -1);
    }
    if (cmp == 0) {  // same element: recurse
      auto d = diffMaps(*(*orig)[o], *(*mod)[m], field.type, options);
      if (!d) return d.error();
      if (!d->empty()) {
        (*d)[field.mergeKey] = (*mod)[m]->at(field.mergeKey);
        changes.push_back(std::move(*d));
      }
      ++o, ++m;
    } else if (cmp > 0) {  // only in modified: added
      if (!options.ignoreChangesAndAdditions) changes.push_back(*(*mod)[m]);
      ++m;
    } else {  // only in original: removed
      if (!options.ignoreDeletions) {
        deletes.push_back(json::object{{field.mergeKey, (*orig)[o]->at(field.mergeKey)},
                                       {kPatchDirective, kDeleteDirective}});
      }
      ++o;
    }
  }
  auto sorted = sortByOrder(changes, modified, field.mergeKey);
  if (!sorted) return sorted.error();
  out.changes = std::move(*sorted);
  for (auto& d : deletes) out.changes.push_back(std::move(d));

  bool orderSame = original.size() == modified.size();
  for (std::size_t i = 0; orderSame && i < modified.size(); ++i) {
    orderSame = jsonEqual(original[i].get_object().at(field.mergeKey),
                          modified[i].get_object().at(field.mergeKey));
  }
  bool changed = !out.changes.empty();
  if ((!options.ignoreChangesAndAdditions && (changed || !orderSame)) ||
      (!options.ignoreDeletions && changed)) {
    for (const auto& item : modified) {
      out.order.push_back(json::object{{field.mergeKey, item.get_object().at(field.mergeKey)}});
    }
  }
  return {};
}

Status diffListsOfScalars(const json::array& original, const json::array& modified,
                          const DiffOptions& options, ListDiff& out) {
  auto sorted = [](const json::array& list) {
    std::vector<std::string> keys;
    for (const auto& item : list) keys.push_back(sortString(item));
    std::vector<std::size_t> index(list.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = i;
    std::stable_sort(index.begin(), index.end(),
                     [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    return std::make_pair(keys, index);
  };
  auto [origKeys, origIndex] = sorted(original);
  auto [modKeys, modIndex] = sorted(modified);
  json::array additions;
  std::size_t o = 0, m = 0;
  while (o < origIndex.size() || m < modIndex.size()) {
    int cmp = o >= origIndex.size() ? 1 : m >= modIndex.size() ? -1 : 0;
    if (cmp == 0) {
      const auto& os = origKeys[origIndex[o]];
      const auto& ms = modKeys[modIndex[m]];
      cmp = os == ms ? 0 : (os > ms ? 1 : -1);
    }
    if (cmp == 0) {
      ++o, ++m;
    } else if (cmp > 0) {
      if (!options.ignoreChangesAndAdditions) additions.push_back(modified[modIndex[m]]);
      ++m;
    } else {
      const auto& removed = original[origIndex[o]];
      if (!options.ignoreDeletions && indexOf(out.deletions, removed, {}) < 0) {
        out.deletions.push_back(removed);
      }
      ++o;
    }
  }
  auto ordered = sortByOrder(additions, modified, {});
  if (!ordered) return ordered.error();
  out.changes = std::move(*ordered);
  if ((!options.ignoreDeletions && !out.deletions.empty()) ||
      (!options.ignoreChangesAndAdditions && !jsonEqual(original, modified))) {
    out.order = modified;
  }
  return {};
}

// The diff of a list with patch strategy merge.
Result<ListDiff> diffLists(const json::array& original, const json::array& modified,
                           const FieldInfo& field, const DiffOptions& options) {
  ListDiff out;
  if (original.empty()) {
    // No `$setElementOrder` here: the whole list is new, so the patch's order is the order.
    if (!modified.empty() && !options.ignoreChangesAndAdditions) out.changes = modified;
    return out;
  }
  auto kind = elementKind(original, modified);
  if (!kind) return kind.error();
  Status st = *kind == ElementKind::kMap ? diffListsOfMaps(original, modified, field, options, out)
                                         : diffListsOfScalars(original, modified, options, out);
  if (!st) return st.error();
  return out;
}

void replaceIfNotEqual(json::object& patch, std::string_view key, const json::value& original,
                       const json::value& modified, const DiffOptions& options) {
  if (options.ignoreChangesAndAdditions || jsonEqual(original, modified)) return;
  patch[key] = modified;
}

Status diffField(json::object& patch, std::string_view key, const json::value& original,
                 const json::value& modified, const TypeInfo* type, const DiffOptions& options) {
  const FieldInfo& field = fieldOf(type, key);
  DiffOptions nestedOptions = options;
  nestedOptions.buildRetainKeys = field.retainKeys;
  if (original.is_object()) {
    auto d = diffMaps(original.get_object(), modified.get_object(), field.type, nestedOptions);
    if (!d) return d.error();
    if (!d->empty()) patch[key] = std::move(*d);
    return {};
  }
  if (original.is_array() && field.mergeList) {
    auto d = diffLists(original.get_array(), modified.get_array(), field, nestedOptions);
    if (!d) return d.error();
    if (!d->changes.empty()) patch[key] = std::move(d->changes);
    if (!d->deletions.empty()) {
      patch[std::string(kDeleteFromPrimitiveListPrefix) + std::string(key)] =
          std::move(d->deletions);
    }
    if (!d->order.empty()) {
      patch[std::string(kSetElementOrderPrefix) + std::string(key)] = std::move(d->order);
    }
    return {};
  }
  replaceIfNotEqual(patch, key, original, modified, options);
  return {};
}

// True when `original` has a non-null field that `modified` lacks.
bool hasAdditionalField(const json::object& original, const json::object& modified) {
  for (const auto& [key, value] : original) {
    if (!value.is_null() && !modified.contains(key)) return true;
  }
  return false;
}

// The strategic merge patch from `original` to `modified`, maps of `type`: added and changed
// fields as in `modified`, null for removed ones, merging lists diffed element by element (with
// `$patch: delete` items, `$deleteFromPrimitiveList` and `$setElementOrder` lists), and
// `$retainKeys` for retainKeys maps. The options drop the additions or the deletions, which is
// how the two halves of the three-way patch are made.
Result<json::object> diffMaps(const json::object& original, const json::object& modified,
                              const TypeInfo* type, const DiffOptions& options) {
  json::object patch;
  json::array retainKeys;
  for (const auto& [key, modifiedValue] : modified) {
    if (options.buildRetainKeys && !modifiedValue.is_null()) retainKeys.push_back(json::value(key));
    const auto* originalValue = original.if_contains(key);
    if (!originalValue) {
      if (!options.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    if (!sameKind(*originalValue, modifiedValue)) {
      if (!options.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    if (auto st = diffField(patch, key, *originalValue, modifiedValue, type, options); !st) {
      return st.error();
    }
  }
  if (!options.ignoreDeletions) {
    for (const auto& [key, value] : original) {
      if (!modified.contains(key)) patch[key] = nullptr;
    }
  }
  // `$retainKeys` goes out when the map changed or when the other side has fields to clear
  // (e.g. a live `rollingUpdate` next to a manifest's `type: Recreate`).
  if (!retainKeys.empty() && (!patch.empty() || hasAdditionalField(original, modified))) {
    std::stable_sort(
        retainKeys.begin(), retainKeys.end(),
        [](const json::value& a, const json::value& b) { return sortString(a) < sortString(b); });
    patch[kRetainKeysDirective] = std::move(retainKeys);
  }
  return patch;
}

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902) and JSON pointers (RFC 6901)
// ---------------------------------------------------------------------------------------------

// Failures of a well-formed operation against the object are 422 Invalid, like the API server
// answers them; a malformed patch document is 400 BadRequest.
Error operationFailed(std::string message) {
  Error e;
  e.code = 422;
  e.reason = "Invalid";
  e.message = std::move(message);
  return e;
}

Result<std::vector<std::string>> parsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return Error::badRequest("JSON pointer \"" + std::string(pointer) + "\" must start with /");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next != '0' && next != '1') {
        return Error::badRequest("JSON pointer \"" + std::string(pointer) +
                                 "\" has an invalid ~ escape");
      }
      token += next == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

// An array index token: digits without leading zeros. `-` (one past the end) is handled by add.
std::optional<std::size_t> parseIndex(const std::string& token) {
  if (token.empty() || token.size() > 9) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

json::value* resolve(json::value& root, const std::vector<std::string>& tokens, std::size_t count) {
  json::value* at = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (auto* o = at->if_object()) {
      at = o->if_contains(tokens[i]);
    } else if (auto* a = at->if_array()) {
      auto index = parseIndex(tokens[i]);
      at = index && *index < a->size() ? &(*a)[*index] : nullptr;
    } else {
      at = nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

struct Operation {
  std::string op;
  std::string path;
  std::vector<std::string> tokens;
};

Status addValue(json::value& doc, const Operation& o, json::value value) {
  if (o.tokens.empty()) {
    doc = std::move(value);
    return {};
  }
  json::value* parent = resolve(doc, o.tokens, o.tokens.size() - 1);
  const std::string& last = o.tokens.back();
  if (parent && parent->is_object()) {
    parent->get_object()[last] = std::move(value);
    return {};
  }
  if (parent && parent->is_array()) {
    auto& array = parent->get_array();
    if (last == "-") {
      array.push_back(std::move(value));
      return {};
    }
    auto index = parseIndex(last);
    if (!index || *index > array.size()) {
      return operationFailed(o.op + " operation does not apply: index out of bounds: \"" + o.path +
                             "\"");
    }
    array.insert(array.begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
    return {};
  }
  return operationFailed(o.op + " operation does not apply: doc is missing path: \"" + o.path +
                         "\"");
}

Status removeValue(json::value& doc, const Operation& o, const std::vector<std::string>& tokens,
                   const std::string& path) {
  json::value* parent = tokens.empty() ? nullptr : resolve(doc, tokens, tokens.size() - 1);
  if (parent && parent->is_object() && parent->get_object().erase(tokens.back()) == 1) return {};
  if (parent && parent->is_array()) {
    auto index = parseIndex(tokens.back());
    auto& array = parent->get_array();
    if (index && *index < array.size()) {
      array.erase(array.begin() + static_cast<std::ptrdiff_t>(*index));
      return {};
    }
  }
  return operationFailed(o.op + " operation does not apply: doc is missing path: \"" + path + "\"");
}

Result<json::value> valueOf(const json::object& operation, const Operation& o) {
  const auto* value = operation.if_contains("value");
  if (!value) return Error::badRequest(o.op + " operation at \"" + o.path + "\" has no value");
  return *value;
}

Result<json::value> fromValue(json::value& doc, const json::object& operation, const Operation& o,
                              std::vector<std::string>& fromTokens, std::string& from) {
  const auto* f = operation.if_contains("from");
  if (!f || !f->is_string()) {
    return Error::badRequest(o.op + " operation at \"" + o.path + "\" has no \"from\"");
  }
  from = std::string(f->get_string());
  auto tokens = parsePointer(from);
  if (!tokens) return tokens.error();
  fromTokens = std::move(*tokens);
  json::value* source = resolve(doc, fromTokens, fromTokens.size());
  if (!source) {
    return operationFailed(o.op + " operation does not apply: doc is missing from path: \"" + from +
                           "\"");
  }
  return *source;
}

Status applyOperation(json::value& doc, const json::value& entry) {
  const auto* operation = entry.if_object();
  if (!operation) return Error::badRequest("JSON patch operation must be an object");
  const auto* op = operation->if_contains("op");
  const auto* path = operation->if_contains("path");
  if (!op || !op->is_string()) return Error::badRequest("JSON patch operation has no \"op\"");
  Operation o{std::string(op->get_string()), {}, {}};
  if (!path || !path->is_string()) {
    return Error::badRequest(o.op + " operation has no \"path\"");
  }
  o.path = std::string(path->get_string());
  auto tokens = parsePointer(o.path);
  if (!tokens) return tokens.error();
  o.tokens = std::move(*tokens);

  if (o.op == "add") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    return addValue(doc, o, std::move(*value));
  }
  if (o.op == "remove") return removeValue(doc, o, o.tokens, o.path);
  if (o.op == "replace") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    json::value* target = resolve(doc, o.tokens, o.tokens.size());
    if (!target) {
      return operationFailed("replace operation does not apply: doc is missing key: \"" + o.path +
                             "\"");
    }
    *target = std::move(*value);
    return {};
  }
  if (o.op == "test") {
    auto value = valueOf(*operation, o);
    if (!value) return value.error();
    json::value* target = resolve(doc, o.tokens, o.tokens.size());
    if (!target || !jsonEqual(*target, *value)) {
      return operationFailed("test operation failed: value at \"" + o.path + "\" is not " +
                             json::serialize(*value));
    }
    return {};
  }
  if (o.op == "move" || o.op == "copy") {
    std::vector<std::string> fromTokens;
    std::string from;
    auto value = fromValue(doc, *operation, o, fromTokens, from);
    if (!value) return value.error();
    if (o.op == "move") {
      if (from == o.path) return {};
      if (startsWith(o.path, from + "/")) {
        return operationFailed("move operation does not apply: \"" + o.path + "\" is inside \"" +
                               from + "\"");
      }
      if (auto st = removeValue(doc, o, fromTokens, from); !st) return st;
    }
    return addValue(doc, o, std::move(*value));
  }
  return Error::badRequest("unknown JSON patch operation \"" + o.op + "\" at \"" + o.path + "\"");
}

// RFC 7386 MergePatch(target, patch).
json::value mergePatch(const json::value& target, const json::value& patch) {
  const auto* p = patch.if_object();
  if (!p) return patch;
  json::object result = target.is_object() ? target.get_object() : json::object{};
  for (const auto& [key, value] : *p) {
    if (value.is_null()) {
      result.erase(key);
      continue;
    }
    const auto* existing = result.if_contains(key);
    result[key] = mergePatch(existing ? *existing : json::value(), value);
  }
  return result;
}

}  // namespace

Result<json::value> applyMergePatch(const json::value& target, const json::value& patch) {
  return mergePatch(target, patch);
}

Result<json::value> applyJsonPatch(const json::value& target, const json::value& patch) {
  const auto* operations = patch.if_array();
  if (!operations) return Error::badRequest("a JSON patch must be a list of operations");
  json::value doc = target;
  for (const auto& operation : *operations) {
    if (auto st = applyOperation(doc, operation); !st) return st.error();
  }
  return doc;
}

Result<json::value> applyStrategicMergePatch(const json::value& original, const json::value& patch,
                                             std::string_view kind) {
  const auto* p = patch.if_object();
  if (!p) return Error::badRequest("a strategic merge patch must be a JSON object");
  json::object base = original.is_object() ? original.get_object() : json::object{};
  auto merged = mergeMap(std::move(base), *p, typeForKind(kind), kApplyToObject);
  if (!merged) return merged.error();
  // `$patch: delete` at the top leaves an empty object, as in Kubernetes.
  return json::value(*merged ? std::move(**merged) : json::object{});
}

Result<json::value> createThreeWayMergePatch(const json::value& original,
                                             const json::value& modified,
                                             const json::value& current, std::string_view kind) {
  if (!original.is_null() && !original.is_object()) {
    return Error::badRequest("the last applied configuration must be a JSON object");
  }
  if (!modified.is_object()) {
    return Error::badRequest("the new configuration must be a JSON object");
  }
  if (!current.is_object()) return Error::badRequest("the live object must be a JSON object");
  const TypeInfo* type = typeForKind(kind);
  const json::object none;
  const json::object& last = original.is_object() ? original.get_object() : none;

  // The patch is the difference from current to modified without deletions, plus the deletions
  // from original to modified: fields only the server set are never removed, and fields the
  // user removed from the manifest are, even if the server changed them since. Example: last
  // applied replicas 2, live replicas 5 (an autoscaler), new manifest without replicas →
  // {"spec":{"replicas":null}}; live status and defaults, absent from both, are not mentioned.
  DiffOptions deltaOptions;
  deltaOptions.ignoreDeletions = true;
  auto delta = diffMaps(current.get_object(), modified.get_object(), type, deltaOptions);
  if (!delta) return delta.error();
  DiffOptions deletionsOptions;
  deletionsOptions.ignoreChangesAndAdditions = true;
  auto deletions = diffMaps(last, modified.get_object(), type, deletionsOptions);
  if (!deletions) return deletions.error();

  auto combined = mergeMap(std::move(*deletions), std::move(*delta), type, kCombinePatches);
  if (!combined) return combined.error();
  return json::value(*combined ? std::move(**combined) : json::object{});
}

}  // namespace sluice::api
