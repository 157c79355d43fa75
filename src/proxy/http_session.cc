#include "proxy/http_session.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "http/http.h"
#include "proxy/head_edit.h"
#include "proxy/mirror.h"
#include "proxy/session_persistence.h"

namespace sluice::proxy {

namespace {

constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    "Connection: close\r\n\r\nbad request\n";
constexpr std::string_view kHeadTooLarge =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
    "Content-Length: 24\r\nConnection: close\r\n\r\nrequest head too large\r\n";
constexpr std::string_view kGatewayTimeout =
    "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 36\r\n"
    "Connection: close\r\n\r\nthe endpoint did not answer in time\n";
constexpr std::string_view kHeadTooLargeAfterFilters =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 52\r\n"
    "Connection: close\r\n\r\nthe route's filters made the request head too large\n";
constexpr std::string_view kBadGateway =
    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 41\r\n"
    "Connection: close\r\n\r\nno endpoint answered the request in full\n";

uint64_t micros(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

// Edits a head in place at buf[begin, begin + length): drops the hop-by-hop lines and inserts
// `extra` (whole header lines) before the final CRLF. Dropping moves the bytes before each
// dropped line forward; inserting moves the head back into the headroom. Returns the new begin;
// `length` is updated.
uint32_t editHead(char* buf, uint32_t begin, uint32_t& length, const http::Head& head,
                  std::string_view extra) {
  for (int i = head.hopLineCount - 1; i >= 0; --i) {
    const auto& line = head.hopLines[i];
    uint32_t gap = line.end - line.begin;
    std::memmove(buf + begin + gap, buf + begin, line.begin);
    begin += gap;
    length -= gap;
  }
  if (!extra.empty()) {
    auto n = static_cast<uint32_t>(extra.size());
    assert(begin >= n);
    std::memmove(buf + begin - n, buf + begin, length - 2);
    std::memcpy(buf + begin - n + length - 2, extra.data(), n);
    begin -= n;
    length += n;
  }
  return begin;
}

}  // namespace

class Session;

// A connection to a backend, owned by a session while a request uses it and by the worker's
// idle pool between requests.
class Upstream : public Connection {
 public:
  Upstream(Worker::State& w, int fd_, uint64_t key_, std::shared_ptr<Series> series_,
           bool connected_)
      : Connection(w), fd(fd_), key(key_), series(std::move(series_)), connected(connected_) {
    ready.readable = false;  // nothing comes before a request is sent
    ready.writable = connected;
    buffer = w_.buffers.get();
    begin = end = kHeadroom;
    started = Clock::now();
    w_.loop.add(fd, kConnectionEvents, this);
  }
  void onEvents(uint32_t ev) override;
  void close() override {
    if (retired) return;
    unlink();
    if (!owner) w_.dropIdle(this);
    w_.loop.closeFd(fd);
    w_.buffers.put(buffer);
    buffer = nullptr;
    w_.loop.retire(this);
  }
  void tick(Clock::time_point now) override;

  int fd;
  uint64_t key;
  std::shared_ptr<Series> series;  // kept while the connection lives, even if its endpoint goes
  bool connected;
  bool reused = false;  // taken from the idle pool for the current request
  Readiness ready;
  Buffer* buffer;
  uint32_t begin, end;  // response bytes not yet passed to the client
  Session* owner = nullptr;
  Clock::time_point started;  // connect start, or when it went idle
};

class Session : public Connection {
 public:
  Session(Worker::State& w, int fd, std::shared_ptr<WorkerPort> port, uint32_t clientIp)
      : Connection(w), fd_(fd), port_(std::move(port)), clientIp_(clientIp), clientEnd_(*this) {
    buffer_ = w_.buffers.get();
    begin_ = end_offset_ = kHeadroom;
    lastActive_ = Clock::now();
    w_.loop.add(fd_, kConnectionEvents, &clientEnd_);
  }

  void onEvents(uint32_t) override {}

  void close() override {
    if (retired) return;
    unlink();
    if (up_) closeUpstream();
    w_.loop.closeFd(fd_);
    w_.buffers.put(buffer_);
    buffer_ = nullptr;
    w_.loop.retire(this);
  }

