// The strategic merge patch machinery shared by patch application (strategic_merge.cc), the
// three-way diff of `kubectl apply` (three_way_merge.cc) and JSON patch (patch_json.cc).
// Internal to those files; api/patch.h is the interface. Pure; no I/O.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/error.h"

namespace sluice::api::strategic {

// ---------------------------------------------------------------------------------------------
// JSON values as Kubernetes compares them: it decodes every JSON number as float64, so 3 and 3.0
// are the same value and the same "type" for patching purposes.

bool sameKind(const boost::json::value& a, const boost::json::value& b);
bool jsonEqual(const boost::json::value& a, const boost::json::value& b);

// ---------------------------------------------------------------------------------------------
// Directives.

inline constexpr std::string_view kPatchDirective = "$patch";
inline constexpr std::string_view kDeleteDirective = "delete";
inline constexpr std::string_view kReplaceDirective = "replace";
inline constexpr std::string_view kMergeDirective = "merge";
inline constexpr std::string_view kRetainKeysDirective = "$retainKeys";
inline constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder/";
inline constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

// True for a list element `{"<mergeKey>": v, "$patch": "delete"}`.
bool isDeleteElement(const boost::json::value& v);

// ---------------------------------------------------------------------------------------------
// Patch metadata for the built-in kinds (strategic_merge_types.cc): the `patchStrategy` /
// `patchMergeKey` struct tags of k8s.io/api, reduced to the fields sluice serves. A field not
// listed has the default strategy: maps merge recursively, lists are replaced.

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

// The field `name` of `type`; the default strategy when either is unknown.
const FieldInfo& fieldOf(const TypeInfo* type, std::string_view name);

// The metadata of a kind (immutable, built once), or nullptr for a kind without any: JSON merge
// patch semantics, plus directives.
const TypeInfo* typeForKind(std::string_view kind);

// ---------------------------------------------------------------------------------------------
// List ordering.

// Position of `item` in `list` (maps by merge key, primitives by value), or -1.
int indexOf(const boost::json::array& list, const boost::json::value& item,
            std::string_view mergeKey);

// BadRequest unless every item is a map holding `mergeKey`.
Status requireMergeKeys(const boost::json::array& list, std::string_view mergeKey);

// Sorts `items` by their position in `order`; delete directives go last, items `order` does not
// name keep their relative order after the ones it does.
Result<boost::json::array> sortByOrder(const boost::json::array& items,
                                       const boost::json::array& order, std::string_view mergeKey);

// ---------------------------------------------------------------------------------------------
// Merging.

enum class ElementKind { kNone, kMap, kScalar };

// The kind of the elements of two lists together; BadRequest for lists of lists or mixed kinds.
Result<ElementKind> elementKind(const boost::json::array& a, const boost::json::array& b);

// Applying a patch to an object, and combining the two halves of a three-way patch, differ only
// in what happens to directives and nulls.
struct MergeOptions {
  // true: apply to a live object (directives are executed and never kept, nulls delete).
  // false: merge one patch into another (kubectl's deletions + delta): directives and nulls
  // are carried into the result.
  bool apply = true;
};

inline constexpr MergeOptions kApplyToObject{true};
inline constexpr MergeOptions kCombinePatches{false};

using MergedMap = std::optional<boost::json::object>;  // nullopt: the patch deleted the whole map

// Merges `patch` into `original`, maps of `type` (nullptr: unknown).
Result<MergedMap> mergeMap(boost::json::object original, boost::json::object patch,
                           const TypeInfo* type, const MergeOptions& options);

}  // namespace sluice::api::strategic
