#include "echo/http_echo.h"

#include <signal.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <utility>

#include "api/duration.h"
#include "http/http.h"

namespace sluice::echo {

using api::parseGoDuration;

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// A connection's input buffer starts small (most requests are a few hundred bytes) and grows up
// to kMaxHead for requests with big headers; a head larger than that is answered 431.
constexpr size_t kInitialInput = 4 * 1024;
constexpr size_t kMaxHead = 32 * 1024;
// Pipelined answers are gathered and written together, up to this much at a time.
constexpr size_t kFlushAt = 64 * 1024;
// After "Connection: close", unread request bytes are drained this long before closing, so that
// the close does not turn into a reset that destroys the last answer in flight.
constexpr std::chrono::seconds kLingerTimeout{2};

// ---------------------------------------------------------------------------------------------
// Answers.

const char* reasonPhrase(int status) {
  static const std::pair<int, const char*> kPhrases[] = {
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {418, "I'm a teapot"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "";  // the reason phrase is optional (RFC 9112 4)
}

void appendJsonEscaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
}

size_t jsonEscapedSize(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    n += (c == '"' || c == '\\') ? 2 : static_cast<unsigned char>(c) < 0x20 ? 6 : 1;
  }
  return n;
}

void appendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// An answer rendered once: the status line and headers up to (not including) Connection and
// the blank line, and the body.
struct Rendered {
  std::string head;
  std::string body;
};

Rendered render(int status, std::string_view contentType, std::string body) {
  Rendered r;
  r.head = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
  if (status == 204 || status == 304) return r;  // no body, and no length (RFC 9110 8.6)
  r.head += "Content-Type: " + std::string(contentType) + "\r\n";
  r.head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r.body = std::move(body);
  return r;
}

void appendConnectionAndEnd(std::string& out, bool close, int minorVersion) {
  if (close) {
    out += "Connection: close\r\n\r\n";
  } else if (minorVersion == 0) {
    out += "Connection: keep-alive\r\n\r\n";
  } else {
    out += "\r\n";
  }
}

// A failure to listen. Not Error::internal: its "Internal error occurred" prefix would suggest a
// bug, where the cause is the address (in use, not local, privileged).
api::Error listenError(std::string message) {
  api::Error e;
  e.code = 500;
  e.reason = "InternalError";
  e.message = std::move(message);
  return e;
}

std::string hostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

// =============================================================================================
// The server.

namespace {

class Connection;

// The server's state, shared by its connections.
struct ServerCore {
  explicit ServerCore(HttpEchoOptions o);
  ~ServerCore() { destroying = true; }

  void accept();
  void beginStop();
  void connectionClosed();
  // Appends the whole answer to a request for `target`.
  void appendAnswer(std::string& out, std::string_view target, bool head, bool close,
                    int minorVersion);

  // Declared before `io` so that connections, which unlink themselves when io's pending
  // handlers are destroyed with it, still find the list.
  Connection* connections = nullptr;  // an intrusive list: no allocation per connection
  size_t connectionCount = 0;
  bool stopping = false;
  bool destroying = false;

  HttpEchoOptions options;
  Rendered answer, failure, health;
  std::string jsonPrefix;  // {"text":...,"path":"   (the JSON body up to the escaped target)
  std::mt19937_64 rng;

  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::steady_timer acceptRetry{io};
  net::steady_timer drainTimer{io};
  std::optional<net::signal_set> signals;
};

// One client connection. It runs a loop that parses as many requests as its input holds,
// gathers their answers, writes them, and reads again; a latency timer pauses the loop between
// a request and its answer. Lifetime: shared by the handlers of its pending operations, so it
// dies when the last one completes after close().
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& server, tcp::socket socket)
      : server_(server),
        socket_(std::move(socket)),
        timer_(server.io),
        input_(new char[kInitialInput]),
        inputCapacity_(kInitialInput) {
    next_ = server_.connections;
    if (next_) next_->prev_ = this;
    server_.connections = this;
    ++server_.connectionCount;
  }

  ~Connection() {
    (prev_ ? prev_->next_ : server_.connections) = next_;
    if (next_) next_->prev_ = prev_;
    --server_.connectionCount;
    if (!server_.destroying) server_.connectionClosed();
  }

