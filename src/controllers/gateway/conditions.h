// metav1.Condition bookkeeping for the Gateway API status controllers, as apimachinery's
// meta.SetStatusCondition does it: a condition is replaced by type; its lastTransitionTime moves
// only when its status changes; conditions of other types (another controller's, or ones this
// controller does not own) are left exactly as they are. Pure.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "base/clock.h"

namespace sluice::controllers::gateway {

namespace json = boost::json;

struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  int64_t observedGeneration = 0;
};

// `conditions` (an array, or null for none) with `c` set; `now` stamps a new transition.
json::array setCondition(const json::value& conditions, const Condition& c, base::WallTime now);

// `a` and `b` alike but for the lastTransitionTime of any condition in them (at any depth): a
// status that would differ only there is not written again.
bool sameButTransitionTimes(const json::value& a, const json::value& b);

}  // namespace sluice::controllers::gateway
