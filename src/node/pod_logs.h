// Reading a pod's container logs: the interface the node agent offers for the pods/log
// subresource. The API server adapts it to HTTP (apiserver/pod_logs_route.h); node/ knows
// nothing of HTTP. Header-only, so the adapter does not link the node agent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/error.h"

namespace sluice::node {

// The subset of PodLogOptions the agent supports.
struct LogOptions {
  std::string container;             // "" for the pod's only container
  bool follow = false;               // keep streaming what the container appends until it exits
  bool previous = false;             // the log of the container's previous run
  std::optional<int64_t> tailLines;  // only the last N lines of what is already there
};

// An open log. Either complete (following() is false: one read() returns all of it) or
// following a running container (read() returns what is there now, then what was appended since;
// it never blocks, so a reader polls it).
//
// Threading: read() from one thread at a time; close() from any thread.
class LogStream {
 public:
  virtual ~LogStream() = default;
  virtual bool following() const = 0;
  // Appends the bytes available now to `out`. False once nothing more will come (the container
  // exited, or close() was called); the bytes appended by that last call are still part of the log.
  virtual bool read(std::string& out) = 0;
  // Stops following: the next read() returns false.
  virtual void close() = 0;
};

class PodLogs {
 public:
  virtual ~PodLogs() = default;
  // Opens a container's log. Errors, as the kubelet words them: NotFound when the pod does not
  // exist; BadRequest when no container is named and the pod has several, when the container is
  // not the pod's, when it has not started yet, or when `previous` asks for a run it has not had.
  // Safe from any thread.
  virtual api::Result<std::shared_ptr<LogStream>> open(const std::string& ns,
                                                       const std::string& pod,
                                                       const LogOptions& options) = 0;
};

}  // namespace sluice::node
