// `sluice http-echo` as a process: flags, the start line, SIGTERM and exit codes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "echo/http_echo.h"
#include "echo_client.h"

namespace sluice::echo {
namespace {

using namespace testutil;

class ChildProcess {
 public:
  // Runs runHttpEcho(args) in a forked child with stdout on a pipe.
  explicit ChildProcess(std::vector<std::string> args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      int rc = runHttpEcho(static_cast<int>(args.size()), argv.data());
      std::fflush(stdout);
      ::_exit(rc);
    }
    ::close(out[1]);
    stdout_ = out[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  // The first line of stdout, waiting until the deadline.
  std::optional<std::string> firstLine(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    std::string text;
    while (text.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{stdout_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char buf[256];
      ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      text.append(buf, static_cast<size_t>(n));
    }
    return text.substr(0, text.find('\n'));
  }

  // The exit status once the child exits (polling waitpid until the deadline).
  std::optional<int> wait(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
};

TEST(RunHttpEcho, ServesAndExitsZeroOnSigterm) {
  ChildProcess child(
      {"http-echo", "--listen", "127.0.0.1:0", "--text", "Nginx-v2", "--latency", "200ms"});
  auto line = child.firstLine();
  ASSERT_TRUE(line) << "no start line";
  ASSERT_TRUE(line->starts_with("listening on 127.0.0.1:")) << *line;
  const uint16_t port = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));

  auto client = std::make_unique<Client>(port);
  ASSERT_TRUE(client->send(kGet));
  // Wait until the child holds the request (a health check on another connection is answered
  // in order after it was accepted) then stop it mid-request.
  Client probe(port);
  ASSERT_TRUE(probe.send("GET /healthz HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(probe.read());
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  auto r = client->read();
  ASSERT_TRUE(r) << "the request in flight was not answered";
  EXPECT_EQ(r->body, "Nginx-v2\n");
  client.reset();
  EXPECT_EQ(child.wait(), 0);
}

TEST(RunHttpEcho, BadFlagsExitTwo) {
  ChildProcess child({"http-echo", "--status", "nope"});
  EXPECT_EQ(child.wait(), 2);
}

TEST(RunHttpEcho, ListenFailureExitsOne) {
  // The port is taken by a plain socket, not a RunningServer: no other thread may run when the
  // test forks (a lock held by another thread at fork, such as the sanitizer allocator's, would
  // stay locked forever in the child).
  int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  socklen_t len = sizeof at;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&at), &len);
  ChildProcess child({"http-echo", "--listen", "127.0.0.1:" + std::to_string(ntohs(at.sin_port))});
  EXPECT_EQ(child.wait(), 1);
  ::close(taken);
}

}  // namespace
}  // namespace sluice::echo
