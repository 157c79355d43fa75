// Defaulting as the Kubernetes API server does it for the built-in types (pkg/apis/*/v1
// defaults.go): what it fills in on create and update before validating. Pure; no I/O.
#pragma once

#include <boost/json.hpp>

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
// Idempotent. Members of an unexpected JSON type are left as they are, for validation to report.
void applyDefaults(boost::json::object& object, const ResourceType& type);

}  // namespace sluice::api
