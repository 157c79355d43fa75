// switch_probe: how fast, and how cleanly, a load balancer moves traffic from backend v1 to v2.
//
// It keeps N client connections busy with `GET /` against --target, records for every request
// when it started, when it ended and which version answered (the body names it: "Nginx-v1"), runs
// --switch (a shell command that repoints the balancer from v1 to v2) after --warmup, and keeps
// loading for --after. T0 is the moment the switch command returned; every time below is
// relative to it, so a negative figure means "before the command had returned".
//
//   switch_probe --target 127.79.0.1:80 --connections 32 --mode keepalive
//                --warmup 2s --after 2s --switch "sluice patch svc ..."   (one line)
//
// --mode keepalive: each connection sends its requests one after another on one TCP connection
//   (reconnecting only when the server closes it or a request fails);
// --mode close: a new TCP connection per request, sent with `Connection: close`.
//
// Plain POSIX sockets and one blocking thread per connection: the probe must be simple enough
// to trust, and at 32 connections threads cost nothing that matters here. It is built by hand
// (`g++ -O2 -std=c++20 -pthread bench/switch_probe.cc -o build/bench_switch_probe`) or as the
// CMake target bench_switch_probe; it uses no project code.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Nanos = int64_t;
constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSecond = 1'000'000'000;

Nanos now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What became of one request. Everything but kV1, kV2 and kOtherBody is an error.
enum class Outcome {
  kV1,
  kV2,
  kOtherBody,    // 200, but the body names neither version
  kConnect,      // connect() failed: refused, or timed out
  kSend,         // the request could not be written
  kClosedIdle,   // a reused keep-alive connection closed before any response byte (the benign
                 // HTTP race that clients retry; counted as an error, but reported apart)
  kReset,        // connection reset while waiting for the response
  kEof,          // connection closed part-way through a response, or before one on a fresh one
  kTimeout,      // no progress for --timeout
  kBadStatus,    // a status other than 200
  kBadResponse,  // not parseable as HTTP/1.x
  kCount,
};
constexpr std::array<const char*, static_cast<size_t>(Outcome::kCount)> kOutcomeNames = {
    "v1",    "v2",  "other-body", "connect",    "send",         "closed-idle",
    "reset", "eof", "timeout",    "bad-status", "bad-response",
};
bool is_error(Outcome o) {
  return o != Outcome::kV1 && o != Outcome::kV2 && o != Outcome::kOtherBody;
}

struct Sample {
  Nanos start;
  Nanos end;
  Outcome outcome;
};

struct Options {
  sockaddr_in target{};
  std::string target_text;
  int connections = 32;
  bool keepalive = true;
  Nanos warmup = 2 * kSecond;
  Nanos after = 2 * kSecond;
  Nanos timeout = 2 * kSecond;
  std::string switch_command;
};

// "2s", "500ms", "1.5s" or a bare number of seconds.
std::optional<Nanos> parse_duration(std::string_view text) {
  double scale = 1e9;
  if (text.ends_with("ms")) {
    scale = 1e6;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  std::string number(text);
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || value < 0) return std::nullopt;
  return static_cast<Nanos>(value * scale);
}

