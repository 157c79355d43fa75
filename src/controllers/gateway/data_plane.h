// What the route and Gateway status controllers need to know of the data plane: which
// generation of each Gateway API object every proxy worker serves. `Programmed` (and the
// observedGeneration of `Accepted`) is written only once the data plane serves that generation,
// so a client that waits for the condition knows the new routing is in effect (the signal the
// release controller waits on instead of sleeping).
//
// The server adapts the built-in load balancer to it; tests use a fake.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sluice::controllers::gateway {

class DataPlane {
 public:
  virtual ~DataPlane() = default;
  // The generation of the object (kind "Gateway", "HTTPRoute" or "TCPRoute") that every worker
  // serves, or -1 when no worker has seen it yet.
  virtual int64_t servedGeneration(const std::string& kind, const std::string& ns,
                                   const std::string& name) const = 0;
  // `onChange` runs (on any thread, never under a lock of the caller) whenever a served
  // generation may have changed. Called once, before the data plane starts.
  virtual void subscribe(std::function<void()> onChange) = 0;
};

}  // namespace sluice::controllers::gateway
