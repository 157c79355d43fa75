#pragma once

#include <boost/json.hpp>
#include <sstream>
#include <string>

namespace sluice::cli {

// A pod template as `describe` and `rollout history --revision` print it (tab-separated cells,
// to be aligned with tabAlign).
void writePodTemplate(std::ostringstream& w, const boost::json::value& templ,
                      const std::string& indent);

// The fields of `object` as kubectl's generic describer prints a custom resource's (after Name,
// Namespace, Labels and Annotations, which it skips): "API Version:\t...", "Spec:" and so on.
void writeUnstructured(std::ostringstream& w, const boost::json::value& object);

}  // namespace sluice::cli
