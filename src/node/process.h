// Processes for containers: spawning with a log file, a working dir, limits and its own process
// group (so stopping a container stops what it started), and a reaper that reports exits.
// The OS is behind this one seam; tests of the agent run real processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/error.h"

namespace sluice::node {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string workingDir;
  std::string logPath;      // stdout and stderr are appended here
  std::string cgroupProcs;  // cgroup.procs files the child joins (several for cgroup v1)
  std::vector<std::string> extraCgroupProcs;
  long long memoryRlimitBytes = 0;  // RLIMIT_AS when cgroups are not available; 0 = none
};

struct ExitStatus {
  int exitCode = 0;  // 128+signal when killed, as Kubernetes reports it
  int signal = 0;
};

// Reaps children and calls back on exit. The callback runs on the reaper thread.
class ProcessReaper {
 public:
  ProcessReaper();
  ~ProcessReaper();
  // Starts `spec`; `onExit` runs once when it exits. The child gets SIGKILL if the thread that
  // called spawn() ends (the server dying must not leave orphans), so call this from a
  // long-lived thread.
  api::Result<pid_t> spawn(const SpawnSpec& spec, std::function<void(ExitStatus)> onExit);
  void stop();

 private:
  void run();
  std::mutex mu_;
  std::map<pid_t, std::function<void(ExitStatus)>> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

// Sends `sig` to the process group of `pid`.
void signalGroup(pid_t pid, int sig);

// The caller's PID start time from /proc (clock ticks since boot); 0 when unknown.
unsigned long long processStartTime(pid_t pid);

}  // namespace sluice::node