bool parse_target(const std::string& text, sockaddr_in& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  int port = std::atoi(text.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  out = {};
  out.sin_family = AF_INET;
  out.sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// One client connection. request() sends one GET and reads exactly one response, delimited by
// Content-Length (or chunked encoding, or the server closing when it gives neither).
class HttpClient {
 public:
  explicit HttpClient(const Options& options) : options_(options) {
    request_ =
        "GET / HTTP/1.1\r\nHost: " + options.target_text + "\r\nUser-Agent: switch_probe\r\n";
    if (!options.keepalive) request_ += "Connection: close\r\n";
    request_ += "\r\n";
  }
  ~HttpClient() { disconnect(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Outcome request() {
    bool reused = fd_ >= 0;
    if (!reused) {
      if (!connect_to_target()) return Outcome::kConnect;
    }
    if (!send_all()) {
      disconnect();
      return reused ? Outcome::kClosedIdle : Outcome::kSend;
    }
    Outcome outcome = read_response(reused);
    if (is_error(outcome) || !options_.keepalive || close_after_response_) disconnect();
    return outcome;
  }

 private:
  bool connect_to_target() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    timeval tv{};
    tv.tv_sec = options_.timeout / kSecond;
    tv.tv_usec = (options_.timeout % kSecond) / 1000;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&options_.target),
                  sizeof options_.target) != 0) {
      disconnect();
      return false;
    }
    buffer_.clear();
    return true;
  }

  void disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool send_all() {
    size_t sent = 0;
    while (sent < request_.size()) {
      ssize_t n = ::send(fd_, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Appends what the socket has to buffer_. On failure returns the error outcome; `nothing_yet`
  // says whether no byte of this response has arrived (for telling kClosedIdle from kEof).
  std::optional<Outcome> fill(bool reused, bool nothing_yet) {
    char chunk[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer_.append(chunk, static_cast<size_t>(n));
        return std::nullopt;
      }
      if (n == 0) return reused && nothing_yet ? Outcome::kClosedIdle : Outcome::kEof;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Outcome::kTimeout;
      if (errno == ECONNRESET && reused && nothing_yet) return Outcome::kClosedIdle;
      return errno == ECONNRESET ? Outcome::kReset : Outcome::kEof;
    }
  }

  Outcome read_response(bool reused) {
    close_after_response_ = false;
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > 65536) return Outcome::kBadResponse;
      if (auto failed = fill(reused, buffer_.empty())) return *failed;
    }
    std::string_view head(buffer_.data(), header_end);
    size_t body_start = header_end + 4;

    // Status line: "HTTP/1.1 200 OK".
    if (!head.starts_with("HTTP/1.") || head.size() < 12) return Outcome::kBadResponse;
    int status = std::atoi(std::string(head.substr(9, 3)).c_str());
    bool http10 = head[7] == '0';

    std::optional<size_t> content_length;
    bool chunked = false;
    close_after_response_ = http10;
    size_t line_start = head.find("\r\n");
    while (line_start != std::string_view::npos) {
      line_start += 2;
      size_t line_end = head.find("\r\n", line_start);
      std::string_view line =
          head.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                     : line_end - line_start);
      if (iequals_prefix(line, "content-length:")) {
        content_length = std::strtoull(std::string(trim(line.substr(15))).c_str(), nullptr, 10);
      } else if (iequals_prefix(line, "transfer-encoding:")) {
        chunked = iequals_prefix(trim(line.substr(18)), "chunked");
      } else if (iequals_prefix(line, "connection:")) {
        std::string_view value = trim(line.substr(11));
        if (iequals_prefix(value, "close")) close_after_response_ = true;
        if (iequals_prefix(value, "keep-alive")) close_after_response_ = false;
      }
      line_start = line_end;
    }

    std::string body;
    if (chunked) {
      size_t pos = body_start;
      for (;;) {
        size_t size_end;
        while ((size_end = buffer_.find("\r\n", pos)) == std::string::npos) {
          if (auto failed = fill(reused, false)) return *failed;
        }
        size_t size = std::strtoull(buffer_.c_str() + pos, nullptr, 16);
        size_t data = size_end + 2;
        // The chunk's data plus its CRLF; the last (empty) chunk is followed by a bare CRLF
        // (no trailers are expected from these servers).
        while (buffer_.size() < data + size + 2) {
          if (auto failed = fill(reused, false)) return *failed;
        }
        body.append(buffer_, data, size);
        pos = data + size + 2;
        if (size == 0) break;
      }
      buffer_.erase(0, pos);
    } else if (content_length) {
      while (buffer_.size() < body_start + *content_length) {
        if (auto failed = fill(reused, false)) return *failed;
      }
      body = buffer_.substr(body_start, *content_length);
      buffer_.erase(0, body_start + *content_length);
    } else {
      // Neither length nor chunks: the body runs to the end of the connection.
      for (;;) {
        auto failed = fill(reused, false);
        if (failed == Outcome::kEof || failed == Outcome::kClosedIdle) break;
        if (failed) return *failed;
      }
      body = buffer_.substr(body_start);
      buffer_.clear();
      close_after_response_ = true;
    }

    if (status != 200) return Outcome::kBadStatus;
    if (body.find("v2") != std::string::npos) return Outcome::kV2;
    if (body.find("v1") != std::string::npos) return Outcome::kV1;
    return Outcome::kOtherBody;
  }

  const Options& options_;
  std::string request_;
  std::string buffer_;
  int fd_ = -1;
  bool close_after_response_ = false;
};