  void tick(Clock::time_point now) override {
    if (phase_ == Phase::Closing && now - lastActive_ > w_.timeouts.linger) return close();
    if (phase_ == Phase::Backoff && now >= retryAt_) {
      acquire(true);
      return drive();
    }
    // A route's timeouts.request / backendRequest.
    if (phase_ == Phase::Forward && deadline_ != Clock::time_point{} && now >= deadline_) {
      if (responded_) return close();
      return answer(kGatewayTimeout, true, currentSeries(), 504);
    }
    if (phase_ == Phase::Head && now - lastActive_ > w_.timeouts.clientIdle) return close();
    // Waiting on the backend: the request is all out and nothing is left to pass back.
    if (phase_ == Phase::Forward && up_ && up_->connected && reqBody_.done() && sent_ == reqEnd_ &&
        up_->begin == up_->end && now - upstreamActive_ > w_.timeouts.response) {
      if (responded_) return close();
      auto series = up_->series;
      answer(kGatewayTimeout, true, series.get(), 504);
    }
  }

  // Everything that can move, moves; called on any event of the client or the upstream.
  void drive() {
    while (!retired) {
      bool progress = readClient();
      if (retired) return;
      progress |= advanceRequest();
      if (retired) return;
      progress |= sendUpstream();
      if (retired) return;
      progress |= readUpstream();
      if (retired) return;
      progress |= advanceResponse();
      if (!progress) break;
    }
  }

  void onUpstreamEvents(uint32_t ev) {
    Upstream* up = up_;
    up->ready.onEvents(ev);
    if (!up->connected) {
      if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(up->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) return connectFailed();
      up->connected = true;
      w_.slot(up->series).connections.add(1);
    }
    drive();
  }

  void upstreamConnectTimedOut() { connectFailed(); }

 private:
  struct End : EventLoop::Handler {
    explicit End(Session& s_) : s(s_) {}
    void onEvents(uint32_t ev) override {
      if (s.retired) return;
      s.ready_.onEvents(ev);
      s.lastActive_ = Clock::now();
      s.drive();
    }
    Session& s;
  };

  enum class Phase {
    Head,      // waiting for (the rest of) a request head
    Forward,   // a request is on its way to a backend, its response on its way back
    Own,       // the proxy answers itself (own_)
    Upgraded,  // after 101 Switching Protocols: bytes both ways until either side closes
    Closing,   // response sent, our side shut: waiting for the client's FIN
    Backoff,   // a route's retry waits before trying again
  };

  uint32_t used() const { return end_offset_ - begin_; }

  // Moves buffered client bytes down to the headroom, dropping what is no longer needed.
  void compact() {
    uint32_t keepFrom = begin_;
    if (phase_ == Phase::Forward && !retain_) keepFrom = sent_;
    if (keepFrom <= kHeadroom) return;
    uint32_t delta = keepFrom - kHeadroom;
    std::memmove(buffer_->data + kHeadroom, buffer_->data + keepFrom, end_offset_ - keepFrom);
    end_offset_ -= delta;
    auto shift = [&](uint32_t& at) { at = at >= keepFrom ? at - delta : kHeadroom; };
    shift(sent_);
    shift(reqEnd_);
    shift(begin_);
  }

  bool readClient() {
    if (!ready_.readable || eof_) return false;
    if (end_offset_ == kBufferSize) {
      // A request body bigger than the buffer: give up the whole-request copy kept for a
      // retry, so sent bytes can be dropped.
      if (phase_ == Phase::Forward && retain_ && sent_ > begin_) retain_ = false;
      compact();
      if (end_offset_ == kBufferSize) return false;
    }
    size_t room = kBufferSize - end_offset_;
    ssize_t n = read(fd_, buffer_->data + end_offset_, room);
    if (n > 0) {
      end_offset_ += static_cast<uint32_t>(n);
      ready_.afterRead(n, room);
      if (phase_ == Phase::Closing) begin_ = end_offset_ = kHeadroom;  // discarded
      return true;
    }
    if (n == 0) {
      eof_ = true;
      if (phase_ == Phase::Closing) close();
      return true;
    }
    if (wouldBlock(errno)) {
      ready_.readable = false;
      return false;
    }
    close();
    return false;
  }

  bool advanceRequest() {
    if (phase_ == Phase::Head) return startRequest();
    if (phase_ == Phase::Forward && !reqBody_.done() && end_offset_ > reqEnd_) {
      size_t n = reqBody_.consume(buffer_->data + reqEnd_, end_offset_ - reqEnd_);
      if (n == size_t(-1)) {
        close();
        return false;
      }
      reqEnd_ += static_cast<uint32_t>(n);
      return n > 0;
    }
    if (phase_ == Phase::Own) return writeOwn();
    return false;
  }

