// The worker loop of a level-triggered controller: `count` threads take keys from a WorkQueue
// and run `sync(key)`. A failed sync is logged with its key and reason and retried with the
// queue's back-off; a successful one resets the key's back-off.
//
// Threading: `sync` runs on the worker threads, never twice at once for the same key (the queue
// guarantees it). The queue and `sync`'s captures must outlive the Workers.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "api/error.h"
#include "base/log.h"
#include "runtime/workqueue.h"

namespace sluice::runtime {

class Workers {
 public:
  using Sync = std::function<api::Status(const std::string& key)>;
  Workers(WorkQueue& queue, Sync sync, int count = 1, base::Logger log = base::nullLogger());
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  // Shuts the queue down and joins the threads. Idempotent.
  void stop();

  // One step of a worker, for tests that drive a controller without threads: takes a ready key
  // (if any), syncs it and settles it as a worker would. Returns the key it synced.
  static std::optional<std::string> processOne(WorkQueue& queue, const Sync& sync,
                                               const base::Logger& log = base::nullLogger());

 private:
  static void settle(WorkQueue& queue, const std::string& key, const api::Status& st,
                     const base::Logger& log);

  WorkQueue& queue_;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::runtime
