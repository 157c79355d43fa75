#include "apiserver/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

namespace sluice::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// One connection, plain (Stream = tcp_stream) or TLS (Stream = ssl_stream<tcp_stream>).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... StreamArgs>
  Session(beast::flat_buffer buffer, Handler& handler, const HttpServer::Options& options,
          StreamArgs&&... args)
      : stream_(std::forward<StreamArgs>(args)...),
        handler_(handler),
        options_(options),
        buffer_(std::move(buffer)),
        timeout_(stream_.get_executor()),
        bookmarks_(stream_.get_executor()) {}

  ~Session() {
    if (watch_ && watch_->watch) watch_->watch->stop();
    if (bytes_ && bytes_->stop) bytes_->stop();
  }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      readRequest();
    } else {
      lowest().expires_after(std::chrono::seconds(30));
      // Callable with and without the byte count: Beast 1.81 constrains the buffered handshake's
      // handler with the unbuffered signature.
      struct OnHandshake {
        std::shared_ptr<Session> self;
        void operator()(beast::error_code ec) { (*this)(ec, 0); }
        void operator()(beast::error_code ec, size_t used) {
          if (ec) return self->close();
          self->buffer_.consume(used);
          self->readRequest();
        }
      };
      stream_.async_handshake(ssl::stream_base::server, buffer_.cdata(),
                              OnHandshake{this->shared_from_this()});
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void readRequest() {
    parser_.emplace();
    parser_->body_limit(options_.bodyLimit);
    lowest().expires_after(options_.idleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onRequest(ec); });
  }

  void onRequest(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Response r =
          errorResponse(api::Error::tooLarge("the request body is larger than the limit of " +
                                             std::to_string(options_.bodyLimit) + " bytes"));
      keepAlive_ = false;
      writeResponse(std::move(r));
      return;
    }
    if (ec) return close();
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    keepAlive_ = msg.keep_alive();
    version_ = msg.version();
    writeResponse(handler_.handle(req));
  }

  void writeResponse(Response r) {
    if (r.watch || r.stream) return startStream(std::move(r));
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::content_type, r.contentType);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keepAlive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    lowest().expires_after(options_.idleTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !self->keepAlive_) return self->close();
                        self->readRequest();
                      });
  }

  // --- streams (watch, logs -f) -------------------------------------------------------------

  void startStream(Response r) {
    watch_ = r.watch;
    bytes_ = r.stream;
    header_ = std::make_shared<http::response<http::empty_body>>();
    header_->version(version_);
    header_->result(static_cast<http::status>(r.status));
    header_->set(http::field::content_type, r.contentType);
    header_->keep_alive(false);
    header_->chunked(true);
    serializer_ = std::make_shared<http::response_serializer<http::empty_body>>(*header_);
    lowest().expires_never();
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->finishStream();
                               self->streamStarted();
                             });
  }

  void streamStarted() {
    auto weak = this->weak_from_this();
    auto exec = stream_.get_executor();
    auto wake = [weak, exec] {
      net::post(exec, [weak] {
        if (auto self = weak.lock()) self->pump();
      });
    };
    // Detect the client going away: it sends nothing more on a stream connection.
    stream_.async_read_some(net::buffer(sink_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) self->finishStream();
                            });
    if (watch_) {
      pending_ += watch_->initial;
      if (!watch_->watch) ended_ = true;
      timeout_.expires_after(watch_->timeout);
      timeout_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;
        self->ended_ = true;
        self->flush();
      });
      if (watch_->bookmark) scheduleBookmark();
      if (watch_->watch) watch_->watch->onReady(wake);
    } else if (bytes_) {
      bytes_->onReady(wake);
    }
    pump();
  }

  void scheduleBookmark() {
    bookmarks_.expires_after(watch_->bookmarkInterval);
    bookmarks_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->ended_) return;
      self->pending_ += self->watch_->bookmark();
      self->flush();
      self->scheduleBookmark();
    });
  }

  void pump() {
    if (finished_) return;
    if (watch_ && watch_->watch) {
      events_.clear();
      if (!watch_->watch->drain(events_)) ended_ = true;
      for (const auto& e : events_) watch_->encode(e, pending_);
    } else if (bytes_) {
      if (!bytes_->pump(pending_)) ended_ = true;
    }
    flush();
  }

  void flush() {
    if (writing_ || finished_) return;
    if (pending_.empty()) {
      if (ended_) writeLastChunk();
      return;
    }
    writing_ = true;
    inFlight_.swap(pending_);
    pending_.clear();
    net::async_write(stream_, http::make_chunk(net::buffer(inFlight_)),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->finishStream();
                       self->flush();
                     });
  }

  void writeLastChunk() {
    writing_ = true;
    net::async_write(stream_, http::make_chunk_last(),
                     [self = this->shared_from_this()](beast::error_code, size_t) {
                       self->writing_ = false;
                       self->finishStream();
                     });
  }

  void finishStream() {
    if (finished_) return;
    finished_ = true;
    if (watch_ && watch_->watch) watch_->watch->stop();
    if (bytes_ && bytes_->stop) bytes_->stop();
    timeout_.cancel();
    bookmarks_.cancel();
    close();
  }

  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

  Stream stream_;
  Handler& handler_;
  const HttpServer::Options& options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keepAlive_ = true;
  unsigned version_ = 11;

  std::shared_ptr<WatchStream> watch_;
  std::shared_ptr<ByteStream> bytes_;
  std::shared_ptr<http::response<http::empty_body>> header_;
  std::shared_ptr<http::response_serializer<http::empty_body>> serializer_;
  net::steady_timer timeout_;
  net::steady_timer bookmarks_;
  std::vector<store::Event> events_;
  std::string pending_;
  std::string inFlight_;
  std::array<char, 256> sink_{};
  bool writing_ = false;
  bool ended_ = false;
  bool finished_ = false;
};