  bool startRequest() {
    if (begin_ == end_offset_) {
      if (eof_) close();
      return false;
    }
    http::Head head;
    auto parsed = http::parseRequest(buffer_->data + begin_, used(), head);
    if (parsed == http::Parse::Incomplete) {
      if (eof_) {
        close();
      } else if (begin_ == kHeadroom && end_offset_ == kBufferSize) {
        reqEnd_ = end_offset_;
        answer(kHeadTooLarge, true, nullptr, 431);
      } else if (end_offset_ == kBufferSize) {
        compact();
        return true;
      }
      return false;
    }
    if (parsed == http::Parse::Error) {
      reqEnd_ = end_offset_;
      answer(kBadRequest, true, nullptr, 400);
      return true;
    }
    started_ = Clock::now();
    isHead_ = head.method == "HEAD";
    idempotent_ = isHead_ || head.method == "GET" || head.method == "OPTIONS" ||
                  head.method == "PUT" || head.method == "DELETE" || head.method == "TRACE";
    upgrade_ = head.connectionUpgrade && head.hasUpgradeHeader;
    closeAfter_ = !head.keepAlive();  // a half-closed client still gets what it pipelined
    http10KeepAlive_ = head.versionMinor == 0 && head.keepAlive();
    reqBody_ = http::BodyFraming::forRequest(head);
    uint32_t length = head.length;
    if (!upgrade_) {
      // Dropping hop-by-hop lines moves the start line forward: the views into it follow.
      uint32_t before = begin_;
      begin_ = editHead(buffer_->data, begin_, length, head, {});
      uint32_t shift = begin_ - before;
      head.method = {head.method.data() + shift, head.method.size()};
      head.target = {head.target.data() + shift, head.target.size()};
    }
    reqEnd_ = begin_ + length;
    sent_ = begin_;
    retain_ = true;
    size_t n = reqBody_.consume(buffer_->data + reqEnd_, end_offset_ - reqEnd_);
    if (n == size_t(-1)) {
      reqEnd_ = end_offset_;
      answer(kBadRequest, true, nullptr, 400);
      return true;
    }
    reqEnd_ += static_cast<uint32_t>(n);
    route(head, std::string_view(buffer_->data + begin_, length));
    return true;
  }

  // Picks a backend for the request and an upstream connection to it: by the port's routes
  // when it has any (Gateway API), else over the port's own endpoints. `text` is the head as it
  // will be forwarded.
  void route(const http::Head& head, std::string_view text) {
    hold_ = port_->config;
    rule_ = nullptr;
    routeBackend_ = nullptr;
    respExtra_ = {};
    deadline_ = {};
    retriesLeft_ = 0;
    const PortConfig& config = *hold_;
    if (config.routes && !port_->removed) return routeByRules(head, text);
    if (port_->removed || config.backends.empty()) {
      ownConfig_ = hold_;  // keeps `unavailable` alive while it is written
      answer(config.unavailable, reqBody_.kind() != http::BodyFraming::Kind::None,
             config.series.get(), 503);
      return;
    }
    backends_ = &config.backends;
    first_ = config.balancer->pick({config.backends, clientIp_});
    attempt_ = 0;
    upstreamActive_ = started_;
    acquire(false);
  }

