#include "apiserver/tables.h"

#include <map>

#include "api/jsonpath.h"
#include "api/object.h"
#include "api/selector.h"

namespace sluice::apiserver {

namespace json = boost::json;
using api::find;
using api::getInt;
using api::getString;

namespace {

struct Column {
  const char* name;
  const char* type;
  int priority;
  const char* description;
};

using Row = json::array;
using Clock = std::chrono::system_clock;

std::string age(const json::value& o, Clock::time_point now) {
  Clock::time_point created;
  if (!api::parseTimestamp(getString(o, "metadata.creationTimestamp"), created)) return "<unknown>";
  return api::humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - created));
}

std::string sinceText(const std::string& ts, Clock::time_point now) {
  Clock::time_point t;
  if (!api::parseTimestamp(ts, t)) return "<unknown>";
  return api::humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - t));
}

std::string joinField(const json::value* list, const char* field) {
  std::string out;
  if (!list || !list->is_array()) return out;
  for (const auto& c : list->as_array()) {
    if (!out.empty()) out += ",";
    out += getString(c, field);
  }
  return out;
}

std::string mapSelector(const json::value* sel) {
  if (!sel || !sel->is_object() || sel->as_object().empty()) return "<none>";
  std::map<std::string, std::string> sorted;
  for (const auto& [k, v] : sel->as_object())
    sorted[std::string(k)] = v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  std::string out;
  for (const auto& [k, v] : sorted) {
    if (!out.empty()) out += ",";
    out += k + "=" + v;
  }
  return out;
}

std::string labelSelector(const json::value* sel) {
  if (!sel) return "<none>";
  auto parsed = api::LabelSelector::fromJson(*sel);
  if (!parsed) return "<invalid>";
  auto s = parsed->toString();
  return s.empty() ? "<none>" : s;
}

std::string orNone(std::string s) {
  return s.empty() ? "<none>" : s;
}

// --- pods -----------------------------------------------------------------------------------

const std::vector<Column> kPodColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."},
    {"Status", "string", 0, "The aggregate status of the containers in this pod."},
    {"Restarts", "string", 0,
     "The number of times the containers in this pod have been restarted and when the last "
     "container in this pod has restarted."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
    {"IP", "string", 1, "podIP is an IP address allocated to the pod."},
    {"Node", "string", 1, "NodeName indicates in which node this pod is scheduled."},
    {"Nominated Node", "string", 1,
     "nominatedNodeName is set when this pod preempts other pods on the node."},
    {"Readiness Gates", "string", 1,
     "If specified, all readiness gates will be evaluated for pod readiness."},
};

Row podRow(const json::value& o, Clock::time_point now) {
  int total = 0, ready = 0;
  int64_t restarts = 0;
  std::string reason = getString(o, "status.phase", "Pending");
  if (auto r = getString(o, "status.reason"); !r.empty()) reason = r;
  if (auto* specContainers = find(o, "spec.containers");
      specContainers && specContainers->is_array())
    total = static_cast<int>(specContainers->as_array().size());
  std::string lastRestart;
  bool initializing = false;
  if (auto* inits = find(o, "status.initContainerStatuses"); inits && inits->is_array()) {
    int i = 0;
    for (const auto& c : inits->as_array()) {
      restarts += getInt(c, "restartCount");
      auto term = find(c, "state.terminated");
      auto waiting = getString(c, "state.waiting.reason");
      if (term && getInt(*term, "exitCode") == 0) {
        ++i;
        continue;
      }
      initializing = true;
      if (term)
        reason = "Init:" + getString(*term, "reason", "Error");
      else if (!waiting.empty() && waiting != "PodInitializing")
        reason = "Init:" + waiting;
      else
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(inits->as_array().size());
      break;
    }
  }
  if (auto* statuses = find(o, "status.containerStatuses"); statuses && statuses->is_array()) {
    bool hasRunning = false;
    for (auto it = statuses->as_array().rbegin(); it != statuses->as_array().rend(); ++it) {
      const auto& c = *it;
      restarts += getInt(c, "restartCount");
      if (auto t = getString(c, "lastState.terminated.finishedAt"); !t.empty() && t > lastRestart)
        lastRestart = t;
      if (initializing) continue;
      auto waiting = getString(c, "state.waiting.reason");
      auto* term = find(c, "state.terminated");
      if (!waiting.empty()) {
        reason = waiting;
      } else if (term) {
        auto r = getString(*term, "reason");
        if (!r.empty())
          reason = r;
        else if (auto sig = getInt(*term, "signal"); sig != 0)
          reason = "Signal:" + std::to_string(sig);
        else
          reason = "ExitCode:" + std::to_string(getInt(*term, "exitCode"));
      } else if (find(c, "state.running") && api::getBool(c, "ready")) {
        hasRunning = true;
        ++ready;
      } else if (find(c, "state.running")) {
        hasRunning = true;
      }
    }
    if (!initializing && reason == "Completed" && hasRunning) reason = "Running";
  }
  if (find(o, "metadata.deletionTimestamp")) {
    reason = getString(o, "status.reason") == "NodeLost" ? "Unknown" : "Terminating";
  }
  std::string restartText = std::to_string(restarts);
  if (restarts > 0 && !lastRestart.empty())
    restartText += " (" + sinceText(lastRestart, now) + " ago)";
  std::string gates = "<none>";
  if (auto* g = find(o, "spec.readinessGates"); g && g->is_array() && !g->as_array().empty()) {
    int met = 0;
    gates = "0/" + std::to_string(g->as_array().size());
    (void)met;
  }
  return Row{api::nameOf(o),
             std::to_string(ready) + "/" + std::to_string(total),
             reason,
             restartText,
             age(o, now),
             orNone(getString(o, "status.podIP")),
             orNone(getString(o, "spec.nodeName")),
             orNone(getString(o, "status.nominatedNodeName")),
             gates};
}

