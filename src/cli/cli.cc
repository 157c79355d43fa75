#include "cli/cli.h"

#include <functional>
#include <iostream>
#include <map>

#include "cli/errors.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {

struct Verb {
  const char* name;
  const char* summary;
  std::function<int(Context&)> run;
  std::vector<FlagSpec> flags;
};

const std::vector<FlagSpec> kGlobalFlags = {
    {"kubeconfig", 0, true, "Path to the kubeconfig file to use for CLI requests."},
    {"namespace", 'n', true, "If present, the namespace scope for this CLI request"},
    {"context", 0, true, "The name of the kubeconfig context to use"},
    {"server", 's', true, "The address and port of the Kubernetes API server"},
    {"token", 0, true, "Bearer token for authentication to the API server"},
    {"help", 'h', false, "help"},
    {"request-timeout", 0, true, "ignored"},
    {"v", 'v', true, "ignored"},
};

const FlagSpec kFilename{"filename", 'f', true, "Filename, directory, or URL to files"};
const FlagSpec kRecursive{"recursive", 'R', false, "Process the directory used in -f recursively"};
const FlagSpec kOutput{"output", 'o', true, "Output format"};
const FlagSpec kSelector{"selector", 'l', true, "Selector (label query) to filter on"};
const FlagSpec kDryRun{"dry-run", 0, true, "none, client or server"};
const FlagSpec kAll{"all", 0, false, "Select all resources in the namespace"};

std::vector<Verb> verbs() {
  return {
      {"apply",
       "Apply a configuration to a resource by file name or stdin",
       runApply,
       {kFilename,
        kRecursive,
        kOutput,
        kDryRun,
        {"validate", 0, true, "strict, warn or ignore"},
        {"field-manager", 0, true, "Name of the manager used to track field ownership."},
        {"server-side", 0, false, "not supported"}}},
      {"create",
       "Create a resource from a file or from stdin",
       runCreate,
       {kFilename,
        kRecursive,
        kOutput,
        kDryRun,
        {"validate", 0, true, "ignored"},
        {"save-config", 0, false, "store the last-applied-configuration annotation"}}},
      {"get",
       "Display one or many resources",
       runGet,
       {kFilename,
        kRecursive,
        kOutput,
        kSelector,
        {"field-selector", 0, true, "Selector (field query) to filter on"},
        {"all-namespaces", 'A', false, "List the requested object(s) across all namespaces"},
        {"watch", 'w', false, "After listing/getting the requested object, watch for changes."},
        {"watch-only", 0, false,
         "Watch for changes to the requested object(s), without listing/getting first."},
        {"show-labels", 0, false, "When printing, show all labels as the last column"},
        {"label-columns", 'L', true,
         "Accepts a comma separated list of labels that are going to be presented as columns."},
        {"no-headers", 0, false,
         "When using the default or custom-column output format, don't print headers"},
        {"ignore-not-found", 0, false,
         "If the requested object does not exist the command will return exit code 0."},
        {"show-kind", 0, false, "If present, list the resource type for the requested object(s)."},
        {"chunk-size", 0, true, "ignored"}}},
      {"describe",
       "Show details of a specific resource or group of resources",
       runDescribe,
       {kFilename,
        kRecursive,
        kSelector,
        {"all-namespaces", 'A', false, "describe across all namespaces"},
        {"show-events", 0, true, "If true, display events related to the described object."}}},
      {"delete",
       "Delete resources by file names, stdin, resources and names, or by resources and label "
       "selector",
       runDelete,
       {kFilename,
        kRecursive,
        kSelector,
        kAll,
        kOutput,
        kDryRun,
        {"ignore-not-found", 0, false, "Treat \"resource not found\" as a successful delete."},
        {"cascade", 0, true, "background, orphan, or foreground"},
        {"grace-period", 0, true,
         "Period of time in seconds given to the resource to terminate gracefully."},
        {"now", 0, false,
         "If true, resources are signaled for immediate shutdown (same as --grace-period=1)."},
        {"force", 0, false, "Immediate deletion"},
        {"wait", 0, true, "If true, wait for resources to be gone before returning."},
        {"timeout", 0, true, "The length of time to wait before giving up on a delete"},
        {"field-selector", 0, true, "Selector (field query) to filter on"}}},
      {"scale",
       "Set a new size for a deployment or replica set",
       runScale,
       {kFilename,
        kRecursive,
        kOutput,
        kSelector,
        kAll,
        {"replicas", 0, true, "The new desired number of replicas. Required."},
        {"current-replicas", 0, true, "Precondition for current size."},
        {"resource-version", 0, true, "Precondition for resource version."}}},
      {"patch",
       "Update fields of a resource",
       runPatch,
       {kFilename,
        kOutput,
        kDryRun,
        {"patch", 'p', true, "The patch to be applied to the resource JSON file."},
        {"patch-file", 0, true, "A file containing a patch to be applied to the resource."},
        {"type", 0, true, "The type of patch being provided; one of [json merge strategic]"},
        {"subresource", 0, true, "status or scale"}}},
      {"label",
       "Update the labels on a resource",
       runLabel,
       {kFilename,
        kOutput,
        kSelector,
        kAll,
        kDryRun,
        {"overwrite", 0, false, "If true, allow labels to be overwritten"},
        {"resource-version", 0, true, "precondition"},
        {"list", 0, false, "If true, display the labels for a given resource."}}},
      {"annotate",
       "Update the annotations on a resource",
       runLabel,
       {kFilename,
        kOutput,
        kSelector,
        kAll,
        kDryRun,
        {"overwrite", 0, false, "If true, allow annotations to be overwritten"},
        {"resource-version", 0, true, "precondition"},
        {"list", 0, false, "If true, display the annotations for a given resource."}}},
      {"set",
       "Set specific features on objects (set image)",
       runSetImage,
       {kFilename, kOutput, kSelector, kAll, kDryRun}},
      {"rollout",
       "Manage the rollout of a resource (status, pause, resume, history, undo, restart)",
       runRollout,
       {kFilename,
        {"watch", 'w', false, "Watch the status of the rollout until it's done."},
        {"timeout", 0, true, "The length of time to wait before ending watch, zero means never."},
        {"revision", 0, true, "See the details, including podTemplate of the revision specified"},
        {"to-revision", 0, true, "The revision to rollback to. Default to 0 (last revision)."},
        {"dry-run", 0, true, "none, client or server"}}},
      {"logs",
       "Print the logs for a container in a pod",
       runLogs,
       {{"container", 'c', true, "Print the logs of this container"},
        {"follow", 'f', false, "Specify if the logs should be streamed."},
        {"tail", 0, true, "Lines of recent log file to display."},
        {"previous", 'p', false, "Print the logs for the previous instance of the container."},
        {"timestamps", 0, false, "Include timestamps on each line in the log output"}}},
      {"version",
       "Print the client and server version information",
       runVersion,
       {kOutput, {"client", 0, false, "If true, shows client version only"}}},
      {"api-resources",
       "Print the supported API resources on the server",
       runApiResources,
       {kOutput,
        {"namespaced", 0, true, "filter by scope"},
        {"no-headers", 0, false, "no headers"},
        {"api-group", 0, true, "Limit to resources in the specified API group."}}},
  };
}

