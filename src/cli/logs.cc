// `logs POD|TYPE/NAME [-c CONTAINER] [-f] [--tail N] [--previous] [--timestamps]`.
#include <algorithm>
#include <map>

#include "api/object.h"
#include "api/selector.h"
#include "cli/errors.h"
#include "cli/verbs.h"

namespace sluice::cli {

int runLogs(Context& ctx) {
  const auto& args = ctx.flags.args;
  if (args.empty() || args.size() > 2)
    return fail(ctx, clientError("expected POD or TYPE/NAME (and optionally a container name)"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  auto& c = **api;
  std::string ns = ctx.ns();
  const auto* podType = api::findByKind("v1", "Pod");
  std::string podName = args[0];
  std::string container = ctx.flags.get("container");
  if (args.size() == 2) container = args[1];
  if (auto slash = args[0].find('/'); slash != std::string::npos) {
    auto type = resolveType(args[0].substr(0, slash));
    if (!type) return fail(ctx, type.error());
    std::string name = args[0].substr(slash + 1);
    if ((*type)->kind != "Pod") {
      // A workload: its first pod, as kubectl picks one.
      auto owner = c.get(**type, ns, name, "");
      if (!owner) return fail(ctx, owner.error());
      auto* sel = api::find(*owner, "spec.selector");
      client::ListOptions lo;
      if (sel && sel->is_object() &&
          (sel->as_object().contains("matchLabels") ||
           sel->as_object().contains("matchExpressions"))) {
        auto s = api::LabelSelector::fromJson(*sel);
        if (s) lo.labelSelector = s->toString();
      } else if (sel && sel->is_object()) {
        std::map<std::string, std::string> m;
        for (const auto& [k, v] : sel->as_object())
          m[std::string(k)] = v.is_string() ? std::string(v.as_string()) : "";
        lo.labelSelector = api::LabelSelector::fromMap(m).toString();
      }
      auto pods = c.list(*podType, ns, lo);
      if (!pods) return fail(ctx, pods.error());
      auto& items = pods->at("items").as_array();
      if (items.empty()) return fail(ctx, clientError("timed out waiting for the condition"));
      std::vector<std::string> names;
      for (const auto& p : items) names.push_back(api::nameOf(p));
      std::sort(names.begin(), names.end());
      podName = names[0];
      if (items.size() > 1)
        ctx.err << "Found " << items.size() << " pods, using pod/" << podName << "\n";
    } else {
      podName = name;
    }
  }
  auto pod = c.get(*podType, ns, podName, "");
  if (!pod) return fail(ctx, pod.error());
  if (container.empty()) {
    auto* cs = api::find(*pod, "spec.containers");
    if (cs && cs->is_array() && !cs->as_array().empty()) {
      container = api::getString(cs->as_array()[0], "name");
      if (cs->as_array().size() > 1)
        ctx.err << "Defaulted container \"" << container << "\" out of: " << [&] {
          std::string all;
          for (const auto& x : cs->as_array())
            all += (all.empty() ? "" : ", ") + api::getString(x, "name");
          return all;
        }() << "\n";
    }
  }
  std::string target = client::HttpClient::path(*podType, ns, podName, "log") +
                       "?container=" + client::urlEncode(container);
  bool follow = ctx.flags.getBool("follow");
  if (follow) target += "&follow=true";
  if (ctx.flags.getBool("previous")) target += "&previous=true";
  if (ctx.flags.has("tail") && ctx.flags.get("tail") != "-1")
    target += "&tailLines=" + client::urlEncode(ctx.flags.get("tail"));
  if (ctx.flags.getBool("timestamps")) target += "&timestamps=true";
  if (follow) {
    auto st = c.stream(target, "application/json, */*", [&](std::string_view data) {
      ctx.out << data;
      ctx.out.flush();
      return true;
    });
    if (!st) return fail(ctx, st.error());
    return 0;
  }
  auto r = c.request("GET", target, "", "", "application/json, */*");
  if (!r) return fail(ctx, r.error());
  if (r->status >= 300) {
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    if (!ec) return fail(ctx, api::Error::fromStatus(v, r->status));
    return fail(ctx, clientError(r->body));
  }
  ctx.out << r->body;
  return 0;
}

}  // namespace sluice::cli
