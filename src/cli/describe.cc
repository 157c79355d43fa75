// `describe`: the object, its related objects and its events, laid out as kubectl does
// (text aligned with Go's tabwriter, padding 2).
#include <map>
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

using api::getInt;
using api::getString;

std::string describeTime(const std::string& ts) {
  std::chrono::system_clock::time_point t;
  if (!api::parseTimestamp(ts, t)) return ts;
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// "key=value" lines, the first after the label, the rest indented under it.
void writeMap(std::ostringstream& w, const std::string& indent, const std::string& title,
              const json::value* m, bool annotations = false) {
  std::map<std::string, std::string> sorted;
  if (m && m->is_object())
    for (const auto& [k, v] : m->as_object()) {
      if (annotations && k == "kubectl.kubernetes.io/last-applied-configuration") continue;
      sorted[std::string(k)] = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
    }
  if (sorted.empty()) {
    w << indent << title << ":\t<none>\n";
    return;
  }
  bool first = true;
  for (const auto& [k, v] : sorted) {
    w << indent << (first ? title + ":" : "") << "\t" << k << (annotations ? ": " : "=") << v
      << "\n";
    first = false;
  }
}

void writeContainers(std::ostringstream& w, const std::string& indent,
                     const json::value* containers, const json::value* statuses) {
  w << indent << "Containers:\n";
  if (!containers || !containers->is_array()) return;
  for (const auto& c : containers->as_array()) {
    std::string name = getString(c, "name");
    w << indent << " " << name << ":\n";
    std::string in = indent + "  ";
    const json::value* status = nullptr;
    if (statuses && statuses->is_array())
      for (const auto& s : statuses->as_array())
        if (getString(s, "name") == name) status = &s;
    if (status) w << in << "Container ID:\t" << getString(*status, "containerID") << "\n";
    w << in << "Image:\t" << getString(c, "image") << "\n";
    if (status) w << in << "Image ID:\t" << getString(*status, "imageID") << "\n";
    auto* ports = api::find(c, "ports");
    if (ports && ports->is_array() && !ports->as_array().empty()) {
      std::string p, hp;
      for (const auto& port : ports->as_array()) {
        std::string proto = getString(port, "protocol", "TCP");
        p += (p.empty() ? "" : ", ") + std::to_string(getInt(port, "containerPort")) + "/" + proto;
        hp += (hp.empty() ? "" : ", ") + std::to_string(getInt(port, "hostPort")) + "/" + proto;
      }
      w << in << (ports->as_array().size() > 1 ? "Ports:\t" : "Port:\t") << p << "\n";
      w << in << (ports->as_array().size() > 1 ? "Host Ports:\t" : "Host Port:\t") << hp << "\n";
    } else {
      w << in << "Port:\t<none>\n" << in << "Host Port:\t<none>\n";
    }
    if (auto* cmd = api::find(c, "command"); cmd && cmd->is_array()) {
      w << in << "Command:\n";
      for (const auto& a : cmd->as_array())
        w << in << "  " << (a.is_string() ? std::string(a.as_string()) : "") << "\n";
    }
    if (auto* args = api::find(c, "args"); args && args->is_array()) {
      w << in << "Args:\n";
      for (const auto& a : args->as_array())
        w << in << "  " << (a.is_string() ? std::string(a.as_string()) : "") << "\n";
    }
    if (status) {
      auto state = [&](const char* title, const json::value* st) {
        if (!st || !st->is_object()) return;
        for (const auto& [k, v] : st->as_object()) {
          std::string s(k);
          s[0] = static_cast<char>(std::toupper(s[0]));
          w << in << title << ":\t" << s << "\n";
          if (auto r = getString(v, "reason"); !r.empty()) w << in << "  Reason:\t" << r << "\n";
          if (auto m = getString(v, "message"); !m.empty()) w << in << "  Message:\t" << m << "\n";
          if (k == "terminated") w << in << "  Exit Code:\t" << getInt(v, "exitCode") << "\n";
          if (auto t = getString(v, "startedAt"); !t.empty())
            w << in << "  Started:\t" << describeTime(t) << "\n";
          if (auto t = getString(v, "finishedAt"); !t.empty())
            w << in << "  Finished:\t" << describeTime(t) << "\n";
        }
      };
      state("State", api::find(*status, "state"));
      if (auto* last = api::find(*status, "lastState");
          last && last->is_object() && !last->as_object().empty())
        state("Last State", last);
      w << in << "Ready:\t" << (api::getBool(*status, "ready") ? "True" : "False") << "\n";
      w << in << "Restart Count:\t" << getInt(*status, "restartCount") << "\n";
    }
    for (const char* kind : {"limits", "requests"}) {
      auto* r = api::find(c, std::string("resources.") + kind);
      if (!r || !r->is_object() || r->as_object().empty()) continue;
      w << in << (std::string(kind) == "limits" ? "Limits:" : "Requests:") << "\n";
      std::map<std::string, std::string> sorted;
      for (const auto& [k, v] : r->as_object())
        sorted[std::string(k)] = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
      for (const auto& [k, v] : sorted) w << in << "  " << k << ":\t" << v << "\n";
    }
    for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      auto* p = api::find(c, probe);
      if (!p) continue;
      std::string title = std::string(probe) == "livenessProbe"    ? "Liveness"
                          : std::string(probe) == "readinessProbe" ? "Readiness"
                                                                   : "Startup";
      std::string how;
      if (auto* h = api::find(*p, "httpGet")) {
        std::string port = api::find(*h, "port") && api::find(*h, "port")->is_string()
                               ? getString(*h, "port")
                               : std::to_string(getInt(*h, "port"));
        how = "http-get http://" + getString(*h, "host", ":") +
              (getString(*h, "host").empty() ? "" : ":") + port + getString(*h, "path", "/");
        if (getString(*h, "host").empty())
          how = "http-get http://:" + port + getString(*h, "path", "/");
      } else if (auto* t = api::find(*p, "tcpSocket")) {
        how = "tcp-socket :" + (api::find(*t, "port") && api::find(*t, "port")->is_string()
                                    ? getString(*t, "port")
                                    : std::to_string(getInt(*t, "port")));
      } else if (auto* e = api::find(*p, "exec")) {
        how = "exec [";
        if (auto* cmd = api::find(*e, "command"); cmd && cmd->is_array()) {
          bool first = true;
          for (const auto& a : cmd->as_array()) {
            how += (first ? "" : " ") + std::string(a.is_string() ? a.as_string() : "");
            first = false;
          }
        }
        how += "]";
      }
      w << in << title << ":\t" << how << " delay=" << getInt(*p, "initialDelaySeconds")
        << "s timeout=" << getInt(*p, "timeoutSeconds", 1)
        << "s period=" << getInt(*p, "periodSeconds", 10)
        << "s #success=" << getInt(*p, "successThreshold", 1)
        << " #failure=" << getInt(*p, "failureThreshold", 3) << "\n";
    }
    auto* env = api::find(c, "env");
    if (env && env->is_array() && !env->as_array().empty()) {
      w << in << "Environment:\n";
      for (const auto& e : env->as_array())
        w << in << "  " << getString(e, "name") << ":\t" << getString(e, "value") << "\n";
    } else {
      w << in << "Environment:\t<none>\n";
    }
    auto* mounts = api::find(c, "volumeMounts");
    if (mounts && mounts->is_array() && !mounts->as_array().empty()) {
      w << in << "Mounts:\n";
      for (const auto& m : mounts->as_array())
        w << in << "  " << getString(m, "mountPath") << " from " << getString(m, "name")
          << (api::getBool(m, "readOnly") ? " (ro)" : " (rw)") << "\n";
    } else {
      w << in << "Mounts:\t<none>\n";
    }
  }
}

}  // namespace

