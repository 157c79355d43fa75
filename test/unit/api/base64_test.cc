#include "api/base64.h"

#include <gtest/gtest.h>

namespace sluice::api {
namespace {

TEST(Base64, RoundTripsEveryPaddingLength) {
  struct Case {
    std::string plain, encoded;
  } cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\0\xff\x10", 3), "AP8Q"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(base64Encode(c.plain), c.encoded);
    auto decoded = base64Decode(c.encoded);
    ASSERT_TRUE(decoded.ok()) << c.encoded;
    EXPECT_EQ(*decoded, c.plain);
  }
}

TEST(Base64, IgnoresWhitespace) {
  auto decoded = base64Decode("Zm9v\nYmFy\n");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "foobar");
}

TEST(Base64, RefusesMalformedInput) {
  for (const char* bad : {"Zm9", "Zm9v!A==", "Z===", "Zg==Zg==", "=Zg="}) {
    auto decoded = base64Decode(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.error().code, 400) << bad;
  }
}

}  // namespace
}  // namespace sluice::api
