// `scale TYPE/NAME --replicas=N`: a merge patch on the scale subresource, as kubectl sends it.
#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runScale(Context& ctx) {
  if (!ctx.flags.has("replicas"))
    return fail(ctx, clientError("required flag(s) \"replicas\" not set"));
  std::string text = ctx.flags.get("replicas");
  char* end = nullptr;
  long replicas = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    return fail(ctx, clientError("invalid argument \"" + text +
                                 "\" for \"--replicas\" flag: "
                                 "strconv.ParseInt: parsing \"" +
                                 text + "\": invalid syntax"));
  if (replicas < 0)
    return fail(
        ctx,
        clientError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"));

  auto found = targetsFromFilesOrArgs(ctx, ctx.flags.args, false);
  if (!found) return fail(ctx, found.error());
  std::vector<Target> targets = std::move(*found);
  if (targets.empty())
    return fail(ctx, clientError("resource(s) were provided, but no name was specified"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  int rc = 0;
  for (const auto& t : targets) {
    bool scalable = false;
    for (const auto& s : t.type->subresources) scalable = scalable || s == "scale";
    if (!scalable) {
      rc = fail(ctx, clientError("cannot scale " + t.type->plural));
      continue;
    }
    auto current = (*api)->get(*t.type, t.ns, t.name, "");
    if (!current) {
      rc = fail(ctx, current.error());
      continue;
    }
    if (ctx.flags.has("current-replicas")) {
      auto want = std::atoll(ctx.flags.get("current-replicas").c_str());
      if (api::getInt(*current, "spec.replicas", 1) != want) {
        rc = fail(ctx, clientError("Expected replicas to be " + std::to_string(want) + ", was " +
                                   std::to_string(api::getInt(*current, "spec.replicas", 1))));
        continue;
      }
    }
    json::object spec{{"replicas", replicas}};
    json::object patch{{"spec", spec}};
    if (ctx.flags.has("resource-version"))
      patch["metadata"] = json::object{{"resourceVersion", ctx.flags.get("resource-version")}};
    auto scaled = (*api)->patch(*t.type, t.ns, t.name, client::PatchType::Merge, patch, "scale");
    if (!scaled) {
      rc = fail(ctx, scaled.error());
      continue;
    }
    if (ctx.flags.get("output") == "name")
      ctx.out << displayName(*t.type, t.name) << "\n";
    else
      ctx.out << displayName(*t.type, t.name) << " scaled\n";
  }
  return rc;
}

}  // namespace sluice::cli
