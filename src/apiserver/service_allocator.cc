#include "apiserver/service_allocator.h"

#include <random>

#include <arpa/inet.h>

#include "api/cidr.h"
#include "api/object.h"

namespace sluice::apiserver {

namespace json = boost::json;

namespace {

std::optional<uint32_t> parseIp(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

api::Error invalid(const json::object& svc, const std::string& field, const std::string& message) {
  return api::Error::invalid("Service", "", api::getString(json::value(svc), "metadata.name"),
                             {{"FieldValueInvalid", message, field}});
}

std::set<int> nodePortsOf(const json::value* svc) {
  std::set<int> out;
  if (!svc) return out;
  if (auto* ports = api::find(*svc, "spec.ports"); ports && ports->is_array())
    for (const auto& p : ports->as_array())
      if (auto n = api::getInt(p, "nodePort"); n > 0) out.insert(static_cast<int>(n));
  return out;
}

std::vector<std::string> ingressIps(const json::value* svc) {
  std::vector<std::string> out;
  if (!svc) return out;
  if (auto* ing = api::find(*svc, "status.loadBalancer.ingress"); ing && ing->is_array())
    for (const auto& i : ing->as_array())
      if (auto ip = api::getString(i, "ip"); !ip.empty()) out.push_back(ip);
  return out;
}

}  // namespace

api::Result<std::unique_ptr<ServiceAllocator>> ServiceAllocator::create(Options options) {
  auto cluster = api::parseLoopbackCidr(options.serviceCidr);
  if (!cluster)
    return api::Error::badRequest("--service-cidr " + options.serviceCidr + ": " +
                                  cluster.error().message);
  auto lb = api::parseLoopbackCidr(options.loadBalancerCidr);
  if (!lb)
    return api::Error::badRequest("--loadbalancer-cidr " + options.loadBalancerCidr + ": " +
                                  lb.error().message);
  std::unique_ptr<ServiceAllocator> a(new ServiceAllocator());
  a->options_ = options;
  a->clusterIps_ = api::IpPool(cluster->first, cluster->second);
  a->lbIps_ = api::IpPool(lb->first, lb->second);
  a->nextNodePort_ = options.firstNodePort;
  if (a->nextNodePort_ < options.nodePortMin || a->nextNodePort_ > options.nodePortMax) {
    std::random_device seed;
    a->nextNodePort_ = options.nodePortMin +
                       static_cast<int>(seed() % static_cast<unsigned>(options.nodePortMax -
                                                                       options.nodePortMin + 1));
  }
  return a;
}

void ServiceAllocator::observe(const json::value& svc) {
  std::lock_guard lock(mu_);
  if (auto ip = parseIp(api::getString(svc, "spec.clusterIP"))) clusterIps_.markUsed(*ip);
  for (int p : nodePortsOf(&svc)) nodePorts_.insert(p);
  for (const auto& s : ingressIps(&svc))
    if (auto ip = parseIp(s)) lbIps_.markUsed(*ip);
}

void ServiceAllocator::release(const json::value& svc) {
  std::lock_guard lock(mu_);
  if (auto ip = parseIp(api::getString(svc, "spec.clusterIP"))) clusterIps_.release(*ip);
  for (int p : nodePortsOf(&svc)) nodePorts_.erase(p);
  for (const auto& s : ingressIps(&svc))
    if (auto ip = parseIp(s)) lbIps_.release(*ip);
}

api::Status ServiceAllocator::admit(json::object& svc, const json::object* old) {
  std::lock_guard lock(mu_);
  json::value view = svc;
  std::string type = api::getString(view, "spec.type", "ClusterIP");
  auto& spec = svc["spec"].as_object();
  json::value oldView = old ? json::value(*old) : json::value();

  // ClusterIP: kept across updates; allocated once; "None" is headless.
  if (type != "ExternalName") {
    std::string want = api::getString(view, "spec.clusterIP");
    std::string had = old ? api::getString(oldView, "spec.clusterIP") : "";
    if (want.empty() && !had.empty()) want = had;
    if (want.empty()) {
      uint32_t ip = clusterIps_.allocate();
      if (!ip)
        return invalid(svc, "spec.clusterIP",
                       "Internal error: range is full: no more IPs in " + options_.serviceCidr);
      want = api::ipToString(ip);
    } else if (want != "None" && want != had) {
      auto ip = parseIp(want);
      if (!ip || !clusterIps_.contains(*ip))
        return invalid(svc, "spec.clusterIP",
                       "Invalid value: \"" + want +
                           "\": provided IP is not in the valid range. The range of valid IPs is " +
                           options_.serviceCidr);
      if (clusterIps_.inUse(*ip))
        return invalid(svc, "spec.clusterIP",
                       "Invalid value: \"" + want + "\": provided IP is already allocated");
      clusterIps_.claim(*ip);
    }
    spec["clusterIP"] = want;
    spec["clusterIPs"] = json::array{json::string(want)};
  }

  // Node ports for NodePort and LoadBalancer Services.
  std::set<int> oldPorts = nodePortsOf(old ? &oldView : nullptr);
  std::set<int> keep;
  if ((type == "NodePort" || type == "LoadBalancer") && spec.contains("ports") &&
      spec["ports"].is_array()) {
    size_t i = 0;
    for (auto& p : spec["ports"].as_array()) {
      auto& port = p.as_object();
      int64_t np = api::getInt(p, "nodePort");
      if (np == 0) {
        // An update keeps the node port the same port had.
        if (old)
          if (auto* ops = api::find(oldView, "spec.ports"); ops && ops->is_array())
            for (const auto& op : ops->as_array())
              if (api::getInt(op, "port") == api::getInt(p, "port") &&
                  api::getInt(op, "nodePort") > 0)
                np = api::getInt(op, "nodePort");
      }
      if (np == 0) {
        int range = options_.nodePortMax - options_.nodePortMin + 1;
        for (int t = 0; t < range && np == 0; ++t) {
          int candidate = nextNodePort_;
          nextNodePort_ =
              nextNodePort_ >= options_.nodePortMax ? options_.nodePortMin : nextNodePort_ + 1;
          if (!nodePorts_.count(candidate) && !keep.count(candidate)) np = candidate;
        }
        if (np == 0)
          return invalid(svc, "spec.ports[" + std::to_string(i) + "].nodePort",
                         "Internal error: range is full: no more node ports");
      } else if (np < options_.nodePortMin || np > options_.nodePortMax) {
        return invalid(
            svc, "spec.ports[" + std::to_string(i) + "].nodePort",
            "Invalid value: " + std::to_string(np) +
                ": provided port is not in the valid range. The range of valid ports is " +
                std::to_string(options_.nodePortMin) + "-" + std::to_string(options_.nodePortMax));
      } else if ((nodePorts_.count(static_cast<int>(np)) &&
                  !oldPorts.count(static_cast<int>(np))) ||
                 keep.count(static_cast<int>(np))) {
        return invalid(
            svc, "spec.ports[" + std::to_string(i) + "].nodePort",
            "Invalid value: " + std::to_string(np) + ": provided port is already allocated");
      }
      keep.insert(static_cast<int>(np));
      port["nodePort"] = np;
      ++i;
    }
  } else if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"].as_array()) p.as_object().erase("nodePort");
  }
  for (int p : oldPorts)
    if (!keep.count(p)) nodePorts_.erase(p);
  for (int p : keep) nodePorts_.insert(p);