// --- services -------------------------------------------------------------------------------

const std::vector<Column> kServiceColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Type", "string", 0, "type determines how the Service is exposed."},
    {"Cluster-IP", "string", 0, "clusterIP is the IP address of the service."},
    {"External-IP", "string", 0,
     "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
     "traffic for this service."},
    {"Port(s)", "string", 0, "The list of ports that are exposed by this service."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
    {"Selector", "string", 1,
     "Route service traffic to pods with label keys and values matching this selector."},
};

Row serviceRow(const json::value& o, Clock::time_point now) {
  std::string type = getString(o, "spec.type", "ClusterIP");
  std::string external;
  auto addIps = [&](const json::value* list, const char* field) {
    if (!list || !list->is_array()) return;
    for (const auto& e : list->as_array()) {
      std::string ip =
          field ? getString(e, field) : (e.is_string() ? std::string(e.as_string()) : "");
      if (field && ip.empty()) ip = getString(e, "hostname");
      if (ip.empty()) continue;
      if (!external.empty()) external += ",";
      external += ip;
    }
  };
  addIps(find(o, "spec.externalIPs"), nullptr);
  if (type == "LoadBalancer") {
    addIps(find(o, "status.loadBalancer.ingress"), "ip");
    if (external.empty()) external = "<pending>";
  } else if (type == "ExternalName") {
    external = getString(o, "spec.externalName");
  }
  if (external.empty()) external = "<none>";
  std::string ports;
  if (auto* list = find(o, "spec.ports"); list && list->is_array()) {
    for (const auto& p : list->as_array()) {
      if (!ports.empty()) ports += ",";
      ports += std::to_string(getInt(p, "port"));
      if (auto np = getInt(p, "nodePort"); np != 0) ports += ":" + std::to_string(np);
      ports += "/" + getString(p, "protocol", "TCP");
    }
  }
  if (ports.empty()) ports = "<none>";
  return Row{api::nameOf(o), type,        orNone(getString(o, "spec.clusterIP")), external,
             ports,          age(o, now), mapSelector(find(o, "spec.selector"))};
}

// --- deployments and replicasets ------------------------------------------------------------

const std::vector<Column> kDeploymentColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Ready", "string", 0, "Number of the pod with ready state"},
    {"Up-to-date", "integer", 0,
     "Total number of non-terminated pods targeted by this deployment that have the desired "
     "template spec."},
    {"Available", "integer", 0,
     "Total number of available pods (ready for at least minReadySeconds) targeted by this "
     "deployment."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
    {"Containers", "string", 1, "Names of each container in the template."},
    {"Images", "string", 1, "Images referenced by each container in the template."},
    {"Selector", "string", 1,
     "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
     "ones affected by this deployment."},
};

