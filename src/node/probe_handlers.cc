#include "node/probe_handlers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "api/object.h"

namespace sluice::node {

namespace json = boost::json;

namespace {

// One HTTP GET with a deadline; "" on success (2xx/3xx), else why it failed.
std::string httpProbe(const std::string& ip, int port, const std::string& path,
                      int timeoutSeconds) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  timeval tv{timeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string url = "http://" + ip + ":" + std::to_string(port) + path;
  std::string why;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    why = "Get \"" + url + "\": dial tcp " + ip + ":" + std::to_string(port) +
          ": connect: " + std::strerror(errno);
  } else {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + ip + ":" + std::to_string(port) +
                      "\r\nUser-Agent: kube-probe/1.33\r\nConnection: close\r\n\r\n";
    // A short write shows up as a failed read below.
    (void)!::write(fd, req.data(), req.size());
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
      why = "Get \"" + url + "\": " +
            (n == 0 ? std::string("EOF")
                    : "context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
    } else {
      buf[n] = 0;
      int code = 0;
      if (std::sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1)
        why = "malformed HTTP response";
      else if (code < 200 || code >= 400)
        why = "HTTP probe failed with statuscode: " + std::to_string(code);
    }
  }
  ::close(fd);
  return why;
}

std::string tcpProbe(const std::string& ip, int port, int timeoutSeconds) {
  std::string where = "dial tcp " + ip + ":" + std::to_string(port) + ": ";
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return where + std::strerror(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string why;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeoutSeconds * 1000) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) why = std::strerror(err);
    } else {
      why = "i/o timeout";
    }
  } else if (rc != 0) {
    why = std::strerror(errno);
  }
  ::close(fd);
  return why.empty() ? why : where + why;
}

std::string execProbe(const std::vector<std::string>& argv, const std::string& podIp,
                      int timeoutSeconds, ProcessReaper& reaper) {
  SpawnSpec sp;
  sp.argv = argv;
  const char* path = std::getenv("PATH");
  sp.env = {"PATH=" + std::string(path ? path : "/usr/bin:/bin"), "POD_IP=" + podIp};
  sp.logPath = "/dev/null";
  std::mutex m;
  std::condition_variable cv;
  std::optional<ExitStatus> result;
  auto pid = reaper.spawn(sp, [&](ExitStatus es) {
    std::lock_guard lock(m);
    result = es;
    cv.notify_all();
  });
  if (!pid) return pid.error().message;
  std::unique_lock lock(m);
  // The command's own time limit is real time: it is a real process.
  if (!cv.wait_for(lock, std::chrono::seconds(timeoutSeconds),
                   [&] { return result.has_value(); })) {
    signalGroup(*pid, SIGKILL);
    cv.wait(lock, [&] { return result.has_value(); });
    return "command timed out";
  }
  if (result->exitCode != 0) return "command exited with " + std::to_string(result->exitCode);
  return "";
}

}  // namespace

int resolveProbePort(const json::value& container, const json::value* port) {
  if (!port) return 0;
  if (port->is_int64()) return static_cast<int>(port->as_int64());
  if (port->is_string()) {
    std::string name(port->as_string());
    if (auto* ports = api::find(container, "ports"); ports && ports->is_array())
      for (const auto& p : ports->as_array())
        if (api::getString(p, "name") == name)
          return static_cast<int>(api::getInt(p, "containerPort"));
    return std::atoi(name.c_str());
  }
  return 0;
}

std::string runProbeHandler(const ProbeTarget& t, ProcessReaper& reaper) {
  int timeout = static_cast<int>(t.timeout.count());
  if (auto* h = api::find(t.probe, "httpGet")) {
    std::string host = api::getString(*h, "host", t.podIp);
    return httpProbe(host, resolveProbePort(t.container, api::find(*h, "port")),
                     api::getString(*h, "path", "/"), timeout);
  }
  if (auto* s = api::find(t.probe, "tcpSocket")) {
    std::string host = api::getString(*s, "host", t.podIp);
    return tcpProbe(host, resolveProbePort(t.container, api::find(*s, "port")), timeout);
  }
  if (auto* e = api::find(t.probe, "exec")) {
    std::vector<std::string> argv;
    if (auto* cmd = api::find(*e, "command"); cmd && cmd->is_array())
      for (const auto& a : cmd->as_array())
        argv.push_back(a.is_string() ? std::string(a.as_string()) : "");
    if (argv.empty()) return "exec probe has no command";
    return execProbe(argv, t.podIp, timeout, reaper);
  }
  return "probe has no handler";
}

}  // namespace sluice::node
