#include "node/prober.h"

#include <algorithm>

#include "api/object.h"

namespace sluice::node {

namespace json = boost::json;
using std::chrono::seconds;

std::string_view probeKindName(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::Startup:
      return "Startup";
    case ProbeKind::Readiness:
      return "Readiness";
    case ProbeKind::Liveness:
      return "Liveness";
  }
  return "";
}

std::string_view probeField(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::Startup:
      return "startupProbe";
    case ProbeKind::Readiness:
      return "readinessProbe";
    case ProbeKind::Liveness:
      return "livenessProbe";
  }
  return "";
}

ProbeSettings ProbeSettings::fromSpec(const json::value& probe) {
  ProbeSettings s;
  s.initialDelay = seconds(std::max<int64_t>(0, api::getInt(probe, "initialDelaySeconds")));
  s.period = seconds(std::max<int64_t>(1, api::getInt(probe, "periodSeconds", 10)));
  s.timeout = seconds(std::max<int64_t>(1, api::getInt(probe, "timeoutSeconds", 1)));
  s.successThreshold = std::max<int64_t>(1, api::getInt(probe, "successThreshold", 1));
  s.failureThreshold = std::max<int64_t>(1, api::getInt(probe, "failureThreshold", 3));
  return s;
}

bool Prober::Entry::runnable(const Probe& p) const {
  auto startup = std::find_if(probes.begin(), probes.end(),
                              [](const Probe& q) { return q.kind == ProbeKind::Startup; });
  bool started = startup == probes.end() || startup->passing;
  return p.kind == ProbeKind::Startup ? !started : started;
}

Prober::Prober(const base::Clock& clock, ProbeFunction probe, ProbeResultHandler handler)
    : clock_(clock), probe_(std::move(probe)), handler_(std::move(handler)) {}

Prober::~Prober() {
  stop();
}

uint64_t Prober::add(ProbedContainer container) {
  Entry e;
  for (auto kind : {ProbeKind::Startup, ProbeKind::Readiness, ProbeKind::Liveness}) {
    auto* spec = api::find(container.spec, probeField(kind));
    if (!spec) continue;
    Probe p{kind, *spec, ProbeSettings::fromSpec(*spec), {}};
    p.next = container.startedAt + p.settings.initialDelay;
    // The kubelet's initial verdicts: not ready, not started, alive.
    p.passing = kind == ProbeKind::Liveness;
    e.probes.push_back(std::move(p));
  }
  if (e.probes.empty()) return 0;
  e.container = std::move(container);
  std::lock_guard lock(mu_);
  uint64_t handle = nextHandle_++;
  entries_.emplace(handle, std::move(e));
  cv_.notify_all();
  return handle;
}

void Prober::remove(uint64_t handle) {
  std::lock_guard lock(mu_);
  entries_.erase(handle);
}

std::optional<base::SteadyTime> Prober::nextDue() const {
  std::lock_guard lock(mu_);
  return nextDueLocked();
}

std::optional<base::SteadyTime> Prober::nextDueLocked() const {
  std::optional<base::SteadyTime> earliest;
  for (const auto& [handle, e] : entries_)
    for (const auto& p : e.probes)
      if (e.runnable(p) && (!earliest || p.next < *earliest)) earliest = p.next;
  return earliest;
}

int Prober::runDue() {
  std::vector<Run> due;
  {
    std::lock_guard lock(mu_);
    auto now = clock_.steadyNow();
    for (auto& [handle, e] : entries_) {
      for (auto& p : e.probes) {
        if (!e.runnable(p) || now < p.next) continue;
        p.next = now + p.settings.period;
        due.push_back({handle, ProbeTarget{p.kind, p.spec, e.container.spec, e.container.podIp,
                                           p.settings.timeout}});
      }
    }
  }
  for (const auto& r : due) {
    std::string failure = probe_(r.target);
    if (auto result = record(r.handle, r.target.kind, std::move(failure)))
      if (handler_) handler_(*result);
  }
  return static_cast<int>(due.size());
}

std::optional<ProbeResult> Prober::record(uint64_t handle, ProbeKind kind, std::string failure) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end()) return std::nullopt;
  auto& e = it->second;
  auto p = std::find_if(e.probes.begin(), e.probes.end(),
                        [kind](const Probe& q) { return q.kind == kind; });
  if (p == e.probes.end()) return std::nullopt;
  ProbeResult r;
  r.handle = handle;
  r.podKey = e.container.podKey;
  r.podUid = e.container.podUid;
  r.container = e.container.name;
  r.kind = kind;
  if (failure.empty()) {
    p->failures = 0;
    if (++p->successes >= p->settings.successThreshold && !p->passing) {
      p->passing = true;
      r.changed = true;
    }
  } else {
    p->successes = 0;
    if (++p->failures >= p->settings.failureThreshold) {
      if (kind == ProbeKind::Readiness) {
        r.changed = p->passing;
        p->passing = false;
      } else {
        // Liveness or startup: the container is restarted, and its next process probed anew.
        r.restart = true;
        p->passing = false;
      }
    }
  }
  r.passing = p->passing;
  r.failure = std::move(failure);
  if (r.restart) entries_.erase(it);
  return r;
}

void Prober::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Prober::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Prober::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = nextDueLocked();
    auto now = clock_.steadyNow();
    if (next && *next <= now) {
      lock.unlock();
      runDue();
      lock.lock();
      continue;
    }
    // Woken early by add() (a new probe may be due sooner) or stop().
    clock_.waitUntil(lock, cv_, next ? *next : now + std::chrono::hours(1));
  }
}

}  // namespace sluice::node
