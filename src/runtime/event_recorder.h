// Records Events (v1) about objects, aggregating repeats of the same reason and message into a
// count, as Kubernetes' event recorder does. Recording is best effort, as in Kubernetes: a
// failed write is logged, never returned to the caller's sync.
//
// Threading: `record` is safe from any thread. The client, clock and logger outlive it.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "client/client.h"

namespace sluice::runtime {

namespace json = boost::json;

class EventRecorder {
 public:
  EventRecorder(client::Client& client, std::string component, const base::Clock& clock,
                base::Logger log = base::nullLogger());
  void record(const json::value& object, const std::string& type, const std::string& reason,
              const std::string& message);

 private:
  client::Client& client_;
  std::string component_;
  const base::Clock& clock_;
  base::Logger log_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::string, int64_t>> seen_;  // key -> (event name, count)
};

}  // namespace sluice::runtime
