#include "proxy/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>

namespace sluice::proxy {

namespace {
// epoll_event.data.ptr values of the loop's own fds (never valid handler addresses).
char wakeTag, timerTag;
}  // namespace

EventLoop::EventLoop(std::function<void()> onWake, std::function<void()> onTick, int tickMs)
    : onWake_(std::move(onWake)), onTick_(std::move(onTick)) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timerFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  assert(epoll_ >= 0 && wakeFd_ >= 0 && timerFd_ >= 0);
  itimerspec every{};
  every.it_interval.tv_sec = tickMs / 1000;
  every.it_interval.tv_nsec = (tickMs % 1000) * 1000000L;
  every.it_value = every.it_interval;
  timerfd_settime(timerFd_, 0, &every, nullptr);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wakeTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &ev);
  ev.data.ptr = &timerTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, timerFd_, &ev);
}

EventLoop::~EventLoop() {
  for (auto* h : retired_) delete h;
  close(timerFd_);
  close(wakeFd_);
  close(epoll_);
}

bool EventLoop::add(int fd, uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::closeFd(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

void EventLoop::retire(Handler* handler) {
  if (handler->retired) return;
  handler->retired = true;
  retired_.push_back(handler);
}

void EventLoop::run() {
  constexpr int kBatch = 256;
  epoll_event events[kBatch];
  while (!stopping_) {
    int n = epoll_wait(epoll_, events, kBatch, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wakeTag) {
        uint64_t count;
        while (read(wakeFd_, &count, sizeof count) > 0) {
        }
        onWake_();
      } else if (tag == &timerTag) {
        uint64_t count;
        while (read(timerFd_, &count, sizeof count) > 0) {
        }
        onTick_();
      } else {
        auto* h = static_cast<Handler*>(tag);
        if (!h->retired) h->onEvents(events[i].events);
      }
    }
    for (auto* h : retired_) delete h;
    retired_.clear();
  }
}

void EventLoop::stop() {
  stopping_ = true;
  wake();
}

void EventLoop::wake() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakeFd_, &one, sizeof one);
}

}  // namespace sluice::proxy
