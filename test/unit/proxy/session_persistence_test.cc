// Session persistence as a policy: which backend a request's session pins, by table; tokens are
// opaque and keyed; the lines that hand them out.
#include "proxy/session_persistence.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::proxy {
namespace {

std::vector<RouteBackend> backends(const std::vector<std::pair<std::string, int64_t>>& tokens) {
  std::vector<RouteBackend> out;
  for (const auto& [token, weight] : tokens) {
    RouteBackend b;
    b.token = token;
    b.weight = weight;
    out.push_back(std::move(b));
  }
  return out;
}

TEST(SessionPersistenceTest, PinnedBackend) {
  SessionPersistence cookie{SessionPersistence::Type::Cookie, "s", {}, false};
  SessionPersistence header{SessionPersistence::Type::Header, "X-Session", {}, false};
  auto list = backends({{"aaaa", 90}, {"bbbb", 10}, {"cccc", 0}});
  struct Case {
    std::string name;
    const SessionPersistence* session;
    std::string headers;
    int want;
  };
  const std::vector<Case> cases = {
      {"a cookie naming a backend", &cookie, "Cookie: x=1; s=bbbb\r\n", 1},
      {"no cookie", &cookie, "", -1},
      {"another cookie of that value", &cookie, "Cookie: t=bbbb\r\n", -1},
      {"a token no backend has (forged)", &cookie, "Cookie: s=dddd\r\n", -1},
      {"a backend of weight 0: the client moves", &cookie, "Cookie: s=cccc\r\n", -1},
      {"an empty session", &cookie, "Cookie: s=\r\n", -1},
      {"a header, any case", &header, "x-session: aaaa\r\n", 0},
      {"a header session is not read from cookies", &header, "Cookie: X-Session=aaaa\r\n", -1},
  };
  for (const auto& c : cases) {
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\n" + c.headers + "\r\n";
    EXPECT_EQ(pinnedBackend(*c.session, list, head), c.want) << c.name;
  }
}

TEST(SessionPersistenceTest, TokensAreOpaqueKeyedAndStable) {
  std::vector<unsigned char> key1(32, 1), key2(32, 2);
  std::string a = sessionToken(key1, "default/web/0/default/web-v1:80");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, sessionToken(key1, "default/web/0/default/web-v1:80"));
  EXPECT_NE(a, sessionToken(key1, "default/web/0/default/web-v2:80"));
  EXPECT_NE(a, sessionToken(key2, "default/web/0/default/web-v1:80"));
  EXPECT_EQ(a.find("web"), std::string::npos);
}

TEST(SessionPersistenceTest, Lines) {
  SessionPersistence cookie{SessionPersistence::Type::Cookie, "s", std::chrono::seconds(3600),
                            false};
  EXPECT_EQ(sessionLine(cookie, "t"), "Set-Cookie: s=t; Path=/; HttpOnly\r\n");
  cookie.permanent = true;
  EXPECT_EQ(sessionLine(cookie, "t"), "Set-Cookie: s=t; Path=/; HttpOnly; Max-Age=3600\r\n");
  SessionPersistence header{SessionPersistence::Type::Header, "X-Session", {}, false};
  EXPECT_EQ(sessionLine(header, "t"), "X-Session: t\r\n");
}

}  // namespace
}  // namespace sluice::proxy
