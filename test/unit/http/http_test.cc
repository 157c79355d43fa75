#include "http/http.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::http {
namespace {

Parse request(const std::string& text, Head& head) {
  return parseRequest(text.data(), text.size(), head);
}
Parse response(const std::string& text, Head& head) {
  return parseResponse(text.data(), text.size(), head);
}

TEST(HttpParse, RequestLineAndFraming) {
  struct Case {
    std::string name, text;
    Parse want;
    int64_t contentLength;
    bool chunked, keepAlive;
  };
  const Case cases[] = {
      {"plain GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", Parse::Complete, -1, false, true},
      {"incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", Parse::Incomplete, -1, false, true},
      {"content-length", "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n", Parse::Complete, 5, false,
       true},
      {"same length twice", "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", Parse::Complete, 5,
       false, true},
      {"conflicting lengths", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
       Parse::Error, -1, false, true},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", Parse::Error, -1, false,
       true},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", Parse::Complete, -1,
       true, true},
      {"chunked and length (smuggling)",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", Parse::Error,
       -1, false, true},
      {"gzip last (unframeable request)",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", Parse::Error, -1, false,
       true},
      {"connection close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", Parse::Complete, -1,
       false, false},
      {"HTTP/1.0 default close", "GET / HTTP/1.0\r\n\r\n", Parse::Complete, -1, false, false},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Parse::Complete,
       -1, false, true},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", Parse::Error, -1, false, true},
      {"obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", Parse::Error, -1, false, true},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Parse::Error, -1, false, true},
      {"no target", "GET HTTP/1.1\r\n\r\n", Parse::Error, -1, false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Head head;
    ASSERT_EQ(request(c.text, head), c.want);
    if (c.want != Parse::Complete) continue;
    EXPECT_EQ(head.length, c.text.size());
    EXPECT_EQ(head.contentLength, c.contentLength);
    EXPECT_EQ(head.chunked, c.chunked);
    EXPECT_EQ(head.keepAlive(), c.keepAlive);
  }
}

TEST(HttpParse, RequestFieldsAndHopByHopLines) {
  std::string text =
      "GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
      "Keep-Alive: timeout=5\r\nAccept: */*\r\n\r\nNEXT";
  Head head;
  ASSERT_EQ(request(text, head), Parse::Complete);
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/a?b=c");
  EXPECT_EQ(head.length, text.size() - 4);
  EXPECT_TRUE(head.connectionUpgrade);
  EXPECT_TRUE(head.hasUpgradeHeader);
  ASSERT_EQ(head.hopLineCount, 2);
  auto line = [&](int i) {
    return text.substr(head.hopLines[i].begin, head.hopLines[i].end - head.hopLines[i].begin);
  };
  EXPECT_EQ(line(0), "Connection: keep-alive, Upgrade\r\n");
  EXPECT_EQ(line(1), "Keep-Alive: timeout=5\r\n");
}

TEST(HttpParse, Responses) {
  struct Case {
    std::string name, text, method;
    Parse want;
    int status;
    BodyFraming::Kind framing;
    bool keepAlive;
  };
  using K = BodyFraming::Kind;
  const Case cases[] = {
      {"200 with length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", Parse::Complete,
       200, K::Length, true},
      {"no reason phrase", "HTTP/1.1 204\r\n\r\n", "GET", Parse::Complete, 204, K::None, true},
      {"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "HEAD", Parse::Complete,
       200, K::None, true},
      {"304", "HTTP/1.1 304 Not Modified\r\n\r\n", "GET", Parse::Complete, 304, K::None, true},
      {"100 continue", "HTTP/1.1 100 Continue\r\n\r\n", "POST", Parse::Complete, 100, K::None,
       true},
      {"chunked wins over length",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "GET",
       Parse::Complete, 200, K::Chunked, true},
      {"until close", "HTTP/1.0 200 OK\r\n\r\n", "GET", Parse::Complete, 200, K::UntilClose, false},
      {"server closes", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", "GET",
       Parse::Complete, 200, K::None, false},
      {"garbage", "SSH-2.0-OpenSSH\r\n\r\n", "GET", Parse::Error, 0, K::None, false},
      {"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", "GET", Parse::Error, 0, K::None, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Head head;
    ASSERT_EQ(response(c.text, head), c.want);
    if (c.want != Parse::Complete) continue;
    EXPECT_EQ(head.status, c.status);
    EXPECT_EQ(BodyFraming::forResponse(head, c.method).kind(), c.framing);
    EXPECT_EQ(head.keepAlive(), c.keepAlive);
  }
}

// Feeds `body` to the framing in pieces of `step` bytes; returns the bytes it claimed.
size_t feed(BodyFraming& f, const std::string& body, size_t step) {
  size_t claimed = 0;
  for (size_t at = 0; at < body.size() && !f.done(); at += step) {
    size_t n = f.consume(body.data() + at, std::min(step, body.size() - at));
    if (n == size_t(-1)) return n;
    claimed += n;
    if (n < std::min(step, body.size() - at)) break;
  }
  return claimed;
}

TEST(BodyFraming, FindsTheEndWhateverTheReadSizes) {
  struct Case {
    std::string name;
    BodyFraming framing;
    std::string bytes;
    size_t bodyLength;  // size_t(-1): malformed
  };
  const std::string chunked = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
  const std::string trailers = "3\r\nabc\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n";
  const Case cases[] = {
      {"length", BodyFraming::length(5), "helloGET /", 5},
      {"chunked", BodyFraming::chunked(), chunked + "GET /", chunked.size()},
      {"chunked with trailers", BodyFraming::chunked(), trailers + "NEXT", trailers.size()},
      {"upper-case hex", BodyFraming::chunked(), "A\r\n0123456789\r\n0\r\n\r\n", 20},
      {"missing CRLF after data", BodyFraming::chunked(), "3\r\nabcX\r\n", size_t(-1)},
      {"not hex", BodyFraming::chunked(), "zz\r\n", size_t(-1)},
      // Bare LFs and control characters: a backend that frames them otherwise would see a
      // different body end (request smuggling), so they are refused.
      {"bare LF after the size", BodyFraming::chunked(), "2\nxx\r\n0\r\n\r\n", size_t(-1)},
      {"bare LF after an extension", BodyFraming::chunked(), "2;\nxx\r\n45\r\n", size_t(-1)},
      {"CR inside an extension", BodyFraming::chunked(), "2;a\rb\r\nxx\r\n", size_t(-1)},
      {"bare LF ending the body", BodyFraming::chunked(), "0\r\n\n", size_t(-1)},
      {"bare LF in a trailer", BodyFraming::chunked(), "0\r\nX: 1\n\r\n", size_t(-1)},
      {"size overflow", BodyFraming::chunked(), "10000000000000000\r\n", size_t(-1)},
  };
  for (const auto& c : cases) {
    for (size_t step : {size_t{1}, size_t{2}, size_t{7}, size_t{4096}}) {
      SCOPED_TRACE(c.name + ", reads of " + std::to_string(step));
      BodyFraming f = c.framing;
      size_t claimed = feed(f, c.bytes, step);
      EXPECT_EQ(claimed, c.bodyLength);
      if (c.bodyLength != size_t(-1)) {
        EXPECT_TRUE(f.done());
      }
    }
  }
}

TEST(BodyFraming, UntilCloseTakesEverything) {
  auto f = BodyFraming::untilClose();
  EXPECT_EQ(f.consume("abc", 3), 3u);
  EXPECT_FALSE(f.done());
}

}  // namespace
}  // namespace sluice::http
