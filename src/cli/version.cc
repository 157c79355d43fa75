// `version`: client and server versions, as kubectl prints them.
#include "api/object.h"
#include "api/yaml.h"
#include "cli/errors.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {
constexpr const char* kClientVersion = "v1.33.1+sluice";
}

int runVersion(Context& ctx) {
  json::object client{
      {"major", "1"}, {"minor", "33"}, {"gitVersion", kClientVersion}, {"platform", "linux/amd64"}};
  json::object out{{"clientVersion", client}};
  std::string output = ctx.flags.get("output");
  int rc = 0;
  if (!ctx.flags.getBool("client")) {
    auto api = ctx.api();
    if (!api) return fail(ctx, api.error());
    auto r = (*api)->request("GET", "/version");
    if (!r || r->status != 200) {
      if (output.empty()) ctx.out << "Client Version: " << kClientVersion << "\n";
      return fail(ctx, r ? api::Error::fromStatus(json::parse(r->body), r->status) : r.error());
    }
    boost::system::error_code ec;
    out["serverVersion"] = json::parse(r->body, ec);
  }
  if (output == "json") {
    ctx.out << api::toPrettyJson(out) << "\n";
  } else if (output == "yaml") {
    ctx.out << api::toYaml(out);
  } else if (!output.empty()) {
    return fail(ctx, clientError("--output must be 'yaml' or 'json'"));
  } else {
    ctx.out << "Client Version: " << kClientVersion << "\n";
    if (out.contains("serverVersion"))
      ctx.out << "Server Version: " << api::getString(out["serverVersion"], "gitVersion") << "\n";
  }
  return rc;
}

}  // namespace sluice::cli
