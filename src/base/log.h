// Logging: one spdlog logger made by the server (level from --log-level or -v) and handed to
// every component; components never reach for a global logger. A component given no logger
// uses nullLogger(), which drops everything (unit tests).
//
// What to log: every failed sync, restart, retry and swallowed error, with the object's key and
// the reason, at warn (or error when nothing will retry it); state changes at info; per-request
// detail at debug.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace sluice::base {

using Logger = std::shared_ptr<spdlog::logger>;

// A logger writing to stderr at `level` ("trace", "debug", "info", "warn", "error", "off").
Logger newStderrLogger(const std::string& name, spdlog::level::level_enum level);
// A logger that writes nothing.
Logger nullLogger();
// The same sinks and level under another name ("[deployment-controller] ...").
Logger childLogger(const Logger& parent, const std::string& name);

// Parses --log-level; nullopt-like `false` on an unknown word.
bool parseLogLevel(const std::string& text, spdlog::level::level_enum& out);
// kube-style verbosity: -v 0..1 info, 2..3 debug, 4+ trace.
spdlog::level::level_enum levelForVerbosity(int v);

}  // namespace sluice::base