  Connection* next() const { return next_; }

  void start() { advance(); }

  // For a stop: a connection waiting for a new request closes now; one busy with a request
  // finishes it (its answer says "Connection: close").
  void closeIfIdle() {
    if (phase_ == Phase::Head && reading_ && inputBegin_ == inputEnd_) close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  enum class Phase { Head, Body, Answer, Waiting, Lingering };

  std::string_view input() const {
    return std::string_view(input_.get() + inputBegin_, inputEnd_ - inputBegin_);
  }

  void consumeInput(size_t n) {
    inputBegin_ += n;
    if (inputBegin_ == inputEnd_) inputBegin_ = inputEnd_ = 0;
  }

  // Runs the request loop until it must wait for the socket or the latency timer.
  void advance() {
    for (;;) {
      switch (phase_) {
        case Phase::Head: {
          http::Head request;
          const std::string_view in = input();
          http::Parse status = http::parseRequest(in.data(), in.size(), request);
          if (status == http::Parse::Incomplete) {
            if (inputEnd_ - inputBegin_ == inputCapacity_ && !growInput()) {
              return failAndClose("HTTP/1.1 431 Request Header Fields Too Large\r\n");
            }
            return flushOrRead();
          }
          if (status == http::Parse::Error) return failAndClose("HTTP/1.1 400 Bad Request\r\n");
          head_ = request.method == "HEAD";
          keepAlive_ = request.keepAlive();
          minorVersion_ = request.versionMinor;
          target_.assign(request.target);  // capacity is kept, so this allocates once at most
          consumeInput(request.length);
          body_ = http::BodyFraming::forRequest(request);
          // The client waits for this before sending the body (RFC 9110 10.1.1).
          if (!body_.done() && request.expectContinue && minorVersion_ >= 1 && input().empty()) {
            output_ += "HTTP/1.1 100 Continue\r\n\r\n";
          }
          phase_ = Phase::Body;
          break;
        }
        case Phase::Body: {
          const std::string_view in = input();
          const size_t used = body_.consume(in.data(), in.size());
          if (used == size_t(-1)) return failAndClose("HTTP/1.1 400 Bad Request\r\n");
          consumeInput(used);
          if (!body_.done()) return flushOrRead();
          phase_ = Phase::Answer;
          break;
        }
        case Phase::Answer: {
          if (server_.options.latency.count() > 0 && !latencyDone_ && !isHealthCheck()) {
            if (!output_.empty()) return flush();  // earlier answers need not wait
            phase_ = Phase::Waiting;
            timer_.expires_after(server_.options.latency);
            timer_.async_wait([self = shared_from_this()](error_code ec) {
              if (ec || self->closed_) return;
              self->latencyDone_ = true;
              self->phase_ = Phase::Answer;
              self->advance();
            });
            return;
          }
          latencyDone_ = false;
          const bool close = !keepAlive_ || server_.stopping;
          server_.appendAnswer(output_, target_, head_, close, minorVersion_);
          phase_ = Phase::Head;
          if (close) {
            closeAfterWrite_ = true;
            return flush();
          }
          if (output_.size() >= kFlushAt) return flush();
          break;
        }
        case Phase::Waiting:
        case Phase::Lingering:
          return;
      }
    }
  }

  bool isHealthCheck() const {
    const std::string& path = server_.options.healthPath;
    std::string_view target = target_;
    return !path.empty() && target.substr(0, target.find('?')) == path;
  }

  bool growInput() {
    if (inputCapacity_ >= kMaxHead) return false;
    size_t capacity = std::min(inputCapacity_ * 2, kMaxHead);
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), input_.get() + inputBegin_, inputEnd_ - inputBegin_);
    inputEnd_ -= inputBegin_;
    inputBegin_ = 0;
    input_ = std::move(bigger);
    inputCapacity_ = capacity;
    return true;
  }

  // Answers a malformed request and closes: after it, where the next request starts is unknown.
  void failAndClose(std::string_view statusLine) {
    output_ += statusLine;
    output_ += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ";
    std::string_view reason =
        statusLine.substr(13, statusLine.size() - 15);  // after "HTTP/1.1 NNN "
    appendNumber(output_, reason.size() + 1);
    output_ += "\r\nConnection: close\r\n\r\n";
    output_ += reason;
    output_ += '\n';
    closeAfterWrite_ = true;
    phase_ = Phase::Waiting;  // nothing more is parsed
    flush();
  }

  void flushOrRead() {
    if (!output_.empty()) return flush();
    if (server_.stopping && phase_ == Phase::Head && input().empty()) return close();
    read();
  }

  void read() {
    if (inputEnd_ == inputCapacity_) {  // room at the end: move the unparsed bytes to the front
      std::memmove(input_.get(), input_.get() + inputBegin_, inputEnd_ - inputBegin_);
      inputEnd_ -= inputBegin_;
      inputBegin_ = 0;
    }
    reading_ = true;
    socket_.async_read_some(net::buffer(input_.get() + inputEnd_, inputCapacity_ - inputEnd_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              self->reading_ = false;
                              if (ec || self->closed_) return self->close();
                              self->inputEnd_ += n;
                              self->advance();
                            });
  }

  void flush() {
    net::async_write(socket_, net::buffer(output_),
                     [self = shared_from_this()](error_code ec, size_t) {
                       if (ec || self->closed_) return self->close();
                       self->output_.clear();
                       if (self->closeAfterWrite_) return self->linger();
                       self->advance();
                     });
  }

  // Half-closes and reads until the client closes too (or a timeout), discarding what comes.
  void linger() {
    phase_ = Phase::Lingering;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    timer_.expires_after(kLingerTimeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    discard();
  }

  void discard() {
    socket_.async_read_some(net::buffer(input_.get(), inputCapacity_),
                            [self = shared_from_this()](error_code ec, size_t) {
                              if (ec || self->closed_) return self->close();
                              self->discard();
                            });
  }

  ServerCore& server_;
  tcp::socket socket_;
  net::steady_timer timer_;
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;

  // Unparsed input is input_[inputBegin_, inputEnd_).
  std::unique_ptr<char[]> input_;
  size_t inputCapacity_;
  size_t inputBegin_ = 0, inputEnd_ = 0;
  std::string output_;  // answers not yet written; its capacity is reused

  // The request being handled.
  Phase phase_ = Phase::Head;
  std::string target_;
  bool head_ = false;
  bool keepAlive_ = true;
  int minorVersion_ = 1;
  http::BodyFraming body_;  // of the request being read; skipped, never stored
  bool latencyDone_ = false;

  bool reading_ = false;
  bool closeAfterWrite_ = false;
  bool closed_ = false;
};

}  // namespace

