// `patch TYPE NAME -p PATCH [--type strategic|merge|json]`.
#include <fstream>
#include <sstream>

#include "api/object.h"
#include "api/yaml.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runPatch(Context& ctx) {
  std::string text = ctx.flags.get("patch");
  if (ctx.flags.has("patch-file")) {
    std::ifstream in(ctx.flags.get("patch-file"));
    if (!in)
      return fail(ctx, clientError("unable to read patch file " + ctx.flags.get("patch-file")));
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.empty()) return fail(ctx, clientError("must specify -p to patch"));
  std::string typeName = ctx.flags.get("type", "strategic");
  client::PatchType pt;
  if (typeName == "strategic")
    pt = client::PatchType::Strategic;
  else if (typeName == "merge")
    pt = client::PatchType::Merge;
  else if (typeName == "json")
    pt = client::PatchType::Json;
  else
    return fail(
        ctx, clientError("--type must be one of [json merge strategic], not \"" + typeName + "\""));
  // kubectl accepts JSON or YAML for -p.
  auto patch = api::parseYamlDocument(text);
  if (!patch)
    return fail(ctx, clientError("unable to parse \"" + text + "\": " + patch.error().message));
  if (pt == client::PatchType::Json && !patch->is_array())
    return fail(ctx, clientError("unable to parse \"" + text +
                                 "\": a JSON patch must be a list of operations"));
  if (pt != client::PatchType::Json && !patch->is_object())
    return fail(ctx, clientError("unable to parse \"" + text + "\": the patch must be an object"));

  auto found = targetsFromFilesOrArgs(ctx, ctx.flags.args, false);
  if (!found) return fail(ctx, found.error());
  std::vector<Target> targets = std::move(*found);
  if (targets.empty())
    return fail(ctx, clientError("resource(s) were provided, but no name was specified"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  std::string output = ctx.flags.get("output");
  std::string sub = ctx.flags.get("subresource");
  int rc = 0;
  for (const auto& t : targets) {
    auto before = (*api)->get(*t.type, t.ns, t.name, "");
    if (!before) {
      rc = fail(ctx, before.error());
      continue;
    }
    client::WriteOptions wo;
    wo.fieldManager = "kubectl-patch";
    wo.dryRun = ctx.flags.get("dry-run") == "server";
    auto after = (*api)->patch(*t.type, t.ns, t.name, pt, *patch, sub, wo);
    if (!after) {
      rc = fail(ctx, after.error());
      continue;
    }
    if (!output.empty()) {
      if (auto st = printObjects(ctx.out, output, {*after}, false); !st) rc = fail(ctx, st.error());
      continue;
    }
    bool unchanged = api::getString(*before, "metadata.resourceVersion") ==
                     api::getString(*after, "metadata.resourceVersion");
    ctx.out << displayName(*t.type, t.name) << " patched" << (unchanged ? " (no change)" : "")
            << "\n";
  }
  return rc;
}

}  // namespace sluice::cli