void writePodTemplate(std::ostringstream& w, const json::value& templ, const std::string& indent) {
  writeMap(w, indent, "Labels", api::find(templ, "metadata.labels"));
  if (auto* ann = api::find(templ, "metadata.annotations");
      ann && ann->is_object() && !ann->as_object().empty())
    writeMap(w, indent, "Annotations", ann, true);
  writeContainers(w, indent, api::find(templ, "spec.containers"), nullptr);
  auto* vols = api::find(templ, "spec.volumes");
  if (!vols || !vols->is_array() || vols->as_array().empty())
    w << indent << "Volumes:\t<none>\n";
  else {
    w << indent << "Volumes:\n";
    for (const auto& v : vols->as_array()) w << indent << " " << getString(v, "name") << ":\n";
  }
  writeMap(w, indent, "Node-Selectors", api::find(templ, "spec.nodeSelector"));
  w << indent << "Tolerations:\t<none>\n";
}

namespace {

void writeEvents(std::ostringstream& w, client::HttpClient& c, const json::value& obj,
                 const api::ResourceType& type) {
  client::ListOptions lo;
  lo.fieldSelector = "involvedObject.name=" + api::nameOf(obj) +
                     ",involvedObject.namespace=" + api::namespaceOf(obj) +
                     ",involvedObject.kind=" + type.kind + ",involvedObject.uid=" + api::uidOf(obj);
  if (!type.namespaced)
    lo.fieldSelector = "involvedObject.name=" + api::nameOf(obj) +
                       ",involvedObject.kind=" + type.kind +
                       ",involvedObject.uid=" + api::uidOf(obj);
  lo.limit = 500;
  const auto* evType = api::findByKind("v1", "Event");
  auto list = c.list(*evType, type.namespaced ? api::namespaceOf(obj) : "", lo);
  std::vector<const json::value*> events;
  if (list)
    if (auto* items = api::find(*list, "items"); items && items->is_array())
      for (const auto& e : items->as_array()) events.push_back(&e);
  if (events.empty()) {
    w << "Events:\t<none>\n";
    return;
  }
  std::sort(events.begin(), events.end(), [](const json::value* a, const json::value* b) {
    auto ta = getString(*a, "lastTimestamp", getString(*a, "metadata.creationTimestamp"));
    auto tb = getString(*b, "lastTimestamp", getString(*b, "metadata.creationTimestamp"));
    return ta < tb;
  });
  auto now = std::chrono::system_clock::now();
  w << "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n";
  for (const auto* e : events) {
    std::chrono::system_clock::time_point first, last;
    std::string lastTs =
        getString(*e, "lastTimestamp", getString(*e, "metadata.creationTimestamp"));
    std::string firstTs = getString(*e, "firstTimestamp", lastTs);
    std::string age = "<unknown>";
    if (api::parseTimestamp(lastTs, last)) {
      age = api::humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - last));
      int64_t count = getInt(*e, "count", 1);
      if (count > 1 && api::parseTimestamp(firstTs, first))
        age += " (x" + std::to_string(count) + " over " +
               api::humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - first)) +
               ")";
    }
    w << "  " << getString(*e, "type") << "\t" << getString(*e, "reason") << "\t" << age << "\t"
      << getString(*e, "source.component") << "\t" << getString(*e, "message") << "\n";
  }
}

