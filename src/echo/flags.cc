// http-echo's flags. CLI11 splits the command line (`--flag value`, `--flag=value`, a flag given
// twice); the checks that give each value its meaning, and their messages, are http-echo's own.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>

#include "api/duration.h"
#include "echo/http_echo.h"

namespace sluice::echo {

namespace {

constexpr std::string_view kUsage = R"(Usage: sluice http-echo [flags]

A small HTTP server to run as an image: every request gets TEXT (or JSON), STATUS, after LATENCY.

Flags:
  --text TEXT          the body; a newline is appended (default: $POD_NAME, else "http-echo")
  --listen HOST:PORT   where to listen (default $POD_IP:$PORT, else 127.0.0.1:8080)
  --status N           the status of every answer, 200..599 (default 200)
  --latency DURATION   delay before each answer, e.g. 5ms or 1.5s (default 0)
  --fail-rate F        fraction 0..1 of requests answered 500 (default 0)
  --seed N             seed for --fail-rate, for repeatable runs (default random)
  --json               answer {"text":TEXT,"pod":$POD_NAME,"ip":$POD_IP,"path":TARGET}
  --health-path PATH   always answered 200 "ok" (default /healthz; "" disables)
)";

api::Error flagError(std::string_view flag, std::string_view what) {
  return api::Error::badRequest(std::string(flag) + ": " + std::string(what));
}

// The whole of `text` as a number, or nullopt.
template <typename T>
std::optional<T> parseNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

api::Result<uint16_t> parsePort(std::string_view flag, std::string_view text) {
  if (auto port = parseNumber<uint16_t>(text)) return *port;
  return flagError(flag, "must be a port number 0..65535, got \"" + std::string(text) + "\"");
}

// The flags as CLI11 leaves them: each value as given, checked afterwards.
struct RawFlags {
  std::optional<std::string> text, listen, status, latency, failRate, seed, healthPath;
  std::string json;  // "" when absent; "true" for a bare --json
};

// Splits the command line. CLI11 2.1 refuses an empty inline value ("--health-path=", the way to
// disable the health path), so "--flag=" is handed to it as "--flag" "".
api::Result<RawFlags> split(const std::vector<std::string>& args) {
  std::vector<std::string> reversed;  // CLI11 takes the arguments last first
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->size() > 3 && it->starts_with("--") && it->back() == '=') {
      reversed.emplace_back();
      reversed.push_back(it->substr(0, it->size() - 1));
    } else {
      reversed.push_back(*it);
    }
  }
  RawFlags raw;
  CLI::App app;
  app.set_help_flag();  // --help is runHttpEcho's
  app.allow_extras();   // reported below, in http-echo's words
  auto value = [&](const char* name, std::optional<std::string>& into) {
    app.add_option_function<std::string>(name, [&into](const std::string& v) { into = v; })
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  };
  value("--text", raw.text);
  value("--listen", raw.listen);
  value("--status", raw.status);
  value("--latency", raw.latency);
  value("--fail-rate", raw.failRate);
  value("--seed", raw.seed);
  value("--health-path", raw.healthPath);
  app.add_flag("--json{true}", raw.json)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  try {
    app.parse(reversed);
  } catch (const CLI::ArgumentMismatch&) {
    // A value flag takes whatever follows it, so only the last argument can lack its value.
    return flagError(args.back(), "needs a value");
  } catch (const CLI::ParseError& e) {
    return api::Error::badRequest(e.what());
  }
  if (auto extras = app.remaining(); !extras.empty()) {
    const std::string& first = extras.front();
    if (first.starts_with("--") && first.size() > 2)
      return api::Error::badRequest("unknown flag " + first.substr(0, first.find('=')));
    return api::Error::badRequest("unexpected argument \"" + first + "\"");
  }
  return raw;
}

}  // namespace

std::string_view httpEchoUsage() {
  return kUsage;
}

api::Result<HttpEchoOptions> parseHttpEchoFlags(const std::vector<std::string>& args,
                                                const GetEnv& getenv) {
  auto raw = split(args);
  if (!raw) return raw.error();
  auto env = [&](std::string_view name) {
    std::optional<std::string> v = getenv(name);
    return v && !v->empty() ? v : std::nullopt;
  };
  HttpEchoOptions options;
  options.podName = env("POD_NAME").value_or("");
  options.podIp = env("POD_IP").value_or("");
  if (!options.podName.empty()) options.text = options.podName;
  options.host = options.podIp.empty() ? "127.0.0.1" : options.podIp;

  if (!raw->json.empty()) {
    if (raw->json != "true" && raw->json != "false")
      return flagError("--json", "must be true or false, got \"" + raw->json + "\"");
    options.json = raw->json == "true";
  }
  if (raw->text) options.text = *raw->text;
  if (const auto& listen = raw->listen) {
    size_t colon = listen->rfind(':');
    if (colon == std::string::npos)
      return flagError("--listen", "must be HOST:PORT or :PORT, got \"" + *listen + "\"");
    std::string host = listen->substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    auto port = parsePort("--listen", std::string_view(*listen).substr(colon + 1));
    if (!port) return port.error();
    if (!host.empty()) options.host = host;
    options.port = *port;
  } else if (auto port = env("PORT")) {
    auto p = parsePort("$PORT", *port);
    if (!p) return p.error();
    options.port = *p;
  }
  if (const auto& text = raw->status) {
    auto status = parseNumber<int>(*text);
    if (!status || *status < 200 || *status > 599)
      return flagError("--status", "must be an HTTP status 200..599, got \"" + *text + "\"");
    options.status = *status;
  }
  if (const auto& text = raw->latency) {
    auto latency = api::parseGoDuration(*text);
    if (!latency || latency->count() < 0)
      return flagError("--latency",
                       "must be a duration such as 5ms or 1.5s, got \"" + *text + "\"");
    options.latency = *latency;
  }
  if (const auto& text = raw->failRate) {
    auto rate = parseNumber<double>(*text);
    if (!rate || !(*rate >= 0 && *rate <= 1))
      return flagError("--fail-rate", "must be a fraction 0..1, got \"" + *text + "\"");
    options.failRate = *rate;
  }
  if (const auto& text = raw->seed) {
    auto seed = parseNumber<uint64_t>(*text);
    if (!seed) return flagError("--seed", "must be a non-negative integer, got \"" + *text + "\"");
    options.seed = *seed;
  }
  if (const auto& path = raw->healthPath) {
    if (!path->empty() && (*path)[0] != '/')
      return flagError("--health-path",
                       "must start with '/' (or be empty to disable), got \"" + *path + "\"");
    options.healthPath = *path;
  }
  return options;
}

}  // namespace sluice::echo
