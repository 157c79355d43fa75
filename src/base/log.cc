#include "base/log.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace sluice::base {

Logger newStderrLogger(const std::string& name, spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(level);
  // ISO time in UTC, level, component: "2026-12-02T14:12:56.123Z W [endpoints] ...".
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %L [%n] %v", spdlog::pattern_time_type::utc);
  return logger;
}

Logger nullLogger() {
  static Logger logger =
      std::make_shared<spdlog::logger>("null", std::make_shared<spdlog::sinks::null_sink_mt>());
  return logger;
}

Logger childLogger(const Logger& parent, const std::string& name) {
  if (!parent) return nullLogger();
  auto child = parent->clone(name);
  return child;
}

bool parseLogLevel(const std::string& text, spdlog::level::level_enum& out) {
  static const std::pair<const char*, spdlog::level::level_enum> levels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"off", spdlog::level::off},
  };
  for (const auto& [word, level] : levels)
    if (text == word) {
      out = level;
      return true;
    }
  return false;
}

spdlog::level::level_enum levelForVerbosity(int v) {
  if (v >= 4) return spdlog::level::trace;
  if (v >= 2) return spdlog::level::debug;
  return spdlog::level::info;
}

}  // namespace sluice::base