std::string selectorText(const json::value* sel) {
  if (!sel) return "<none>";
  auto s = api::LabelSelector::fromJson(*sel);
  return s && !s->toString().empty() ? s->toString() : "<none>";
}

void describeDeployment(std::ostringstream& w, client::HttpClient& c, const json::value& d) {
  int64_t replicas = getInt(d, "spec.replicas", 1);
  w << "Selector:\t" << selectorText(api::find(d, "spec.selector")) << "\n";
  w << "Replicas:\t" << replicas << " desired | " << getInt(d, "status.updatedReplicas")
    << " updated | " << getInt(d, "status.replicas") << " total | "
    << getInt(d, "status.availableReplicas") << " available | "
    << getInt(d, "status.unavailableReplicas") << " unavailable\n";
  std::string strategy = getString(d, "spec.strategy.type", "RollingUpdate");
  w << "StrategyType:\t" << strategy << "\n";
  w << "MinReadySeconds:\t" << getInt(d, "spec.minReadySeconds") << "\n";
  if (strategy == "RollingUpdate") {
    auto text = [&](const char* f) {
      auto* v = api::find(d, std::string("spec.strategy.rollingUpdate.") + f);
      if (!v) return std::string("25%");
      return v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
    };
    w << "RollingUpdateStrategy:\t" << text("maxUnavailable") << " max unavailable, "
      << text("maxSurge") << " max surge\n";
  }
  w << "Pod Template:\n";
  if (auto* t = api::find(d, "spec.template")) writePodTemplate(w, *t, "  ");
  if (auto* conds = api::find(d, "status.conditions");
      conds && conds->is_array() && !conds->as_array().empty()) {
    w << "Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n";
    for (const auto& cd : conds->as_array())
      w << "  " << getString(cd, "type") << " \t" << getString(cd, "status") << "\t"
        << getString(cd, "reason") << "\n";
  }
  // Owned ReplicaSets: the one whose template matches is new, the rest old.
  const auto* rsType = api::findByKind("apps/v1", "ReplicaSet");
  client::ListOptions lo;
  lo.labelSelector = selectorText(api::find(d, "spec.selector"));
  auto list = c.list(*rsType, api::namespaceOf(d), lo);
  std::string newRs = "<none>", oldRs;
  if (list) {
    for (const auto& rs : list->at("items").as_array()) {
      bool owned = false;
      if (auto* refs = api::find(rs, "metadata.ownerReferences"); refs && refs->is_array())
        for (const auto& r : refs->as_array())
          owned = owned || (getString(r, "uid") == api::uidOf(d) && api::getBool(r, "controller"));
      if (!owned) continue;
      json::value a = *api::find(rs, "spec.template");
      json::value b = *api::find(d, "spec.template");
      if (auto* l = api::find(a, "metadata.labels"); l && l->is_object())
        l->as_object().erase("pod-template-hash");
      std::string entry = api::nameOf(rs) + " (" +
                          std::to_string(getInt(rs, "status.availableReplicas")) + "/" +
                          std::to_string(getInt(rs, "spec.replicas", 1)) + " replicas created)";
      if (a == b)
        newRs = entry;
      else if (getInt(rs, "spec.replicas", 1) > 0 || true)
        oldRs += (oldRs.empty() ? "" : ", ") + entry;
    }
  }
  w << "OldReplicaSets:\t" << (oldRs.empty() ? "<none>" : oldRs) << "\n";
  w << "NewReplicaSet:\t" << newRs << "\n";
}

