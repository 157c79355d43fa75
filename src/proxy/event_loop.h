// A single-threaded epoll loop, the proxy workers' engine. Sockets are registered once,
// edge-triggered for reading and writing, so the data path never calls epoll_ctl; handlers do
// I/O until EAGAIN and remember which way they are blocked.
//
// Threading: everything but wake() runs on the loop's own thread. Handlers are owned by their
// creators; a handler that goes away during a batch of events is handed to retire() and deleted
// after the batch, so later events of the same batch never reach freed memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sluice::proxy {

class EventLoop {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void onEvents(uint32_t events) = 0;
    bool retired = false;  // events after retire() are dropped
  };

  // `onWake` runs on the loop thread after wake() was called (at least once per wake).
  // `onTick` runs about every `tickMs` milliseconds, for timeouts.
  EventLoop(std::function<void()> onWake, std::function<void()> onTick, int tickMs);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for `events` (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET for connections).
  bool add(int fd, uint32_t events, Handler* handler);
  void remove(int fd);
  // Deregisters and closes fd. close() alone is not enough: epoll keys a registration on the
  // open file, not the descriptor, and a child forked by the node agent holds a copy of every
  // descriptor until it execs, so the registration (and its events, for a handler already
  // deleted) would outlive the close.
  void closeFd(int fd);
  // Deletes the handler after the current batch of events.
  void retire(Handler* handler);

  // Runs until stop(). stop() and wake() may be called from any thread.
  void run();
  void stop();
  void wake();

 private:
  int epoll_ = -1;
  int wakeFd_ = -1;
  int timerFd_ = -1;
  std::function<void()> onWake_, onTick_;
  std::vector<Handler*> retired_;
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::proxy