  // LoadBalancer: an external IP from the loopback LB range, in status as a cloud would put it.
  std::vector<std::string> hadIngress = ingressIps(old ? &oldView : nullptr);
  if (type == "LoadBalancer") {
    std::string ip = hadIngress.empty() ? "" : hadIngress[0];
    if (ip.empty()) {
      uint32_t n = lbIps_.allocate();
      if (!n)
        return invalid(
            svc, "status.loadBalancer.ingress",
            "Internal error: range is full: no more IPs in " + options_.loadBalancerCidr);
      ip = api::ipToString(n);
    }
    auto& status = svc["status"].is_object() ? svc["status"].as_object()
                                             : (svc["status"] = json::object{}).as_object();
    status["loadBalancer"] =
        json::object{{"ingress", json::array{json::object{{"ip", ip}, {"ipMode", "VIP"}}}}};
  } else {
    for (const auto& s : hadIngress)
      if (auto ip = parseIp(s)) lbIps_.release(*ip);
    if (svc.contains("status") && svc["status"].is_object())
      svc["status"].as_object()["loadBalancer"] = json::object{};
  }
  return {};
}

namespace {

std::string gatewayKey(const json::value& gateway) {
  return api::getString(gateway, "metadata.namespace") + "/" +
         api::getString(gateway, "metadata.name");
}

// The address in status.addresses, as admitGateway writes it.
std::optional<uint32_t> gatewayAddress(const json::value& gateway) {
  if (auto* addresses = api::find(gateway, "status.addresses"); addresses && addresses->is_array())
    for (const auto& a : addresses->as_array())
      if (api::getString(a, "type", "IPAddress") == "IPAddress")
        return parseIp(api::getString(a, "value"));
  return std::nullopt;
}

// The one IPAddress spec.addresses requests: "" for none, nullopt when the request is not one
// sluice can meet (several addresses, another type, not an IPv4 address).
std::optional<std::string> requestedAddress(const json::value& gateway) {
  const json::value* addresses = api::find(gateway, "spec.addresses");
  if (!addresses || !addresses->is_array() || addresses->as_array().empty()) return "";
  const auto& list = addresses->as_array();
  if (list.size() > 1 || api::getString(list[0], "type", "IPAddress") != "IPAddress")
    return std::nullopt;
  std::string value = api::getString(list[0], "value");
  if (!parseIp(value)) return std::nullopt;
  return value;
}

}  // namespace

void ServiceAllocator::observeGateway(const json::value& gateway) {
  std::lock_guard lock(mu_);
  if (auto ip = gatewayAddress(gateway)) {
    lbIps_.markUsed(*ip);
    gatewayIps_[gatewayKey(gateway)] = *ip;
  }
}

void ServiceAllocator::releaseGateway(const json::value& gateway) {
  std::lock_guard lock(mu_);
  // Only what this Gateway holds: a refused create of a name that exists must not free the
  // existing Gateway's address.
  auto it = gatewayIps_.find(gatewayKey(gateway));
  auto ip = gatewayAddress(gateway);
  if (it == gatewayIps_.end() || !ip || it->second != *ip) return;
  lbIps_.release(it->second);
  gatewayIps_.erase(it);
}

void ServiceAllocator::admitGateway(json::object& gateway, const json::object* old, bool ours) {
  std::lock_guard lock(mu_);
  json::value view = gateway;
  const std::string key = gatewayKey(view);
  auto held = gatewayIps_.find(key);
  // A create of a name that holds an address already exists: the store refuses it.
  if (!old && held != gatewayIps_.end()) return;
  auto drop = [&] {
    if (held != gatewayIps_.end()) {
      lbIps_.release(held->second);
      gatewayIps_.erase(held);
      held = gatewayIps_.end();
      if (auto* status = gateway.if_contains("status"); status && status->is_object())
        status->as_object().erase("addresses");
    }
  };
  if (!ours) return drop();
  auto requested = requestedAddress(view);
  if (!requested) return drop();

  uint32_t ip = 0;
  if (!requested->empty()) {
    uint32_t want = *parseIp(*requested);
    if (held != gatewayIps_.end() && held->second == want) {
      ip = want;
    } else if (lbIps_.contains(want) && !lbIps_.inUse(want)) {
      drop();
      if (lbIps_.claim(want)) ip = want;
    } else {
      drop();
    }
  } else if (held != gatewayIps_.end()) {
    ip = held->second;
  } else {
    ip = lbIps_.allocate();
  }
  auto& status = gateway["status"].is_object() ? gateway["status"].as_object()
                                               : (gateway["status"] = json::object{}).as_object();
  if (!ip) {
    status.erase("addresses");
    return;
  }
  gatewayIps_[key] = ip;
  status["addresses"] =
      json::array{json::object{{"type", "IPAddress"}, {"value", api::ipToString(ip)}}};
}

}  // namespace sluice::apiserver
