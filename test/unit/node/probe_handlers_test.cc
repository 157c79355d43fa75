#include "node/probe_handlers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::node {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(ProbeHandlers, PortsByNumberOrByTheContainersPortName) {
  auto container =
      json::parse(R"({"ports":[{"name":"http","containerPort":8080},{"containerPort":9090}]})");
  struct Case {
    std::string port;
    int want;
  };
  std::vector<Case> cases = {
      {"80", 80}, {"\"http\"", 8080}, {"\"8081\"", 8081}, {"\"metrics\"", 0}, {"true", 0}};
  for (const auto& c : cases) {
    auto port = json::parse(c.port);
    EXPECT_EQ(resolveProbePort(container, &port), c.want) << c.port;
  }
  EXPECT_EQ(resolveProbePort(container, nullptr), 0);
}

// A listening socket on 127.0.0.1 and a port nobody listens on.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  // Closes the socket: the port then refuses connections.
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

ProbeTarget target(const std::string& probe, std::chrono::seconds timeout = 1s) {
  return {ProbeKind::Liveness, json::parse(probe), json::parse(R"({"name":"main"})"), "127.0.0.1",
          timeout};
}

TEST(ProbeHandlers, TcpSocketConnects) {
  ProcessReaper reaper;
  Listener open;
  EXPECT_EQ(runProbeHandler(target(R"({"tcpSocket":{"port":)" + std::to_string(open.port()) + "}}"),
                            reaper),
            "");
  Listener closed;
  int port = closed.port();
  closed.close();
  EXPECT_EQ(
      runProbeHandler(target(R"({"tcpSocket":{"port":)" + std::to_string(port) + "}}"), reaper),
      "dial tcp 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  reaper.stop();
}

TEST(ProbeHandlers, HttpGetToAClosedPortSaysWhereItDialled) {
  ProcessReaper reaper;
  Listener closed;
  int port = closed.port();
  closed.close();
  std::string p = std::to_string(port);
  EXPECT_EQ(runProbeHandler(target(R"({"httpGet":{"path":"/healthz","port":)" + p + "}}"), reaper),
            "Get \"http://127.0.0.1:" + p + "/healthz\": dial tcp 127.0.0.1:" + p +
                ": connect: Connection refused");
  reaper.stop();
}

TEST(ProbeHandlers, ExecPassesOnExitZero) {
  ProcessReaper reaper;
  EXPECT_EQ(runProbeHandler(target(R"({"exec":{"command":["/bin/sh","-c","exit 0"]}})"), reaper),
            "");
  EXPECT_EQ(runProbeHandler(target(R"({"exec":{"command":["/bin/sh","-c","exit 3"]}})"), reaper),
            "command exited with 3");
  EXPECT_EQ(runProbeHandler(
                target(R"({"exec":{"command":["/bin/sh","-c","test \"$POD_IP\" = 127.0.0.1"]}})"),
                reaper),
            "");
  EXPECT_EQ(runProbeHandler(target(R"({"exec":{"command":[]}})"), reaper),
            "exec probe has no command");
  EXPECT_EQ(runProbeHandler(target(R"({"periodSeconds":1})"), reaper), "probe has no handler");
  reaper.stop();
}

}  // namespace
}  // namespace sluice::node
