#include "node/pod_runtime.h"

#include "api/object.h"

namespace sluice::node {

void adoptReportedContainers(PodRuntime& rt, const boost::json::value& pod, base::WallTime now) {
  auto* statuses = api::find(pod, "status.containerStatuses");
  if (!statuses || !statuses->is_array()) return;
  for (const auto& s : statuses->as_array()) {
    auto& c = rt.containers[api::getString(s, "name")];
    c.name = api::getString(s, "name");
    c.restartCount = api::getInt(s, "restartCount");
    if (!api::find(s, "state.running") && !api::find(s, "state.terminated")) continue;
    c.everStarted = true;
    if (auto* t = api::find(s, "state.terminated")) {
      c.last =
          Termination{static_cast<int>(api::getInt(*t, "exitCode")),
                      static_cast<int>(api::getInt(*t, "signal")), api::getString(*t, "reason"),
                      api::getString(*t, "startedAt"), api::getString(*t, "finishedAt")};
    } else {
      c.last = Termination{137, 9, "Unknown", api::getString(s, "state.running.startedAt"),
                           api::formatTimestamp(now)};
    }
  }
}

}  // namespace sluice::node