Row deploymentRow(const json::value& o, Clock::time_point now) {
  auto* containers = find(o, "spec.template.spec.containers");
  return Row{api::nameOf(o),
             std::to_string(getInt(o, "status.readyReplicas")) + "/" +
                 std::to_string(getInt(o, "spec.replicas", 1)),
             getInt(o, "status.updatedReplicas"),
             getInt(o, "status.availableReplicas"),
             age(o, now),
             joinField(containers, "name"),
             joinField(containers, "image"),
             labelSelector(find(o, "spec.selector"))};
}

const std::vector<Column> kReplicaSetColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Desired", "integer", 0, "Replicas is the number of desired replicas."},
    {"Current", "integer", 0, "Replicas is the most recently observed number of replicas."},
    {"Ready", "integer", 0, "The number of ready replicas for this replica set."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
    {"Containers", "string", 1, "Names of each container in the template."},
    {"Images", "string", 1, "Images referenced by each container in the template."},
    {"Selector", "string", 1,
     "Selector is a label query over pods that should match the replica count."},
};

Row replicaSetRow(const json::value& o, Clock::time_point now) {
  auto* containers = find(o, "spec.template.spec.containers");
  return Row{api::nameOf(o),
             getInt(o, "spec.replicas", 1),
             getInt(o, "status.replicas"),
             getInt(o, "status.readyReplicas"),
             age(o, now),
             joinField(containers, "name"),
             joinField(containers, "image"),
             labelSelector(find(o, "spec.selector"))};
}

// --- the rest -------------------------------------------------------------------------------

const std::vector<Column> kNamespaceColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Status", "string", 0, "The status of the namespace"},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
};

Row namespaceRow(const json::value& o, Clock::time_point now) {
  return Row{api::nameOf(o), getString(o, "status.phase", "Active"), age(o, now)};
}

const std::vector<Column> kEndpointsColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Endpoints", "string", 0, "Endpoints of the service"},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
};

Row endpointsRow(const json::value& o, Clock::time_point now) {
  std::vector<std::string> eps;
  size_t total = 0;
  if (auto* subsets = find(o, "subsets"); subsets && subsets->is_array()) {
    for (const auto& s : subsets->as_array()) {
      auto* addrs = find(s, "addresses");
      auto* ports = find(s, "ports");
      if (!addrs || !addrs->is_array()) continue;
      for (const auto& a : addrs->as_array()) {
        if (ports && ports->is_array() && !ports->as_array().empty()) {
          for (const auto& p : ports->as_array()) {
            ++total;
            if (eps.size() < 3)
              eps.push_back(getString(a, "ip") + ":" + std::to_string(getInt(p, "port")));
          }
        } else {
          ++total;
          if (eps.size() < 3) eps.push_back(getString(a, "ip"));
        }
      }
    }
  }
  std::string text;
  for (const auto& e : eps) text += (text.empty() ? "" : ",") + e;
  if (total > eps.size()) text += " + " + std::to_string(total - eps.size()) + " more...";
  return Row{api::nameOf(o), text.empty() ? "<none>" : text, age(o, now)};
}

const std::vector<Column> kEventColumns = {
    {"Last Seen", "string", 0, "Time when last instance of this event occurred"},
    {"Type", "string", 0, "Type of this event"},
    {"Reason", "string", 0, "This should be a short, machine understandable string"},
    {"Object", "string", 0, "The object that this event is about."},
    {"Subobject", "string", 1, "The subobject that this event is about."},
    {"Source", "string", 1, "The component reporting this event."},
    {"Message", "string", 0, "A human-readable description of the status of this operation."},
    {"First Seen", "string", 1, "Time when first instance of this event occurred"},
    {"Count", "string", 1, "The number of times this event has occurred."},
    {"Name", "string", 1, "Name must be unique within a namespace."},
};

