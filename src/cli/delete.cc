// `delete`: by TYPE NAME, TYPE/NAME, -f FILE or TYPE -l SELECTOR / --all; waits for the objects
// to be gone unless --wait=false, as kubectl does.
#include <chrono>
#include <thread>

#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runDelete(Context& ctx) {
  std::vector<Target> targets;
  bool fromFiles = !ctx.flags.all("filename").empty();
  if (fromFiles) {
    auto t = targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  } else {
    if (ctx.flags.args.empty())
      return fail(ctx, clientError("You must provide one or more resources by argument or "
                                   "filename.\nExample resource specifications include:\n   "
                                   "'-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> "
                                   "<name>'\n   '<resource>'"));
    auto t = targetsFromArgs(ctx, ctx.flags.args, true);
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  }
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  client::HttpClient& c = **api;

  std::string cascade = ctx.flags.get("cascade", "background");
  client::DeleteOptions options;
  if (cascade == "background" || cascade == "true")
    options.propagationPolicy = "Background";
  else if (cascade == "foreground")
    options.propagationPolicy = "Foreground";
  else if (cascade == "orphan" || cascade == "false")
    options.propagationPolicy = "Orphan";
  else
    return fail(ctx, clientError("invalid cascade value (" + cascade +
                                 "). Must be \"background\", \"foreground\", or \"orphan\""));
  if (ctx.flags.has("grace-period"))
    options.gracePeriodSeconds = std::atoll(ctx.flags.get("grace-period").c_str());
  if (ctx.flags.getBool("now")) options.gracePeriodSeconds = 1;
  if (ctx.flags.getBool("force") && !options.gracePeriodSeconds) options.gracePeriodSeconds = 0;
  std::string dryRun = ctx.flags.get("dry-run", "none");
  options.dryRun = dryRun == "server";
  bool ignoreNotFound = ctx.flags.getBool("ignore-not-found");
  bool wait = ctx.flags.get("wait", "true") != "false";

  // Collections (TYPE -l SEL or TYPE --all) expand to their members.
  std::vector<Target> expanded;
  for (auto& t : targets) {
    if (!t.name.empty() || fromFiles) {
      expanded.push_back(t);
      continue;
    }
    if (!ctx.flags.has("selector") && !ctx.flags.getBool("all") && !ctx.flags.has("field-selector"))
      return fail(ctx, clientError("resource(s) were provided, but no name was specified"));
    client::ListOptions lo;
    lo.labelSelector = ctx.flags.get("selector");
    lo.fieldSelector = ctx.flags.get("field-selector");
    auto list = c.list(*t.type, t.type->namespaced ? t.ns : "", lo);
    if (!list) return fail(ctx, list.error());
    if (auto* items = api::find(*list, "items"); items && items->is_array())
      for (const auto& item : items->as_array())
        expanded.push_back(Target{t.type, api::namespaceOf(item), api::nameOf(item), nullptr, ""});
  }
  if (expanded.empty() && !fromFiles) {
    ctx.err << "No resources found\n";
    return 0;
  }

  int rc = 0;
  std::vector<Target> waitFor;
  for (const auto& t : expanded) {
    std::string ns = t.type->namespaced ? t.ns : "";
    auto removed = c.remove(*t.type, ns, t.name, options);
    if (!removed) {
      if (removed.error().isNotFound() && ignoreNotFound) continue;
      rc =
          fail(ctx, removed.error(), fromFiles ? "error when deleting \"" + t.source + "\": " : "");
      continue;
    }
    if (ctx.flags.get("output") == "name")
      ctx.out << displayName(*t.type, t.name) << "\n";
    else
      ctx.out << quotedName(*t.type, t.name) << " deleted"
              << (dryRun == "server" ? " (server dry run)" : "") << "\n";
    if (!options.dryRun) waitFor.push_back(t);
  }
  if (wait) {
    // Objects with finalizers or graceful termination linger; wait until they are gone.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    if (ctx.flags.has("timeout")) {
      std::string t = ctx.flags.get("timeout");
      long secs = std::atol(t.c_str());
      if (!t.empty() && t.back() == 'm') secs *= 60;
      if (secs > 0) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
    }
    for (const auto& t : waitFor) {
      while (true) {
        auto got = c.get(*t.type, t.type->namespaced ? t.ns : "", t.name, "");
        if (!got && got.error().isNotFound()) break;
        if (!got) return fail(ctx, got.error());
        if (std::chrono::steady_clock::now() > deadline) {
          return fail(ctx, clientError("timed out waiting for the condition on " +
                                       displayName(*t.type, t.name)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  return rc;
}

}  // namespace sluice::cli
