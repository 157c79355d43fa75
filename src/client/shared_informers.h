// One informer per resource type for a whole process, as client-go's shared informer factory:
// every component asks for the types it reads and registers its handlers, then the owner starts
// them all at once. A Pod is then listed, watched and cached once, not once per component.
//
// Lifecycle: construct; components call `informer(type)` and add handlers; `start()`; any number
// of `waitForSync`; `stop()` (also on destruction). Informers obtained here live as long as the
// factory. Not thread-safe before start(); after it, only the informers' reads are shared.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "client/informer.h"

namespace sluice::client {

class SharedInformers {
 public:
  SharedInformers(Client& client, const base::Clock& clock = base::realClock(),
                  base::Logger log = base::nullLogger(),
                  std::chrono::milliseconds resyncPeriod = std::chrono::seconds(30));
  ~SharedInformers();
  SharedInformers(const SharedInformers&) = delete;
  SharedInformers& operator=(const SharedInformers&) = delete;

  // The informer for every object of `type` in every namespace. Before start().
  Informer& informer(const api::ResourceType& type);

  // Starts every informer's thread (informers asked for later are not started).
  void start();
  // True once every informer has delivered its first list; false after `timeout`.
  [[nodiscard]] bool waitForSync(std::chrono::milliseconds timeout) const;
  void stop();
  // Tests without threads: pump() every informer (see Informer::pump). False if any failed.
  bool pump();

 private:
  Client& client_;
  const base::Clock& clock_;
  base::Logger log_;
  std::chrono::milliseconds resyncPeriod_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;  // by "group/version/plural"
  bool started_ = false;
};

}  // namespace sluice::client
