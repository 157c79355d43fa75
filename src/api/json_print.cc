// JSON output as kubectl prints it with -o json (encoding/json's MarshalIndent): 4-space indent,
// keys sorted, HTML-safe string escapes, Go's float layout.
#include "api/yaml.h"

#include <algorithm>
#include <string>
#include <vector>

#include "api/gofmt.h"

namespace sluice::api {

namespace json = boost::json;

namespace {

void appendPrettyJson(std::string& out, const json::value& v, int indent) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_:
      out += gofmt::formatFloat(v.get_double(), gofmt::FloatStyle::kJson);
      return;
    case json::kind::string:
      gofmt::appendJsonString(out, v.get_string());
      return;
    case json::kind::array: {
      const auto& arr = v.get_array();
      if (arr.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < arr.size(); ++i) {
        out.append(indent + 4, ' ');
        appendPrettyJson(out, arr[i], indent + 4);
        out += i + 1 < arr.size() ? ",\n" : "\n";
      }
      out.append(indent, ' ');
      out += ']';
      return;
    }
    case json::kind::object: {
      const auto& obj = v.get_object();
      if (obj.empty()) {
        out += "{}";
        return;
      }
      std::vector<const json::key_value_pair*> entries;
      for (const auto& kv : obj) entries.push_back(&kv);
      std::stable_sort(entries.begin(), entries.end(),
                       [](auto* a, auto* b) { return a->key() < b->key(); });
      out += "{\n";
      for (size_t i = 0; i < entries.size(); ++i) {
        out.append(indent + 4, ' ');
        gofmt::appendJsonString(out, entries[i]->key());
        out += ": ";
        appendPrettyJson(out, entries[i]->value(), indent + 4);
        out += i + 1 < entries.size() ? ",\n" : "\n";
      }
      out.append(indent, ' ');
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string toPrettyJson(const json::value& v) {
  std::string out;
  appendPrettyJson(out, v, 0);
  out += '\n';
  return out;
}

}  // namespace sluice::api