void describeReplicaSet(std::ostringstream& w, const json::value& rs) {
  w << "Selector:\t" << selectorText(api::find(rs, "spec.selector")) << "\n";
  writeMap(w, "", "Labels", api::find(rs, "metadata.labels"));
  writeMap(w, "", "Annotations", api::find(rs, "metadata.annotations"), true);
  if (auto* refs = api::find(rs, "metadata.ownerReferences"); refs && refs->is_array())
    for (const auto& r : refs->as_array())
      if (api::getBool(r, "controller"))
        w << "Controlled By:\t" << getString(r, "kind") << "/" << getString(r, "name") << "\n";
  w << "Replicas:\t" << getInt(rs, "status.replicas") << " current / "
    << getInt(rs, "spec.replicas", 1) << " desired\n";
  w << "Pods Status:\t" << getInt(rs, "status.readyReplicas")
    << " Running / 0 Waiting / 0 Succeeded / 0 Failed\n";
  w << "Pod Template:\n";
  if (auto* t = api::find(rs, "spec.template")) writePodTemplate(w, *t, "  ");
}

void describePod(std::ostringstream& w, const json::value& p) {
  w << "Priority:\t0\n";
  w << "Service Account:\t" << getString(p, "spec.serviceAccountName", "default") << "\n";
  w << "Node:\t" << getString(p, "spec.nodeName", "<none>")
    << (getString(p, "status.hostIP").empty() ? "" : "/" + getString(p, "status.hostIP")) << "\n";
  if (auto t = getString(p, "status.startTime"); !t.empty())
    w << "Start Time:\t" << describeTime(t) << "\n";
  writeMap(w, "", "Labels", api::find(p, "metadata.labels"));
  writeMap(w, "", "Annotations", api::find(p, "metadata.annotations"), true);
  std::string status = getString(p, "status.phase", "Pending");
  if (api::find(p, "metadata.deletionTimestamp"))
    status = "Terminating (lasts " + std::string("<unknown>") + ")";
  w << "Status:\t" << status << "\n";
  if (auto r = getString(p, "status.reason"); !r.empty()) w << "Reason:\t" << r << "\n";
  if (auto m = getString(p, "status.message"); !m.empty()) w << "Message:\t" << m << "\n";
  w << "IP:\t" << getString(p, "status.podIP") << "\n";
  if (auto ip = getString(p, "status.podIP"); !ip.empty())
    w << "IPs:\n  IP:\t" << ip << "\n";
  else
    w << "IPs:\t<none>\n";
  if (auto* refs = api::find(p, "metadata.ownerReferences"); refs && refs->is_array())
    for (const auto& r : refs->as_array())
      if (api::getBool(r, "controller"))
        w << "Controlled By:\t" << getString(r, "kind") << "/" << getString(r, "name") << "\n";
  writeContainers(w, "", api::find(p, "spec.containers"), api::find(p, "status.containerStatuses"));
  if (auto* conds = api::find(p, "status.conditions");
      conds && conds->is_array() && !conds->as_array().empty()) {
    w << "Conditions:\n  Type\tStatus\n";
    for (const auto& cd : conds->as_array())
      w << "  " << getString(cd, "type") << " \t" << getString(cd, "status") << " \n";
  }
  auto* vols = api::find(p, "spec.volumes");
  if (!vols || !vols->is_array() || vols->as_array().empty()) w << "Volumes:\t<none>\n";
  w << "QoS Class:\t" << getString(p, "status.qosClass", "BestEffort") << "\n";
  writeMap(w, "", "Node-Selectors", api::find(p, "spec.nodeSelector"));
  w << "Tolerations:\t<none>\n";
}

