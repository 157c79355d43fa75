// `label` and `annotate`: `KEY=VALUE` sets, `KEY-` removes; a merge patch on metadata.
#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runLabel(Context& ctx) {
  bool labels = ctx.verb == "label";
  const char* field = labels ? "labels" : "annotations";
  // Arguments: resources first, then KEY=VALUE / KEY- pairs.
  std::vector<std::string> resourceArgs;
  std::vector<std::pair<std::string, std::optional<std::string>>> changes;
  for (const auto& a : ctx.flags.args) {
    if (auto eq = a.find('='); eq != std::string::npos) {
      changes.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    } else if (!a.empty() && a.back() == '-' && a.size() > 1 && resourceArgs.size() > 0) {
      changes.emplace_back(a.substr(0, a.size() - 1), std::nullopt);
    } else {
      resourceArgs.push_back(a);
    }
  }
  if (changes.empty() && !ctx.flags.getBool("list"))
    return fail(ctx, clientError(std::string("at least one ") + (labels ? "label" : "annotation") +
                                 " update is required"));
  auto found = targetsFromFilesOrArgs(ctx, resourceArgs, true);
  if (!found) return fail(ctx, found.error());
  std::vector<Target> targets = std::move(*found);
  if (targets.empty())
    return fail(
        ctx,
        clientError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  std::vector<Target> expanded;
  for (const auto& t : targets) {
    if (!t.name.empty()) {
      expanded.push_back(t);
      continue;
    }
    if (!ctx.flags.has("selector") && !ctx.flags.getBool("all"))
      return fail(ctx, clientError("resource(s) were provided, but no name was specified"));
    client::ListOptions lo;
    lo.labelSelector = ctx.flags.get("selector");
    auto list = (*api)->list(*t.type, t.ns, lo);
    if (!list) return fail(ctx, list.error());
    for (const auto& item : list->at("items").as_array())
      expanded.push_back(Target{t.type, api::namespaceOf(item), api::nameOf(item), nullptr, ""});
  }
  int rc = 0;
  for (const auto& t : expanded) {
    auto current = (*api)->get(*t.type, t.ns, t.name, "");
    if (!current) {
      rc = fail(ctx, current.error());
      continue;
    }
    const json::value* existing = api::find(*current, std::string("metadata.") + field);
    if (ctx.flags.getBool("list")) {
      if (existing && existing->is_object())
        for (const auto& [k, v] : existing->as_object())
          ctx.out << std::string(k) << "=" << (v.is_string() ? std::string(v.as_string()) : "")
                  << "\n";
      continue;
    }
    json::object delta;
    bool changed = false;
    bool refused = false;
    for (const auto& [key, value] : changes) {
      const json::value* old =
          existing && existing->is_object() ? existing->as_object().if_contains(key) : nullptr;
      if (value) {
        if (old && old->is_string() && old->as_string() != *value &&
            !ctx.flags.getBool("overwrite")) {
          rc =
              fail(ctx, clientError("'" + key + "' already has a value (" +
                                    std::string(old->as_string()) + "), and --overwrite is false"));
          refused = true;
          break;
        }
        if (!old || *old != json::value(*value)) changed = true;
        delta[key] = *value;
      } else {
        if (old) changed = true;
        delta[key] = nullptr;
      }
    }
    if (refused) continue;
    if (!changed) {
      ctx.out << displayName(*t.type, t.name) << " not " << (labels ? "labeled" : "annotated")
              << "\n";
      continue;
    }
    json::object meta{{field, delta}};
    if (ctx.flags.has("resource-version"))
      meta["resourceVersion"] = ctx.flags.get("resource-version");
    client::WriteOptions wo;
    wo.fieldManager = labels ? "kubectl-label" : "kubectl-annotate";
    auto patched = (*api)->patch(*t.type, t.ns, t.name, client::PatchType::Merge,
                                 json::object{{"metadata", meta}}, "", wo);
    if (!patched) {
      rc = fail(ctx, patched.error());
      continue;
    }
    if (!ctx.flags.get("output").empty()) {
      if (auto st = printObjects(ctx.out, ctx.flags.get("output"), {*patched}, false); !st)
        rc = fail(ctx, st.error());
    } else
      ctx.out << displayName(*t.type, t.name) << " " << (labels ? "labeled" : "annotated") << "\n";
  }
  return rc;
}

}  // namespace sluice::cli
