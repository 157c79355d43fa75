#pragma once

#include <boost/json.hpp>
#include <sstream>
#include <string>

namespace sluice::cli {

// A pod template as `describe` and `rollout history --revision` print it (tab-separated cells,
// to be aligned with tabAlign).
void writePodTemplate(std::ostringstream& w, const boost::json::value& templ,
                      const std::string& indent);

}  // namespace sluice::cli