void describeService(std::ostringstream& w, client::HttpClient& c, const json::value& s) {
  writeMap(w, "", "Labels", api::find(s, "metadata.labels"));
  writeMap(w, "", "Annotations", api::find(s, "metadata.annotations"), true);
  std::string sel;
  if (auto* m = api::find(s, "spec.selector"); m && m->is_object()) {
    std::map<std::string, std::string> sorted;
    for (const auto& [k, v] : m->as_object())
      sorted[std::string(k)] = v.is_string() ? std::string(v.as_string()) : "";
    for (const auto& [k, v] : sorted) sel += (sel.empty() ? "" : ",") + k + "=" + v;
  }
  w << "Selector:\t" << (sel.empty() ? "<none>" : sel) << "\n";
  w << "Type:\t" << getString(s, "spec.type", "ClusterIP") << "\n";
  w << "IP Family Policy:\t" << getString(s, "spec.ipFamilyPolicy", "SingleStack") << "\n";
  w << "IP Families:\tIPv4\n";
  w << "IP:\t" << getString(s, "spec.clusterIP", "<none>") << "\n";
  w << "IPs:\t" << getString(s, "spec.clusterIP", "<none>") << "\n";
  if (auto* ing = api::find(s, "status.loadBalancer.ingress"); ing && ing->is_array())
    for (const auto& i : ing->as_array())
      w << "LoadBalancer Ingress:\t" << getString(i, "ip") << "\n";
  // Endpoints, from the Endpoints object.
  const auto* epType = api::findByKind("v1", "Endpoints");
  auto ep = c.get(*epType, api::namespaceOf(s), api::nameOf(s), "");
  if (auto* ports = api::find(s, "spec.ports"); ports && ports->is_array()) {
    for (const auto& p : ports->as_array()) {
      std::string name = getString(p, "name", "<unset>");
      std::string proto = getString(p, "protocol", "TCP");
      w << "Port:\t" << name << "\t" << getInt(p, "port") << "/" << proto << "\n";
      auto* tp = api::find(p, "targetPort");
      w << "TargetPort:\t"
        << (tp && tp->is_string() ? getString(p, "targetPort")
                                  : std::to_string(getInt(p, "targetPort", getInt(p, "port"))))
        << "/" << proto << "\n";
      if (auto np = getInt(p, "nodePort"); np)
        w << "NodePort:\t" << name << "\t" << np << "/" << proto << "\n";
      std::string addrs;
      if (ep)
        if (auto* subsets = api::find(*ep, "subsets"); subsets && subsets->is_array())
          for (const auto& ss : subsets->as_array()) {
            auto* a = api::find(ss, "addresses");
            auto* eps = api::find(ss, "ports");
            if (!a || !a->is_array()) continue;
            int64_t port = 0;
            if (eps && eps->is_array())
              for (const auto& e : eps->as_array())
                if (getString(e, "name") == getString(p, "name") || eps->as_array().size() == 1)
                  port = getInt(e, "port");
            for (const auto& ad : a->as_array()) {
              if (!addrs.empty()) addrs += ",";
              addrs += getString(ad, "ip") + ":" + std::to_string(port);
            }
          }
      w << "Endpoints:\t" << (addrs.empty() ? "<none>" : addrs) << "\n";
    }
  }
  w << "Session Affinity:\t" << getString(s, "spec.sessionAffinity", "None") << "\n";
  if (auto p = getString(s, "spec.externalTrafficPolicy"); !p.empty())
    w << "External Traffic Policy:\t" << p << "\n";
  w << "Internal Traffic Policy:\t" << getString(s, "spec.internalTrafficPolicy", "Cluster")
    << "\n";
}

