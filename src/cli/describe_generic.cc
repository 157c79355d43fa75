// kubectl's generic describer, which `kubectl describe` uses for custom resources (the Gateway
// API kinds): every field of the object, nested by two spaces per level, with labels made from
// the field names ("backendRefs" → "Backend Refs").
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "cli/describe.h"

namespace sluice::cli {

namespace json = boost::json;

namespace {

// camelcase.Split then strings.Title, as smartLabelFor does; a name with anything but letters
// and '-' stays as it is.
std::string smartLabel(std::string_view field) {
  if (std::any_of(field.begin(), field.end(),
                  [](unsigned char c) { return !std::isalpha(c) && c != '-'; }))
    return std::string(field);
  auto classOf = [](unsigned char c) { return std::islower(c) ? 1 : std::isupper(c) ? 2 : 3; };
  std::vector<std::string> runs;
  int last = 0;
  for (unsigned char c : field) {
    int k = classOf(c);
    if (runs.empty() || k != last) runs.emplace_back();
    runs.back() += static_cast<char>(c);
    last = k;
  }
  // An upper-case run followed by a lower-case one gives it its last letter: "HTTPRoute".
  for (size_t i = 0; i + 1 < runs.size(); ++i)
    if (!runs[i].empty() && std::isupper(static_cast<unsigned char>(runs[i][0])) &&
        std::islower(static_cast<unsigned char>(runs[i + 1][0]))) {
      runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
      runs[i].pop_back();
    }
  static const std::vector<std::string> kAcronyms = {"API", "URL", "UID", "OSB", "GUID"};
  std::string out;
  for (auto part : runs) {
    if (part.empty() || part == "_") continue;
    std::string upper = part;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (std::find(kAcronyms.begin(), kAcronyms.end(), upper) != kAcronyms.end())
      part = upper;
    else
      part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    out += (out.empty() ? "" : " ") + part;
  }
  return out;
}

// Go's %v of a scalar.
std::string scalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "<nil>";
  return json::serialize(v);
}

void writeContent(std::ostringstream& w, int level, const json::object& content,
                  const std::string& skipPrefix, const std::vector<std::string>& skip) {
  std::vector<std::string_view> fields;
  for (const auto& kv : content) fields.push_back(kv.key());
  std::sort(fields.begin(), fields.end());
  std::string indent(static_cast<size_t>(level) * 2, ' ');
  for (auto field : fields) {
    std::string skipExpr = skipPrefix + "." + std::string(field);
    if (std::find(skip.begin(), skip.end(), skipExpr) != skip.end()) continue;
    const json::value& value = content.at(field);
    if (value.is_object()) {
      w << indent << smartLabel(field) << ":\n";
      writeContent(w, level + 1, value.get_object(), skipExpr, skip);
    } else if (value.is_array()) {
      w << indent << smartLabel(field) << ":\n";
      for (const auto& item : value.get_array()) {
        if (item.is_object())
          writeContent(w, level + 1, item.get_object(), skipExpr, skip);
        else
          w << indent << "  " << scalarText(item) << "\n";
      }
    } else {
      w << indent << smartLabel(field) << ":\t" << scalarText(value) << "\n";
    }
  }
}

}  // namespace

void writeUnstructured(std::ostringstream& w, const json::value& object) {
  if (!object.is_object()) return;
  writeContent(w, 0, object.get_object(), "",
               {".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                ".metadata.labels", ".metadata.annotations"});
}

}  // namespace sluice::cli
