// An endpoint of a Service port as the data path sees it: where to connect, the key that names
// it across snapshots, and its counters.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>

namespace sluice::proxy {

struct Series;

struct Backend {
  sockaddr_in address{};
  // ip << 16 | port (host byte order): names the endpoint across snapshots (affinity tables,
  // the workers' connection pools), and orders a port's backends the same way in every one.
  uint64_t key = 0;
  std::shared_ptr<Series> series;
};

}  // namespace sluice::proxy
