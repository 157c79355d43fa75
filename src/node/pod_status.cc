#include "node/pod_status.h"

#include "api/object.h"

namespace sluice::node {

namespace json = boost::json;

namespace {

// A quantity as written in the spec: "100m", or 1 as a bare number.
std::string quantityText(const json::value* v) {
  if (!v) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  return "";
}

json::object terminatedJson(const Termination& t) {
  json::object o{{"exitCode", t.exitCode},
                 {"reason", t.reason},
                 {"startedAt", t.startedAt},
                 {"finishedAt", t.finishedAt}};
  if (t.signal) o["signal"] = t.signal;
  return o;
}

// What the pod's containers add up to, for its phase and conditions.
struct Tally {
  bool allReady = true;
  bool anyRunning = false;
  bool allStartedOnce = true;
  bool allTerminated = true;
  bool anyFailed = false;
};

json::object containerStatus(const json::value& spec, const ContainerRuntime& cr,
                             const PodRuntime& rt, const std::string& policy, Tally& tally) {
  std::string name = api::getString(spec, "name");
  bool started = cr.running && (!api::find(spec, "startupProbe") || cr.startupPassed);
  bool ready = cr.running && started && (!api::find(spec, "readinessProbe") || cr.readinessPassed);
  json::object state;
  if (cr.running) {
    state["running"] = json::object{{"startedAt", cr.startedAt}};
    tally.anyRunning = true;
    tally.allTerminated = false;
  } else if (!cr.waitingReason.empty() || !cr.everStarted) {
    json::object w;
    if (!cr.waitingReason.empty()) {
      w["reason"] = cr.waitingReason;
      if (!cr.waitingMessage.empty()) w["message"] = cr.waitingMessage;
    } else {
      w["reason"] = "ContainerCreating";
    }
    state["waiting"] = w;
    tally.allTerminated = false;
  } else if (cr.last) {
    if (restartsAfter(policy, *cr.last)) {
      // `backoff` is already the next crash's (doubled when this one was set): report the
      // current one, 10 s for the first.
      auto seconds = cr.backoff.count() / 2 == 0 ? 10 : cr.backoff.count() / 2;
      state["waiting"] = json::object{
          {"reason", "CrashLoopBackOff"},
          {"message", "back-off " + std::to_string(seconds) + "s restarting failed container=" +
                          name + " pod=" + rt.name + "_" + rt.ns + "(" + rt.uid + ")"}};
      tally.allTerminated = false;
      // The pod still counts as running while it restarts.
      tally.anyRunning = true;
    } else {
      json::object t = terminatedJson(*cr.last);
      t["containerID"] = "sluice://" + rt.uid + "/" + name;
      state["terminated"] = t;
      if (cr.last->exitCode != 0) tally.anyFailed = true;
    }
  }
  if (!cr.everStarted) tally.allStartedOnce = false;
  if (!ready) tally.allReady = false;
  json::object s{{"name", name},
                 {"image", api::getString(spec, "image")},
                 {"imageID", "sluice-catalog://" + api::getString(spec, "image")},
                 {"ready", ready},
                 {"started", started},
                 {"restartCount", cr.restartCount},
                 {"state", state},
                 {"lastState", json::object{}}};
  if (cr.running) s["containerID"] = "sluice://" + std::to_string(cr.pid);
  bool showLast = cr.last && (cr.running || !cr.waitingReason.empty() || cr.restartCount > 0 ||
                              state.contains("waiting"));
  if (showLast && !state.contains("terminated"))
    s["lastState"] = json::object{{"terminated", terminatedJson(*cr.last)}};
  return s;
}

}  // namespace

PodStatusResult computePodStatus(const json::value& pod, const PodRuntime& rt, base::WallTime now) {
  PodStatusResult out;
  out.conditions = rt.conditions;
  json::array statuses;
  Tally tally;
  std::string policy = api::getString(pod, "spec.restartPolicy", "Always");
  const ContainerRuntime unknown;
  if (auto* containers = api::find(pod, "spec.containers"); containers && containers->is_array()) {
    for (const auto& spec : containers->as_array()) {
      auto it = rt.containers.find(api::getString(spec, "name"));
      const ContainerRuntime& cr = it == rt.containers.end() ? unknown : it->second;
      statuses.push_back(containerStatus(spec, cr, rt, policy, tally));
    }
  }
  std::string phase = "Pending";
  if (tally.allStartedOnce && tally.allTerminated && !statuses.empty())
    phase = tally.anyFailed ? "Failed" : "Succeeded";
  else if (tally.allStartedOnce && tally.anyRunning)
    phase = "Running";

  auto condition = [&](const std::string& type, bool value) {
    std::string v = value ? "True" : "False";
    auto& remembered = out.conditions[type];
    if (remembered.status != v) remembered = {v, api::formatTimestamp(now)};
    json::object c{{"type", type},
                   {"status", v},
                   {"lastProbeTime", nullptr},
                   {"lastTransitionTime", remembered.lastTransitionTime}};
    if (!value && (type == "Ready" || type == "ContainersReady")) {
      std::string notReady;
      for (const auto& s : statuses)
        if (!api::getBool(s, "ready"))
          notReady += (notReady.empty() ? "" : " ") + api::getString(s, "name");
      c["reason"] = "ContainersNotReady";
      c["message"] = "containers with unready status: [" + notReady + "]";
    }
    return c;
  };
  bool podReady = tally.allReady && !statuses.empty() && phase == "Running";
  json::array conditions{condition("PodReadyToStartContainers", true),
                         condition("Initialized", true), condition("Ready", podReady),
                         condition("ContainersReady", podReady), condition("PodScheduled", true)};
  json::object status{{"phase", phase},
                      {"conditions", conditions},
                      {"hostIP", "127.0.0.1"},
                      {"hostIPs", json::array{json::object{{"ip", "127.0.0.1"}}}},
                      {"startTime", rt.startTime},
                      {"containerStatuses", statuses},
                      {"qosClass", qosClass(pod)}};
  if (!rt.ip.empty()) {
    status["podIP"] = rt.ip;
    status["podIPs"] = json::array{json::object{{"ip", rt.ip}}};
  }
  out.status = std::move(status);
  return out;
}

std::string qosClass(const json::value& pod) {
  auto* containers = api::find(pod, "spec.containers");
  if (!containers || !containers->is_array()) return "BestEffort";
  bool any = false, guaranteed = true;
  for (const auto& c : containers->as_array()) {
    for (const char* r : {"cpu", "memory"}) {
      auto limit = quantityText(api::find(c, std::string("resources.limits.") + r));
      auto request = quantityText(api::find(c, std::string("resources.requests.") + r));
      if (!limit.empty() || !request.empty()) any = true;
      if (limit.empty() || (!request.empty() && request != limit)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace sluice::node
