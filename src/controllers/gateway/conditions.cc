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

namespace {

void eraseTransitionTimes(json::value& v) {
  if (v.is_array()) {
    for (auto& item : v.as_array()) eraseTransitionTimes(item);
  } else if (v.is_object()) {
    v.as_object().erase("lastTransitionTime");
    for (auto& member : v.as_object()) eraseTransitionTimes(member.value());
  }
}

}  // namespace

bool sameButTransitionTimes(const json::value& a, const json::value& b) {
  json::value x = a, y = b;
  eraseTransitionTimes(x);
  eraseTransitionTimes(y);
  return x == y;
}

}  // namespace sluice::controllers::gateway
