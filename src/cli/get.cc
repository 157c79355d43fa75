// `get`: tables printed from the server's Table responses (as kubectl does), object formats
// from the plain JSON, and `-w` streaming rows from a Table watch.
#include <set>
#include <sstream>

#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {

constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
    "g=meta.k8s.io,application/json";

std::string buildQuery(Context& ctx, const std::string& name, bool watch,
                       const std::string& resourceVersion) {
  std::string q;
  auto add = [&](const std::string& k, const std::string& v) {
    if (v.empty()) return;
    q += q.empty() ? "?" : "&";
    q += k + "=" + client::urlEncode(v);
  };
  add("labelSelector", ctx.flags.get("selector"));
  std::string fields = ctx.flags.get("field-selector");
  if (!name.empty() && watch)
    fields = "metadata.name=" + name + (fields.empty() ? "" : "," + fields);
  add("fieldSelector", fields);
  if (watch) {
    add("resourceVersion", resourceVersion);
    add("watch", "true");
  } else {
    add("limit", "500");
  }
  return q;
}

api::Result<json::value> fetchJson(client::HttpClient& c, const std::string& target,
                                   const char* accept) {
  auto r = c.request("GET", target, "", "", accept);
  if (!r) return r.error();
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (r->status >= 300) {
    if (!ec) return api::Error::fromStatus(v, r->status);
    api::Error e;
    e.code = r->status;
    e.reason = "Unknown";
    e.message = r->body;
    return e;
  }
  if (ec) return clientError("the server sent invalid JSON for " + target);
  return v;
}

struct TypeGroup {
  const api::ResourceType* type;
  std::vector<std::string> names;
};

std::vector<TypeGroup> groupTargets(const std::vector<Target>& targets) {
  std::vector<TypeGroup> groups;
  for (const auto& t : targets) {
    if (groups.empty() || groups.back().type != t.type) groups.push_back({t.type, {}});
    if (!t.name.empty()) groups.back().names.push_back(t.name);
  }
  return groups;
}

int watchStream(Context& ctx, client::HttpClient& c, const TypeGroup& g, const std::string& ns,
                const std::string& rv, const std::string& output, TableOptions options,
                TableWriter& writer, json::value columns, bool headerPrinted) {
  std::string name = g.names.empty() ? "" : g.names[0];
  std::string target = client::HttpClient::path(*g.type, ns) + buildQuery(ctx, name, true, rv);
  bool table = output.empty() || output == "wide";
  std::string line;
  auto st = c.stream(target, table ? kTableAccept : "application/json", [&](std::string_view data) {
    for (char ch : data) {
      if (ch != '\n') {
        line += ch;
        continue;
      }
      boost::system::error_code ec;
      auto ev = json::parse(line, ec);
      line.clear();
      if (ec || !ev.is_object()) continue;
      auto type = api::getString(ev, "type");
      const auto& obj = ev.as_object()["object"];
      if (type == "ERROR") {
        fail(ctx, api::Error::fromStatus(obj, static_cast<int>(api::getInt(obj, "code", 500))));
        return false;
      }
      if (type == "BOOKMARK") continue;
      if (table) {
        if (auto* cols = api::find(obj, "columnDefinitions"); cols && cols->is_array())
          columns = *cols;
        std::vector<std::vector<std::string>> rows;
        if (!headerPrinted && !options.noHeaders) {
          json::value withCols = obj;
          withCols.as_object()["columnDefinitions"] = columns;
          rows.push_back(tableHeader(withCols, options));
          headerPrinted = true;
        }
        for (auto& r : tableRows(obj, columns, options)) rows.push_back(std::move(r));
        writer.write(ctx.out, rows);
      } else {
        if (output == "yaml") ctx.out << "---\n";
        if (auto st = printObjects(ctx.out, output, {obj}, false); !st) {
          fail(ctx, st.error());
          return false;
        }
      }
      ctx.out.flush();
    }
    return true;
  });
  if (!st) return fail(ctx, st.error());
  return 0;
}

}  // namespace

