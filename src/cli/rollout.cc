// `rollout status|pause|resume|history|undo|restart`, with kubectl's requests and messages.
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "api/object.h"
#include "api/selector.h"
#include "cli/describe.h"
#include "cli/errors.h"
#include "cli/printers.h"
#include "cli/tabwriter.h"
#include "cli/verbs.h"

namespace sluice::cli {

namespace {

constexpr const char* kRevision = "deployment.kubernetes.io/revision";

json::value withoutHash(json::value templ) {
  if (auto* labels = api::find(templ, "metadata.labels"); labels && labels->is_object()) {
    labels->as_object().erase("pod-template-hash");
    if (labels->as_object().empty()) api::find(templ, "metadata")->as_object().erase("labels");
  }
  return templ;
}

struct Revision {
  int64_t number = 0;
  json::value rs;
};

// The Deployment's ReplicaSets by revision, as kubectl finds them: by selector, then only those
// the Deployment controls.
api::Result<std::map<int64_t, json::value>> history(client::HttpClient& c, const json::value& d) {
  const auto* rsType = api::findByKind("apps/v1", "ReplicaSet");
  client::ListOptions lo;
  if (auto* sel = api::find(d, "spec.selector")) {
    auto s = api::LabelSelector::fromJson(*sel);
    if (s) lo.labelSelector = s->toString();
  }
  auto list = c.list(*rsType, api::namespaceOf(d), lo);
  if (!list) return list.error();
  std::map<int64_t, json::value> out;
  for (const auto& rs : list->at("items").as_array()) {
    bool owned = false;
    if (auto* refs = api::find(rs, "metadata.ownerReferences"); refs && refs->is_array())
      for (const auto& r : refs->as_array())
        owned =
            owned || (api::getBool(r, "controller") && api::getString(r, "uid") == api::uidOf(d));
    if (!owned) continue;
    auto text = api::getString(rs, std::string("metadata.annotations.") + kRevision);
    if (auto* ann = api::find(rs, "metadata.annotations"); ann && ann->is_object())
      if (auto* v = ann->as_object().if_contains(kRevision); v && v->is_string())
        text = std::string(v->as_string());
    if (text.empty()) continue;
    out[std::atoll(text.c_str())] = rs;
  }
  return out;
}

std::string annotation(const json::value& o, const std::string& key) {
  if (auto* ann = api::find(o, "metadata.annotations"); ann && ann->is_object())
    if (auto* v = ann->as_object().if_contains(key); v && v->is_string())
      return std::string(v->as_string());
  return "";
}

// kubectl's DeploymentStatusViewer: the message, and whether the rollout is done.
std::pair<std::string, bool> deploymentStatus(const json::value& d, bool& failed) {
  std::string name = api::nameOf(d);
  failed = false;
  if (api::getInt(d, "metadata.generation") > api::getInt(d, "status.observedGeneration"))
    return {"Waiting for deployment spec update to be observed...", false};
  if (auto* conds = api::find(d, "status.conditions"); conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (api::getString(c, "type") == "Progressing" &&
          api::getString(c, "reason") == "ProgressDeadlineExceeded") {
        failed = true;
        return {"deployment \"" + name + "\" exceeded its progress deadline", false};
      }
  int64_t want = api::getInt(d, "spec.replicas", 1);
  int64_t updated = api::getInt(d, "status.updatedReplicas");
  int64_t replicas = api::getInt(d, "status.replicas");
  int64_t available = api::getInt(d, "status.availableReplicas");
  if (updated < want)
    return {"Waiting for deployment \"" + name +
                "\" rollout to finish: " + std::to_string(updated) + " out of " +
                std::to_string(want) + " new replicas have been updated...",
            false};
  if (replicas > updated)
    return {"Waiting for deployment \"" + name + "\" rollout to finish: " +
                std::to_string(replicas - updated) + " old replicas are pending termination...",
            false};
  if (available < updated)
    return {"Waiting for deployment \"" + name +
                "\" rollout to finish: " + std::to_string(available) + " of " +
                std::to_string(updated) + " updated replicas are available...",
            false};
  return {"deployment \"" + name + "\" successfully rolled out", true};
}

int rolloutStatus(Context& ctx, client::HttpClient& c, const Target& t) {
  bool watch = ctx.flags.get("watch", "true") != "false";
  auto deadline = std::chrono::steady_clock::time_point::max();
  if (auto to = ctx.flags.get("timeout"); !to.empty() && to != "0" && to != "0s") {
    long secs = std::atol(to.c_str());
    if (to.back() == 'm') secs *= 60;
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(secs);
  }
  std::string last;
  while (true) {
    auto d = c.get(*t.type, t.ns, t.name, "");
    if (!d) return fail(ctx, d.error());
    bool failed = false;
    auto [msg, done] = deploymentStatus(*d, failed);
    if (failed) return fail(ctx, clientError(msg));
    if (msg != last) {
      ctx.out << msg << "\n";
      ctx.out.flush();
      last = msg;
    }
    if (done || !watch) return 0;
    // Wait for the next change with a watch from the version just read.
    std::string target = client::HttpClient::path(*t.type, t.ns) +
                         "?fieldSelector=" + client::urlEncode("metadata.name=" + t.name) +
                         "&resourceVersion=" + api::getString(*d, "metadata.resourceVersion") +
                         "&watch=true&timeoutSeconds=5";
    bool changed = false;
    auto st = c.stream(target, "application/json", [&](std::string_view data) {
      changed = changed || data.find("\"type\"") != std::string_view::npos;
      return !changed;
    });
    if (!st) return fail(ctx, st.error());
    if (std::chrono::steady_clock::now() > deadline)
      return fail(ctx, clientError("timed out waiting for the condition"));
  }
}

int rolloutHistory(Context& ctx, client::HttpClient& c, const json::value& d, const Target& t) {
  auto revs = history(c, d);
  if (!revs) return fail(ctx, revs.error());
  if (ctx.flags.has("revision") && ctx.flags.get("revision") != "0") {
    int64_t want = std::atoll(ctx.flags.get("revision").c_str());
    auto it = revs->find(want);
    if (it == revs->end()) return fail(ctx, clientError("unable to find the specified revision"));
    std::ostringstream w;
    w << "Pod Template:\n";
    json::value templ = api::find(it->second, "spec.template")
                            ? *api::find(it->second, "spec.template")
                            : json::object{};
    writePodTemplate(w, templ, "  ");
    ctx.out << displayName(*t.type, t.name) << " with revision #" << want << "\n"
            << tabAlign(w.str(), 0, 1) << "\n";
    return 0;
  }
  ctx.out << displayName(*t.type, t.name) << " \n";
  std::vector<std::vector<std::string>> rows{{"REVISION", "CHANGE-CAUSE"}};
  for (const auto& [n, rs] : *revs) {
    std::string cause = annotation(rs, "kubernetes.io/change-cause");
    rows.push_back({std::to_string(n), cause.empty() ? "<none>" : cause});
  }
  std::string text;
  for (const auto& r : rows) text += r[0] + "\t" + r[1] + "\n";
  ctx.out << tabAlign(text, 0, 2) << "\n";
  return 0;
}

int rolloutUndo(Context& ctx, client::HttpClient& c, const json::value& d, const Target& t) {
  if (api::getBool(d, "spec.paused"))
    return fail(ctx, clientError("you cannot rollback a paused deployment; resume it first with "
                                 "'kubectl rollout resume' and try again"));
  auto revs = history(c, d);
  if (!revs) return fail(ctx, revs.error());
  int64_t want = std::atoll(ctx.flags.get("to-revision", "0").c_str());
  const json::value* target = nullptr;
  if (want == 0) {
    if (revs->size() < 2)
      return fail(ctx, clientError("no rollout history found for deployment \"" + t.name + "\""));
    auto it = revs->rbegin();
    ++it;
    want = it->first;
    target = &it->second;
  } else {
    auto it = revs->find(want);
    if (it == revs->end())
      return fail(ctx, clientError("unable to find specified revision " + std::to_string(want) +
                                   " in history"));
    target = &it->second;
  }
  json::value templ = withoutHash(*api::find(*target, "spec.template"));
  if (templ == withoutHash(*api::find(d, "spec.template"))) {
    ctx.out << displayName(*t.type, t.name)
            << " skipped rollback (current template already matches revision " << want << ")\n";
    return 0;
  }
  // Annotations: the Deployment keeps its own bookkeeping ones; the rest come from the
  // ReplicaSet (change-cause, for instance), as kubectl computes them.
  static const std::set<std::string> keep = {"kubectl.kubernetes.io/last-applied-configuration",
                                             kRevision,
                                             "deployment.kubernetes.io/revision-history",
                                             "deployment.kubernetes.io/desired-replicas",
                                             "deployment.kubernetes.io/max-replicas",
                                             "deprecated.deployment.rollback.to"};
  json::object annotations;
  if (auto* a = api::find(d, "metadata.annotations"); a && a->is_object())
    for (const auto& [k, v] : a->as_object())
      if (keep.count(std::string(k))) annotations[k] = v;
  if (auto* a = api::find(*target, "metadata.annotations"); a && a->is_object())
    for (const auto& [k, v] : a->as_object())
      if (!keep.count(std::string(k))) annotations[k] = v;
  json::array patch{
      json::object{{"op", "replace"}, {"path", "/spec/template"}, {"value", templ}},
      json::object{{"op", "replace"}, {"path", "/metadata/annotations"}, {"value", annotations}}};
  auto r = c.patch(*t.type, t.ns, t.name, client::PatchType::Json, patch);
  if (!r) return fail(ctx, r.error());
  ctx.out << displayName(*t.type, t.name) << " rolled back\n";
  return 0;
}

}  // namespace

int runRollout(Context& ctx) {
  const auto& args = ctx.flags.args;
  static const std::set<std::string> subs = {"status",  "pause", "resume",
                                             "history", "undo",  "restart"};
  if (args.empty() || !subs.count(args[0]))
    return fail(
        ctx,
        clientError(
            "unknown rollout command; use one of: history, pause, restart, resume, status, undo"));
  std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  auto targets = targetsFromArgs(ctx, rest, false);
  if (!targets) return fail(ctx, targets.error());
  if (targets->empty()) return fail(ctx, clientError("required resource not specified"));
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  auto& c = **api;
  int rc = 0;
  for (const auto& t : *targets) {
    if (t.type->kind != "Deployment") {
      rc = fail(ctx, clientError("no " + sub + " support for " + t.type->kind));
      continue;
    }
    if (sub == "status") {
      rc = std::max(rc, rolloutStatus(ctx, c, t));
      continue;
    }
    auto d = c.get(*t.type, t.ns, t.name, "");
    if (!d) {
      rc = fail(ctx, d.error());
      continue;
    }
    std::string quoted = quotedName(*t.type, t.name);
    client::WriteOptions wo;
    wo.fieldManager = "kubectl-rollout";
    if (sub == "pause" || sub == "resume") {
      bool paused = api::getBool(*d, "spec.paused");
      if (sub == "pause" && paused) {
        rc = fail(ctx, clientError(quoted + " is already paused"));
        continue;
      }
      if (sub == "resume" && !paused) {
        rc = fail(ctx, clientError(quoted + " is not paused"));
        continue;
      }
      json::value patch = json::object{
          {"spec",
           json::object{{"paused", sub == "pause" ? json::value(true) : json::value(nullptr)}}}};
      auto r = c.patch(*t.type, t.ns, t.name, client::PatchType::Strategic, patch, "", wo);
      if (!r) {
        rc = fail(ctx, r.error());
        continue;
      }
      ctx.out << displayName(*t.type, t.name) << (sub == "pause" ? " paused" : " resumed") << "\n";
    } else if (sub == "restart") {
      if (api::getBool(*d, "spec.paused")) {
        rc = fail(ctx, clientError(quoted +
                                   " can't restart paused deployment (run rollout resume first)"));
        continue;
      }
      json::value patch = json::object{
          {"spec",
           json::object{
               {"template",
                json::object{
                    {"metadata",
                     json::object{{"annotations",
                                   json::object{{"kubectl.kubernetes.io/restartedAt",
                                                 api::formatTimestamp(
                                                     std::chrono::system_clock::now())}}}}}}}}}};
      auto r = c.patch(*t.type, t.ns, t.name, client::PatchType::Strategic, patch, "", wo);
      if (!r) {
        rc = fail(ctx, r.error());
        continue;
      }
      ctx.out << displayName(*t.type, t.name) << " restarted\n";
    } else if (sub == "history") {
      rc = std::max(rc, rolloutHistory(ctx, c, *d, t));
    } else if (sub == "undo") {
      rc = std::max(rc, rolloutUndo(ctx, c, *d, t));
    }
  }
  return rc;
}

}  // namespace sluice::cli
