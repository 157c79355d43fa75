// What every verb shares: parsed flags, the API connection, the namespace, output streams, and
// helpers that turn arguments and files into the objects a verb works on.
#pragma once

#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "api/error.h"
#include "api/resources.h"
#include "cli/flags.h"
#include "client/client.h"

namespace sluice::cli {

namespace json = boost::json;

class Context {
 public:
  Context(std::string verb, Flags flags, std::ostream& out, std::ostream& err)
      : verb(std::move(verb)), flags(std::move(flags)), out(out), err(err) {}

  // The API connection, from --kubeconfig / $KUBECONFIG / the default data dir.
  api::Result<client::HttpClient*> api();
  // -n/--namespace, else the kubeconfig context's namespace, else "default".
  std::string ns();
  bool namespaceFlagGiven() const { return flags.has("namespace"); }

  std::string verb;
  Flags flags;
  std::ostream& out;
  std::ostream& err;

 private:
  std::unique_ptr<client::HttpClient> client_;
  std::string ns_;
};

// One thing a verb acts on: a type and name (from arguments) or a whole object (from -f).
struct Target {
  const api::ResourceType* type = nullptr;
  std::string ns;
  std::string name;
  json::value object;  // null unless it came from a file
  std::string source;  // the file it came from
};

// "deployment.apps/nginx-v1" / "service/nginx", as kubectl names objects in messages.
std::string displayName(const api::ResourceType& type, const std::string& name);
// `deployments.apps "nginx-v1"` as in `deleted` messages.
std::string quotedName(const api::ResourceType& type, const std::string& name);

// Resolves a user-typed resource type ("po", "deploy", "deployments.apps"), or an error like
// kubectl's `the server doesn't have a resource type "widgets"`.
api::Result<const api::ResourceType*> resolveType(const std::string& text);

// Arguments as kubectl takes them: `TYPE NAME...`, `TYPE/NAME...`, `TYPE[,TYPE...]` (names
// empty: the whole collection), `all`.
api::Result<std::vector<Target>> targetsFromArgs(Context& ctx, const std::vector<std::string>& args,
                                                 bool allowCollections);
// Objects from -f FILE|DIR|- (directories: *.yaml, *.yml, *.json, sorted; -R recurses).
api::Result<std::vector<Target>> targetsFromFiles(Context& ctx, bool recursive);

// -f FILE when given, else the arguments (`targetsFromArgs`).
api::Result<std::vector<Target>> targetsFromFilesOrArgs(Context& ctx,
                                                        const std::vector<std::string>& args,
                                                        bool allowCollections);

// Prints an error the way kubectl does and returns the exit status (1).
int fail(Context& ctx, const api::Error& error, const std::string& prefix = "");

}  // namespace sluice::cli
