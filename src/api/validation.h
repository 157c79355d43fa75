// Validation as the Kubernetes API server does it for the built-in types, after defaulting
// (api/defaulting.h). Pure; no I/O.
//
// The implementation is split by topic: validation.cc (object metadata and the checks every kind
// shares), validation_pods.cc, validation_workloads.cc (Deployment, ReplicaSet) and
// validation_services.cc; name formats are in names.h.
#pragma once

#include <boost/json.hpp>

#include "api/error.h"
#include "api/resources.h"

namespace sluice::api {

// Validates an object after defaulting. `old` is the stored object on update (nullptr on create):
// it enables immutability checks (Deployment/ReplicaSet spec.selector, Service clusterIP).
// On failure returns Error::invalid with one cause per problem, using Kubernetes' field paths and
// wording, e.g. `spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}:
// `selector` does not match template `labels``. Checks at least: metadata.name required (unless
// generateName) and a DNS-1123 subdomain (label for Namespace/Service), label keys and values,
// annotation keys, ports 1-65535 (container ports, service port/targetPort/nodePort), replicas
// >= 0, required fields (containers, container name and image, selector, template labels),
// selector matching template labels, duplicate container names, unique Service port names
// (and names required when more than one port), maxSurge/maxUnavailable not both zero.
Status validate(const boost::json::object& object, const boost::json::object* old,
                const ResourceType& type);

}  // namespace sluice::api
