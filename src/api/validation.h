// Defaulting and validation as the Kubernetes API server does them, for the built-in types.
// Pure; no I/O.
#pragma once

#include <boost/json.hpp>

#include "api/error.h"
#include "api/resources.h"

namespace sluice::api {

// Fills in what the API server fills in on create and update, per kind:
//  Deployment: spec.replicas 1, strategy RollingUpdate 25%/25%, revisionHistoryLimit 10,
//   progressDeadlineSeconds 600, and the pod template's defaults.
//  ReplicaSet: spec.replicas 1 and the pod template's defaults.
//  Pod spec: restartPolicy Always, terminationGracePeriodSeconds 30, dnsPolicy ClusterFirst,
//   schedulerName default-scheduler, securityContext {}, containers' imagePullPolicy
//   (Always for :latest or no tag, else IfNotPresent), terminationMessagePath/Policy, ports'
//   protocol TCP, probes' timeoutSeconds 1, periodSeconds 10, successThreshold 1,
//   failureThreshold 3, httpGet scheme HTTP.
//  Service: type ClusterIP, sessionAffinity None, ports' protocol TCP and targetPort = port,
//   internalTrafficPolicy Cluster, ipFamilies/ipFamilyPolicy; LoadBalancer/NodePort:
//   externalTrafficPolicy Cluster.
//  Namespace: spec.finalizers ["kubernetes"], status.phase Active.
void applyDefaults(boost::json::object& object, const ResourceType& type);

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
