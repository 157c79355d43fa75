// The patch `kubectl apply` sends (k8s.io/apimachinery/pkg/util/strategicpatch's
// CreateThreeWayMergePatch): two diffs, one without deletions and one of deletions only,
// combined with the strategic merge itself.
#include "api/patch.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "api/strategic_merge.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

using namespace strategic;

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

}  // namespace

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
