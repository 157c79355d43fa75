#include "node/log_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sluice::node {
namespace {

TEST(LogFiles, TailLines) {
  struct Case {
    std::string text;
    int64_t n;
    std::string want;
  };
  std::vector<Case> cases = {
      {"a\nb\nc\n", 2, "b\nc\n"},
      {"a\nb\nc\n", 3, "a\nb\nc\n"},
      {"a\nb\nc\n", 10, "a\nb\nc\n"},
      {"a\nb\nc\n", 1, "c\n"},
      {"a\nb\nc\n", 0, ""},
      {"a\nb\nc", 1, "c"},  // a last line without its newline is a line
      {"a\nb\nc", 2, "b\nc"},
      {"", 3, ""},
      {"\n\n", 1, "\n"},
      {"only\n", 1, "only\n"},
  };
  for (const auto& c : cases) EXPECT_EQ(tailLines(c.text, c.n), c.want) << c.text << " " << c.n;
}

class LogFilesTest : public ::testing::Test {
 protected:
  LogFilesTest() {
    char tmpl[] = "/tmp/sluice-logs-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~LogFilesTest() override { std::filesystem::remove_all(dir_); }
  void append(const std::string& text) {
    std::ofstream(path(), std::ios::app | std::ios::binary) << text;
  }
  std::string path() const { return logFilePath(dir_, 2); }
  std::string dir_;
};

TEST_F(LogFilesTest, OneFilePerRun) {
  EXPECT_EQ(logFilePath("/data/pods/default_web_u1/main", 0),
            "/data/pods/default_web_u1/main/0.log");
  EXPECT_EQ(logFilePath("/x", 12), "/x/12.log");
}

TEST_F(LogFilesTest, ACompleteLogIsReadAtOnce) {
  append("one\ntwo\nthree\n");
  auto s = openLogFile(path(), std::nullopt);
  EXPECT_FALSE(s->following());
  std::string out;
  EXPECT_FALSE(s->read(out));
  EXPECT_EQ(out, "one\ntwo\nthree\n");

  auto tail = openLogFile(path(), 2);
  out.clear();
  EXPECT_FALSE(tail->read(out));
  EXPECT_EQ(out, "two\nthree\n");
}

TEST_F(LogFilesTest, AMissingFileIsEmpty) {
  auto s = openLogFile(dir_ + "/nothing.log", std::nullopt);
  std::string out;
  EXPECT_FALSE(s->read(out));
  EXPECT_EQ(out, "");
}

TEST_F(LogFilesTest, FollowingReadsWhatIsAppendedWhileAlive) {
  append("one\ntwo\n");
  bool alive = true;
  auto s = openLogFile(path(), 1, [&] { return alive; });
  EXPECT_TRUE(s->following());
  std::string out;
  EXPECT_TRUE(s->read(out));
  EXPECT_EQ(out, "two\n");  // the tail, then only what comes after the whole file
  EXPECT_TRUE(s->read(out));
  EXPECT_EQ(out, "two\n");
  append("three\n");
  EXPECT_TRUE(s->read(out));
  EXPECT_EQ(out, "two\nthree\n");
  // The container exits: what it wrote last is still delivered with the end.
  append("bye\n");
  alive = false;
  EXPECT_FALSE(s->read(out));
  EXPECT_EQ(out, "two\nthree\nbye\n");
}

TEST_F(LogFilesTest, CloseEndsAFollow) {
  append("one\n");
  auto s = openLogFile(path(), std::nullopt, [] { return true; });
  std::string out;
  EXPECT_TRUE(s->read(out));
  s->close();
  append("two\n");
  EXPECT_FALSE(s->read(out));
  EXPECT_EQ(out, "one\ntwo\n");
}

}  // namespace
}  // namespace sluice::node