struct HttpEchoServer::Impl : ServerCore {
  using ServerCore::ServerCore;
};

ServerCore::ServerCore(HttpEchoOptions o) : options(std::move(o)) {
  rng.seed(options.seed ? *options.seed
                        : (uint64_t{std::random_device()()} << 32) ^ std::random_device()());
  if (options.json) {
    jsonPrefix = "{\"text\":\"";
    appendJsonEscaped(jsonPrefix, options.text);
    jsonPrefix += "\",\"pod\":\"";
    appendJsonEscaped(jsonPrefix, options.podName);
    jsonPrefix += "\",\"ip\":\"";
    appendJsonEscaped(jsonPrefix, options.podIp);
    jsonPrefix += "\",\"path\":\"";
    // The JSON answer's head is rendered per request (its length varies); keep the status part.
    answer = render(options.status, "application/json", "");
    answer.head = answer.head.substr(0, answer.head.find("Content-Length:"));
  } else {
    answer = render(options.status, "text/plain; charset=utf-8", options.text + "\n");
  }
  failure = render(500, "text/plain; charset=utf-8", "Internal Server Error\n");
  health = render(200, "text/plain; charset=utf-8", "ok");
}

void ServerCore::appendAnswer(std::string& out, std::string_view target, bool head, bool close,
                              int minorVersion) {
  const std::string_view path = target.substr(0, target.find('?'));
  const Rendered* r = &answer;
  if (!options.healthPath.empty() && path == options.healthPath) {
    r = &health;
  } else if (options.failRate > 0) {
    // 53 random bits as a fraction in [0, 1), the same on every platform for a given seed.
    double draw = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    if (draw < options.failRate) r = &failure;
  }
  out += r->head;
  if (r == &answer && options.json && options.status != 204 && options.status != 304) {
    constexpr std::string_view kSuffix = "\"}\n";
    out += "Content-Length: ";
    appendNumber(out, jsonPrefix.size() + jsonEscapedSize(target) + kSuffix.size());
    out += "\r\n";
    appendConnectionAndEnd(out, close, minorVersion);
    if (head) return;
    out += jsonPrefix;
    appendJsonEscaped(out, target);
    out += kSuffix;
    return;
  }
  appendConnectionAndEnd(out, close, minorVersion);
  if (!head) out += r->body;
}