Row eventRow(const json::value& o, Clock::time_point now) {
  std::string last = getString(o, "lastTimestamp");
  if (last.empty()) last = getString(o, "eventTime");
  if (last.empty()) last = getString(o, "metadata.creationTimestamp");
  std::string first = getString(o, "firstTimestamp", last);
  std::string kind = getString(o, "involvedObject.kind");
  for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return Row{sinceText(last, now),
             getString(o, "type"),
             getString(o, "reason"),
             kind + "/" + getString(o, "involvedObject.name"),
             getString(o, "involvedObject.fieldPath"),
             getString(o, "source.component"),
             getString(o, "message"),
             sinceText(first, now),
             std::to_string(getInt(o, "count", 1)),
             api::nameOf(o)};
}

const std::vector<Column> kNodeColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Status", "string", 0, "The status of the node"},
    {"Roles", "string", 0, "The roles of the node"},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
    {"Version", "string", 0, "Kubelet Version reported by the node."},
    {"Internal-IP", "string", 1, "List of addresses reachable to the node."},
    {"External-IP", "string", 1, "List of addresses reachable to the node."},
    {"OS-Image", "string", 1,
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."},
    {"Kernel-Version", "string", 1,
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."},
    {"Container-Runtime", "string", 1,
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2)."},
};

Row nodeRow(const json::value& o, Clock::time_point now) {
  std::string status = "Unknown";
  if (auto* conds = find(o, "status.conditions"); conds && conds->is_array())
    for (const auto& c : conds->as_array())
      if (getString(c, "type") == "Ready")
        status = getString(c, "status") == "True" ? "Ready" : "NotReady";
  std::string internal;
  if (auto* addrs = find(o, "status.addresses"); addrs && addrs->is_array())
    for (const auto& a : addrs->as_array())
      if (getString(a, "type") == "InternalIP") internal = getString(a, "address");
  return Row{api::nameOf(o),
             status,
             "<none>",
             age(o, now),
             getString(o, "status.nodeInfo.kubeletVersion"),
             orNone(internal),
             "<none>",
             getString(o, "status.nodeInfo.osImage"),
             getString(o, "status.nodeInfo.kernelVersion"),
             getString(o, "status.nodeInfo.containerRuntimeVersion")};
}

const std::vector<Column> kEndpointSliceColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"AddressType", "string", 0,
     "addressType specifies the type of address carried by this EndpointSlice."},
    {"Ports", "string", 0,
     "ports specifies the list of network ports exposed by each endpoint in this slice."},
    {"Endpoints", "string", 0, "endpoints is a list of unique endpoints in this slice."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
};

Row endpointSliceRow(const json::value& o, Clock::time_point now) {
  std::string ports;
  if (auto* list = find(o, "ports"); list && list->is_array())
    for (const auto& p : list->as_array())
      ports += (ports.empty() ? "" : ",") + std::to_string(getInt(p, "port"));
  std::vector<std::string> addrs;
  size_t total = 0;
  if (auto* eps = find(o, "endpoints"); eps && eps->is_array())
    for (const auto& e : eps->as_array())
      if (auto* a = find(e, "addresses"); a && a->is_array())
        for (const auto& ip : a->as_array()) {
          ++total;
          if (addrs.size() < 3 && ip.is_string()) addrs.emplace_back(ip.as_string());
        }
  std::string text;
  for (const auto& a : addrs) text += (text.empty() ? "" : ",") + a;
  if (total > addrs.size()) text += " + " + std::to_string(total - addrs.size()) + " more...";
  return Row{api::nameOf(o), getString(o, "addressType"), ports.empty() ? "<unset>" : ports,
             text.empty() ? "<unset>" : text, age(o, now)};
}

const std::vector<Column> kGenericColumns = {
    {"Name", "string", 0, "Name must be unique within a namespace."},
    {"Age", "string", 0,
     "CreationTimestamp is a timestamp representing the server time when this object was created."},
};

Row genericRow(const json::value& o, Clock::time_point now) {
  return Row{api::nameOf(o), age(o, now)};
}

struct Printer {
  const std::vector<Column>* columns;
  Row (*row)(const json::value&, Clock::time_point);
};

