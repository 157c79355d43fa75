// Output as kubectl prints it: server-side Tables aligned like Go's tabwriter (3 spaces of
// padding, widths remembered across a watch), and -o yaml|json|name|jsonpath.
#pragma once

#include <boost/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "api/error.h"
#include "api/resources.h"

namespace sluice::cli {

namespace json = boost::json;

struct TableOptions {
  bool wide = false;
  bool withNamespace = false;  // -A: a NAMESPACE column first
  std::string namePrefix;      // "deployment.apps/" when several types are printed
  bool showLabels = false;
  std::vector<std::string> labelColumns;  // -L
  bool noHeaders = false;
};

// Lines of aligned columns. Column widths only grow, so rows printed later (watch) line up with
// earlier ones, as with kubectl.
class TableWriter {
 public:
  void write(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

 private:
  std::vector<size_t> widths_;
};

// Header cells of a meta.k8s.io/v1 Table under `options`.
std::vector<std::string> tableHeader(const json::value& table, const TableOptions& options);
// Body rows of a Table. `columns` is the columnDefinitions to use (watch events after the first
// carry none).
std::vector<std::vector<std::string>> tableRows(const json::value& table,
                                                const json::value& columns,
                                                const TableOptions& options);

// Output formats for -o: "yaml", "json", "name", "jsonpath=...", "jsonpath-as-json=..."? (not
// supported), "wide" and "" are tables (not handled here).
bool isObjectFormat(const std::string& format);
api::Status validateOutputFormat(const std::string& format);
// Prints objects (one, or several wrapped in a List) in an object format.
api::Status printObjects(std::ostream& out, const std::string& format,
                         const std::vector<json::value>& objects, bool forceList);

}  // namespace sluice::cli
