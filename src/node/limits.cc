#include "node/limits.h"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace sluice::node {

namespace {

bool writeFile(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  if (!out) return false;
  out << value;
  out.flush();
  return static_cast<bool>(out);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// This process's cgroup path for a v1 controller ("memory") or v2 ("").
std::string ownCgroup(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controller.empty() ? ctrls.empty()
                           : ("," + ctrls + ",").find("," + controller + ",") != std::string::npos)
      return path == "/" ? "" : path;
  }
  return "";
}

bool makeDir(const std::string& p) {
  return ::mkdir(p.c_str(), 0755) == 0 || errno == EEXIST;
}

}  // namespace

ResourceLimiter ResourceLimiter::detect(const std::string& name) {
  ResourceLimiter l;
  struct statfs fs;
  if (::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
    std::string base = "/sys/fs/cgroup" + ownCgroup("") + "/" + name;
    std::string controllers =
        readFile("/sys/fs/cgroup" + ownCgroup("") + "/cgroup.subtree_control");
    if (makeDir(base) && controllers.find("memory") != std::string::npos) {
      writeFile(base + "/cgroup.subtree_control", "+memory +cpu");
      l.mode_ = Mode::CgroupV2;
      l.unifiedBase_ = base;
      return l;
    }
    l.why_ = "cgroup v2 is not writable here (" + base + ")";
  } else if (::access("/sys/fs/cgroup/memory", W_OK) == 0) {
    std::string mem = "/sys/fs/cgroup/memory" + ownCgroup("memory") + "/" + name;
    std::string cpu = "/sys/fs/cgroup/cpu" + ownCgroup("cpu") + "/" + name;
    if (makeDir(mem) && ::access((mem + "/memory.limit_in_bytes").c_str(), W_OK) == 0) {
      l.mode_ = Mode::CgroupV1;
      l.memoryBase_ = mem;
      if (makeDir(cpu) && ::access((cpu + "/cpu.cfs_quota_us").c_str(), W_OK) == 0)
        l.cpuBase_ = cpu;
      return l;
    }
    l.why_ = "cgroup v1 memory controller is not writable here (" + mem + ": " +
             std::strerror(errno) + ")";
  } else {
    l.why_ = "no writable cgroup hierarchy at /sys/fs/cgroup";
  }
  l.mode_ = Mode::Rlimit;
  return l;
}

std::string ResourceLimiter::describe() const {
  switch (mode_) {
    case Mode::CgroupV2:
      return "memory and CPU limits enforced with cgroup v2";
    case Mode::CgroupV1:
      return cpuBase_.empty() ? "memory limit enforced with cgroup v1; CPU limit not enforced (cpu "
                                "controller not writable)"
                              : "memory and CPU limits enforced with cgroup v1";
    case Mode::Rlimit:
      break;
  }
  return "memory limit enforced as an address-space rlimit, CPU limit not enforced: " + why_;
}

api::Status ResourceLimiter::prepare(const std::string& id, long long memoryBytes,
                                     long long cpuMillis, SpawnSpec& spec) {
  if (memoryBytes <= 0 && cpuMillis <= 0) return {};
  switch (mode_) {
    case Mode::CgroupV2: {
      std::string dir = unifiedBase_ + "/" + id;
      if (!makeDir(dir))
        return api::Error::internal("cannot create cgroup " + dir + ": " + std::strerror(errno));
      if (memoryBytes > 0) {
        writeFile(dir + "/memory.max", std::to_string(memoryBytes));
        writeFile(dir + "/memory.swap.max", "0");
      }
      if (cpuMillis > 0) writeFile(dir + "/cpu.max", std::to_string(cpuMillis * 100) + " 100000");
      spec.cgroupProcs = dir + "/cgroup.procs";
      return {};
    }
    case Mode::CgroupV1: {
      if (memoryBytes > 0) {
        std::string dir = memoryBase_ + "/" + id;
        if (!makeDir(dir))
          return api::Error::internal("cannot create cgroup " + dir + ": " + std::strerror(errno));
        writeFile(dir + "/memory.limit_in_bytes", std::to_string(memoryBytes));
        writeFile(dir + "/memory.memsw.limit_in_bytes", std::to_string(memoryBytes));
        spec.cgroupProcs = dir + "/cgroup.procs";
      }
      if (cpuMillis > 0 && !cpuBase_.empty()) {
        std::string dir = cpuBase_ + "/" + id;
        if (makeDir(dir)) {
          writeFile(dir + "/cpu.cfs_period_us", "100000");
          writeFile(dir + "/cpu.cfs_quota_us", std::to_string(cpuMillis * 100));
          spec.extraCgroupProcs.push_back(dir + "/cgroup.procs");
        }
      }
      return {};
    }
    case Mode::Rlimit:
      // Address space is a coarse stand-in for resident memory; add headroom for mappings that
      // are reserved but never touched (thread stacks, allocator arenas).
      if (memoryBytes > 0) spec.memoryRlimitBytes = memoryBytes + 64LL * 1024 * 1024;
      return {};
  }
  return {};
}

bool ResourceLimiter::oomKilled(const std::string& id) const {
  if (mode_ == Mode::CgroupV2) {
    std::string events = readFile(unifiedBase_ + "/" + id + "/memory.events");
    auto at = events.find("oom_kill ");
    return at != std::string::npos && std::atoll(events.c_str() + at + 9) > 0;
  }
  if (mode_ == Mode::CgroupV1) {
    std::string oom = readFile(memoryBase_ + "/" + id + "/memory.oom_control");
    auto at = oom.find("oom_kill ");
    if (at != std::string::npos) return std::atoll(oom.c_str() + at + 9) > 0;
    return std::atoll(readFile(memoryBase_ + "/" + id + "/memory.failcnt").c_str()) > 0;
  }
  return false;
}

void ResourceLimiter::release(const std::string& id) {
  if (!unifiedBase_.empty()) ::rmdir((unifiedBase_ + "/" + id).c_str());
  if (!memoryBase_.empty()) ::rmdir((memoryBase_ + "/" + id).c_str());
  if (!cpuBase_.empty()) ::rmdir((cpuBase_ + "/" + id).c_str());
}

void ResourceLimiter::cleanup() {
  for (const auto& b : {unifiedBase_, memoryBase_, cpuBase_})
    if (!b.empty()) ::rmdir(b.c_str());
}

}  // namespace sluice::node