Printer printerFor(const std::string& kind) {
  static const std::map<std::string, Printer> printers = {
      {"Pod", {&kPodColumns, podRow}},
      {"Service", {&kServiceColumns, serviceRow}},
      {"Deployment", {&kDeploymentColumns, deploymentRow}},
      {"ReplicaSet", {&kReplicaSetColumns, replicaSetRow}},
      {"Namespace", {&kNamespaceColumns, namespaceRow}},
      {"Endpoints", {&kEndpointsColumns, endpointsRow}},
      {"Event", {&kEventColumns, eventRow}},
      {"Node", {&kNodeColumns, nodeRow}},
      {"EndpointSlice", {&kEndpointSliceColumns, endpointSliceRow}},
  };
  auto it = printers.find(kind);
  return it == printers.end() ? Printer{&kGenericColumns, genericRow} : it->second;
}

json::object partialMetadata(const json::value& o) {
  json::object meta;
  if (auto* m = find(o, "metadata"); m && m->is_object()) {
    for (const auto& [k, v] : m->as_object())
      if (k != "managedFields") meta[k] = v;
  }
  return json::object{{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", std::move(meta)}};
}

// --- custom resources: the printer columns of the CRD ------------------------------------------

// One cell as the API server's CRD table convertor makes it: the first result of the column's
// JSONPath (a string column prints it as JSONPath does, a date column prints its age), or null
// when there is none.
json::value customCell(const api::PrinterColumn& column, const json::value& o,
                       Clock::time_point now) {
  std::string path = column.jsonPath;
  // `[*]` would join every result; the convertor takes the first.
  for (size_t at; (at = path.find("[*]")) != std::string::npos;) path.replace(at, 3, "[0]");
  auto text = api::evaluateJsonPath("{" + path + "}", o, true);
  if (!text || text->empty()) return nullptr;
  if (column.type == "date") return json::string(sinceText(*text, now));
  if (column.type == "string") return json::string(*text);
  boost::system::error_code ec;
  json::value parsed = json::parse(*text, ec);  // integer, number, boolean
  return ec ? json::value(json::string(*text)) : parsed;
}

json::object customTable(const api::ResourceType& type,
                         const std::vector<const json::value*>& objects,
                         const std::string& resourceVersion, bool includeColumns,
                         Clock::time_point now) {
  json::object table{{"kind", "Table"},
                     {"apiVersion", "meta.k8s.io/v1"},
                     {"metadata", json::object{{"resourceVersion", resourceVersion}}}};
  if (includeColumns) {
    json::array cols{json::object{
        {"name", "Name"},
        {"type", "string"},
        {"format", "name"},
        {"description",
         "Name must be unique within a namespace. Is required when creating resources, although "
         "some resources may allow a client to request the generation of an appropriate name "
         "automatically. Name is primarily intended for creation idempotence and configuration "
         "definition. Cannot be updated. More info: "
         "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"},
        {"priority", 0}}};
    for (const auto& c : type.printerColumns)
      cols.push_back(json::object{
          {"name", c.name},
          {"type", c.type},
          {"format", ""},
          {"description", "Custom resource definition column (in JSONPath format): " + c.jsonPath},
          {"priority", c.priority}});
    table["columnDefinitions"] = std::move(cols);
  }
  json::array rows;
  for (const auto* o : objects) {
    json::array cells{json::string(api::nameOf(*o))};
    for (const auto& c : type.printerColumns) cells.push_back(customCell(c, *o, now));
    rows.push_back(json::object{{"cells", std::move(cells)}, {"object", partialMetadata(*o)}});
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace

json::object toTable(const api::ResourceType& type, const std::vector<const json::value*>& objects,
                     const std::string& resourceVersion, bool includeColumns,
                     Clock::time_point now) {
  if (type.custom) return customTable(type, objects, resourceVersion, includeColumns, now);
  Printer printer = printerFor(type.kind);
  json::object table{{"kind", "Table"},
                     {"apiVersion", "meta.k8s.io/v1"},
                     {"metadata", json::object{{"resourceVersion", resourceVersion}}}};
  if (includeColumns) {
    json::array cols;
    for (const auto& c : *printer.columns) {
      cols.push_back(json::object{{"name", c.name},
                                  {"type", c.type},
                                  {"format", std::string(c.name) == "Name" ? "name" : ""},
                                  {"description", c.description},
                                  {"priority", c.priority}});
    }
    table["columnDefinitions"] = std::move(cols);
  }
  json::array rows;
  for (const auto* o : objects)
    rows.push_back(json::object{{"cells", printer.row(*o, now)}, {"object", partialMetadata(*o)}});
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace sluice::apiserver