  void routeByRules(const http::Head& head, std::string_view text) {
    const RoutesConfig& routes = *hold_->routes;
    bool hasBody = reqBody_.kind() != http::BodyFraming::Kind::None;
    std::string_view host = headerValue(text, "host").value_or("");
    if (size_t colon = host.rfind(':');
        colon != std::string_view::npos && host.find(']') == std::string_view::npos)
      host = host.substr(0, colon);
    size_t matchIndex = 0;
    const HttpRule* rule = routes.table->find({host, head.method, head.target, text}, &matchIndex);
    ownConfig_ = hold_;
    if (!rule) return answer(routes.notFound, hasBody, hold_->series.get(), 404);
    rule_ = &routes.rules[static_cast<size_t>(rule - routes.table->rules().data())];
    if (rule->redirect) {
      ownText_ = redirectResponse(*rule, rule->matches[matchIndex], host, head.target);
      return answer(ownText_, hasBody, rule_->series.get(), rule->redirect->statusCode);
    }
    // The backend: the one the client's session names while it has weight, else the next in
    // the weighted cycle.
    int chosen = -1;
    bool pinned = false;
    if (rule->session) {
      chosen = pinnedBackend(*rule->session, rule_->backends, text);
      pinned = chosen >= 0;
    }
    if (chosen < 0) chosen = rule_->schedule ? rule_->schedule->next() : -1;
    if (chosen < 0) return answer(routes.unresolved, hasBody, rule_->series.get(), 500);
    const RouteBackend& b = rule_->backends[static_cast<size_t>(chosen)];
    routeBackend_ = &b;
    if (!b.resolved) return answer(b.unavailable, hasBody, nullptr, 500);
    if (b.backends.empty()) return answer(b.unavailable, hasBody, nullptr, 503);
    if (rule->session && !pinned) respExtra_ = b.sessionLine;
    if (!rule->mirrors.empty()) mirror(*rule, text);
    if (!rule->requestHeaders.empty() || rule->rewrite) {
      if (!rewriteRequest(*rule, rule->matches[matchIndex], head, text)) {
        routeBackend_ = nullptr;
        return answer(kHeadTooLargeAfterFilters, true, rule_->series.get(), 500);
      }
    }
    if (rule->requestTimeout.count()) deadline_ = started_ + rule->requestTimeout;
    if (rule->retry && idempotent_) retriesLeft_ = rule->retry->attempts;
    backends_ = &b.backends;
    first_ = b.balancer->pick({b.backends, clientIp_});
    attempt_ = 0;
    upstreamActive_ = started_;
    acquire(false);
  }

  std::string redirectResponse(const HttpRule& rule, const RouteMatch& match, std::string_view host,
                               std::string_view target) {
    const Redirect& r = *rule.redirect;
    const char* reason = r.statusCode == 301   ? "Moved Permanently"
                         : r.statusCode == 303 ? "See Other"
                         : r.statusCode == 307 ? "Temporary Redirect"
                         : r.statusCode == 308 ? "Permanent Redirect"
                                               : "Found";
    return "HTTP/1.1 " + std::to_string(r.statusCode) + " " + reason +
           "\r\nLocation: " + redirectLocation(r, match, host, hold_->listenPort, target) +
           "\r\nContent-Length: 0\r\n\r\n";
  }

  // Sends a copy of the request to each mirror the rule samples it for, when the whole request
  // is at hand (a body still arriving is not copied: the copy is counted as failed).
  void mirror(const HttpRule& rule, std::string_view text) {
    // Request n of the rule is copied when it moves floor(n * numerator / denominator) on:
    // exactly numerator of every denominator requests, spread evenly.
    uint64_t n = rule_->requests->fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < rule.mirrors.size() && i < rule_->mirrors.size(); ++i) {
      const RequestMirror& m = rule.mirrors[i];
      if ((n + 1) * m.numerator / m.denominator == n * m.numerator / m.denominator) continue;
      const RouteBackend& target = rule_->mirrors[i];
      if (!reqBody_.done()) {
        w_.slot(target.series).connectFailures.add(1);
        continue;
      }
      std::string copy(text);
      copy.append(buffer_->data + begin_ + text.size(), reqEnd_ - begin_ - text.size());
      sendMirror(w_, hold_, target, std::move(copy));
    }
  }

  // Applies the rule's RequestHeaderModifier and URLRewrite to the head at begin_; false when
  // the new head does not fit in front of the body.
  bool rewriteRequest(const HttpRule& rule, const RouteMatch& match, const http::Head& head,
                      std::string_view text) {
    std::string startLine;
    std::string_view host;
    if (rule.rewrite) {
      std::string_view target = head.target, path = target, query;
      if (size_t q = target.find('?'); q != std::string_view::npos) {
        path = target.substr(0, q);
        query = target.substr(q);
      }
      if (rule.rewrite->path.type != PathModifier::Type::None)
        startLine = std::string(head.method) + " " + modifiedPath(rule.rewrite->path, match, path) +
                    std::string(query) + " HTTP/1." + std::to_string(head.versionMinor);
      host = rule.rewrite->hostname;
    }
    std::string& out = w_.scratch;
    rewriteHead(text, {startLine, &rule.requestHeaders, host, {}}, out);
    auto length = static_cast<uint32_t>(text.size());
    if (out.size() > begin_ + length) return false;
    uint32_t newBegin = begin_ + length - static_cast<uint32_t>(out.size());
    std::memcpy(buffer_->data + newBegin, out.data(), out.size());
    begin_ = sent_ = newBegin;
    return true;
  }

  // The series a request counts in when the proxy answers it: its route backend's, else the
  // port's own.
  Series* currentSeries() const {
    if (up_) return up_->series.get();
    return hold_ ? hold_->series.get() : nullptr;
  }

