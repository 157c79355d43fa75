#include "api/gofmt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace sluice::api::gofmt {
namespace {

// Expected values are what Go 1.22 prints (fmt.Printf("%q"), strconv.FormatFloat,
// json.Marshal), written out so that a change of rule shows up here.

struct DecodeCase {
  std::string name;
  std::string text;
  int32_t value;
  size_t size;
  bool invalid;
};

TEST(DecodeRune, Table) {
  const std::vector<DecodeCase> cases = {
      {"ascii", "a", 'a', 1, false},
      {"nul", std::string(1, '\0'), 0, 1, false},
      {"two bytes", "\xc3\xa9", 0xe9, 2, false},
      {"three bytes", "\xe2\x80\xa8", 0x2028, 3, false},
      {"four bytes", "\xf0\x9f\x98\x80", 0x1f600, 4, false},
      {"a real U+FFFD is valid", "\xef\xbf\xbd", kRuneError, 3, false},
      {"stray continuation byte", "\x80", kRuneError, 1, true},
      {"overlong two bytes", "\xc0\xaf", kRuneError, 1, true},
      {"overlong three bytes", "\xe0\x80\xaf", kRuneError, 1, true},
      {"surrogate", "\xed\xa0\x80", kRuneError, 1, true},
      {"above U+10FFFF", "\xf4\x90\x80\x80", kRuneError, 1, true},
      {"lead byte F5", "\xf5\x80\x80\x80", kRuneError, 1, true},
      {"truncated", "\xe2\x80", kRuneError, 1, true},
      {"bad continuation", "\xe2\x28\xa1", kRuneError, 1, true},
  };
  for (const auto& tc : cases) {
    Rune r = decodeRune(tc.text, 0);
    EXPECT_EQ(r.value, tc.value) << tc.name;
    EXPECT_EQ(r.size, tc.size) << tc.name;
    EXPECT_EQ(r.invalid(), tc.invalid) << tc.name;
  }
}

TEST(AppendRune, RoundTripsThroughDecode) {
  for (uint32_t rune : {0x41u, 0x7fu, 0x80u, 0x7ffu, 0x800u, 0xffffu, 0x10000u, 0x10ffffu}) {
    std::string out;
    appendRune(out, rune);
    Rune r = decodeRune(out, 0);
    EXPECT_EQ(static_cast<uint32_t>(r.value), rune);
    EXPECT_EQ(r.size, out.size());
  }
}

TEST(ToValidUtf8, ReplacesEachInvalidByte) {
  EXPECT_EQ(toValidUtf8("plain"), "plain");
  EXPECT_EQ(toValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(toValidUtf8("a\xff"
                        "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(toValidUtf8("\xe2\x80"), "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(IsPrint, Table) {
  for (int32_t r : std::vector<int32_t>{0x20, 'a', '~', 0xa1, 0xe9, 0x4e2d, 0xfffd, 0x1f600}) {
    EXPECT_TRUE(isPrint(r)) << std::hex << r;
  }
  for (int32_t r : std::vector<int32_t>{0x00, 0x09, 0x1f, 0x7f, 0x85, 0xa0, 0xad, 0x200b, 0x2028,
                                        0xfeff, 0xe000}) {
    EXPECT_FALSE(isPrint(r)) << std::hex << r;
  }
}

struct QuoteCase {
  std::string name;
  std::string in;
  std::string want;
};

TEST(Quote, AsStrconvQuote) {
  const std::vector<QuoteCase> cases = {
      {"empty", "", R"("")"},
      {"plain", "nginx", R"("nginx")"},
      {"quote and backslash", R"(a"b\c)", R"("a\"b\\c")"},
      {"named escapes", "\a\b\f\n\r\t\v", R"("\a\b\f\n\r\t\v")"},
      {"other control bytes", std::string("\x01\x1f\x7f", 3), R"("\x01\x1f\x7f")"},
      {"nul", std::string(1, '\0'), R"("\x00")"},
      {"printable non-ASCII stays", "caf\xc3\xa9 \xe4\xb8\xad", "\"caf\xc3\xa9 \xe4\xb8\xad\""},
      {"invalid bytes one by one", "a\xff\xfe", R"("a\xff\xfe")"},
      {"overlong form", "\xc0\xaf", R"("\xc0\xaf")"},
      {"C1 control", "\xc2\x85", R"("\u0085")"},
      {"no-break space", "\xc2\xa0", R"("\u00a0")"},
      {"line separator", "\xe2\x80\xa8", R"("\u2028")"},
      {"byte order mark", "\xef\xbb\xbf", R"("\ufeff")"},
      {"supplementary private use", "\xf3\xb0\x80\x80", R"("\U000f0000")"},
      {"emoji stays", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
  };
  for (const auto& tc : cases) EXPECT_EQ(quote(tc.in), tc.want) << tc.name;
}

TEST(RuneDescription, AsPercentSharpU) {
  EXPECT_EQ(runeDescription('{'), "U+007B '{'");
  EXPECT_EQ(runeDescription('\t'), "U+0009");
  EXPECT_EQ(runeDescription(0xe9), "U+00E9 '\xc3\xa9'");
  EXPECT_EQ(runeDescription(0x1f600), "U+1F600 '\xf0\x9f\x98\x80'");
  EXPECT_EQ(runeDescription(0x10fffd), "U+10FFFD");
  EXPECT_EQ(runeDescription(kRuneError), "U+FFFD '\xef\xbf\xbd'");
}

TEST(AppendJsonString, AsEncodingJson) {
  const std::vector<QuoteCase> cases = {
      {"plain", "nginx", R"("nginx")"},
      {"quote and backslash", R"(a"b\c)", R"("a\"b\\c")"},
      {"named escapes", "\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {"vertical tab and other controls", std::string("\v\x01\x1f", 3), R"("\u000b\u0001\u001f")"},
      {"delete stays", "\x7f", "\"\x7f\""},
      {"HTML-safe", "<a href=\"x\">&</a>", R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")"},
      {"line and paragraph separators", "\xe2\x80\xa8\xe2\x80\xa9", R"("\u2028\u2029")"},
      {"printable non-ASCII stays", "caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"invalid bytes", "a\xff\xc0", R"("a\ufffd\ufffd")"},
      {"a real U+FFFD stays", "\xef\xbf\xbd", "\"\xef\xbf\xbd\""},
  };
  for (const auto& tc : cases) {
    std::string out = "x=";
    appendJsonString(out, tc.in);
    EXPECT_EQ(out, "x=" + tc.want) << tc.name;
  }
}

struct FloatCase {
  std::string name;
  double value;
  std::string shortest;  // strconv.FormatFloat(v, 'g', -1, 64), fmt %v
  std::string json;      // json.Marshal
};

TEST(FormatFloat, ShortestAndJson) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<FloatCase> cases = {
      {"zero", 0.0, "0", "0"},
      {"negative zero", -0.0, "-0", "-0"},
      {"one and a half", 1.5, "1.5", "1.5"},
      {"integral", 100.0, "100", "100"},
      {"negative", -2.25, "-2.25", "-2.25"},
      {"below the %v exponent threshold", 123456.7, "123456.7", "123456.7"},
      {"a million", 1e6, "1e+06", "1000000"},
      {"one and a half million", 1500000.0, "1.5e+06", "1500000"},
      {"large integral", 1234567.0, "1.234567e+06", "1234567"},
      {"json switches at 1e21", 1e21, "1e+21", "1e+21"},
      {"just below 1e21", 1e20, "1e+20", "100000000000000000000"},
      {"small", 0.0001, "0.0001", "0.0001"},
      {"smaller", 0.00001, "1e-05", "0.00001"},
      {"json switches below 1e-6", 1e-7, "1e-07", "1e-7"},
      {"two-digit negative exponent", 1.5e-12, "1.5e-12", "1.5e-12"},
      {"shortest digits that round-trip", 0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
      {"largest double", 1.7976931348623157e308, "1.7976931348623157e+308",
       "1.7976931348623157e+308"},
      {"NaN", std::nan(""), "NaN", "null"},
      {"plus infinity", inf, "+Inf", "null"},
      {"minus infinity", -inf, "-Inf", "null"},
  };
  for (const auto& tc : cases) {
    EXPECT_EQ(formatFloat(tc.value, FloatStyle::kShortest), tc.shortest) << tc.name;
    EXPECT_EQ(formatFloat(tc.value, FloatStyle::kJson), tc.json) << tc.name;
  }
}

TEST(FormatFloat, Float32) {
  // strconv.FormatFloat(v, 'g', -1, 32): the shortest digits of the float32 the value rounds to.
  EXPECT_EQ(formatFloat(0.1, FloatStyle::kShortest, 32), "0.1");
  EXPECT_EQ(formatFloat(1.0000001, FloatStyle::kShortest, 32), "1.0000001");
  EXPECT_EQ(formatFloat(1.00000001, FloatStyle::kShortest, 32), "1");
  EXPECT_EQ(formatFloat(3.4028234663852886e38, FloatStyle::kShortest, 32), "3.4028235e+38");
  EXPECT_EQ(formatFloat(1e300, FloatStyle::kShortest, 32), "+Inf");
  EXPECT_EQ(formatFloat(-1e300, FloatStyle::kShortest, 32), "-Inf");
}

}  // namespace
}  // namespace sluice::api::gofmt
