#include "controllers/gateway/conditions.h"

#include "api/object.h"

namespace sluice::controllers::gateway {

json::array setCondition(const json::value& conditions, const Condition& c, base::WallTime now) {
  json::array out;
  bool found = false;
  if (conditions.is_array()) {
    for (const auto& existing : conditions.as_array()) {
      if (!existing.is_object() || api::getString(existing, "type") != c.type) {
        out.push_back(existing);
        continue;
      }
      found = true;
      json::object next = existing.as_object();
      if (api::getString(existing, "status") != c.status ||
          api::getString(existing, "lastTransitionTime").empty())
        next["lastTransitionTime"] = api::formatTimestamp(now);
      next["status"] = c.status;
      next["reason"] = c.reason;
      next["message"] = c.message;
      next["observedGeneration"] = c.observedGeneration;
      out.push_back(std::move(next));
    }
  }
  if (!found)
    out.push_back(json::object{{"type", c.type},
                               {"status", c.status},
                               {"reason", c.reason},
                               {"message", c.message},
                               {"observedGeneration", c.observedGeneration},
                               {"lastTransitionTime", api::formatTimestamp(now)}});
  return out;
}

}  // namespace sluice::controllers::gateway
