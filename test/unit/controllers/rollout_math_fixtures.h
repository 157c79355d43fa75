// Shared by the rollout_math tables: readable failure output and short constructors for
// Deployments and ReplicaSets as the arithmetic sees them.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "controllers/deployment/rollout_math.h"

namespace sluice::controllers::deployment {

// Readable failure output for the tables below.
inline void PrintTo(const ScaleChange& c, std::ostream* os) {
  *os << "{" << c.name << ": " << c.oldReplicas << " -> " << c.newReplicas << "}";
}
inline void PrintTo(const IntOrPercent& v, std::ostream* os) {
  *os << v.value << (v.isPercent ? "%" : "");
}
inline void PrintTo(const Fenceposts& f, std::ostream* os) {
  *os << "{surge " << f.maxSurge << ", unavailable " << f.maxUnavailable << "}";
}
inline void PrintTo(const DeploymentStatusCounts& s, std::ostream* os) {
  *os << "{gen " << s.observedGeneration << ", replicas " << s.replicas << ", updated "
      << s.updatedReplicas << ", ready " << s.readyReplicas << ", available " << s.availableReplicas
      << ", unavailable " << s.unavailableReplicas << "}";
}

namespace fixtures {

using Changes = std::vector<ScaleChange>;

inline IntOrPercent n(int32_t v) {
  return IntOrPercent::integer(v);
}
inline IntOrPercent pct(int32_t v) {
  return IntOrPercent::percent(v);
}

inline DeploymentState rolling(int32_t replicas, IntOrPercent surge, IntOrPercent unavailable) {
  DeploymentState d;
  d.replicas = replicas;
  d.strategy = Strategy::RollingUpdate;
  d.maxSurge = surge;
  d.maxUnavailable = unavailable;
  return d;
}

inline DeploymentState recreate(int32_t replicas) {
  DeploymentState d;
  d.replicas = replicas;
  d.strategy = Strategy::Recreate;
  return d;
}

// A ReplicaSet whose pods all exist, `available` of them ready and available.
inline ReplicaSetState rs(std::string name, int64_t createdAt, int32_t replicas,
                          int32_t available = 0) {
  ReplicaSetState r;
  r.name = std::move(name);
  r.createdAt = createdAt;
  r.replicas = replicas;
  r.statusReplicas = replicas;
  r.readyReplicas = available;
  r.availableReplicas = available;
  return r;
}

// The same, carrying the replicas annotations of its last scale.
inline ReplicaSetState annotated(ReplicaSetState r, int32_t desired, int32_t max) {
  r.desiredAnnotation = desired;
  r.maxReplicasAnnotation = max;
  return r;
}

inline ReplicaSetGroup group(std::optional<ReplicaSetState> newRS,
                             std::vector<ReplicaSetState> oldRSs) {
  return ReplicaSetGroup{std::move(newRS), std::move(oldRSs)};
}

}  // namespace fixtures
}  // namespace sluice::controllers::deployment