// Runs `command` with /bin/sh -c, its stdout sent to our stderr so the report stays clean.
int run_shell(const std::string& command) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(2, 1);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void usage() {
  std::fprintf(stderr,
               "usage: switch_probe --target IP:PORT [--connections N] [--mode keepalive|close]\n"
               "                    [--warmup 2s] [--after 2s] [--timeout 2s] --switch "
               "\"SHELL COMMAND\"\n");
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options options;
  bool have_target = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return std::nullopt;
    std::string value = argv[++i];
    if (flag == "--target") {
      options.target_text = value;
      have_target = parse_target(value, options.target);
      if (!have_target) return std::nullopt;
    } else if (flag == "--connections") {
      options.connections = std::atoi(value.c_str());
      if (options.connections <= 0) return std::nullopt;
    } else if (flag == "--mode") {
      if (value != "keepalive" && value != "close") return std::nullopt;
      options.keepalive = value == "keepalive";
    } else if (flag == "--warmup" || flag == "--after" || flag == "--timeout") {
      auto duration = parse_duration(value);
      if (!duration) return std::nullopt;
      if (flag == "--warmup") options.warmup = *duration;
      if (flag == "--after") options.after = *duration;
      if (flag == "--timeout") options.timeout = *duration;
    } else if (flag == "--switch") {
      options.switch_command = value;
    } else {
      return std::nullopt;
    }
  }
  if (!have_target || options.switch_command.empty()) return std::nullopt;
  return options;
}

