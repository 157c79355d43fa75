// Strategic merge patch application (three_way_merge.cc computes patches; patch_json.cc has the
// RFC patch types).
//
// It follows the observable behaviour of Kubernetes'
// k8s.io/apimachinery/pkg/util/strategicpatch (what the API server applies and what
// `kubectl apply` sends), including its list ordering rules, so that a patch computed here equals,
// as a JSON value, the one kubectl sends for the same documents. Where that package has
// accidents (`$patch: delete` on a map leaves `{}`, or inserts a literal `{"$patch":"delete"}`
// where there was no map; directive keys survive inside replaced values) we do the sensible
// thing instead: the map goes, and no directive key ever reaches a stored object.
#include "api/patch.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/strategic_merge.h"

namespace sluice::api {

namespace json = boost::json;

namespace strategic {

namespace {

bool isNumber(const json::value& v) {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

bool isDirectiveKey(std::string_view key) {
  return key == kPatchDirective || key == kRetainKeysDirective ||
         key.starts_with(kSetElementOrderPrefix) || key.starts_with(kDeleteFromPrimitiveListPrefix);
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

}  // namespace

// ---------------------------------------------------------------------------------------------
// JSON values and directives.

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

bool isDeleteElement(const json::value& v) {
  const auto* o = v.if_object();
  if (!o) return false;
  const auto* d = o->if_contains(kPatchDirective);
  return d && d->is_string() && d->get_string() == kDeleteDirective;
}

// ---------------------------------------------------------------------------------------------
// Ordering of merged lists (Kubernetes' "preserve order in strategic merge patch" rules):
// items named by the patch (or by `$setElementOrder`) keep the patch's order, items only the
// server has keep theirs, and the two are interleaved by their positions in the server's list.

namespace {

// Whether two list items are "the same element": maps by merge key, primitives by value.
bool sameElement(const json::value& a, const json::value& b, std::string_view mergeKey) {
  if (mergeKey.empty()) return jsonEqual(a, b);
  const auto* ao = a.if_object();
  const auto* bo = b.if_object();
  const auto* ak = ao ? ao->if_contains(mergeKey) : nullptr;
  const auto* bk = bo ? bo->if_contains(mergeKey) : nullptr;
  return ak && bk && jsonEqual(*ak, *bk);
}

}  // namespace

// Position of `item` in `list`, or -1.
int indexOf(const json::array& list, const json::value& item, std::string_view mergeKey) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (sameElement(list[i], item, mergeKey)) return static_cast<int>(i);
  }
  return -1;
}

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

// ---------------------------------------------------------------------------------------------
// Merging.

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

namespace {

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
    if (std::string_view(key).starts_with(kSetElementOrderPrefix)) keys.emplace_back(key);
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
  if (std::string_view(key).starts_with(kDeleteFromPrimitiveListPrefix)) {
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

}  // namespace

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

}  // namespace strategic

Result<json::value> applyStrategicMergePatch(const json::value& original, const json::value& patch,
                                             std::string_view kind) {
  const auto* p = patch.if_object();
  if (!p) return Error::badRequest("a strategic merge patch must be a JSON object");
  json::object base = original.is_object() ? original.get_object() : json::object{};
  auto merged = strategic::mergeMap(std::move(base), *p, strategic::typeForKind(kind),
                                    strategic::kApplyToObject);
  if (!merged) return merged.error();
  // `$patch: delete` at the top leaves an empty object, as in Kubernetes.
  return json::value(*merged ? std::move(**merged) : json::object{});
}

}  // namespace sluice::api
