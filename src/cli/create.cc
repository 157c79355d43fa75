// `create -f FILE` and `create namespace NAME`.
#include "api/object.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {

int printCreated(Context& ctx, const api::ResourceType& type, const json::value& obj,
                 const std::string& output, const std::string& dryRun) {
  if (!output.empty()) {
    if (auto st = printObjects(ctx.out, output, {obj}, false); !st) return fail(ctx, st.error());
    return 0;
  }
  ctx.out << displayName(type, api::nameOf(obj)) << " created"
          << (dryRun == "client"   ? " (dry run)"
              : dryRun == "server" ? " (server dry run)"
                                   : "")
          << "\n";
  return 0;
}

}  // namespace

int runCreate(Context& ctx) {
  std::string output = ctx.flags.get("output");
  if (auto st = validateOutputFormat(output); !st) return fail(ctx, st.error());
  std::string dryRun = ctx.flags.get("dry-run", "none");
  client::WriteOptions wo;
  wo.fieldManager = "kubectl-create";
  wo.dryRun = dryRun == "server";

  if (ctx.flags.all("filename").empty()) {
    const auto& args = ctx.flags.args;
    if (args.size() == 2 && (args[0] == "namespace" || args[0] == "ns")) {
      const auto* type = api::findByKind("v1", "Namespace");
      json::value ns = json::object{{"apiVersion", "v1"},
                                    {"kind", "Namespace"},
                                    {"metadata", json::object{{"name", args[1]}}}};
      if (dryRun == "client") return printCreated(ctx, *type, ns, output, dryRun);
      auto api = ctx.api();
      if (!api) return fail(ctx, api.error());
      auto created = (*api)->create(*type, "", ns, wo);
      if (!created) return fail(ctx, created.error());
      return printCreated(ctx, *type, *created, output, dryRun);
    }
    if (args.size() == 1 && (args[0] == "namespace" || args[0] == "ns"))
      return fail(ctx, clientError("exactly one NAME is required, got 0"));
    return fail(ctx, clientError("must specify one of -f and -k, or a resource to create "
                                 "(`create namespace NAME`)"));
  }
  auto targets = targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
  if (!targets) return fail(ctx, targets.error());
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  int rc = 0;
  for (auto& t : *targets) {
    json::value obj = t.object;
    if (t.type->namespaced) api::ensureObject(obj, "metadata")["namespace"] = t.ns;
    if (ctx.flags.getBool("save-config")) {
      auto& ann = api::ensureObject(obj, "metadata.annotations");
      ann.erase("kubectl.kubernetes.io/last-applied-configuration");
      ann["kubectl.kubernetes.io/last-applied-configuration"] = api::canonicalJson(obj) + "\n";
    }
    if (dryRun == "client") {
      printCreated(ctx, *t.type, obj, output, dryRun);
      continue;
    }
    auto created = (*api)->create(*t.type, t.ns, obj, wo);
    if (!created) {
      rc = fail(ctx, created.error(), "error when creating \"" + t.source + "\": ");
      continue;
    }
    printCreated(ctx, *t.type, *created, output, dryRun);
  }
  return rc;
}

}  // namespace sluice::cli