  // An upstream for backend (first_ + attempt_); pooled unless `fresh`. Refusing backends are
  // skipped; when none is left the client gets 502.
  void acquire(bool fresh) {
    phase_ = Phase::Forward;
    const auto& backends = *backends_;
    if (rule_ && rule_->rule->backendTimeout.count()) {
      auto at = Clock::now() + rule_->rule->backendTimeout;
      if (deadline_ == Clock::time_point{} || at < deadline_) deadline_ = at;
    }
    while (attempt_ < backends.size()) {
      const Backend& b = backends[(first_ + attempt_) % backends.size()];
      if (!fresh) {
        auto it = w_.idle.find(b.key);
        if (it != w_.idle.end() && !it->second.empty()) {
          Upstream* up = it->second.back();
          it->second.pop_back();
          if (up->series != b.series) up->series = b.series;  // pools are shared by Services
          up->owner = this;
          up->reused = true;
          up_ = up;
          return;
        }
      }
      bool connected = false;
      int fd = connectTo(b.address, connected);
      if (fd >= 0) {
        up_ = new Upstream(w_, fd, b.key, b.series, connected);
        up_->owner = this;
        if (connected) w_.slot(b.series.get()).connections.add(1);
        return;
      }
      w_.slot(b.series.get()).connectFailures.add(1);
      ++attempt_;
      fresh = false;
    }
    answer(kBadGateway, true, hold_->series.get(), 502);
  }

  void connectFailed() {
    w_.slot(up_->series).connectFailures.add(1);
    closeUpstream();
    ++attempt_;
    sent_ = begin_;
    acquire(true);
    drive();
  }

  // The upstream failed before answering: retry the whole request on a new connection while we
  // still hold all of it and nothing went back to the client (a pooled connection that the
  // backend closed while idle, or a backend that is going away), else 502 or abort.
  void upstreamFailed() {
    bool reused = up_->reused;
    bool nothingBack = !respHeadDone_ && up_->begin == up_->end && !responded_;
    closeUpstream();
    // Resent only when idempotent (RFC 9110 9.2.2): the backend may have acted on it before it
    // closed, whether the connection was pooled or new (as Go's and browsers' clients do).
    if (nothingBack && retain_ && retries_ < 3 && idempotent_) {
      ++retries_;
      sent_ = begin_;
      if (!reused) ++attempt_;  // a new connection that failed: try the next backend
      acquire(true);
      return;
    }
    if (!responded_) {
      answer(kBadGateway, true, hold_->series.get(), 502);
      return;
    }
    close();
  }

  bool sendUpstream() {
    if (phase_ != Phase::Forward && phase_ != Phase::Upgraded) return false;
    if (!up_ || !up_->connected || !up_->ready.writable) return false;
    uint32_t limit = phase_ == Phase::Upgraded ? end_offset_ : reqEnd_;
    if (phase_ == Phase::Upgraded && eof_ && sent_ >= limit && !upstreamShut_) {
      // The client's half-close goes on once every byte before it has.
      shutdown(up_->fd, SHUT_WR);
      upstreamShut_ = true;
      return true;
    }
    if (sent_ >= limit) return false;
    ssize_t n = write(up_->fd, buffer_->data + sent_, limit - sent_);
    if (n > 0) {
      sent_ += static_cast<uint32_t>(n);
      if (sent_ < limit) up_->ready.writable = false;
      w_.slot(up_->series).bytesIn.add(static_cast<uint64_t>(n));
      if (sent_ == reqEnd_) upstreamActive_ = Clock::now();  // the response clock starts now
      if (phase_ == Phase::Upgraded) {
        begin_ = sent_;
        if (sent_ == end_offset_) begin_ = sent_ = end_offset_ = kHeadroom;
      }
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      up_->ready.writable = false;
      return false;
    }
    upstreamFailed();
    return true;
  }

