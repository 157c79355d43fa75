#include "runtime/workers.h"

namespace sluice::runtime {

Workers::Workers(WorkQueue& queue, Sync sync, int count, base::Logger log) : queue_(queue) {
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this, sync, log] {
      while (auto key = queue_.get()) settle(queue_, *key, sync(*key), log);
    });
  }
}

Workers::~Workers() {
  stop();
}

void Workers::stop() {
  queue_.shutdown();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::optional<std::string> Workers::processOne(WorkQueue& queue, const Sync& sync,
                                               const base::Logger& log) {
  auto key = queue.tryGet();
  if (key) settle(queue, *key, sync(*key), log);
  return key;
}

void Workers::settle(WorkQueue& queue, const std::string& key, const api::Status& st,
                     const base::Logger& log) {
  if (st.ok()) {
    queue.forget(key);
  } else {
    log->warn("sync {} failed, will retry: {}", key, st.error().message);
    queue.addRateLimited(key);
  }
  queue.done(key);
}

}  // namespace sluice::runtime