// Tells TLS from plain HTTP by the first bytes of a new connection.
class Detector : public std::enable_shared_from_this<Detector> {
 public:
  Detector(tcp::socket socket, Handler& handler, const HttpServer::Options& options,
           ssl::context* tls)
      : stream_(std::move(socket)), handler_(handler), options_(options), tls_(tls) {}

  void run() {
    stream_.expires_after(options_.idleTimeout);
    beast::async_detect_ssl(stream_, buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool isTls) {
                              self->onDetect(ec, isTls);
                            });
  }

 private:
  void onDetect(beast::error_code ec, bool isTls) {
    if (ec) {
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return;
    }
    if (isTls && tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          std::move(buffer_), handler_, options_, std::move(stream_), *tls_)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(std::move(buffer_), handler_, options_,
                                                   std::move(stream_))
          ->start();
    }
  }

  beast::tcp_stream stream_;
  Handler& handler_;
  const HttpServer::Options& options_;
  ssl::context* tls_;
  beast::flat_buffer buffer_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Handler& h, Options o) : handler(h), options(std::move(o)), acceptor(io) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec)
        std::make_shared<Detector>(std::move(socket), handler, options, tls ? &*tls : nullptr)
            ->run();
      accept();
    });
  }

  Handler& handler;
  Options options;
  std::optional<ssl::context> tls;
  net::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(Handler& handler, Options options)
    : impl_(std::make_unique<Impl>(handler, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

api::Status HttpServer::start() {
  if (!impl_->options.tlsCertPem.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    beast::error_code ec;
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    impl_->tls->use_certificate_chain(net::buffer(impl_->options.tlsCertPem), ec);
    if (!ec)
      impl_->tls->use_private_key(net::buffer(impl_->options.tlsKeyPem), ssl::context::pem, ec);
    if (ec) return api::Error::internal("tls: " + ec.message());
  }
  auto& a = impl_->acceptor;
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.address, ec);
  std::string where = impl_->options.address + ":" + std::to_string(impl_->options.port);
  if (ec) return api::Error::badRequest("--listen " + where + ": invalid address");
  tcp::endpoint ep{address, impl_->options.port};
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (ec) {
    std::string msg = "listen " + where + ": " + ec.message();
    if (ec == net::error::access_denied)
      msg += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
    return api::Error::internal(msg);
  }
  a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return api::Error::internal("listen " + where + ": " + ec.message());
  impl_->accept();
  for (size_t i = 0; i < std::max<size_t>(1, impl_->options.threads); ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  return {};
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::stop() {
  if (!impl_) return;
  net::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace sluice::apiserver
