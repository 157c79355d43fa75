// `apply -f`: client-side apply, as kubectl does it. The manifest is stored in the
// kubectl.kubernetes.io/last-applied-configuration annotation; an update is the three-way
// strategic merge patch of (last applied, manifest, live object), so a field removed from the
// file is removed from the object and fields set by others are left alone.
#include "api/object.h"
#include "api/patch.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {
constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

std::string dryRunSuffix(const std::string& mode) {
  if (mode == "client") return " (dry run)";
  if (mode == "server") return " (server dry run)";
  return "";
}
}  // namespace

int runApply(Context& ctx) {
  if (ctx.flags.getBool("server-side"))
    return fail(ctx, clientError("server-side apply is not supported by sluice yet; use "
                                 "client-side apply (the default)"));
  if (ctx.flags.all("filename").empty())
    return fail(ctx, clientError("must specify one of -f and -k"));
  std::string output = ctx.flags.get("output");
  if (auto st = validateOutputFormat(output); !st) return fail(ctx, st.error());
  std::string dryRun = ctx.flags.get("dry-run", "none");
  if (dryRun != "none" && dryRun != "client" && dryRun != "server")
    return fail(ctx, clientError("Invalid dry-run value (" + dryRun +
                                 "). Must be \"none\", \"server\", or \"client\"."));
  auto targets = targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
  if (!targets) return fail(ctx, targets.error());
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  client::HttpClient& c = **api;
  std::string manager = ctx.flags.get("field-manager", "kubectl-client-side-apply");

  int rc = 0;
  for (auto& t : *targets) {
    // The manifest with the namespace filled in, without any old last-applied annotation.
    json::value modified = t.object;
    auto& meta = api::ensureObject(modified, "metadata");
    if (t.type->namespaced) meta["namespace"] = t.ns;
    auto& annotations = api::ensureObject(modified, "metadata.annotations");
    annotations.erase(kLastApplied);
    annotations[kLastApplied] = api::canonicalJson(modified) + "\n";

    client::WriteOptions wo;
    wo.fieldManager = manager;
    wo.dryRun = dryRun == "server";
    auto current = c.get(*t.type, t.ns, t.name, "");
    json::value result;
    std::string verb;
    if (!current) {
      if (!current.error().isNotFound()) {
        rc = fail(ctx, current.error(),
                  "error when retrieving current configuration of " + displayName(*t.type, t.name) +
                      " from \"" + t.source + "\": ");
        continue;
      }
      if (dryRun != "client") {
        auto created = c.create(*t.type, t.ns, modified, wo);
        if (!created) {
          rc = fail(ctx, created.error(), "error when creating \"" + t.source + "\": ");
          continue;
        }
        result = *created;
      } else {
        result = modified;
      }
      verb = "created";
    } else {
      json::value original;  // null when the object was never applied
      if (auto* ann = api::find(*current, "metadata.annotations");
          ann && ann->is_object() && ann->as_object().contains(kLastApplied)) {
        const auto& v = ann->as_object().at(kLastApplied);
        if (v.is_string()) {
          boost::system::error_code ec;
          original = json::parse(v.as_string(), ec);
          if (ec) original = nullptr;
        }
      }
      auto patch = api::createThreeWayMergePatch(original, modified, *current, t.type->kind);
      if (!patch) {
        rc = fail(ctx, clientError("error when computing the patch for \"" + t.source +
                                   "\": " + patch.error().message));
        continue;
      }
      if (patch->is_object() && patch->as_object().empty()) {
        verb = "unchanged";
        result = *current;
      } else if (dryRun == "client") {
        verb = "configured";
        result = modified;
      } else {
        // A custom resource has no strategic merge metadata: kubectl sends a JSON merge patch
        // (the same three-way diff, as no list here has a merge key).
        auto type = t.type->custom ? client::PatchType::Merge : client::PatchType::Strategic;
        auto patched = c.patch(*t.type, t.ns, t.name, type, *patch, "", wo);
        if (!patched) {
          rc = fail(ctx, patched.error(), "error when patching \"" + t.source + "\": ");
          continue;
        }
        result = *patched;
        verb = "configured";
      }
    }
    if (!output.empty() && output != "wide") {
      if (auto st = printObjects(ctx.out, output, {result}, false); !st) rc = fail(ctx, st.error());
    } else {
      ctx.out << displayName(*t.type, api::nameOf(result).empty() ? t.name : api::nameOf(result))
              << " " << verb << dryRunSuffix(dryRun) << "\n";
    }
  }
  return rc;
}

}  // namespace sluice::cli
