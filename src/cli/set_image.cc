// `set image TYPE NAME CONTAINER=IMAGE...`: the strategic merge patch kubectl sends.
#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runSetImage(Context& ctx) {
  auto args = ctx.flags.args;
  if (args.empty() || args[0] != "image")
    return fail(ctx, clientError("unknown command: use `set image TYPE NAME CONTAINER=IMAGE`"));
  args.erase(args.begin());
  std::vector<std::string> resourceArgs;
  std::vector<std::pair<std::string, std::string>> images;
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq != std::string::npos)
      images.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    else
      resourceArgs.push_back(a);
  }
  if (images.empty()) return fail(ctx, clientError("at least one image update is required"));
  auto targets = targetsFromArgs(ctx, resourceArgs, true);
  if (!targets) return fail(ctx, targets.error());
  if (targets->empty())
    return fail(
        ctx,
        clientError(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  int rc = 0;
  for (const auto& t : *targets) {
    if (t.name.empty())
      return fail(ctx, clientError("resource(s) were provided, but no name was specified"));
    auto current = (*api)->get(*t.type, t.ns, t.name, "");
    if (!current) {
      rc = fail(ctx, current.error());
      continue;
    }
    std::string base = t.type->kind == "Pod" ? "spec" : "spec.template.spec";
    const json::value* containers = api::find(*current, base + ".containers");
    if (!containers || !containers->is_array()) {
      rc = fail(ctx, clientError(displayName(*t.type, t.name) + " has no containers"));
      continue;
    }
    json::array order, updates;
    for (const auto& c : containers->as_array())
      order.push_back(json::object{{"name", api::getString(c, "name")}});
    bool failed = false;
    for (const auto& [name, image] : images) {
      bool found = false;
      for (const auto& c : containers->as_array()) {
        if (name == "*" || api::getString(c, "name") == name) {
          found = true;
          updates.push_back(json::object{{"image", image}, {"name", api::getString(c, "name")}});
        }
      }
      if (!found) {
        rc = fail(ctx, clientError("unable to find container named \"" + name + "\""));
        failed = true;
      }
    }
    if (failed) continue;
    json::object podSpec{{"$setElementOrder/containers", order}, {"containers", updates}};
    json::value patch =
        t.type->kind == "Pod"
            ? json::value(json::object{{"spec", podSpec}})
            : json::value(json::object{
                  {"spec", json::object{{"template", json::object{{"spec", podSpec}}}}}});
    client::WriteOptions wo;
    wo.fieldManager = "kubectl-set";
    auto patched =
        (*api)->patch(*t.type, t.ns, t.name, client::PatchType::Strategic, patch, "", wo);
    if (!patched) {
      rc = fail(ctx, patched.error());
      continue;
    }
    ctx.out << displayName(*t.type, t.name) << " image updated\n";
  }
  return rc;
}

}  // namespace sluice::cli
