#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "api/object.h"
#include "api/selector.h"
#include "cli/describe.h"

namespace sluice::cli {

namespace json = boost::json;

namespace {

// A sample of a Prometheus text exposition: its labels and value.
struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The samples of metric `name` in `text` whose labels include `match`.
std::vector<Sample> samples(const std::string& text, const std::string& name,
                            const std::map<std::string, std::string>& match) {
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size() + 1, name + "{") != 0) continue;
    size_t close = line.rfind('}');
    if (close == std::string::npos) continue;
    Sample s;
    std::string labels = line.substr(name.size() + 1, close - name.size() - 1);
    size_t at = 0;
    while (at < labels.size()) {
      size_t eq = labels.find("=\"", at);
      if (eq == std::string::npos) break;
      size_t end = labels.find('"', eq + 2);
      if (end == std::string::npos) break;
      s.labels[labels.substr(at, eq - at)] = labels.substr(eq + 2, end - eq - 2);
      at = end + 1;
      if (at < labels.size() && labels[at] == ',') ++at;
    }
    s.value = std::atof(line.c_str() + close + 1);
    bool ok = true;
    for (const auto& [k, v] : match) ok = ok && s.labels[k] == v;
    if (ok) out.push_back(std::move(s));
  }
  return out;
}

// 5112 -> "5,112", as the describe output writes counts.
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", share * 100);
  return buf;
}

// The load balancer's counters, when the cluster is a sluice server ("" otherwise).
std::string scrape(client::HttpClient& c) {
  auto r = c.request("GET", "/metrics", "", "", "text/plain");
  if (!r || r->status != 200) return "";
  return r->body;
}

}  // namespace

void writeRouteTraffic(std::ostringstream& w, client::HttpClient& c, const json::value& route) {
  std::string metrics = scrape(c);
  if (metrics.find("sluice_route_recent_requests") == std::string::npos) return;
  std::string ns = api::namespaceOf(route), name = api::nameOf(route);
  bool tcp = api::kindOf(route) == "TCPRoute";
  auto* rules = api::find(route, "spec.rules");
  if (!rules || !rules->is_array()) return;
  w << "Traffic (last 60 s, requested weight vs achieved share):\n";
  for (size_t i = 0; i < rules->as_array().size(); ++i) {
    const auto& rule = rules->as_array()[i];
    w << "  Rule " << i << ":\n";
    auto got = samples(metrics, "sluice_route_recent_requests",
                       {{"namespace", ns}, {"route", name}, {"rule", std::to_string(i)}});
    double weights = 0;
    auto* refs = api::find(rule, "backendRefs");
    if (!refs || !refs->is_array() || refs->as_array().empty()) {
      w << "    <no backends>\n";
      continue;
    }
    // The share is of the requests to the rule's current backends (a backend the rule no longer
    // names may still have counts in the window).
    auto backendOf = [&ns](const json::value& b) {
      return api::getString(b, "namespace", ns) + "/" + api::getString(b, "name") + ":" +
             std::to_string(api::getInt(b, "port"));
    };
    double total = 0;
    for (const auto& s : got)
      for (const auto& b : refs->as_array())
        if (s.labels.at("backend") == backendOf(b)) total += s.value;
    for (const auto& b : refs->as_array())
      weights += static_cast<double>(api::getInt(b, "weight", 1));
    size_t width = 0;
    for (const auto& b : refs->as_array())
      width = std::max(width, api::getString(b, "name").size());
    for (const auto& b : refs->as_array()) {
      std::string backend = backendOf(b);
      double count = 0;
      for (const auto& s : got)
        if (s.labels.at("backend") == backend) count += s.value;
      double weight = static_cast<double>(api::getInt(b, "weight", 1));
      std::string name = api::getString(b, "name");
      // Spaces, not tabs: the section keeps out of the describe output's tab alignment.
      w << "    " << name << std::string(width - name.size() + 2, ' ') << "requested "
        << percent(weights > 0 ? weight / weights : 0) << "  achieved "
        << (total > 0 ? percent(count / total) : std::string("-")) << " of "
        << grouped(static_cast<uint64_t>(total)) << (tcp ? " connections" : " requests") << "\n";
    }
  }
}

void writeServiceTraffic(std::ostringstream& w, client::HttpClient& c, const json::value& svc) {
  std::string metrics = scrape(c);
  if (metrics.find("sluice_proxy_recent_requests") == std::string::npos) return;
  std::string ns = api::namespaceOf(svc), name = api::nameOf(svc);
  auto got =
      samples(metrics, "sluice_proxy_recent_requests", {{"namespace", ns}, {"service", name}});
  std::map<std::string, double> byVersion;
  double total = 0;
  for (const auto& s : got) {
    auto v = s.labels.find("version");
    byVersion[v == s.labels.end() ? "" : v->second] += s.value;
    total += s.value;
  }
  // The split replica counts imply: ready pods behind the selector, by `version` label.
  std::map<std::string, double> ready;
  double readyTotal = 0;
  if (auto* sel = api::find(svc, "spec.selector");
      sel && sel->is_object() && !sel->as_object().empty()) {
    std::string selector;
    for (const auto& [k, v] : sel->as_object())
      selector += (selector.empty() ? "" : ",") + std::string(k) + "=" +
                  (v.is_string() ? std::string(v.as_string()) : "");
    client::ListOptions lo;
    lo.labelSelector = selector;
    if (auto pods = c.list(*api::findByKind("v1", "Pod"), ns, lo))
      for (const auto& p : pods->at("items").as_array()) {
        bool isReady = false;
        if (auto* conds = api::find(p, "status.conditions"); conds && conds->is_array())
          for (const auto& cond : conds->as_array())
            if (api::getString(cond, "type") == "Ready" && api::getString(cond, "status") == "True")
              isReady = true;
        if (!isReady || api::find(p, "metadata.deletionTimestamp")) continue;
        ready[api::getString(p, "metadata.labels.version")] += 1;
        readyTotal += 1;
      }
  }
  if (byVersion.empty() && ready.empty()) return;
  for (const auto& [v, n] : ready) byVersion.emplace(v, 0);
  w << "Traffic by version (last 60 s, as replica counts imply vs achieved):\n";
  size_t width = 0;
  for (const auto& [version, count] : byVersion)
    width = std::max(width, version.empty() ? size_t{18} : version.size());
  for (const auto& [version, count] : byVersion) {
    double r = ready.count(version) ? ready[version] : 0;
    std::string name = version.empty() ? "<no version label>" : version;
    w << "  " << name << std::string(width - name.size() + 2, ' ') << "replicas "
      << (readyTotal > 0 ? percent(r / readyTotal) : std::string("-")) << "  achieved "
      << (total > 0 ? percent(count / total) : std::string("-")) << " of "
      << grouped(static_cast<uint64_t>(total)) << "\n";
  }
}

}  // namespace sluice::cli