  bool readUpstream() {
    if ((phase_ != Phase::Forward && phase_ != Phase::Upgraded) || !up_ || !up_->connected ||
        !up_->ready.readable || upstreamEof_)
      return false;
    Upstream& up = *up_;
    if (up.begin == up.end) up.begin = up.end = respEnd_ = kHeadroom;  // all passed on
    if (up.end == kBufferSize && up.begin > kHeadroom) {
      std::memmove(up.buffer->data + kHeadroom, up.buffer->data + up.begin, up.end - up.begin);
      if (respHeadDone_) respEnd_ -= up.begin - kHeadroom;
      up.end -= up.begin - kHeadroom;
      up.begin = kHeadroom;
    }
    size_t room = kBufferSize - up.end;
    if (!room) return false;
    ssize_t n = read(up.fd, up.buffer->data + up.end, room);
    if (n > 0) {
      up.end += static_cast<uint32_t>(n);
      up.ready.afterRead(n, room);
      upstreamActive_ = Clock::now();
      w_.slot(up.series).bytesOut.add(static_cast<uint64_t>(n));
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      up.ready.readable = false;
      return false;
    }
    // EOF or error from the backend.
    if (n == 0 && ((respHeadDone_ && respBody_.kind() == http::BodyFraming::Kind::UntilClose) ||
                   phase_ == Phase::Upgraded)) {
      upstreamEof_ = true;
      return true;
    }
    upstreamFailed();
    return true;
  }

  bool advanceResponse() {
    if ((phase_ != Phase::Forward && phase_ != Phase::Upgraded) || !up_) return false;
    Upstream& up = *up_;
    bool progress = false;
    if (phase_ == Phase::Forward && !respHeadDone_) {
      if (up.begin == up.end) return false;
      http::Head head;
      auto parsed = http::parseResponse(up.buffer->data + up.begin, up.end - up.begin, head);
      if (parsed == http::Parse::Incomplete) {
        if (up.begin == kHeadroom && up.end == kBufferSize) upstreamFailedHard();
        return false;
      }
      if (parsed == http::Parse::Error) {
        upstreamFailedHard();
        return true;
      }
      status_ = head.status;
      interim_ = head.status < 200 && head.status != 101;
      uint32_t length = head.length;
      if (head.status == 101) {
        // Switching protocols: the head goes through untouched, then bytes both ways.
        respEnd_ = up.begin + length;
        respHeadDone_ = true;
        respBody_ = http::BodyFraming::untilClose();
        switching_ = true;
        return true;
      }
      if (!interim_ && retriesLeft_ > 0 && retain_ && reqBody_.done() && retryOn(head.status)) {
        // A route's retry: this answer is dropped, the request goes again after the backoff.
        --retriesLeft_;
        w_.slot(up.series).request(head.status, micros(started_, Clock::now()));
        closeUpstream();
        respHeadDone_ = false;
        sent_ = begin_;
        ++attempt_;
        attempt_ %= backends_->size();
        if (rule_->rule->retry->backoff.count()) {
          phase_ = Phase::Backoff;
          retryAt_ = Clock::now() + rule_->rule->retry->backoff;
        } else {
          acquire(true);
        }
        return true;
      }
      if (!interim_) {
        respBody_ = http::BodyFraming::forResponse(head, isHead_ ? "HEAD" : "");
        upstreamReusable_ =
            head.keepAlive() && respBody_.kind() != http::BodyFraming::Kind::UntilClose;
        if (respBody_.kind() == http::BodyFraming::Kind::UntilClose) closeAfter_ = true;
        std::string_view extra = closeAfter_        ? "Connection: close\r\n"
                                 : http10KeepAlive_ ? "Connection: keep-alive\r\n"
                                                    : "";
        up.begin = editHead(up.buffer->data, up.begin, length, head, extra);
        if (rule_ && (!rule_->rule->responseHeaders.empty() || !respExtra_.empty()) &&
            !rewriteResponse(up, length)) {
          upstreamFailedHard();
          return true;
        }
      } else {
        respBody_ = http::BodyFraming::none();
      }
      respEnd_ = up.begin + length;
      respHeadDone_ = true;
      progress = true;
    }
    if (respHeadDone_ && !respBody_.done() && up.end > respEnd_ && phase_ == Phase::Forward) {
      size_t n = respBody_.consume(up.buffer->data + respEnd_, up.end - respEnd_);
      if (n == size_t(-1)) {
        upstreamFailedHard();
        return true;
      }
      respEnd_ += static_cast<uint32_t>(n);
      progress |= n > 0;
    }
    if (phase_ == Phase::Upgraded) respEnd_ = up.end;
    if (up.begin < respEnd_ && ready_.writable) {
      ssize_t n = write(fd_, up.buffer->data + up.begin, respEnd_ - up.begin);
      if (n > 0) {
        up.begin += static_cast<uint32_t>(n);
        responded_ = true;
        if (up.begin < respEnd_) ready_.writable = false;
        progress = true;
      } else if (n < 0 && wouldBlock(errno)) {
        ready_.writable = false;
      } else {
        close();
        return false;
      }
    }
    if (up.begin < respEnd_) return progress;
    if (phase_ == Phase::Upgraded) {
      if (upstreamEof_) close();
      return progress;
    }
    if (switching_) {
      phase_ = Phase::Upgraded;
      begin_ = sent_;
      switching_ = false;
      return true;
    }
    bool complete = respHeadDone_ &&
                    (respBody_.done() ||
                     (upstreamEof_ && respBody_.kind() == http::BodyFraming::Kind::UntilClose));
    if (!complete) return progress;
    if (interim_) {
      respHeadDone_ = false;  // the final response follows
      return true;
    }
    finishRequest();
    return true;
  }

