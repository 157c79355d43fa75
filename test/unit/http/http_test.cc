#include "http/http.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", Parse::Error, -1, false, true},
      // A head with a bare LF can never become valid: refused before it is complete.
      {"bare LF, incomplete", "GET / HTTP/1.1\nHost: a\n", Parse::Error, -1, false, true},
      {"bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", Parse::Error, -1, false, true},
      {"CR before the rest of the head", "GET / HTTP/1.1\r\nHost: a\r\n\r", Parse::Incomplete, -1,
       false, true},
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

// The request heads http-echo's own parser was tested with, against the one parser. Where that
// parser was more lenient (bare LF line ends, blank lines before the request line, both
// Content-Length and Transfer-Encoding), the request is now an Error, as it is for the proxy.
TEST(HttpParse, RequestHeadsAsAServerSeesThem) {
  struct Case {
    std::string name;
    std::string data;
    Parse want;
    // Checked when Complete.
    std::string method = "GET";
    std::string target = "/";
    int minor = 1;
    bool keepAlive = true;
    int64_t contentLength = -1;
    bool chunked = false;
    bool expectContinue = false;
    size_t length = 0;  // 0: the whole data
  };
  const std::vector<Case> cases = {
      {"simple", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", Parse::Complete},
      {"no headers", "GET /a?b=1 HTTP/1.1\r\n\r\n", Parse::Complete, "GET", "/a?b=1"},
      {"bare LF line ends", "HEAD /x HTTP/1.1\nHost: x\n\n", Parse::Error},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n\r\n", Parse::Error},
      {"leaves the next request", "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", Parse::Complete,
       "GET", "/", 1, true, -1, false, false, 18},
      {"HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", Parse::Complete, "GET", "/", 0,
       false},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Parse::Complete,
       "GET", "/", 0, true},
      {"close", "GET / HTTP/1.1\r\nconnection: close\r\n\r\n", Parse::Complete, "GET", "/", 1,
       false},
      {"close among tokens", "GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n",
       Parse::Complete, "GET", "/", 1, false},
      {"content length", "POST /p HTTP/1.1\r\nContent-Length:  12 \r\n\r\n", Parse::Complete,
       "POST", "/p", 1, true, 12},
      {"repeated equal content length",
       "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", Parse::Complete, "POST",
       "/", 1, true, 3},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", Parse::Complete,
       "POST", "/", 1, true, -1, true},
      {"chunked and length",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Parse::Error},
      {"expect", "PUT / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n",
       Parse::Complete, "PUT", "/", 1, true, 5, false, true},
      {"empty", "", Parse::Incomplete},
      {"only blank lines", "\r\n", Parse::Incomplete},
      {"partial request line", "GET / HT", Parse::Incomplete},
      {"no blank line yet", "GET / HTTP/1.1\r\nHost: x\r\n", Parse::Incomplete},
      {"half the blank line", "GET / HTTP/1.1\r\nHost: x\r\n\r", Parse::Incomplete},
      {"missing version", "GET /\r\n\r\n", Parse::Error},
      {"HTTP/2", "GET / HTTP/2.0\r\n\r\n", Parse::Error},
      {"lower-case version", "GET / http/1.1\r\n\r\n", Parse::Error},
      {"two spaces", "GET  / HTTP/1.1\r\n\r\n", Parse::Error},
      {"space in target", "GET /a b HTTP/1.1\r\n\r\n", Parse::Error},
      {"control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n", Parse::Error},
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", Parse::Error},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n", Parse::Error},
      {"no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", Parse::Error},
      {"space before colon", "GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", Parse::Error},
      {"obsolete folding", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", Parse::Error},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", Parse::Error},
      {"negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", Parse::Error},
      {"empty length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", Parse::Error},
      {"conflicting lengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
       Parse::Error},
      {"not ending in chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       Parse::Error},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Head head;
    ASSERT_EQ(request(c.data, head), c.want);
    if (c.want != Parse::Complete) continue;
    EXPECT_EQ(head.method, c.method);
    EXPECT_EQ(head.target, c.target);
    EXPECT_EQ(head.versionMinor, c.minor);
    EXPECT_EQ(head.keepAlive(), c.keepAlive);
    EXPECT_EQ(head.contentLength, c.contentLength);
    EXPECT_EQ(head.chunked, c.chunked);
    EXPECT_EQ(head.expectContinue, c.expectContinue);
    EXPECT_EQ(head.length, c.length ? c.length : c.data.size());
  }
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

// The request bodies http-echo skipped with its own code, through the one framing, fed all at
// once and a byte at a time. Bare LFs in chunked framing, which http-echo accepted, are refused
// as the proxy refuses them.
TEST(BodyFraming, SkipsRequestBodies) {
  struct Case {
    std::string name;
    BodyFraming framing;
    std::string data;  // the body, maybe followed by other bytes
    bool done;         // the body ends within data
    bool failed;
    size_t consumed;  // when done: the body's length
  };
  const std::string next = "GET / HTTP/1.1\r\n\r\n";
  const std::vector<Case> cases = {
      {"length", BodyFraming::length(5), "hello" + next, true, false, 5},
      {"zero length", BodyFraming::length(0), next, true, false, 0},
      {"length not all here", BodyFraming::length(10), "hello", false, false, 5},
      {"chunked", BodyFraming::chunked(), "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + next, true,
       false, 26},
      {"chunked upper-case hex and extension", BodyFraming::chunked(),
       "A;name=v\r\n0123456789\r\n0\r\n\r\n", true, false, 27},
      {"chunked with trailers", BodyFraming::chunked(),
       "1\r\nx\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n" + next, true, false, 25},
      {"chunked with bare LFs", BodyFraming::chunked(), "1\nx\n0\n\n" + next, false, true, 0},
      {"chunked, unfinished", BodyFraming::chunked(), "5\r\nhel", false, false, 6},
      {"chunked, no size", BodyFraming::chunked(), "\r\nhello\r\n", false, true, 0},
      {"chunked, bad size", BodyFraming::chunked(), "zz\r\n", false, true, 0},
      {"chunked, data too long", BodyFraming::chunked(), "1\r\nxy\r\n", false, true, 0},
      {"chunked, size overflow", BodyFraming::chunked(), "11111111111111111\r\n", false, true, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (bool bytewise : {false, true}) {
      SCOPED_TRACE(bytewise ? "bytewise" : "at once");
      BodyFraming f = c.framing;
      size_t used = 0;
      bool failed = false;
      if (bytewise) {
        while (used < c.data.size() && !f.done() && !failed) {
          size_t n = f.consume(c.data.data() + used, 1);
          failed = n == size_t(-1);
          if (!failed) used += n;
        }
      } else {
        size_t n = f.consume(c.data.data(), c.data.size());
        failed = n == size_t(-1);
        if (!failed) used = n;
      }
      EXPECT_EQ(f.done(), c.done);
      EXPECT_EQ(failed, c.failed);
      if (!c.failed) {
        EXPECT_EQ(used, c.done ? c.consumed : c.data.size());
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
