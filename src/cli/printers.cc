#include "cli/printers.h"

#include <algorithm>
#include <map>

#include "api/jsonpath.h"
#include "api/object.h"
#include "api/yaml.h"
#include "cli/context.h"
#include "cli/errors.h"

namespace sluice::cli {

void TableWriter::write(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  // Go's tabwriter as kubectl configures it: minwidth 6, padding 3; the last cell of a line is
  // not padded.
  for (const auto& r : rows) {
    if (widths_.size() < r.size()) widths_.resize(r.size(), 0);
    for (size_t i = 0; i + 1 < r.size(); ++i)
      widths_[i] = std::max(widths_[i], std::max<size_t>(r[i].size() + 3, 6));
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(widths_[i] - r[i].size(), ' ');
    }
    out << line << "\n";
  }
}

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string cellText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return json::serialize(v);
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "";  // kubectl prints nothing for a null cell
  return json::serialize(v);
}

std::string labelsText(const json::value& row) {
  auto* labels = api::find(row, "object.metadata.labels");
  if (!labels || !labels->is_object() || labels->as_object().empty()) return "<none>";
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : labels->as_object()) sorted[std::string(k)] = cellText(v);
  std::string out;
  for (const auto& [k, v] : sorted) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace

std::vector<std::string> tableHeader(const json::value& table, const TableOptions& options) {
  std::vector<std::string> h;
  if (options.withNamespace) h.push_back("NAMESPACE");
  if (auto* cols = api::find(table, "columnDefinitions"); cols && cols->is_array()) {
    for (const auto& c : cols->as_array()) {
      if (api::getInt(c, "priority") > 0 && !options.wide) continue;
      h.push_back(upper(api::getString(c, "name")));
    }
  }
  for (const auto& l : options.labelColumns) {
    auto slash = l.rfind('/');
    h.push_back(upper(slash == std::string::npos ? l : l.substr(slash + 1)));
  }
  if (options.showLabels) h.push_back("LABELS");
  return h;
}

std::vector<std::vector<std::string>> tableRows(const json::value& table,
                                                const json::value& columns,
                                                const TableOptions& options) {
  std::vector<std::vector<std::string>> out;
  auto* rows = api::find(table, "rows");
  if (!rows || !rows->is_array()) return out;
  const json::array empty;
  const json::array& cols = columns.is_array() ? columns.as_array() : empty;
  for (const auto& row : rows->as_array()) {
    std::vector<std::string> r;
    if (options.withNamespace) r.push_back(api::getString(row, "object.metadata.namespace"));
    auto* cells = api::find(row, "cells");
    if (cells && cells->is_array()) {
      const auto& cs = cells->as_array();
      for (size_t i = 0; i < cs.size(); ++i) {
        bool isName = i < cols.size() && api::getString(cols[i], "format") == "name";
        if (i < cols.size() && api::getInt(cols[i], "priority") > 0 && !options.wide) continue;
        std::string text = cellText(cs[i]);
        if (isName) text = options.namePrefix + text;
        r.push_back(std::move(text));
      }
    }
    for (const auto& l : options.labelColumns) {
      auto* labels = api::find(row, "object.metadata.labels");
      const json::value* v =
          labels && labels->is_object() ? labels->as_object().if_contains(l) : nullptr;
      r.push_back(v ? cellText(*v) : "");
    }
    if (options.showLabels) r.push_back(labelsText(row));
    out.push_back(std::move(r));
  }
  return out;
}

bool isObjectFormat(const std::string& f) {
  return f == "yaml" || f == "json" || f == "name" || f.rfind("jsonpath", 0) == 0;
}

api::Status validateOutputFormat(const std::string& f) {
  if (f.empty() || f == "wide" || f == "yaml" || f == "json" || f == "name") return {};
  if (f.rfind("jsonpath=", 0) == 0 || f.rfind("jsonpath={", 0) == 0) return {};
  return clientError("unable to match a printer suitable for the output format \"" + f +
                     "\", allowed formats are: json,jsonpath,name,wide,yaml");
}

api::Status printObjects(std::ostream& out, const std::string& format,
                         const std::vector<json::value>& objects, bool forceList) {
  json::value data;
  if (objects.size() == 1 && !forceList) {
    data = objects[0];
  } else {
    json::array items(objects.begin(), objects.end());
    data = json::object{{"apiVersion", "v1"},
                        {"items", std::move(items)},
                        {"kind", "List"},
                        {"metadata", json::object{{"resourceVersion", ""}}}};
  }
  if (format == "yaml") {
    out << api::toYaml(data);
  } else if (format == "json") {
    out << api::toPrettyJson(data) << "\n";
  } else if (format == "name") {
    for (const auto& o : objects) {
      const auto* type =
          api::findByKind(api::getString(o, "apiVersion"), api::getString(o, "kind"));
      if (!type) type = api::findByKind(api::getString(o, "kind"));
      out << (type ? displayName(*type, api::nameOf(o)) : api::nameOf(o)) << "\n";
    }
  } else if (format.rfind("jsonpath", 0) == 0) {
    auto eq = format.find('=');
    std::string templ = eq == std::string::npos ? "" : format.substr(eq + 1);
    if (templ.empty()) return clientError("template format specified but no template given");
    auto text = api::evaluateJsonPath(templ, data);
    if (!text) return clientError(text.error().message);
    out << *text;
  }
  return {};
}

}  // namespace sluice::cli