void ServerCore::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping || ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or memory: retrying at once would spin; existing connections
      // closing will make room.
      if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
          ec == net::error::no_memory || ec.value() == ENFILE) {
        acceptRetry.expires_after(std::chrono::milliseconds(50));
        acceptRetry.async_wait([this](error_code e) {
          if (!e) accept();
        });
        return;
      }
      return accept();  // e.g. the client gave up before we accepted
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Connection>(*this, std::move(socket))->start();
    accept();
  });
}

void ServerCore::beginStop() {
  if (stopping) return;
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  acceptRetry.cancel();
  if (signals) signals->cancel(ignored);
  for (Connection* c = connections; c; c = c->next()) c->closeIfIdle();
  if (connectionCount == 0) {
    io.stop();
    return;
  }
  drainTimer.expires_after(options.drainTimeout);
  drainTimer.async_wait([this](error_code ec) {
    if (ec) return;
    for (Connection* c = connections; c; c = c->next()) c->close();
  });
}

void ServerCore::connectionClosed() {
  if (stopping && connectionCount == 0) {
    drainTimer.cancel();
    io.stop();
  }
}

HttpEchoServer::HttpEchoServer(HttpEchoOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpEchoServer::~HttpEchoServer() = default;

api::Status HttpEchoServer::listen() {
  const HttpEchoOptions& o = impl_->options;
  const std::string where = hostPort(o.host, o.port);
  error_code ec;
  net::ip::address address =
      net::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
  if (ec) return listenError("listen " + where + ": not an IP address");
  tcp::endpoint endpoint(address, o.port);
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string message = "listen " + where + ": " + ec.message();
    if (ec == net::error::access_denied && o.port < 1024) {
      message += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    }
    error_code ignored;
    acceptor.close(ignored);
    return listenError(std::move(message));
  }
  impl_->accept();
  return {};
}

std::string HttpEchoServer::address() const {
  error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? std::string() : endpoint.address().to_string();
}

uint16_t HttpEchoServer::port() const {
  error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpEchoServer::stopOnSignals() {
  Impl& impl = *impl_;
  impl.signals.emplace(impl.io, SIGTERM, SIGINT);
  impl.signals->async_wait([&impl](error_code ec, int) {
    if (!ec) impl.beginStop();
  });
}

void HttpEchoServer::run() {
  impl_->io.run();
}

void HttpEchoServer::stop() {
  Impl& impl = *impl_;
  net::post(impl.io, [&impl] { impl.beginStop(); });
}

// =============================================================================================

int runHttpEcho(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << httpEchoUsage();
      return 0;
    }
  }
  auto options = parseHttpEchoFlags(args, [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  if (!options) {
    std::cerr << "http-echo: " << options.error().message << "\n"
              << "Run 'sluice http-echo --help' for usage.\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  HttpEchoServer server(std::move(*options));
  server.stopOnSignals();  // before listening, so an early SIGTERM is a graceful stop too
  if (api::Status status = server.listen(); !status) {
    std::cerr << "http-echo: " << status.error().message << "\n";
    return 1;
  }
  std::cout << "listening on " << hostPort(server.address(), server.port()) << std::endl;
  server.run();
  return 0;
}

}  // namespace sluice::echo