void usage(std::ostream& out) {
  out << "sluice controls a sluice (or any Kubernetes) cluster with kubectl's verbs.\n\n"
         "Usage:\n  sluice server [--data-dir DIR] [--listen HOST:PORT]\n"
         "  sluice [verb] [flags]\n\nVerbs:\n";
  for (const auto& v : verbs()) {
    std::string name = v.name;
    name.resize(16, ' ');
    out << "  " << name << v.summary << "\n";
  }
  out << "\nGlobal flags: --kubeconfig FILE, -n/--namespace NS, --context NAME\n";
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 1 : 0;
  }
  // Global flags may come before the verb (`sluice -n x get pods`).
  size_t verbAt = 0;
  while (verbAt < args.size() && args[verbAt].size() > 1 && args[verbAt][0] == '-') {
    bool takesValue = false;
    for (const auto& g : kGlobalFlags) {
      if (args[verbAt] == "--" + g.name ||
          (g.shorthand && args[verbAt] == std::string("-") + g.shorthand))
        takesValue = g.takesValue;
    }
    verbAt += takesValue ? 2 : 1;
  }
  if (verbAt >= args.size()) {
    usage(std::cerr);
    return 1;
  }
  std::string verbName = args[verbAt];
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i)
    if (i != verbAt) rest.push_back(args[i]);

  for (const auto& v : verbs()) {
    if (verbName != v.name) continue;
    std::vector<FlagSpec> specs = kGlobalFlags;
    specs.insert(specs.end(), v.flags.begin(), v.flags.end());
    if (verbName == "set") {
      // `set image ...`: the sub-verb is the first argument.
    }
    auto flags = parseFlags(rest, specs);
    if (!flags) {
      std::cerr << "error: " << flags.error().message << "\nSee 'sluice " << verbName
                << " --help' for usage.\n";
      return 1;
    }
    if (flags->getBool("help")) {
      std::cout << v.summary << ".\n\nFlags:\n";
      for (const auto& f : v.flags)
        std::cout << "  " << (f.shorthand ? std::string("-") + f.shorthand + ", " : "    ") << "--"
                  << f.name << "    " << f.help << "\n";
      return 0;
    }
    Context ctx(verbName, std::move(*flags), std::cout, std::cerr);
    return v.run(ctx);
  }
  std::cerr << "error: unknown command \"" << verbName << "\" for \"sluice\"\n"
            << "Run 'sluice --help' for usage.\n";
  return 1;
}

}  // namespace sluice::cli
