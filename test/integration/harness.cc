#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sluice::testing {

namespace {

pid_t spawn(const std::vector<std::string>& argv, int* inFd, int* outFd, int* errFd) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    // Its own process group, so stopping it stops what it started.
    setpgid(0, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  *inFd = in[1];
  *outFd = out[0];
  *errFd = err[0];
  return pid;
}

}  // namespace

ProcessResult run(const std::vector<std::string>& argv, const std::string& input,
                  std::chrono::seconds timeout) {
  int in, out, err;
  pid_t pid = spawn(argv, &in, &out, &err);
  if (!input.empty()) {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(in, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }
  close(in);
  ProcessResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool outOpen = true, errOpen = true;
  char buf[65536];
  while (outOpen || errOpen) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(std::min<long>(left.count(), 1000))) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        (i == 0 ? outOpen : errOpen) = false;
        fds[i].fd = -1;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
    if (!outOpen) out = -1;
    if (!errOpen) err = -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (out >= 0) close(out);
  if (err >= 0) close(err);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Background::Background(const std::vector<std::string>& argv) {
  int in;
  pid_ = spawn(argv, &in, &outFd_, &errFd_);
  close(in);
  fcntl(outFd_, F_SETFL, O_NONBLOCK);
  fcntl(errFd_, F_SETFL, O_NONBLOCK);
}

Background::~Background() {
  if (!exited_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (outFd_ >= 0) close(outFd_);
  if (errFd_ >= 0) close(errFd_);
}

void Background::pump(int timeoutMs) {
  pollfd fds[2] = {{outFd_, POLLIN, 0}, {errFd_, POLLIN, 0}};
  poll(fds, 2, timeoutMs);
  char buf[65536];
  for (int i = 0; i < 2; ++i) {
    int fd = i == 0 ? outFd_ : errFd_;
    while (true) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
    }
  }
}

std::string Background::out() {
  pump(0);
  return out_;
}

std::string Background::err() {
  pump(0);
  return err_;
}

void Background::signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

int Background::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exited_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    pump(20);
  }
  pump(0);
  return status_;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/sluice-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string sluiceBinary() {
  return SLUICE_BINARY;
}
std::string sourceDir() {
  return SLUICE_SOURCE_DIR;
}

std::string seedFile(const std::string& name) {
  return sourceDir() + "/examples/seed/" + name;
}

PrivateRanges privateRanges() {
  // 8192 slots of three /24s: pods under 127.100-131, ClusterIPs under 127.140-171,
  // LoadBalancer IPs under 127.180-211 (clear of the servers' defaults, 127.42-44).
  static std::atomic<int> servers{0};
  int slot = (static_cast<int>(getpid()) + 2003 * servers++) % 8192;
  auto range = [slot](int base) {
    return "127." + std::to_string(base + slot / 256) + "." + std::to_string(slot % 256) + ".0/24";
  };
  return {range(100), range(140), range(180)};
}

std::vector<std::string> PrivateRanges::flags() const {
  return {"--cluster-cidr", pods, "--service-cidr", services, "--loadbalancer-cidr", loadBalancers};
}

std::string rangePrefix(const std::string& cidr) {
  return cidr.substr(0, cidr.rfind('.') + 1);
}

std::vector<std::string> seedServerArgs(const PrivateRanges& ranges) {
  auto args = ranges.flags();
  args.insert(args.end(), {"--image-catalog", seedFile("images.yaml")});
  return args;
}

