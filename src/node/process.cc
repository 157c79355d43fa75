#include "node/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::node {

ProcessReaper::ProcessReaper() : thread_([this] { run(); }) {}

ProcessReaper::~ProcessReaper() {
  stop();
}

void ProcessReaper::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

namespace {
void writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}
}  // namespace

api::Result<pid_t> ProcessReaper::spawn(const SpawnSpec& spec,
                                        std::function<void(ExitStatus)> onExit) {
  if (spec.argv.empty()) return api::Error::badRequest("empty command");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int logFd = ::open(spec.logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logFd < 0)
    return api::Error::internal("cannot open log " + spec.logPath + ": " + std::strerror(errno));
  int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // A pipe that reports exec failure (CLOEXEC: closed silently on success).
  int errPipe[2];
  if (::pipe2(errPipe, O_CLOEXEC) != 0) {
    ::close(logFd);
    return api::Error::internal(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> cgroups;
  if (!spec.cgroupProcs.empty()) cgroups.push_back(spec.cgroupProcs);
  for (const auto& c : spec.extraCgroupProcs) cgroups.push_back(c);
  pid_t parent = ::getpid();

  std::lock_guard lock(mu_);  // the reaper must not reap before `waiting_` knows the pid
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(logFd);
    ::close(errPipe[0]);
    ::close(errPipe[1]);
    return api::Error::internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    for (const auto& c : cgroups) {
      int fd = ::open(c.c_str(), O_WRONLY);
      if (fd >= 0) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d", static_cast<int>(::getpid()));
        (void)!::write(fd, buf, static_cast<size_t>(n));
        ::close(fd);
      }
    }
    if (spec.memoryRlimitBytes > 0) {
      rlimit rl{static_cast<rlim_t>(spec.memoryRlimitBytes),
                static_cast<rlim_t>(spec.memoryRlimitBytes)};
      ::setrlimit(RLIMIT_AS, &rl);
    }
    ::dup2(nullFd, 0);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    // Nothing else of the server's goes with the pod (its listening sockets, the proxy's
    // connections, the store): close every other descriptor now rather than at exec, whatever
    // flags it was opened with. The exec-error pipe stays.
    ::close_range(3, static_cast<unsigned>(errPipe[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(errPipe[1]) + 1, ~0U, 0);
    if (!spec.workingDir.empty() && ::chdir(spec.workingDir.c_str()) != 0) {
      std::string msg = "chdir " + spec.workingDir + ": " + std::strerror(errno);
      writeAll(errPipe[1], msg);
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    std::string msg = std::string("exec ") + argv[0] + ": " + std::strerror(errno);
    writeAll(errPipe[1], msg);
    ::_exit(127);
  }
  ::close(logFd);
  if (nullFd >= 0) ::close(nullFd);
  ::close(errPipe[1]);
  std::string failure;
  char buf[512];
  ssize_t n;
  while ((n = ::read(errPipe[0], buf, sizeof buf)) > 0) failure.append(buf, static_cast<size_t>(n));
  ::close(errPipe[0]);
  if (!failure.empty()) {
    int status;
    ::waitpid(pid, &status, 0);
    return api::Error::internal(failure);
  }
  waiting_[pid] = std::move(onExit);
  return pid;
}

void ProcessReaper::run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && waiting_.empty()) return;
    }
    int status = 0;
    pid_t pid;
    std::vector<std::pair<std::function<void(ExitStatus)>, ExitStatus>> exited;
    {
      std::lock_guard lock(mu_);
      while (!waiting_.empty() && (pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = waiting_.find(pid);
        if (it == waiting_.end()) continue;
        ExitStatus es;
        if (WIFEXITED(status)) {
          es.exitCode = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
          es.signal = WTERMSIG(status);
          es.exitCode = 128 + es.signal;
        }
        exited.emplace_back(std::move(it->second), es);
        waiting_.erase(it);
      }
      if (stopping_ && waiting_.empty() && exited.empty()) return;
    }
    for (auto& [cb, es] : exited) cb(es);
    if (exited.empty()) {
      // SIGCHLD is not routed here (the server owns signal handling), so poll briefly.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

void signalGroup(pid_t pid, int sig) {
  if (pid <= 0) return;
  ::kill(-pid, sig);
  ::kill(pid, sig);
}

unsigned long long processStartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  // Fields after the command: state is #3; starttime is #22.
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

}  // namespace sluice::node
