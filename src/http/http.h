// HTTP/1.x message framing, shared by the load balancer's L7 path and http-echo, so both apply
// one set of rules about where a message ends. Parses a request or response head in place (no
// allocation: every field is a view into the caller's buffer) and tracks where a message body
// ends (Content-Length, chunked, or until close), so a proxy can forward bytes verbatim and know
// when an upstream connection is free for the next request, and a server can skip a body.
//
// Only what a proxy or a small server needs is interpreted: the start line, Content-Length,
// Transfer-Encoding, Connection (close / keep-alive / upgrade), Expect: 100-continue and the
// hop-by-hop header lines a proxy must not forward (Connection, Keep-Alive, Proxy-Connection).
// Ambiguous framing (both Content-Length and Transfer-Encoding, two different Content-Lengths, a
// Transfer-Encoding that does not end in chunked on a request, a line ended by a bare LF) is an
// error, as RFC 9112 section 6.3 asks, so no request can be smuggled past the proxy or framed
// differently by the proxy and an http-echo behind it.
//
// A leaf library: it depends on the standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::http {

enum class Parse { Complete, Incomplete, Error };

// A byte range [begin, end) within the parsed head.
struct Span {
  uint32_t begin = 0, end = 0;
};

struct Head {
  // Start line. Requests: method and target; responses: status.
  std::string_view method, target;
  int status = 0;
  int versionMinor = 1;  // HTTP/1.x
  uint32_t length = 0;   // bytes of the head, up to and including the empty line

  int64_t contentLength = -1;  // -1: none given
  bool chunked = false;
  bool connectionClose = false;
  bool connectionKeepAlive = false;
  bool connectionUpgrade = false;
  bool hasUpgradeHeader = false;
  bool expectContinue = false;  // "Expect: 100-continue": the client waits before its body

  // Hop-by-hop header lines (each with its CRLF), in order, to drop when forwarding.
  static constexpr int kMaxHopLines = 6;
  Span hopLines[kMaxHopLines];
  int hopLineCount = 0;

  // After this message, does the sender expect the connection to stay open?
  bool keepAlive() const {
    return versionMinor >= 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
  }
};

// Parses the head at data[0, size). Complete fills `head` with views into data. A request head
// is an Error as soon as it holds a bare LF, rather than Incomplete until the buffer fills: it
// could never become valid. The request target must be visible ASCII (RFC 9112 3.2: anything
// else is percent-encoded).
Parse parseRequest(const char* data, size_t size, Head& head);
Parse parseResponse(const char* data, size_t size, Head& head);

// Where a message body ends, fed the bytes that follow the head as they arrive.
class BodyFraming {
 public:
  enum class Kind { None, Length, Chunked, UntilClose };

  BodyFraming() = default;
  static BodyFraming none() { return BodyFraming(Kind::None, 0); }
  static BodyFraming length(uint64_t n) { return n ? BodyFraming(Kind::Length, n) : none(); }
  static BodyFraming chunked() { return BodyFraming(Kind::Chunked, 0); }
  static BodyFraming untilClose() { return BodyFraming(Kind::UntilClose, 0); }

  // The framing of a request body (RFC 9112 6.3: chunked, else Content-Length, else none).
  static BodyFraming forRequest(const Head& request);
  // The framing of a response body to a request with the given method.
  static BodyFraming forResponse(const Head& response, std::string_view requestMethod);

  // Consumes body bytes from data[0, size); returns how many belong to this body (the rest is
  // the next message). Returns size_t(-1) on malformed chunked framing. Chunk lines must end in
  // CRLF and may not carry control characters: a proxy that accepted a bare LF where a backend
  // does not (or the reverse) would frame the body differently from it, the root of request
  // smuggling.
  size_t consume(const char* data, size_t size);
  bool done() const { return state_ == State::Done; }
  Kind kind() const { return kind_; }

 private:
  enum class State : uint8_t {
    Data,      // Length: `remaining_` bytes to go; Chunked: inside a chunk's data
    Size,      // chunk-size hex digits
    SizeRest,  // chunk extensions, up to CR
    SizeLf,    // the LF ending the chunk-size line
    DataCr,    // CRLF after chunk data
    DataLf,
    TrailerStart,  // start of a trailer line (or the final empty line)
    TrailerLine,   // inside a trailer line, up to CR
    TrailerLf,
    FinalLf,  // the LF of the final empty line
    Done,
  };
  BodyFraming(Kind kind, uint64_t n);

  Kind kind_ = Kind::None;
  State state_ = State::Done;
  uint64_t remaining_ = 0;
  int sizeDigits_ = 0;
};

}  // namespace sluice::http