  bool retryOn(int status) const {
    for (int code : rule_->rule->retry->codes)
      if (code == status) return true;
    return false;
  }

  // Applies the rule's ResponseHeaderModifier and the session line to the response head at
  // up.begin (`length` bytes, updated); false when it does not fit.
  bool rewriteResponse(Upstream& up, uint32_t& length) {
    std::string& out = w_.scratch;
    rewriteHead(std::string_view(up.buffer->data + up.begin, length),
                {{}, &rule_->rule->responseHeaders, {}, respExtra_}, out);
    if (out.size() > up.begin + length) return false;
    uint32_t newBegin = up.begin + length - static_cast<uint32_t>(out.size());
    std::memcpy(up.buffer->data + newBegin, out.data(), out.size());
    up.begin = newBegin;
    length = static_cast<uint32_t>(out.size());
    return true;
  }

  // The backend sent something that is not HTTP: never reuse it; 502 if the client has had
  // nothing yet.
  void upstreamFailedHard() {
    closeUpstream();
    if (!responded_) {
      answer(kBadGateway, true, hold_->series.get(), 502);
    } else {
      close();
    }
  }

  void finishRequest() {
    Upstream* up = up_;
    auto now = Clock::now();
    uint64_t elapsed = micros(started_, now);
    MetricsSlot& slot = w_.slot(up->series);
    slot.request(status_, elapsed);
    slot.count(steadySecond(started_));
    if (routeBackend_) {
      MetricsSlot& routeSlot = w_.slot(routeBackend_->series);
      routeSlot.request(status_, elapsed);
      routeSlot.count(steadySecond(started_));
    }
    bool reusable = upstreamReusable_ && !upstreamEof_ && !up->ready.hangup && reqBody_.done() &&
                    sent_ == reqEnd_ && up->begin == up->end;
    up_ = nullptr;
    if (reusable) {
      up->begin = up->end = kHeadroom;
      w_.takeIdle(up);
    } else {
      up->owner = nullptr;
      up->close();
    }
    if (!reqBody_.done()) closeAfter_ = true;  // the rest of the body cannot be told apart
    nextRequest();
  }

  // The proxy's own answer (400, 431, 502, 503): written from `text`, which outlives it.
  void answer(std::string_view text, bool closeAfter, Series* series, int status) {
    if (up_) closeUpstream();
    phase_ = Phase::Own;
    own_ = text;
    ownSent_ = 0;
    closeAfter_ = closeAfter_ || closeAfter;
    uint64_t elapsed = micros(started_, Clock::now());
    if (series) w_.slot(series).request(status, elapsed);
    if (routeBackend_) {
      // The route's backend that was picked answered nothing: the proxy did, for its share.
      MetricsSlot& slot = w_.slot(routeBackend_->series);
      slot.request(status, elapsed);
      slot.count(steadySecond(started_));
      routeBackend_ = nullptr;
    }
    deadline_ = {};
    writeOwn();
  }

  bool writeOwn() {
    if (!ready_.writable || ownSent_ == own_.size()) return false;
    ssize_t n = write(fd_, own_.data() + ownSent_, own_.size() - ownSent_);
    if (n > 0) {
      ownSent_ += static_cast<size_t>(n);
      if (ownSent_ < own_.size()) {
        ready_.writable = false;
        return true;
      }
      ownConfig_.reset();
      nextRequest();
      return true;
    }
    if (n < 0 && wouldBlock(errno)) {
      ready_.writable = false;
      return false;
    }
    close();
    return false;
  }

