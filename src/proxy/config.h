// What the proxy's control side hands to its workers: an immutable snapshot of every Service
// port (its backends, mode and counters) and the listening sockets that lead to it. Workers
// swap their snapshot whole when a new one is published; nothing in it changes afterwards except
// the round-robin cursor and the affinity table, which all workers share on purpose (so 4 v1 +
// 1 v2 endpoints split exactly 8:2 over 10 connections whichever worker accepts them).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/metrics.h"

namespace sluice::proxy {

struct Backend {
  sockaddr_in address{};
  uint64_t key = 0;  // ip << 16 | port: names the worker's connection pool for it
  std::shared_ptr<Series> series;
};

// sessionAffinity: ClientIP — a client address keeps its backend while it comes back within
// the timeout and the backend stays in the set.
struct Affinity {
  std::chrono::seconds timeout{10800};
  std::mutex mu;
  std::unordered_map<uint32_t, std::pair<uint64_t, std::chrono::steady_clock::time_point>> clients;
};

// State of a Service port that outlives snapshots.
struct PortShared {
  std::atomic<uint64_t> next{0};
  std::shared_ptr<Affinity> affinity;  // null: round-robin only
};

struct PortConfig {
  std::string key;  // "namespace/name/port"
  std::string ns, service;
  uint16_t port = 0;
  bool http = false;  // appProtocol: http → L7
  std::vector<Backend> backends;
  std::shared_ptr<PortShared> shared;
  std::shared_ptr<Series> series;  // the port's own: requests answered by the proxy itself
  std::string unavailable;         // the complete 503 response for "no ready endpoints"

  // The backend for a new connection (L4) or request (L7) from `client`; backends must not be
  // empty. Round-robin, unless ClientIP affinity holds a live choice.
  size_t pick(uint32_t clientIp) const;
};

// A non-blocking listening socket; closed when the last worker and the control side let go of it.
struct ListenSocket {
  explicit ListenSocket(int fd_, std::string address_) : fd(fd_), address(std::move(address_)) {}
  ~ListenSocket();
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  int fd;
  std::string address;  // "ip:port", for messages
};

struct Config {
  std::vector<std::shared_ptr<const PortConfig>> ports;
  struct Listener {
    std::shared_ptr<ListenSocket> socket;
    size_t port;  // index into ports
  };
  std::vector<Listener> listeners;
};

}  // namespace sluice::proxy
