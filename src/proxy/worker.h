// A proxy worker: one thread, one epoll loop, its own connections and its own pools of idle
// upstream connections. Workers share the listening sockets (registered with EPOLLEXCLUSIVE, so
// one worker wakes per new connection) and nothing else on the data path.
//
// The worker owns the loop, the listeners and the snapshot in use; what happens on a connection
// lives with its kind: the L4 tunnel in tunnel.h, the L7 session and its upstream pool in
// http_session.h (both share worker_internal.h, the worker's internals).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "proxy/config.h"

namespace sluice::proxy {

struct WorkerTimeouts {
  std::chrono::milliseconds connect{3000};        // a backend's connect
  std::chrono::milliseconds clientIdle{60000};    // between a client's keep-alive requests
  std::chrono::milliseconds response{60000};      // a backend silent with the whole request
  std::chrono::milliseconds upstreamIdle{60000};  // a pooled connection unused
  std::chrono::milliseconds linger{5000};         // after our last byte, for the client's FIN
  std::chrono::milliseconds tick{250};            // how often they are checked
};

class Worker {
 public:
  using Timeouts = WorkerTimeouts;
  // `log` (null: nothing is logged) reports what goes wrong outside a request. `applied` (if
  // any) is called on the worker's thread with each snapshot's sequence once the worker serves
  // it.
  explicit Worker(int index, Timeouts timeouts = {}, base::Logger log = nullptr,
                  std::function<void(uint64_t)> applied = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();  // runs the loop on a thread named "proxy-<index>"
  void stop();   // closes every connection and joins the thread
  // Hands the worker a new snapshot; it applies it on its own thread (within microseconds when
  // idle: the loop is woken through an eventfd).
  void publish(std::shared_ptr<const Config> config);

  struct State;

 private:
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace sluice::proxy
