#include "client/shared_informers.h"

#include <cassert>

namespace sluice::client {

SharedInformers::SharedInformers(Client& client, const base::Clock& clock, base::Logger log,
                                 std::chrono::milliseconds resyncPeriod)
    : client_(client), clock_(clock), log_(std::move(log)), resyncPeriod_(resyncPeriod) {}

SharedInformers::~SharedInformers() {
  stop();
}

Informer& SharedInformers::informer(const api::ResourceType& type) {
  std::string key = type.apiVersion() + "/" + type.plural;
  auto& slot = informers_[key];
  if (!slot) {
    assert(!started_ && "informers are asked for before start()");
    Informer::Options options;
    options.resyncPeriod = resyncPeriod_;
    options.clock = &clock_;
    options.log = log_;
    slot = std::make_unique<Informer>(client_, type, std::move(options));
  }
  return *slot;
}

void SharedInformers::start() {
  started_ = true;
  for (auto& [key, informer] : informers_) informer->start();
}

bool SharedInformers::waitForSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& [key, informer] : informers_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->waitForSync(std::max(left, std::chrono::milliseconds(0)))) {
      log_->warn("informer {} has not synced within {} ms", key, timeout.count());
      return false;
    }
  }
  return true;
}

void SharedInformers::stop() {
  for (auto& [key, informer] : informers_) informer->stop();
}

bool SharedInformers::pump() {
  bool ok = true;
  for (auto& [key, informer] : informers_) ok = informer->pump() && ok;
  return ok;
}

}  // namespace sluice::client
