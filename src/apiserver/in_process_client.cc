// The in-process client: the registry's request path (defaulting, validation, resourceVersion,
// watch fan-out) without a socket.
#include <deque>

#include "apiserver/in_process_client.h"

#include "api/object.h"

namespace sluice::apiserver {

using client::EventStream;
using client::WatchEvent;

namespace {

const char* eventName(store::EventType t) {
  switch (t) {
    case store::EventType::Added:
      return "ADDED";
    case store::EventType::Modified:
      return "MODIFIED";
    case store::EventType::Deleted:
      return "DELETED";
    case store::EventType::Bookmark:
      return "BOOKMARK";
  }
  return "ERROR";
}

class InProcessEventStream : public EventStream {
 public:
  explicit InProcessEventStream(std::shared_ptr<store::Watch> watch) : watch_(std::move(watch)) {}
  ~InProcessEventStream() override { watch_->stop(); }

  std::optional<WatchEvent> next(std::chrono::milliseconds timeout) override {
    if (buffered_.empty() && !ended_) {
      std::vector<store::Event> events;
      if (!watch_->drain(events)) ended_ = true;
      if (events.empty() && !ended_) {
        watch_->wait(timeout);
        if (!watch_->drain(events)) ended_ = true;
      }
      for (auto& e : events) buffered_.push_back(std::move(e));
    }
    if (buffered_.empty()) return std::nullopt;
    auto e = std::move(buffered_.front());
    buffered_.pop_front();
    return WatchEvent{eventName(e.type), *e.object.value};
  }
  bool closed() override { return ended_ && buffered_.empty(); }
  void stop() override { watch_->stop(); }

 private:
  std::shared_ptr<store::Watch> watch_;
  std::deque<store::Event> buffered_;
  bool ended_ = false;
};

class InProcessClient : public client::Client {
 public:
  explicit InProcessClient(Registry& r) : r_(r) {}

  api::Result<json::value> get(const api::ResourceType& type, const std::string& ns,
                               const std::string& name, const std::string& sub) override {
    return r_.get(type, ns, name, sub);
  }
  api::Result<json::value> list(const api::ResourceType& type, const std::string& ns,
                                const ListOptions& options) override {
    return r_.list(type, ns, options);
  }
  api::Result<json::value> create(const api::ResourceType& type, const std::string& ns,
                                  const json::value& object, const WriteOptions& options) override {
    return r_.create(type, ns, object, options);
  }
  api::Result<json::value> update(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, const json::value& object,
                                  const std::string& sub, const WriteOptions& options) override {
    return r_.update(type, ns, name, object, sub, options);
  }
  api::Result<json::value> patch(const api::ResourceType& type, const std::string& ns,
                                 const std::string& name, PatchType patchType,
                                 const json::value& patch, const std::string& sub,
                                 const WriteOptions& options) override {
    return r_.patch(type, ns, name, patchType, patch, sub, options);
  }
  api::Result<json::value> remove(const api::ResourceType& type, const std::string& ns,
                                  const std::string& name, const DeleteOptions& options) override {
    return r_.remove(type, ns, name, options);
  }
  api::Result<std::unique_ptr<EventStream>> watch(const api::ResourceType& type,
                                                  const std::string& ns,
                                                  const ListOptions& options) override {
    auto w = r_.watch(type, ns, options);
    if (!w) {
      if (w.error().isGone()) {
        // Delivered as an ERROR event, as over HTTP.
        struct Expired : EventStream {
          explicit Expired(api::Error e) : error(std::move(e)) {}
          std::optional<WatchEvent> next(std::chrono::milliseconds) override {
            if (sent) return std::nullopt;
            sent = true;
            return WatchEvent{"ERROR", error.toStatus()};
          }
          bool closed() override { return sent; }
          void stop() override {}
          api::Error error;
          bool sent = false;
        };
        return std::unique_ptr<EventStream>(std::make_unique<Expired>(w.error()));
      }
      return w.error();
    }
    return std::unique_ptr<EventStream>(std::make_unique<InProcessEventStream>(*w));
  }

 private:
  Registry& r_;
};

}  // namespace

std::unique_ptr<client::Client> newInProcessClient(Registry& registry) {
  return std::make_unique<InProcessClient>(registry);
}

}  // namespace sluice::apiserver
