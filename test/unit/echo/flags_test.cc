// http-echo's flags: defaults from the pod's environment, every flag, and the errors that name
// the flag and what it wants.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "echo/http_echo.h"

namespace sluice::echo {
namespace {

using namespace std::chrono_literals;

GetEnv envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseHttpEchoFlags, Defaults) {
  auto options = parseHttpEchoFlags({}, envOf({}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->text, "http-echo");
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 8080);
  EXPECT_EQ(options->status, 200);
  EXPECT_EQ(options->latency, 0ns);
  EXPECT_EQ(options->failRate, 0);
  EXPECT_FALSE(options->seed);
  EXPECT_FALSE(options->json);
  EXPECT_EQ(options->healthPath, "/healthz");
  EXPECT_EQ(options->podName, "");
  EXPECT_EQ(options->podIp, "");
}

TEST(ParseHttpEchoFlags, DefaultsFromThePodEnvironment) {
  auto options = parseHttpEchoFlags(
      {}, envOf({{"POD_IP", "127.42.0.9"}, {"PORT", "80"}, {"POD_NAME", "nginx-v1-abc"}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->host, "127.42.0.9");
  EXPECT_EQ(options->port, 80);
  EXPECT_EQ(options->text, "nginx-v1-abc");
  EXPECT_EQ(options->podName, "nginx-v1-abc");
  EXPECT_EQ(options->podIp, "127.42.0.9");

  // Empty variables count as unset.
  options = parseHttpEchoFlags({}, envOf({{"POD_IP", ""}, {"PORT", ""}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 8080);
}

TEST(ParseHttpEchoFlags, EveryFlag) {
  auto options = parseHttpEchoFlags(
      {"--text", "Nginx-v1", "--listen=127.42.0.3:8081", "--status", "503", "--latency=1.5s",
       "--fail-rate", "0.25", "--seed", "42", "--json", "--health-path", "/ready"},
      envOf({{"POD_IP", "127.42.0.9"}, {"PORT", "80"}}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->text, "Nginx-v1");
  EXPECT_EQ(options->host, "127.42.0.3");
  EXPECT_EQ(options->port, 8081);
  EXPECT_EQ(options->status, 503);
  EXPECT_EQ(options->latency, 1500ms);
  EXPECT_EQ(options->failRate, 0.25);
  EXPECT_EQ(options->seed, 42u);
  EXPECT_TRUE(options->json);
  EXPECT_EQ(options->healthPath, "/ready");
}

TEST(ParseHttpEchoFlags, EmptyValuesAndRepeatedFlags) {
  // An empty value, inline or not, is a value: "" disables the health path.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--health-path="}, {"--health-path", ""}, {"--text=", "--health-path="}}) {
    auto options = parseHttpEchoFlags(args, envOf({}));
    ASSERT_TRUE(options.ok()) << args[0] << ": " << options.error().message;
    EXPECT_EQ(options->healthPath, "");
  }
  EXPECT_EQ(parseHttpEchoFlags({"--text="}, envOf({}))->text, "");
  // The last of a repeated flag wins; a value may look like a flag.
  auto options = parseHttpEchoFlags(
      {"--status", "201", "--status=202", "--json", "--json=false", "--text", "--status"},
      envOf({}));
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->status, 202);
  EXPECT_FALSE(options->json);
  EXPECT_EQ(options->text, "--status");
}

TEST(ParseHttpEchoFlags, ListenForms) {
  const std::vector<std::tuple<std::string, std::string, uint16_t>> cases = {
      {"127.0.0.1:0", "127.0.0.1", 0},   {":9000", "127.42.0.9", 9000},  // keeps the pod's address
      {"0.0.0.0:80", "0.0.0.0", 80},     {"[::1]:8080", "::1", 8080},
      {"localhost:81", "localhost", 81},
  };
  for (const auto& [listen, host, port] : cases) {
    auto options = parseHttpEchoFlags({"--listen", listen}, envOf({{"POD_IP", "127.42.0.9"}}));
    ASSERT_TRUE(options.ok()) << listen << ": " << options.error().message;
    EXPECT_EQ(options->host, host) << listen;
    EXPECT_EQ(options->port, port) << listen;
  }
}

TEST(ParseHttpEchoFlags, Errors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--bogus=1", "--status", "200"}, "unknown flag --bogus"},
      {{"-x"}, "unexpected argument \"-x\""},
      {{"extra"}, "unexpected argument \"extra\""},
      {{"--"}, "unexpected argument \"--\""},
      {{"--text"}, "--text: needs a value"},
      {{"--json", "--seed"}, "--seed: needs a value"},
      {{"--listen", "127.0.0.1"}, "--listen: must be HOST:PORT or :PORT, got \"127.0.0.1\""},
      {{"--listen", "127.0.0.1:http"}, "--listen: must be a port number 0..65535, got \"http\""},
      {{"--listen", "127.0.0.1:70000"}, "--listen: must be a port number 0..65535, got \"70000\""},
      {{"--status", "42"}, "--status: must be an HTTP status 200..599, got \"42\""},
      {{"--status", "2xx"}, "--status: must be an HTTP status 200..599, got \"2xx\""},
      {{"--latency", "5"}, "--latency: must be a duration such as 5ms or 1.5s, got \"5\""},
      {{"--latency", "-1s"}, "--latency: must be a duration such as 5ms or 1.5s, got \"-1s\""},
      {{"--fail-rate", "1.5"}, "--fail-rate: must be a fraction 0..1, got \"1.5\""},
      {{"--fail-rate", "nan"}, "--fail-rate: must be a fraction 0..1, got \"nan\""},
      {{"--seed", "-1"}, "--seed: must be a non-negative integer, got \"-1\""},
      {{"--json=yes"}, "--json: must be true or false, got \"yes\""},
      {{"--health-path", "healthz"},
       "--health-path: must start with '/' (or be empty to disable), got \"healthz\""},
  };
  for (const auto& [args, message] : cases) {
    auto options = parseHttpEchoFlags(args, envOf({}));
    ASSERT_FALSE(options.ok()) << args[0];
    EXPECT_EQ(options.error().message, message);
  }
  auto options = parseHttpEchoFlags({}, envOf({{"PORT", "eighty"}}));
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().message, "$PORT: must be a port number 0..65535, got \"eighty\"");
  // --listen makes $PORT irrelevant.
  EXPECT_TRUE(parseHttpEchoFlags({"--listen", ":81"}, envOf({{"PORT", "eighty"}})).ok());
}

}  // namespace
}  // namespace sluice::echo
