// The three patch types of the Kubernetes API, plus the three-way strategic merge patch that
// client-side `apply` computes. Pure functions over JSON; no I/O.
//
// patch_json.cc holds the two RFC patch types, strategic_merge.cc applies strategic merge
// patches, three_way_merge.cc computes them; strategic_merge.h is what those share.
#pragma once

#include <boost/json.hpp>
#include <string_view>

#include "api/error.h"

namespace sluice::api {

// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively,
// null deletes, everything else (arrays included) replaces.
Result<boost::json::value> applyMergePatch(const boost::json::value& target,
                                           const boost::json::value& patch);

// RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, move, copy, test.
// Errors are BadRequest/Invalid-style messages naming the failing operation and path.
Result<boost::json::value> applyJsonPatch(const boost::json::value& target,
                                          const boost::json::value& patch);

// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`) for the built-in
// `kind`s (Pod, Service, Deployment, ReplicaSet, Namespace, Endpoints, Event, Node,
// EndpointSlice): lists with a merge key (containers/env/volumes/imagePullSecrets by name,
// container ports by containerPort, service ports by port, volumeMounts by mountPath, conditions
// by type, ...) merge element-wise; other lists replace. Supports null-deletes, `$patch:
// delete|replace|merge`, `$setElementOrder/<list>`, `$retainKeys`,
// `$deleteFromPrimitiveList/<list>`. An unknown kind falls back to JSON merge patch semantics.
Result<boost::json::value> applyStrategicMergePatch(const boost::json::value& original,
                                                    const boost::json::value& patch,
                                                    std::string_view kind);

// The patch `kubectl apply` sends for an existing object: a three-way diff of the last applied
// configuration (`original`, may be null), the new manifest (`modified`) and the live object
// (`current`), in strategic-merge form for `kind`. Fields removed from the manifest since the last
// apply are deleted; fields only the server set (status, defaults) are left alone. Returns an
// empty object when nothing needs to change.
Result<boost::json::value> createThreeWayMergePatch(const boost::json::value& original,
                                                    const boost::json::value& modified,
                                                    const boost::json::value& current,
                                                    std::string_view kind);

}  // namespace sluice::api