int runGet(Context& ctx) {
  std::string output = ctx.flags.get("output");
  if (auto st = validateOutputFormat(output); !st) return fail(ctx, st.error());
  bool watch = ctx.flags.getBool("watch") || ctx.flags.getBool("watch-only");
  bool allNs = ctx.flags.getBool("all-namespaces");

  std::vector<Target> targets;
  if (!ctx.flags.all("filename").empty()) {
    auto t = targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  } else {
    if (ctx.flags.args.empty()) {
      ctx.err << "You must specify the type of resource to get. Use \"sluice api-resources\" for "
                 "a complete list of supported resources.\n\n";
      return fail(ctx, clientError("Required resource not specified.\nUse \"sluice explain "
                                   "<resource>\" for a detailed description of that resource "
                                   "(e.g. sluice explain pods).\nSee 'sluice get -h' for help "
                                   "and examples"));
    }
    auto t = targetsFromArgs(ctx, ctx.flags.args, true);
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  }
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  client::HttpClient& c = **api;
  std::string ns = allNs ? "" : ctx.ns();
  auto groups = groupTargets(targets);
  std::set<const api::ResourceType*> distinct;
  for (const auto& g : groups) distinct.insert(g.type);
  if (watch && (distinct.size() != 1 || groups.size() != 1 || groups[0].names.size() > 1))
    return fail(ctx, clientError("you may only specify a single resource type"));

  TableOptions options;
  options.wide = output == "wide";
  options.withNamespace = allNs;
  options.showLabels = ctx.flags.getBool("show-labels");
  options.noHeaders = ctx.flags.getBool("no-headers");
  for (const auto& l : ctx.flags.all("label-columns")) {
    std::stringstream ss(l);
    std::string k;
    while (std::getline(ss, k, ','))
      if (!k.empty()) options.labelColumns.push_back(k);
  }
  bool multi = distinct.size() > 1 || ctx.flags.getBool("show-kind");
  bool ignoreNotFound = ctx.flags.getBool("ignore-not-found");
  int rc = 0;

  if (isObjectFormat(output)) {
    std::vector<json::value> objects;
    bool single = groups.size() == 1 && groups[0].names.size() == 1 && targets.size() == 1;
    std::string lastRv;
    for (const auto& g : groups) {
      std::string gns = g.type->namespaced ? ns : "";
      if (g.names.empty()) {
        auto list =
            fetchJson(c, client::HttpClient::path(*g.type, gns) + buildQuery(ctx, "", false, ""),
                      "application/json");
        if (!list) {
          rc = fail(ctx, list.error());
          continue;
        }
        lastRv = api::getString(*list, "metadata.resourceVersion");
        if (auto* items = api::find(*list, "items"); items && items->is_array())
          for (auto item : items->as_array()) {
            item.as_object()["apiVersion"] = g.type->apiVersion();
            item.as_object()["kind"] = g.type->kind;
            objects.push_back(std::move(item));
          }
      } else {
        for (const auto& n : g.names) {
          auto obj = fetchJson(c, client::HttpClient::path(*g.type, gns, n), "application/json");
          if (!obj) {
            if (!(ignoreNotFound && obj.error().isNotFound())) rc = fail(ctx, obj.error());
            continue;
          }
          lastRv = api::getString(*obj, "metadata.resourceVersion");
          objects.push_back(std::move(*obj));
        }
      }
    }
    if (!ctx.flags.getBool("watch-only") && (!objects.empty() || !single)) {
      if (objects.empty() && output != "yaml" && output != "json") {
        ctx.err << "No resources found" << (allNs ? "" : " in " + ns + " namespace") << ".\n";
      } else if (auto st = printObjects(ctx.out, output, objects, !single); !st) {
        rc = fail(ctx, st.error());
      }
    }
    if (watch && rc == 0) {
      TableWriter writer;
      return watchStream(ctx, c, groups[0], groups[0].type->namespaced ? ns : "", lastRv, output,
                         options, writer, nullptr, true);
    }
    return rc;
  }

  TableWriter writer;
  bool printedAny = false;
  bool anyRows = false;
  json::value lastColumns;
  std::string lastRv;
  for (const auto& g : groups) {
    std::string gns = g.type->namespaced ? ns : "";
    TableOptions o = options;
    if (multi) o.namePrefix = displayName(*g.type, "");
    json::value table;
    if (g.names.empty()) {
      auto t = fetchJson(c, client::HttpClient::path(*g.type, gns) + buildQuery(ctx, "", false, ""),
                         kTableAccept);
      if (!t) {
        rc = fail(ctx, t.error());
        continue;
      }
      table = std::move(*t);
    } else {
      for (const auto& n : g.names) {
        auto t = fetchJson(c, client::HttpClient::path(*g.type, gns, n), kTableAccept);
        if (!t) {
          if (!(ignoreNotFound && t.error().isNotFound())) rc = fail(ctx, t.error());
          continue;
        }
        if (table.is_null()) {
          table = std::move(*t);
        } else if (auto* rows = api::find(*t, "rows"); rows && rows->is_array()) {
          for (auto& r : rows->as_array()) table.as_object()["rows"].as_array().push_back(r);
        }
      }
      if (table.is_null()) continue;
    }
    lastRv = api::getString(table, "metadata.resourceVersion");
    if (auto* cols = api::find(table, "columnDefinitions")) lastColumns = *cols;
    auto* rows = api::find(table, "rows");
    bool hasRows = rows && rows->is_array() && !rows->as_array().empty();
    if (!hasRows) continue;
    if (ctx.flags.getBool("watch-only")) continue;
    anyRows = true;
    std::vector<std::vector<std::string>> lines;
    if (!o.noHeaders) lines.push_back(tableHeader(table, o));
    for (auto& r : tableRows(table, lastColumns, o)) lines.push_back(std::move(r));
    if (printedAny) ctx.out << "\n";
    // Each type is its own block with its own widths, as kubectl prints `get all`.
    TableWriter block;
    (multi ? block : writer).write(ctx.out, lines);
    printedAny = true;
  }
  bool anyNamed = false;
  for (const auto& g : groups) anyNamed = anyNamed || !g.names.empty();
  if (!anyRows && !anyNamed && rc == 0 && !ctx.flags.getBool("watch-only")) {
    bool clusterScoped = groups.size() == 1 && !groups[0].type->namespaced;
    ctx.err << "No resources found" << (allNs || clusterScoped ? "" : " in " + ns + " namespace")
            << ".\n";
  }
  if (watch && rc == 0) {
    ctx.out.flush();
    return watchStream(ctx, c, groups[0], groups[0].type->namespaced ? ns : "", lastRv, output,
                       options, writer, lastColumns, anyRows);
  }
  return rc;
}

}  // namespace sluice::cli
