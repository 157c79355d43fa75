#include "node/log_files.h"

#include <atomic>
#include <fstream>
#include <sstream>

namespace sluice::node {

namespace {

std::string readFrom(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  if (offset > 0) in.seekg(offset);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LogFileStream : public LogStream {
 public:
  LogFileStream(std::string path, std::string initial, std::streamoff offset,
                std::function<bool()> alive)
      : path_(std::move(path)),
        pending_(std::move(initial)),
        offset_(offset),
        alive_(std::move(alive)) {}

  bool following() const override { return static_cast<bool>(alive_); }

  bool read(std::string& out) override {
    out += pending_;
    pending_.clear();
    if (!alive_) return false;
    std::string more = readFrom(path_, offset_);
    offset_ += static_cast<std::streamoff>(more.size());
    out += more;
    return !closed_ && alive_();
  }

  void close() override { closed_ = true; }

 private:
  std::string path_;
  std::string pending_;  // what is there at open (after tailLines), for the first read
  std::streamoff offset_;
  std::function<bool()> alive_;
  std::atomic<bool> closed_{false};
};

}  // namespace

std::string logFilePath(const std::string& logDir, int64_t run) {
  return logDir + "/" + std::to_string(run) + ".log";
}

std::string tailLines(std::string_view text, int64_t n) {
  // Walk back over n newlines, not counting the one that ends the text.
  size_t pos = text.size();
  if (pos > 0 && text.back() == '\n') --pos;
  int64_t seen = 0;
  while (pos > 0 && seen < n) {
    --pos;
    if (text[pos] == '\n') ++seen;
  }
  if (seen == n && pos < text.size() && text[pos] == '\n') ++pos;
  if (n == 0) pos = text.size();
  return std::string(text.substr(pos));
}

std::shared_ptr<LogStream> openLogFile(const std::string& path, std::optional<int64_t> tail,
                                       std::function<bool()> alive) {
  std::string text = readFrom(path, 0);
  // Following goes on from the end of the file, whatever part of it the tail showed.
  auto offset = static_cast<std::streamoff>(text.size());
  if (tail) text = tailLines(text, *tail);
  return std::make_shared<LogFileStream>(path, std::move(text), offset, std::move(alive));
}

}  // namespace sluice::node
