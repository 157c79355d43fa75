#include "api/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sluice::api {
namespace {

TEST(ParseGoDuration, Table) {
  const std::vector<std::pair<std::string, std::optional<int64_t>>> cases = {
      {"0", 0},
      {"-0", 0},
      {"5ms", 5'000'000},
      {"1s", 1'000'000'000},
      {"1.5s", 1'500'000'000},
      {".5s", 500'000'000},
      {"1.s", 1'000'000'000},
      {"100us", 100'000},
      {"100\xc2\xb5s", 100'000},
      {"7ns", 7},
      {"2m", 120'000'000'000},
      {"1h", 3'600'000'000'000},
      {"2h45m", 9'900'000'000'000},
      {"1m30.5s", 90'500'000'000},
      {"-1s", -1'000'000'000},
      {"+3ms", 3'000'000},
      {"2562047h", 2562047LL * 3'600'000'000'000},
      {"", std::nullopt},
      {"5", std::nullopt},
      {"ms", std::nullopt},
      {".s", std::nullopt},
      {"5x", std::nullopt},
      {"5 ms", std::nullopt},
      {"1s2", std::nullopt},
      {"3000000h", std::nullopt},  // beyond 2^63 ns
      {"99999999999999999999s", std::nullopt},
  };
  for (const auto& [text, want] : cases) {
    auto got = parseGoDuration(text);
    if (!want) {
      EXPECT_FALSE(got) << text << " parsed as " << got->count();
    } else {
      ASSERT_TRUE(got) << text;
      EXPECT_EQ(got->count(), *want) << text;
    }
  }
}

}  // namespace
}  // namespace sluice::api
