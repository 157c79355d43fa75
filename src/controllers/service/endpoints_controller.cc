#include "controllers/service/endpoints_controller.h"

#include <map>

#include "api/object.h"
#include "api/selector.h"

namespace sluice::controllers {

namespace {

const api::ResourceType& serviceType() {
  return *api::findByKind("v1", "Service");
}
const api::ResourceType& podType() {
  return *api::findByKind("v1", "Pod");
}
const api::ResourceType& endpointsType() {
  return *api::findByKind("v1", "Endpoints");
}
const api::ResourceType& sliceType() {
  return *api::findByKind("discovery.k8s.io/v1", "EndpointSlice");
}

api::Labels mapSelector(const json::value& svc) {
  api::Labels out;
  if (auto* sel = api::find(svc, "spec.selector"); sel && sel->is_object())
    for (const auto& [k, v] : sel->as_object())
      if (v.is_string()) out[std::string(k)] = std::string(v.as_string());
  return out;
}

// The container port a Service port's targetPort names on `pod`; 0 when it names none.
int64_t resolveTargetPort(const json::value& servicePort, const json::value& pod) {
  const json::value* target = api::find(servicePort, "targetPort");
  if (!target) return api::getInt(servicePort, "port");
  if (target->is_int64()) return target->as_int64();
  if (!target->is_string()) return 0;
  std::string name(target->as_string());
  if (auto* containers = api::find(pod, "spec.containers"); containers && containers->is_array())
    for (const auto& c : containers->as_array())
      if (auto* ports = api::find(c, "ports"); ports && ports->is_array())
        for (const auto& p : ports->as_array())
          if (api::getString(p, "name") == name) return api::getInt(p, "containerPort");
  return 0;
}

json::object targetRef(const json::value& pod) {
  return json::object{{"kind", "Pod"},
                      {"namespace", api::namespaceOf(pod)},
                      {"name", api::nameOf(pod)},
                      {"uid", api::uidOf(pod)}};
}

}  // namespace

EndpointsController::EndpointsController(client::Client& client, client::SharedInformers& informers,
                                         const base::Clock& clock, base::Logger log)
    : client_(client),
      clock_(clock),
      services_(informers.informer(serviceType())),
      pods_(informers.informer(podType())),
      log_(std::move(log)),
      queue_(clock),
      events_(client, "endpoint-controller", clock, log_) {
  auto svc = [this](const client::ObjectPtr& s) { queue_.add(client::Informer::keyOf(*s)); };
  services_.addHandlers(
      {svc, [svc](const client::ObjectPtr&, const client::ObjectPtr& s) { svc(s); }, svc});
  pods_.addHandlers({
      [this](const client::ObjectPtr& p) { enqueueServicesFor(p); },
      [this](const client::ObjectPtr& old, const client::ObjectPtr& p) {
        if (old != p) enqueueServicesFor(old);
        enqueueServicesFor(p);
      },
      [this](const client::ObjectPtr& p) { enqueueServicesFor(p); },
  });
}

EndpointsController::~EndpointsController() {
  stop();
}

void EndpointsController::start() {
  workers_ = std::make_unique<Workers>(
      queue_, [this](const std::string& k) { return sync(k); }, 2, log_);
}

void EndpointsController::stop() {
  if (workers_) workers_->stop();
}

void EndpointsController::enqueueServicesFor(const client::ObjectPtr& pod) {
  auto labels = api::labelsFrom(api::find(*pod, "metadata.labels"));
  for (const auto& svc : services_.listNamespace(api::namespaceOf(*pod))) {
    auto sel = mapSelector(*svc);
    if (sel.empty()) continue;
    if (api::LabelSelector::fromMap(sel).matches(labels)) queue_.add(client::Informer::keyOf(*svc));
  }
}

api::Status EndpointsController::sync(const std::string& key) {
  auto [ns, name] = splitKey(key);
  auto svc = services_.get(key);
  if (!svc) {
    // The Service is gone: so are its Endpoints (slices go with their owner reference).
    return api::ignoreNotFound(client_.remove(endpointsType(), ns, name, {}));
  }
  auto selector = mapSelector(*svc);
  if (selector.empty()) return {};  // hand-made Endpoints stay as they are
  auto matcher = api::LabelSelector::fromMap(selector);
  auto* svcPorts = api::find(*svc, "spec.ports");

  // Endpoints: pods grouped by their resolved port list, as the Kubernetes controller does.
  struct Subset {
    json::array ready, notReady, ports;
  };
  std::map<std::string, Subset> subsets;
  json::array sliceEndpoints;
  std::map<std::string, json::object> slicePorts;  // port name -> port
  for (const auto& pod : pods_.listNamespace(ns)) {
    if (!matcher.matches(api::labelsFrom(api::find(*pod, "metadata.labels")))) continue;
    std::string ip = api::getString(*pod, "status.podIP");
    if (ip.empty()) continue;
    std::string phase = api::getString(*pod, "status.phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    bool terminating = api::find(*pod, "metadata.deletionTimestamp") != nullptr;
    bool ready = isPodReady(*pod) && !terminating;
    json::array ports;
    std::string portsKey;
    if (svcPorts && svcPorts->is_array()) {
      for (const auto& sp : svcPorts->as_array()) {
        int64_t port = resolveTargetPort(sp, *pod);
        if (port == 0) continue;
        json::object p{{"port", port}, {"protocol", api::getString(sp, "protocol", "TCP")}};
        if (auto n = api::getString(sp, "name"); !n.empty()) p["name"] = n;
        if (auto ap = api::getString(sp, "appProtocol"); !ap.empty()) p["appProtocol"] = ap;
        portsKey += json::serialize(p);
        slicePorts[api::getString(sp, "name")] = p;
        ports.push_back(std::move(p));
      }
    }
    json::object address{{"ip", ip}, {"targetRef", targetRef(*pod)}};
    if (auto node = api::getString(*pod, "spec.nodeName"); !node.empty())
      address["nodeName"] = node;
    auto& subset = subsets[portsKey];
    subset.ports = ports;
    (ready ? subset.ready : subset.notReady).push_back(address);
    json::object ep{{"addresses", json::array{json::string(ip)}},
                    {"conditions", json::object{{"ready", ready},
                                                {"serving", isPodReady(*pod)},
                                                {"terminating", terminating}}},
                    {"targetRef", targetRef(*pod)}};
    if (auto node = api::getString(*pod, "spec.nodeName"); !node.empty()) ep["nodeName"] = node;
    sliceEndpoints.push_back(std::move(ep));
  }
  // Say why a Service has nowhere to send traffic, once per change of reason.
  size_t matched = 0, readyCount = 0;
  for (auto& [k, sub] : subsets) {
    matched += sub.ready.size() + sub.notReady.size();
    readyCount += sub.ready.size();
  }
  std::string why;
  if (readyCount == 0) {
    why = matched == 0 ? "no pods match the selector " + matcher.toString()
                       : std::to_string(matched) + " pod(s) match the selector " +
                             matcher.toString() + " but none is ready";
  }
  {
    std::lock_guard lock(reasonsMu_);
    auto& last = noEndpointsReason_[key];
    if (why != last) {
      last = why;
      if (!why.empty())
        events_.record(*svc, "Warning", "NoReadyEndpoints",
                       "Service has no ready endpoints: " + why);
    }
  }
  json::array subsetList;
  for (auto& [k, s] : subsets) {
    json::object o;
    if (!s.ready.empty()) o["addresses"] = s.ready;
    if (!s.notReady.empty()) o["notReadyAddresses"] = s.notReady;
    if (!s.ports.empty()) o["ports"] = s.ports;
    subsetList.push_back(std::move(o));
  }
  json::object labels;
  if (auto* l = api::find(*svc, "metadata.labels"); l && l->is_object()) labels = l->as_object();
  json::object endpoints{
      {"apiVersion", "v1"},
      {"kind", "Endpoints"},
      {"metadata", json::object{{"name", name}, {"namespace", ns}, {"labels", labels}}},
      {"subsets", subsetList}};
  // A create that finds the object there, or an update that finds it gone, met another writer
  // between the read and the write: the error fails the pass, which is logged and retried.
  auto current = client_.get(endpointsType(), ns, name, "");
  if (!current) {
    if (!current.error().isNotFound()) return current.error();
    auto r = client_.create(endpointsType(), ns, endpoints);
    if (!r) return r.error();
  } else {
    const json::value* cs = api::find(*current, "subsets");
    json::value currentSubsets = cs ? *cs : json::array{};
    if (currentSubsets != json::value(subsetList)) {
      json::value next = *current;
      next.as_object()["subsets"] = subsetList;
      auto r = client_.update(endpointsType(), ns, name, next);
      if (!r) return r.error();
    }
  }

  // One EndpointSlice per Service (sluice is one node; a Service's endpoints fit one slice).
  std::string sliceName = name + "-sluice";
  json::array ports;
  for (auto& [n, p] : slicePorts) ports.push_back(p);
  json::object sliceLabels = labels;
  sliceLabels["kubernetes.io/service-name"] = name;
  sliceLabels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
  json::object owner{{"apiVersion", "v1"},      {"kind", "Service"},  {"name", name},
                     {"uid", api::uidOf(*svc)}, {"controller", true}, {"blockOwnerDeletion", true}};
  json::object slice{{"apiVersion", "discovery.k8s.io/v1"},
                     {"kind", "EndpointSlice"},
                     {"metadata", json::object{{"name", sliceName},
                                               {"namespace", ns},
                                               {"labels", sliceLabels},
                                               {"ownerReferences", json::array{owner}}}},
                     {"addressType", "IPv4"},
                     {"endpoints", sliceEndpoints},
                     {"ports", ports}};
  auto currentSlice = client_.get(sliceType(), ns, sliceName, "");
  if (!currentSlice) {
    if (!currentSlice.error().isNotFound()) return currentSlice.error();
    auto r = client_.create(sliceType(), ns, slice);
    if (!r) return r.error();
  } else {
    const json::value* ce = api::find(*currentSlice, "endpoints");
    const json::value* cp = api::find(*currentSlice, "ports");
    if (!ce || *ce != json::value(sliceEndpoints) || !cp || *cp != json::value(ports)) {
      json::value next = *currentSlice;
      next.as_object()["endpoints"] = sliceEndpoints;
      next.as_object()["ports"] = ports;
      auto r = client_.update(sliceType(), ns, sliceName, next);
      if (!r) return r.error();
    }
  }
  return {};
}

}  // namespace sluice::controllers