namespace {

bool executable(const std::string& path) {
  return access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> pathDirs() {
  std::vector<std::string> dirs;
  const char* path = std::getenv("PATH");
  std::string rest = path ? path : "";
  size_t start = 0;
  while (start <= rest.size()) {
    size_t colon = rest.find(':', start);
    if (colon == std::string::npos) colon = rest.size();
    if (colon > start) dirs.push_back(rest.substr(start, colon - start));
    start = colon + 1;
  }
  return dirs;
}

}  // namespace

// As the README tells users: `kubectl.1.NN` on PATH, else beside the `kubectl` that PATH finds
// (Debian's kubectl package links /usr/bin/kubectl into the directory holding the versions).
std::string kubectlBinary(const std::string& version) {
  std::string name = "kubectl." + version;
  auto dirs = pathDirs();
  for (const auto& dir : dirs)
    if (executable(dir + "/" + name)) return dir + "/" + name;
  for (const auto& dir : dirs) {
    std::string kubectl = dir + "/kubectl";
    if (!executable(kubectl)) continue;
    char resolved[PATH_MAX];
    if (!realpath(kubectl.c_str(), resolved)) continue;
    std::string real = resolved;
    std::string candidate = real.substr(0, real.rfind('/') + 1) + name;
    if (executable(candidate)) return candidate;
  }
  return "";
}

bool inCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

Server::Server(const std::string& dataDir, std::vector<std::string> extraArgs)
    : extraArgs_(std::move(extraArgs)) {
  if (dataDir.empty()) {
    ownDir_.emplace();
    dataDir_ = ownDir_->path() + "/data";
  } else {
    dataDir_ = dataDir;
  }
  cacheDir_ = dataDir_ + "-kubecache";
  start();
}

Server::~Server() {
  if (process_) stop();
  std::error_code ec;
  std::filesystem::remove_all(cacheDir_, ec);
}

void Server::start() {
  std::string kc = kubeconfig();
  ::unlink(kc.c_str());
  std::vector<std::string> argv{sluiceBinary(), "server",   "--data-dir",
                                dataDir_,       "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extraArgs_.begin(), extraArgs_.end());
  process_ = std::make_unique<Background>(argv);
  bool ready = waitFor([&] { return access(kc.c_str(), R_OK) == 0; }, std::chrono::seconds(30));
  if (!ready) throw std::runtime_error("server did not start: " + process_->err());
  std::string text = readFile(kc);
  auto at = text.find("server: ");
  url_ = text.substr(at + 8, text.find('\n', at) - at - 8);
}

void Server::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  process_->wait(std::chrono::seconds(30));
  process_.reset();
}

void Server::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(30));
  process_.reset();
}

std::string Server::token() const {
  std::string t = readFile(dataDir_ + "/token");
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

ProcessResult Server::sluice(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {sluiceBinary(), "--kubeconfig", kubeconfig()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::optional<ProcessResult> Server::kubectl(const std::string& version,
                                             const std::vector<std::string>& args,
                                             const std::string& input) {
  std::string bin = kubectlBinary(version);
  if (bin.empty()) return std::nullopt;
  std::vector<std::string> argv = {bin, "--kubeconfig", kubeconfig(), "--cache-dir",
                                   cacheDir_ + "/" + version};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::pair<int, std::string> Server::curl(const std::string& method, const std::string& path,
                                         const std::string& body, const std::string& contentType,
                                         bool withToken) {
  std::vector<std::string> argv = {
      "curl", "-sS", "--cacert", dataDir_ + "/ca.crt", "-X", method,
      "-o",   "-",   "-w",       "\n%{http_code}",     "-H", "Content-Type: " + contentType};
  if (withToken) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + token());
  }
  if (!body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back("@-");
  }
  argv.push_back(url_ + path);
  auto r = run(argv, body);
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return {0, r.out + r.err};
  return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

std::string httpGet(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char req[] = "GET / HTTP/1.1\r\nHost: seed\r\nConnection: close\r\n\r\n";
    if (write(fd, req, sizeof req - 1) == static_cast<ssize_t>(sizeof req - 1)) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

int readyAddresses(Server& server, const std::string& service) {
  auto r = server.sluice(
      {"get", "endpoints", service, "-o", "jsonpath={range .subsets[*].addresses[*]}{.ip} {end}"});
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), ' '));
}

bool allPodsAnswer(Server& server, const std::string& selector, int port) {
  auto r = server.sluice(
      {"get", "pods", "-l", selector, "-o", "jsonpath={range .items[*]}{.status.podIP} {end}"});
  std::stringstream ss(r.out);
  std::string ip;
  while (ss >> ip)
    if (httpGet(ip, port).empty()) return false;
  return true;
}

}  // namespace sluice::testing
