// `api-resources`: what the server's discovery documents list.
#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runApiResources(Context& ctx) {
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  auto& c = **api;
  std::vector<std::string> groupVersions = {"v1"};
  auto groups = c.request("GET", "/apis");
  if (!groups || groups->status != 200)
    return fail(ctx, groups ? clientError("the server could not list API groups") : groups.error());
  auto groupList = json::parse(groups->body);
  if (auto* gs = api::find(groupList, "groups"); gs && gs->is_array())
    for (const auto& g : gs->as_array())
      groupVersions.push_back(api::getString(g, "preferredVersion.groupVersion"));

  std::string onlyGroup = ctx.flags.get("api-group");
  std::string namespacedFilter = ctx.flags.get("namespaced");
  std::vector<std::vector<std::string>> rows;
  if (!ctx.flags.getBool("no-headers"))
    rows.push_back({"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"});
  for (const auto& gv : groupVersions) {
    std::string group = gv.find('/') == std::string::npos ? "" : gv.substr(0, gv.find('/'));
    if (ctx.flags.has("api-group") && group != onlyGroup) continue;
    auto r = c.request("GET", gv == "v1" ? "/api/v1" : "/apis/" + gv);
    if (!r || r->status != 200) continue;
    auto list = json::parse(r->body);
    auto* resources = api::find(list, "resources");
    if (!resources || !resources->is_array()) continue;
    for (const auto& res : resources->as_array()) {
      std::string name = api::getString(res, "name");
      if (name.find('/') != std::string::npos) continue;
      bool namespaced = api::getBool(res, "namespaced");
      if (!namespacedFilter.empty() && (namespacedFilter == "true") != namespaced) continue;
      std::string shorts;
      if (auto* s = api::find(res, "shortNames"); s && s->is_array())
        for (const auto& n : s->as_array())
          shorts += (shorts.empty() ? "" : ",") + std::string(n.as_string());
      if (ctx.flags.get("output") == "name") {
        ctx.out << name << (group.empty() ? "" : "." + group) << "\n";
        continue;
      }
      rows.push_back(
          {name, shorts, gv, namespaced ? "true" : "false", api::getString(res, "kind")});
    }
  }
  if (ctx.flags.get("output") != "name") {
    TableWriter w;
    w.write(ctx.out, rows);
  }
  return 0;
}

}  // namespace sluice::cli
