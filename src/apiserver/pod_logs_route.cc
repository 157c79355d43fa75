#include "apiserver/pod_logs_route.h"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace sluice::apiserver {

namespace {

// How often a followed log is read for what the container appended.
constexpr std::chrono::milliseconds kFollowPoll{100};

node::LogOptions logOptions(const std::map<std::string, std::string>& query) {
  auto get = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  node::LogOptions o;
  o.container = get("container");
  o.follow = get("follow") == "true";
  o.previous = get("previous") == "true";
  // As strconv would not, but as this server always has: a malformed count reads as 0.
  if (auto tail = get("tailLines"); !tail.empty()) o.tailLines = std::atol(tail.c_str());
  return o;
}

// A followed log as the HTTP server streams it: it reads on every wake-up, and a ticker wakes
// it every kFollowPoll until the stream stops.
std::shared_ptr<ByteStream> followStream(std::shared_ptr<node::LogStream> log) {
  auto stopped = std::make_shared<std::atomic<bool>>(false);
  auto stream = std::make_shared<ByteStream>();
  stream->pump = [log](std::string& out) { return log->read(out); };
  stream->onReady = [stopped](std::function<void()> notify) {
    std::thread([stopped, notify] {
      while (!*stopped) {
        std::this_thread::sleep_for(kFollowPoll);
        notify();
      }
    }).detach();
  };
  stream->stop = [log, stopped] {
    *stopped = true;
    log->close();
  };
  return stream;
}

}  // namespace

SubresourceHandler podLogsRoute(node::PodLogs& logs) {
  return [&logs](const Request&, const ResourcePath& path,
                 const std::map<std::string, std::string>& query) {
    auto log = logs.open(path.ns, path.name, logOptions(query));
    if (!log) return errorResponse(log.error());
    Response r;
    r.contentType = "text/plain";
    if (!(*log)->following()) {
      (void)(*log)->read(r.body);  // false: a complete log is read at once
      return r;
    }
    r.stream = followStream(*log);
    return r;
  };
}

}  // namespace sluice::apiserver
