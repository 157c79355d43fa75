// The L7 path (http_session.cc) through a real worker against scripted backends: framing cases
// (chunked, HEAD, 1xx, upgrade, bodies larger than a buffer, pipelining), connection reuse and
// retry, timeouts and the proxy's own answers.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "worker_fixture.h"

namespace sluice::proxy {
namespace {

using namespace testutil;

TEST(ProxyWorkerL7, BalancesEachRequestOverPooledConnections) {
  ScriptedBackend a([](const std::string&) { return Reply(ok("A")); });
  ScriptedBackend b([](const std::string&) { return Reply(ok("B")); });
  Fixture proxy(true, {a.port(), b.port()});
  int c = proxy.connect();
  std::string pending, seen;
  for (int i = 0; i < 10; ++i) {
    send(c, kGet);
    seen += bodyOf(readMessage(c, pending));
  }
  close(c);
  EXPECT_EQ(seen, "ABABABABAB");  // per request, on one client connection
  EXPECT_EQ(a.accepted(), 1);     // and over one reused upstream connection each
  EXPECT_EQ(b.accepted(), 1);
  // The worker counts a request once its last byte is written, which can be just after the
  // client has read it.
  auto has = [&](const std::string& want) {
    return proxy.waitForMetrics(
        [&](const std::string& m) { return m.find(want) != std::string::npos; });
  };
  EXPECT_TRUE(
      has("sluice_proxy_requests_total{namespace=\"test\",service=\"web\",port=\"80\","
          "endpoint=\"127.0.0.1:" +
          std::to_string(a.port()) + "\",code=\"200\"} 5"))
      << proxy.metrics();
  EXPECT_TRUE(
      has("sluice_proxy_request_duration_seconds_count{namespace=\"test\","
          "service=\"web\",port=\"80\",endpoint=\"127.0.0.1:" +
          std::to_string(b.port()) + "\"} 5"))
      << proxy.metrics();
}

TEST(ProxyWorkerL7, PipelinedRequestsAnsweredInOrder) {
  std::atomic<int> n{0};
  ScriptedBackend a([&](const std::string&) { return Reply(ok(std::to_string(n++))); });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  send(c, kGet + kGet + kGet);
  std::string pending, seen;
  for (int i = 0; i < 3; ++i) seen += bodyOf(readMessage(c, pending));
  close(c);
  EXPECT_EQ(seen, "012");
}

TEST(ProxyWorkerL7, ChunkedHeadAndInterimResponsesKeepTheConnectionUsable) {
  ScriptedBackend a([](const std::string& req) {
    if (req.rfind("HEAD", 0) == 0) return Reply("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
    if (req.find("/chunked") != std::string::npos)
      return Reply(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
          "chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n");
    if (req.find("/continue") != std::string::npos)
      return Reply("HTTP/1.1 100 Continue\r\n\r\n" + ok("after"));
    return Reply(ok("plain"));
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  std::string pending;
  send(c, "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = readMessage(c, pending, true);
  EXPECT_NE(head.find("Content-Length: 99"), std::string::npos);
  send(c, "GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n");
  auto chunked = readMessage(c, pending);
  EXPECT_NE(chunked.find("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), std::string::npos) << chunked;
  send(c, "GET /continue HTTP/1.1\r\nHost: t\r\n\r\n");
  auto interim = readMessage(c, pending);
  EXPECT_NE(interim.find("100 Continue"), std::string::npos);
  EXPECT_EQ(bodyOf(readMessage(c, pending)), "after");
  send(c, kGet);
  EXPECT_EQ(bodyOf(readMessage(c, pending)), "plain");
  close(c);
  EXPECT_EQ(a.accepted(), 1);
}

TEST(ProxyWorkerL7, BodiesLargerThanABufferArriveWhole) {
  ScriptedBackend a([](const std::string& req) {
    // Answers with the size of what it received after the head, and a large body back.
    auto body = bodyOf(req);
    return Reply(ok(std::to_string(body.size()) + ":" + std::string(300000, 'r')));
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  std::string big(1000000, 'x');
  std::thread writer([&] {
    send(c, "POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(big.size()) +
                "\r\n\r\n" + big);
  });
  std::string pending;
  auto reply = bodyOf(readMessage(c, pending));
  writer.join();
  EXPECT_EQ(reply.substr(0, 8), "1000000:");
  EXPECT_EQ(reply.size(), 8 + 300000u);
  // Chunked request bodies too.
  std::string chunkedBody;
  for (int i = 0; i < 40; ++i) chunkedBody += "1000\r\n" + std::string(4096, 'y') + "\r\n";
  chunkedBody += "0\r\n\r\n";
  std::thread writer2([&] {
    send(c, "POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody);
  });
  reply = bodyOf(readMessage(c, pending));
  writer2.join();
  EXPECT_EQ(reply.substr(0, reply.find(':')), std::to_string(chunkedBody.size()));
  close(c);
}

TEST(ProxyWorkerL7, IdleConnectionClosedByTheBackendIsRetriedUnseen) {
  // The backend closes every connection right after its response, without saying so: the
  // proxy pools the connection, finds it closed on the next request, and resends the request on
  // a new one. The client never notices.
  ScriptedBackend a([](const std::string&) { return Reply(ok("A"), true); });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  std::string pending;
  for (int i = 0; i < 5; ++i) {
    send(c, kGet);
    EXPECT_EQ(bodyOf(readMessage(c, pending)), "A") << "request " << i;
  }
  close(c);
  EXPECT_EQ(a.accepted(), 5);
}

TEST(ProxyWorkerL7, ClientConnectionCloseEndsOnlyTheClientSide) {
  ScriptedBackend a([](const std::string&) { return Reply(ok("A")); });
  Fixture proxy(true, {a.port()});
  for (int i = 0; i < 3; ++i) {
    int c = proxy.connect();
    send(c, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    std::string pending;
    auto reply = readMessage(c, pending);
    EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
    EXPECT_EQ(bodyOf(reply), "A");
    EXPECT_TRUE(closedByPeer(c));
    close(c);
  }
  EXPECT_EQ(a.accepted(), 1);  // the upstream connection outlived the three clients
}

TEST(ProxyWorkerL7, ResponseWithoutLengthEndsTheClientConnection) {
  ScriptedBackend a([](const std::string&) {
    return Reply("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", true);
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  send(c, kGet);
  std::string pending;
  auto reply = readMessage(c, pending);
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos) << reply;
  EXPECT_EQ(bodyOf(reply), "until close");
  close(c);
}

TEST(ProxyWorkerL7, UpgradeBecomesATunnel) {
  ScriptedBackend a([](const std::string& req) {
    EXPECT_NE(req.find("Upgrade: echo"), std::string::npos);
    EXPECT_NE(req.find("Connection: Upgrade"), std::string::npos);  // kept for the backend
    Reply r("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
    r.then = [](int fd) {
      char buf[256];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) write(fd, buf, static_cast<size_t>(n));
    };
    r.close = true;
    return r;
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  send(c, "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  std::string pending;
  auto head = readMessage(c, pending, true);
  EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
  send(c, "ping");
  while (pending.size() < 4 && readSome(c, pending)) {
  }
  EXPECT_EQ(pending, "ping");
  close(c);
}

TEST(ProxyWorkerL7, OwnAnswers) {
  {
    Fixture proxy(true, {});
    int c = proxy.connect();
    send(c, kGet);
    std::string pending;
    auto reply = readMessage(c, pending);
    EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 503");
    EXPECT_EQ(bodyOf(reply), "no backends\n");
    send(c, kGet);  // still usable: the request had no body
    EXPECT_EQ(readMessage(c, pending).substr(0, 12), "HTTP/1.1 503");
    close(c);
    EXPECT_TRUE(proxy.waitForMetrics([](const std::string& m) {
      return m.find("endpoint=\"\",code=\"503\"} 2") != std::string::npos;
    })) << proxy.metrics();
  }
  {
    ScriptedBackend a([](const std::string&) { return Reply(ok("A")); });
    Fixture proxy(true, {a.port()});
    int c = proxy.connect();
    send(c, "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    std::string pending;
    EXPECT_EQ(readMessage(c, pending).substr(0, 12), "HTTP/1.1 400");
    EXPECT_TRUE(closedByPeer(c));
    close(c);
    EXPECT_EQ(a.accepted(), 0);
  }
  {
    // A backend that refuses: the port is closed, nothing listens there.
    uint16_t deadPort;
    close(listenLoopback(deadPort));
    Fixture proxy(true, {deadPort});
    int c = proxy.connect();
    send(c, kGet);
    std::string pending;
    EXPECT_EQ(readMessage(c, pending).substr(0, 12), "HTTP/1.1 502");
    close(c);
  }
}

TEST(ProxyWorkerL7, TimeoutsAnswer504AndCloseIdleClients) {
  // A backend that accepts (the kernel completes the handshake from the backlog) and never
  // answers.
  uint16_t silentPort;
  int silent = listenLoopback(silentPort);
  Worker::Timeouts t;
  t.response = std::chrono::milliseconds(300);
  t.clientIdle = std::chrono::milliseconds(300);
  t.tick = std::chrono::milliseconds(50);
  Fixture proxy(true, {silentPort}, t);
  int c = proxy.connect();
  auto start = std::chrono::steady_clock::now();
  send(c, kGet);
  std::string pending;
  auto reply = readMessage(c, pending);
  EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 504") << reply;
  EXPECT_EQ(bodyOf(reply), "the endpoint did not answer in time\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_TRUE(closedByPeer(c));
  close(c);
  EXPECT_TRUE(proxy.waitForMetrics([&](const std::string& m) {
    return m.find(std::to_string(silentPort) + "\",code=\"504\"} 1") != std::string::npos;
  })) << proxy.metrics();
  // A client that connects and says nothing is let go after clientIdle.
  int idle = proxy.connect();
  EXPECT_TRUE(closedByPeer(idle));
  close(idle);
  close(silent);
}

TEST(ProxyWorkerL7, CloseDelimitedBodyToASlowClientArrivesWhole) {
  // The backend sends a body without a length and closes; the client starts reading only when
  // the backend is done, so the EOF comes while the client's side is backed up. (Whether the
  // proxy reads that EOF while the client is still unwritable depends on timing; the fix that
  // stops reading after an EOF is not proven by this test, only the delivery is.)
  const size_t size = 4u << 20;
  std::atomic<bool> backendDone{false};
  ScriptedBackend a([&](const std::string&) {
    Reply r("HTTP/1.0 200 OK\r\n\r\n" + std::string(size, 'z'), true);
    r.then = [&](int) { backendDone = true; };
    return r;
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect(16384);
  send(c, kGet);
  // Until the backend has written everything (or a deadline, when the buffers on the way hold
  // less than the body): the proxy has its EOF and a full client socket.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!backendDone && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  std::string got;
  while (readSome(c, got)) {
  }
  close(c);
  ASSERT_NE(got.find("\r\n\r\n"), std::string::npos);
  EXPECT_EQ(bodyOf(got).size(), size);
}

TEST(ProxyWorkerL7, ClientHalfCloseReachesAnUpgradedBackend) {
  ScriptedBackend a([](const std::string&) {
    Reply r("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
    r.then = [](int fd) {
      char buf[256];
      while (read(fd, buf, sizeof buf) > 0) {
      }
      (void)!write(fd, "bye", 3);  // after the client's FIN
    };
    r.close = true;
    return r;
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  send(c, "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\ndata");
  shutdown(c, SHUT_WR);  // before the 101 has even come back
  std::string all;
  while (readSome(c, all)) {
  }
  close(c);
  EXPECT_NE(all.find("101 Switching Protocols"), std::string::npos) << all;
  EXPECT_EQ(all.substr(all.size() - 3), "bye") << all;
}

TEST(ProxyWorkerL7, SlowUploadIsNotAResponseTimeout) {
  ScriptedBackend a([](const std::string&) { return Reply(ok("A")); });
  Worker::Timeouts t;
  t.response = std::chrono::milliseconds(300);
  t.tick = std::chrono::milliseconds(50);
  Fixture proxy(true, {a.port()}, t);
  int c = proxy.connect();
  send(c, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234");
  // Longer than the response timeout, with the backend waiting for the rest of the body.
  pollfd p{c, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 600), 0) << "answered before the body was complete";
  send(c, "56789");
  std::string pending;
  EXPECT_EQ(bodyOf(readMessage(c, pending)), "A");
  close(c);
}

TEST(ProxyWorkerL7, NonIdempotentRequestIsNotResent) {
  std::atomic<int> posts{0};
  ScriptedBackend a([&](const std::string& req) {
    if (req.rfind("POST", 0) == 0 && posts++ == 0) return Reply("", true);  // acts, then dies
    return Reply(ok("A"));
  });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  std::string pending;
  send(c, kGet);  // warms the pool
  EXPECT_EQ(bodyOf(readMessage(c, pending)), "A");
  send(c, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(readMessage(c, pending).substr(0, 12), "HTTP/1.1 502");
  close(c);
  EXPECT_EQ(posts, 1);
}

TEST(ProxyWorkerL7, PipelinedRequestsBeforeAHalfCloseAreAllAnswered) {
  std::atomic<int> n{0};
  ScriptedBackend a([&](const std::string&) { return Reply(ok(std::to_string(n++))); });
  Fixture proxy(true, {a.port()});
  int c = proxy.connect();
  send(c, kGet + kGet + kGet);
  shutdown(c, SHUT_WR);
  std::string pending, seen;
  for (int i = 0; i < 3; ++i) seen += bodyOf(readMessage(c, pending));
  EXPECT_EQ(seen, "012");
  EXPECT_TRUE(closedByPeer(c));
  close(c);
}

TEST(ProxyWorkerL7, RefusingBackendIsSkipped) {
  uint16_t deadPort;
  close(listenLoopback(deadPort));
  ScriptedBackend a([](const std::string&) { return Reply(ok("A")); });
  Fixture proxy(true, {deadPort, a.port()});
  int c = proxy.connect();
  std::string pending;
  for (int i = 0; i < 4; ++i) {
    send(c, kGet);
    EXPECT_EQ(bodyOf(readMessage(c, pending)), "A");
  }
  close(c);
}

}  // namespace
}  // namespace sluice::proxy
