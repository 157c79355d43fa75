// The load balancer's counters. One Series per (Service, port, endpoint); each proxy worker
// writes only its own cache-line-aligned slot with relaxed atomic stores (no locked
// instructions, no sharing between cores on the data path), and a scrape sums the slots.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace sluice::proxy {

// A counter written by one thread and read by any.
class Counter {
 public:
  void add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Upper bounds (seconds) of the request latency histogram's buckets; +Inf is implied.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct alignas(64) MetricsSlot {
  Counter connections;      // connections opened to the endpoint
  Counter connectFailures;  // connections it refused (or timed out)
  Counter bytesIn, bytesOut;
  // L7: requests by status code (100..599), and their latency from the request head's arrival
  // to the response's last byte.
  std::array<Counter, 500> requests;
  std::array<Counter, kLatencyBuckets.size() + 1> latency;
  Counter latencyMicros;
  // Requests (L7) or connections (L4) per second over the last kWindowSeconds, for the achieved
  // split: entry `second % size` holds second << 24 | count.
  std::array<Counter, 64> window;

  void request(int status, uint64_t micros);
  void count(uint64_t second);  // one request or connection in `second` (steady seconds)
};

inline constexpr uint64_t kWindowSeconds = 60;

inline uint64_t steadySecond(std::chrono::steady_clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

struct Series {
  Series(std::string ns, std::string service, std::string port, std::string endpoint, int workers);
  // A Service port's endpoint (or the port's own series, endpoint ""); or, for a route, the
  // route's namespace and name, the rule index and the backend ("" for the rule's own answers).
  enum class Kind { Endpoint, RouteBackend, RouteMirror };
  Kind kind = Kind::Endpoint;
  std::string ns, service, port, endpoint;
  std::string version;  // the pod's `version` label; guarded by Metrics' mutex
  std::optional<std::chrono::steady_clock::time_point> unusedSince;  // guarded by Metrics' mutex
  std::unique_ptr<MetricsSlot[]> slots;                              // one per worker
  int workers;
};

class Metrics {
 public:
  explicit Metrics(int workers) : workers_(workers) {}
  // The series for (ns, service, port, endpoint), created on first use and kept for the life of
  // the proxy (counters are cumulative).
  std::shared_ptr<Series> series(const std::string& ns, const std::string& service, uint16_t port,
                                 const std::string& endpoint, const std::string& version);
  // The series of route rule `rule` of HTTPRoute/TCPRoute ns/route and its `backend` (""
  // for the rule's own answers), or of a mirror.
  std::shared_ptr<Series> routeSeries(const std::string& ns, const std::string& route, size_t rule,
                                      const std::string& backend, bool mirror);
  // Forgets the series no snapshot has used for `grace`: those of endpoints that left every
  // Service (each rollout brings new pod addresses, so they would otherwise pile up). `live` are
  // the series the current snapshot uses. Workers keep counting into a forgotten series they
  // still hold; it just is not scraped any more.
  void sweep(const std::set<const Series*>& live, std::chrono::steady_clock::time_point now,
             std::chrono::seconds grace);
  // Prometheus text exposition format 0.0.4; windowed counts end at steady second `now`.
  std::string render(uint64_t now) const;

 private:
  int workers_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Series>> series_;
};

}  // namespace sluice::proxy