std::string describeOne(Context& ctx, client::HttpClient& c, const api::ResourceType& type,
                        const json::value& obj) {
  std::ostringstream w;
  w << "Name:\t" << api::nameOf(obj) << "\n";
  if (type.namespaced || type.custom) w << "Namespace:\t" << api::namespaceOf(obj) << "\n";
  bool metaDone = false;
  if (type.custom) {
    writeMap(w, "", "Labels", api::find(obj, "metadata.labels"));
    writeMap(w, "", "Annotations", api::find(obj, "metadata.annotations"), true);
    writeUnstructured(w, obj);
    metaDone = true;
  } else if (type.kind == "Deployment") {
    w << "CreationTimestamp:\t" << describeTime(getString(obj, "metadata.creationTimestamp"))
      << "\n";
    writeMap(w, "", "Labels", api::find(obj, "metadata.labels"));
    writeMap(w, "", "Annotations", api::find(obj, "metadata.annotations"), true);
    describeDeployment(w, c, obj);
    metaDone = true;
  } else if (type.kind == "ReplicaSet") {
    describeReplicaSet(w, obj);
    metaDone = true;
  } else if (type.kind == "Pod") {
    describePod(w, obj);
    metaDone = true;
  } else if (type.kind == "Service") {
    describeService(w, c, obj);
    metaDone = true;
  }
  if (!metaDone) {
    writeMap(w, "", "Labels", api::find(obj, "metadata.labels"));
    writeMap(w, "", "Annotations", api::find(obj, "metadata.annotations"), true);
    if (type.kind == "Namespace") {
      w << "Status:\t" << getString(obj, "status.phase", "Active")
        << "\n\nNo resource quota.\n\nNo LimitRange resource.\n";
    } else {
      for (const char* section : {"spec", "status", "subsets", "data"}) {
        if (auto* v = api::find(obj, section)) w << section << ":\t" << json::serialize(*v) << "\n";
      }
    }
  }
  if (ctx.flags.get("show-events", "true") != "false" && type.kind != "Namespace" &&
      type.kind != "Event")
    writeEvents(w, c, obj, type);
  // sluice's own section, after kubectl's (so the output above it stays byte for byte kubectl's).
  if (type.kind == "HTTPRoute" || type.kind == "TCPRoute") writeRouteTraffic(w, c, obj);
  if (type.kind == "Service") writeServiceTraffic(w, c, obj);
  return tabAlign(w.str(), 0, 2);
}

}  // namespace

int runDescribe(Context& ctx) {
  std::vector<Target> targets;
  if (!ctx.flags.all("filename").empty()) {
    auto t = targetsFromFiles(ctx, ctx.flags.getBool("recursive"));
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  } else {
    if (ctx.flags.args.empty())
      return fail(ctx,
                  clientError("You must specify the type of resource to describe. Use \"sluice "
                              "api-resources\" for a complete list of supported resources."));
    auto t = targetsFromArgs(ctx, ctx.flags.args, true);
    if (!t) return fail(ctx, t.error());
    targets = std::move(*t);
  }
  auto api = ctx.api();
  if (!api) return fail(ctx, api.error());
  auto& c = **api;
  int rc = 0;
  bool first = true;
  bool allNs = ctx.flags.getBool("all-namespaces");
  for (const auto& t : targets) {
    std::vector<json::value> objects;
    if (t.name.empty()) {
      client::ListOptions lo;
      lo.labelSelector = ctx.flags.get("selector");
      auto list = c.list(*t.type, t.type->namespaced && !allNs ? t.ns : "", lo);
      if (!list) {
        rc = fail(ctx, list.error());
        continue;
      }
      for (const auto& i : list->at("items").as_array()) objects.push_back(i);
    } else {
      // kubectl describe matches a name prefix when there is no exact match.
      auto got = c.get(*t.type, t.type->namespaced ? t.ns : "", t.name, "");
      if (got) {
        objects.push_back(*got);
      } else if (got.error().isNotFound()) {
        auto list = c.list(*t.type, t.type->namespaced ? t.ns : "", {});
        if (list)
          for (const auto& i : list->at("items").as_array())
            if (api::nameOf(i).rfind(t.name, 0) == 0) objects.push_back(i);
        if (objects.empty()) {
          rc = fail(ctx, got.error());
          continue;
        }
      } else {
        rc = fail(ctx, got.error());
        continue;
      }
    }
    for (const auto& o : objects) {
      if (!first) ctx.out << "\n\n";
      first = false;
      ctx.out << describeOne(ctx, c, *t.type, o);
    }
  }
  return rc;
}

}  // namespace sluice::cli