std::string ms(std::optional<Nanos> relative) {
  if (!relative) return "none";
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f", static_cast<double>(*relative) / kMs);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_args(argc, argv);
  if (!parsed) {
    usage();
    return 2;
  }
  const Options options = *parsed;

  std::atomic<bool> stop{false};
  std::vector<std::vector<Sample>> samples(options.connections);
  std::vector<std::thread> workers;
  for (int i = 0; i < options.connections; ++i) {
    workers.emplace_back([&, i] {
      HttpClient client(options);
      auto& mine = samples[i];
      mine.reserve(1 << 16);
      while (!stop.load(std::memory_order_relaxed)) {
        Nanos start = now_ns();
        Outcome outcome = client.request();
        mine.push_back({start, now_ns(), outcome});
        // A closed port refuses in microseconds; without a pause one thread would log
        // hundreds of thousands of refusals and starve the others of CPU.
        if (is_error(outcome)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::nanoseconds(options.warmup));
  Nanos switch_start = now_ns();
  int switch_status = run_shell(options.switch_command);
  Nanos t0 = now_ns();
  std::this_thread::sleep_for(std::chrono::nanoseconds(options.after));
  stop = true;
  for (auto& worker : workers) worker.join();

  // Everything below is relative to T0, the moment the switch command returned.
  std::array<uint64_t, static_cast<size_t>(Outcome::kCount)> counts{};
  uint64_t total = 0, errors = 0, errors_near_switch = 0, v1_started_after_t0 = 0;
  std::optional<Nanos> first_v2_end, last_v1_end, last_v1_start;
  std::vector<Nanos> ok_ends;
  for (const auto& per_connection : samples) {
    for (const Sample& s : per_connection) {
      ++total;
      ++counts[static_cast<size_t>(s.outcome)];
      Nanos start = s.start - t0, end = s.end - t0;
      if (is_error(s.outcome)) {
        ++errors;
        // "Around the switch": from 1 s before the command started to 1 s after it returned.
        if (s.end >= switch_start - kSecond && end <= kSecond) ++errors_near_switch;
        continue;
      }
      ok_ends.push_back(end);
      if (s.outcome == Outcome::kV2) {
        if (!first_v2_end || end < *first_v2_end) first_v2_end = end;
      } else if (s.outcome == Outcome::kV1) {
        if (!last_v1_end || end > *last_v1_end) last_v1_end = end;
        if (!last_v1_start || start > *last_v1_start) last_v1_start = start;
        if (start > 0) ++v1_started_after_t0;
      }
    }
  }
  // The longest stretch without any successful response, from 1 s before the switch on: a
  // balancer that drops or stalls traffic while it reconfigures shows up here.
  std::sort(ok_ends.begin(), ok_ends.end());
  Nanos window_start = switch_start - t0 - kSecond, window_end = options.after;
  Nanos longest_gap = 0, longest_gap_at = window_start, previous = window_start;
  for (Nanos end : ok_ends) {
    if (end < window_start) continue;
    if (end - previous > longest_gap) {
      longest_gap = end - previous;
      longest_gap_at = previous;
    }
    previous = end;
  }
  if (window_end - previous > longest_gap) {
    longest_gap = window_end - previous;
    longest_gap_at = previous;
  }

  std::printf("target %s, %d connections, mode %s\n", options.target_text.c_str(),
              options.connections, options.keepalive ? "keepalive" : "close");
  std::printf("switch command: exit %d, took %.1f ms (T0 = when it returned)\n", switch_status,
              static_cast<double>(t0 - switch_start) / kMs);
  std::printf("requests: %llu (v1 %llu, v2 %llu, other body %llu)\n",
              static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(counts[static_cast<size_t>(Outcome::kV1)]),
              static_cast<unsigned long long>(counts[static_cast<size_t>(Outcome::kV2)]),
              static_cast<unsigned long long>(counts[static_cast<size_t>(Outcome::kOtherBody)]));
  std::printf("errors: %llu, %llu of them within 1 s of the switch",
              static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(errors_near_switch));
  for (size_t i = 0; i < counts.size(); ++i) {
    if (is_error(static_cast<Outcome>(i)) && counts[i] > 0)
      std::printf(", %s %llu", kOutcomeNames[i], static_cast<unsigned long long>(counts[i]));
  }
  std::printf("\n");
  std::printf("first response from v2:               %s ms\n", ms(first_v2_end).c_str());
  std::printf("last response from v1:                %s ms\n", ms(last_v1_end).c_str());
  std::printf("latest start of a request v1 answered: %s ms (all new requests on v2 after it)\n",
              ms(last_v1_start).c_str());
  std::printf("requests started after T0 served by v1: %llu\n",
              static_cast<unsigned long long>(v1_started_after_t0));
  // Still on v1 at the end: a request that started in the last 200 ms went to v1 (an L4
  // balancer keeps a keep-alive connection on the backend it was opened to).
  bool v1_at_end = last_v1_start && *last_v1_start > options.after - 200 * kMs;
  if (v1_at_end) std::printf("v1 was still answering when the probe stopped\n");
  std::printf("longest time without a response:      %.1f ms, from %s ms\n",
              static_cast<double>(longest_gap) / kMs, ms(longest_gap_at).c_str());
  // One line for scripts (bench/proxy parses it).
  std::string error_kinds;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!is_error(static_cast<Outcome>(i)) || counts[i] == 0) continue;
    if (!error_kinds.empty()) error_kinds += ',';
    error_kinds += std::string(kOutcomeNames[i]) + ':' + std::to_string(counts[i]);
  }
  if (error_kinds.empty()) error_kinds = "-";
  std::printf(
      "result requests=%llu errors=%llu errors_near_switch=%llu switch_ms=%.1f first_v2_ms=%s "
      "last_v1_ms=%s last_v1_start_ms=%s v1_after_t0=%llu v1_at_end=%d max_gap_ms=%.1f "
      "switch_exit=%d error_kinds=%s\n",
      static_cast<unsigned long long>(total), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(errors_near_switch),
      static_cast<double>(t0 - switch_start) / kMs, ms(first_v2_end).c_str(),
      ms(last_v1_end).c_str(), ms(last_v1_start).c_str(),
      static_cast<unsigned long long>(v1_started_after_t0), v1_at_end ? 1 : 0,
      static_cast<double>(longest_gap) / kMs, switch_status, error_kinds.c_str());
  return switch_status == 0 ? 0 : 1;
}
