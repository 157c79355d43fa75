#include "proxy/metrics.h"

#include <algorithm>
#include <cstdio>

namespace sluice::proxy {

void MetricsSlot::request(int status, uint64_t micros) {
  if (status >= 100 && status <= 599) requests[static_cast<size_t>(status - 100)].add(1);
  double seconds = static_cast<double>(micros) / 1e6;
  size_t bucket = static_cast<size_t>(
      std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
      kLatencyBuckets.begin());
  latency[bucket].add(1);
  latencyMicros.add(micros);
}

void MetricsSlot::count(uint64_t second) {
  Counter& c = window[second % window.size()];
  uint64_t v = c.get();
  c.add((v >> 24) == second ? 1 : (second << 24 | 1) - v);
}

Series::Series(std::string ns_, std::string service_, std::string port_, std::string endpoint_,
               int workers_)
    : ns(std::move(ns_)),
      service(std::move(service_)),
      port(std::move(port_)),
      endpoint(std::move(endpoint_)),
      slots(new MetricsSlot[static_cast<size_t>(workers_)]),
      workers(workers_) {}

std::shared_ptr<Series> Metrics::series(const std::string& ns, const std::string& service,
                                        uint16_t port, const std::string& endpoint,
                                        const std::string& version) {
  std::string key = ns + "/" + service + "/" + std::to_string(port) + "/" + endpoint;
  std::lock_guard lock(mu_);
  auto& s = series_[key];
  if (!s) s = std::make_shared<Series>(ns, service, std::to_string(port), endpoint, workers_);
  if (!endpoint.empty()) s->version = version;
  return s;
}

std::shared_ptr<Series> Metrics::routeSeries(const std::string& ns, const std::string& route,
                                             size_t rule, const std::string& backend, bool mirror) {
  std::string key = std::string(mirror ? "mirror:" : "route:") + ns + "/" + route + "/" +
                    std::to_string(rule) + "/" + backend;
  std::lock_guard lock(mu_);
  auto& s = series_[key];
  if (!s) {
    s = std::make_shared<Series>(ns, route, std::to_string(rule), backend, workers_);
    s->kind = mirror ? Series::Kind::RouteMirror : Series::Kind::RouteBackend;
  }
  return s;
}

void Metrics::sweep(const std::set<const Series*>& live, std::chrono::steady_clock::time_point now,
                    std::chrono::seconds grace) {
  std::lock_guard lock(mu_);
  for (auto it = series_.begin(); it != series_.end();) {
    Series& s = *it->second;
    if (live.count(&s)) {
      s.unusedSince.reset();
    } else if (!s.unusedSince) {
      s.unusedSince = now;
    } else if (now - *s.unusedSince >= grace) {
      it = series_.erase(it);
      continue;
    }
    ++it;
  }
}

namespace {

std::string labels(const Series& s) {
  if (s.kind != Series::Kind::Endpoint)
    return "namespace=\"" + s.ns + "\",route=\"" + s.service + "\",rule=\"" + s.port +
           "\",backend=\"" + s.endpoint + "\"";
  std::string out = "namespace=\"" + s.ns + "\",service=\"" + s.service + "\",port=\"" + s.port +
                    "\",endpoint=\"" + s.endpoint + "\"";
  if (!s.version.empty()) out += ",version=\"" + s.version + "\"";
  return out;
}

template <typename Fn>
uint64_t sum(const Series& s, Fn fn) {
  uint64_t total = 0;
  for (int w = 0; w < s.workers; ++w) total += fn(s.slots[static_cast<size_t>(w)]).get();
  return total;
}

uint64_t windowed(const Series& s, uint64_t now) {
  uint64_t total = 0;
  for (int w = 0; w < s.workers; ++w)
    for (const Counter& c : s.slots[static_cast<size_t>(w)].window) {
      uint64_t v = c.get(), second = v >> 24;
      if (second <= now && now - second < kWindowSeconds) total += v & 0xffffff;
    }
  return total;
}

std::string seconds(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string Metrics::render(uint64_t now) const {
  std::lock_guard lock(mu_);
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto counter = [&](const char* name, const char* help, auto field, const char* extra = "") {
    family(name, "counter", help);
    for (const auto& [k, s] : series_) {
      // A port's own series only counts requests; a route's has no connections of its own.
      if (s->endpoint.empty() || s->kind != Series::Kind::Endpoint) continue;
      out += std::string(name) + "{" + labels(*s) + extra + "} " + std::to_string(sum(*s, field)) +
             "\n";
    }
  };
  counter("sluice_proxy_connections_total", "Connections opened to an endpoint.",
          [](const MetricsSlot& m) -> const Counter& { return m.connections; });
  counter("sluice_proxy_connect_failures_total",
          "Connections an endpoint refused or did not accept in time (retried on the next).",
          [](const MetricsSlot& m) -> const Counter& { return m.connectFailures; });
  family("sluice_proxy_bytes_total", "counter",
         "Bytes proxied, by direction (in: client to endpoint).");
  for (const auto& [k, s] : series_) {
    if (s->endpoint.empty() || s->kind != Series::Kind::Endpoint) continue;
    out +=
        "sluice_proxy_bytes_total{" + labels(*s) + ",direction=\"in\"} " +
        std::to_string(sum(*s, [](const MetricsSlot& m) -> const Counter& { return m.bytesIn; })) +
        "\n";
    out +=
        "sluice_proxy_bytes_total{" + labels(*s) + ",direction=\"out\"} " +
        std::to_string(sum(*s, [](const MetricsSlot& m) -> const Counter& { return m.bytesOut; })) +
        "\n";
  }
  auto requests = [&](Series::Kind kind, const char* name, const char* help) {
    family(name, "counter", help);
    for (const auto& [k, s] : series_) {
      if (s->kind != kind) continue;
      for (size_t code = 0; code < 500; ++code) {
        uint64_t n =
            sum(*s, [code](const MetricsSlot& m) -> const Counter& { return m.requests[code]; });
        if (n)
          out += std::string(name) + "{" + labels(*s) + ",code=\"" + std::to_string(code + 100) +
                 "\"} " + std::to_string(n) + "\n";
      }
    }
  };
  auto histogram = [&](Series::Kind kind, const char* name, const char* help) {
    family(name, "histogram", help);
    for (const auto& [k, s] : series_) {
      if (s->kind != kind) continue;
      uint64_t count = 0;
      std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};
      for (size_t b = 0; b < buckets.size(); ++b) {
        buckets[b] = sum(*s, [b](const MetricsSlot& m) -> const Counter& { return m.latency[b]; });
        count += buckets[b];
      }
      if (!count) continue;
      std::string l = labels(*s);
      uint64_t cumulative = 0;
      for (size_t b = 0; b < buckets.size(); ++b) {
        cumulative += buckets[b];
        std::string le = b < kLatencyBuckets.size() ? seconds(kLatencyBuckets[b]) : "+Inf";
        out += std::string(name) + "_bucket{" + l + ",le=\"" + le + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      double totalSeconds =
          static_cast<double>(
              sum(*s, [](const MetricsSlot& m) -> const Counter& { return m.latencyMicros; })) /
          1e6;
      out += std::string(name) + "_sum{" + l + "} " + seconds(totalSeconds) + "\n";
      out += std::string(name) + "_count{" + l + "} " + std::to_string(count) + "\n";
    }
  };
  auto window = [&](Series::Kind kind, const char* name, const char* help) {
    family(name, "gauge", help);
    for (const auto& [k, s] : series_)
      if (s->kind == kind && !s->endpoint.empty())
        out +=
            std::string(name) + "{" + labels(*s) + "} " + std::to_string(windowed(*s, now)) + "\n";
  };
  requests(Series::Kind::Endpoint, "sluice_proxy_requests_total",
           "HTTP requests on L7 ports, by status code (endpoint \"\": answered by the proxy "
           "itself, e.g. 503 with no ready endpoint).");
  histogram(Series::Kind::Endpoint, "sluice_proxy_request_duration_seconds",
            "HTTP request latency through the proxy, from the request head to the response's "
            "last byte.");
  window(Series::Kind::Endpoint, "sluice_proxy_recent_requests",
         "Requests (L7) or connections (L4) an endpoint got in the last 60 seconds: the achieved "
         "split.");
  requests(Series::Kind::RouteBackend, "sluice_route_requests_total",
           "Requests of a Gateway API route rule, by backend (\"\": answered by the proxy for the "
           "rule: a redirect, or 500 with no usable backend) and status code.");
  histogram(Series::Kind::RouteBackend, "sluice_route_request_duration_seconds",
            "Latency of a route rule's requests, by backend.");
  window(Series::Kind::RouteBackend, "sluice_route_recent_requests",
         "Requests (HTTPRoute) or connections (TCPRoute) a route rule sent to a backend in the "
         "last 60 seconds: the achieved split.");
  requests(Series::Kind::RouteMirror, "sluice_route_mirror_requests_total",
           "Mirrored copies of a route rule's requests that the mirror answered, by status code.");
  family("sluice_route_mirror_failures_total", "counter",
         "Mirrored copies that could not be delivered (no endpoint, refused, timed out).");
  for (const auto& [k, s] : series_)
    if (s->kind == Series::Kind::RouteMirror)
      out += "sluice_route_mirror_failures_total{" + labels(*s) + "} " +
             std::to_string(sum(
                 *s, [](const MetricsSlot& m) -> const Counter& { return m.connectFailures; })) +
             "\n";
  return out;
}

}  // namespace sluice::proxy