  // The current exchange is over: the client's next request, or the end of the connection.
  void nextRequest() {
    lastActive_ = Clock::now();  // the keep-alive idle time starts after the response
    begin_ = reqEnd_ > begin_ ? reqEnd_ : begin_;
    if (begin_ == end_offset_) begin_ = end_offset_ = kHeadroom;
    respHeadDone_ = false;
    responded_ = false;
    upstreamEof_ = false;
    retries_ = 0;
    deadline_ = {};
    routeBackend_ = nullptr;
    if (closeAfter_) {
      // Shut our side and wait for the client's FIN before closing, so a reset cannot destroy
      // the response still in flight (the lingering close web servers do).
      phase_ = Phase::Closing;
      shutdown(fd_, SHUT_WR);
      lastActive_ = Clock::now();
      if (eof_) close();
      return;
    }
    phase_ = Phase::Head;
  }

  void closeUpstream() {
    Upstream* up = up_;
    up_ = nullptr;
    up->owner = nullptr;
    up->close();
  }

  int fd_;
  std::shared_ptr<WorkerPort> port_;
  uint32_t clientIp_;
  End clientEnd_;
  Readiness ready_;
  Buffer* buffer_;
  uint32_t begin_, end_offset_;  // client bytes: the current request starts at begin_
  bool eof_ = false;
  Phase phase_ = Phase::Head;
  Clock::time_point lastActive_, started_;
  Clock::time_point upstreamActive_;  // the request went out, or the backend last sent bytes

  // The current request.
  bool isHead_ = false, idempotent_ = false, upgrade_ = false, closeAfter_ = false,
       http10KeepAlive_ = false;
  http::BodyFraming reqBody_;
  uint32_t reqEnd_ = 0;  // end of the request bytes known so far (head + framed body)
  uint32_t sent_ = 0;    // client bytes up to here went to the upstream
  bool retain_ = true;   // the whole request is still in the buffer (a retry can resend it)
  size_t first_ = 0, attempt_ = 0;
  int retries_ = 0;
  Upstream* up_ = nullptr;

  // Its response.
  bool respHeadDone_ = false, interim_ = false, switching_ = false, responded_ = false;
  bool upstreamReusable_ = false, upstreamEof_ = false, upstreamShut_ = false;
  http::BodyFraming respBody_;
  uint32_t respEnd_ = 0;  // end of the response bytes known so far, in the upstream's buffer
  int status_ = 0;

  std::string_view own_;
  size_t ownSent_ = 0;
  std::shared_ptr<const PortConfig> ownConfig_;
  std::string ownText_;  // a redirect's answer

  // The request's routing: the port's snapshot (which keeps every pointer below alive), the
  // endpoints it goes to, and for a Gateway API route its rule and backend.
  std::shared_ptr<const PortConfig> hold_;
  const std::vector<Backend>* backends_ = nullptr;
  const RuleConfig* rule_ = nullptr;
  const RouteBackend* routeBackend_ = nullptr;
  std::string_view respExtra_;    // header lines for the response (a session cookie)
  Clock::time_point deadline_{};  // timeouts.request / backendRequest; {} for none
  Clock::time_point retryAt_{};
  int retriesLeft_ = 0;

  friend class Upstream;
};

void Upstream::onEvents(uint32_t ev) {
  if (owner) return owner->onUpstreamEvents(ev);
  // Idle: the backend closed it (or sent something unasked). Either way it is done.
  if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) close();
}

void Upstream::tick(Clock::time_point now) {
  if (owner) {
    if (!connected && now - started > w_.timeouts.connect) owner->upstreamConnectTimedOut();
  } else if (now - started > w_.timeouts.upstreamIdle) {
    close();
  }
}

void Worker::State::takeIdle(Upstream* up) {
  up->owner = nullptr;
  up->reused = false;
  up->started = Clock::now();
  idle[up->key].push_back(up);
}

void Worker::State::dropIdle(Upstream* up) {
  auto it = idle.find(up->key);
  if (it == idle.end()) return;
  auto& v = it->second;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == up) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
}

void Worker::State::closeIdleExcept(const std::unordered_set<uint64_t>& liveBackends) {
  for (auto it = idle.begin(); it != idle.end();) {
    if (liveBackends.count(it->first)) {
      ++it;
      continue;
    }
    auto conns = std::move(it->second);
    it = idle.erase(it);
    for (auto* up : conns) {
      up->owner = nullptr;
      up->reused = false;
      up->close();
    }
  }
}

void openSession(Worker::State& w, int clientFd, std::shared_ptr<WorkerPort> port,
                 uint32_t clientIp) {
  // Owned by the loop from now on. Its first bytes are often there already: drive() runs on
  // the first event.
  new Session(w, clientFd, std::move(port), clientIp);
}

}  // namespace sluice::proxy
