#include "http/http.h"

#include <cstring>

namespace sluice::http {

namespace {

bool isTokenChar(unsigned char c) {
  // RFC 9110 tchar.
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

// Control characters other than horizontal tab (CR and LF included).
bool isControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && u != '\t') || u == 0x7f;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each element of a comma-separated list.
template <typename Fn>
void forEachToken(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    auto token = trim(list.substr(0, comma));
    if (!token.empty()) fn(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// "HTTP/1.x" → x, or -1.
int parseVersion(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '0' || v[7] > '9') return -1;
  return v[7] - '0';
}

// Finds the end of the head (just past CRLF CRLF); 0 when not there yet.
size_t headEnd(const char* data, size_t size) {
  const void* at = memmem(data, size, "\r\n\r\n", 4);
  return at ? static_cast<size_t>(static_cast<const char*>(at) - data) + 4 : 0;
}

// Whether data[0, size) holds an LF that no CR precedes.
bool hasBareLf(const char* data, size_t size) {
  const char* end = data + size;
  for (const char* p = data;
       (p = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)))); ++p)
    if (p == data || p[-1] != '\r') return true;
  return false;
}

// Parses the header lines in data[from, end) (end is past the final CRLF CRLF) into head.
// `request` decides how conflicting framing is treated.
bool parseHeaders(const char* data, size_t from, size_t end, Head& head, bool request) {
  bool sawTransferEncoding = false;
  std::string_view lastCoding;
  size_t pos = from;
  while (pos < end - 2) {  // the last 2 bytes are the empty line's CRLF
    const char* lineEnd = static_cast<const char*>(memmem(data + pos, end - pos, "\r\n", 2));
    if (!lineEnd) return false;
    std::string_view line(data + pos, static_cast<size_t>(lineEnd - (data + pos)));
    size_t lineBegin = pos;
    pos = static_cast<size_t>(lineEnd - data) + 2;
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;  // also obs-fold lines
    auto name = line.substr(0, colon);
    for (char c : name)
      if (!isTokenChar(static_cast<unsigned char>(c))) return false;
    auto value = trim(line.substr(colon + 1));
    for (char c : value)
      if (c == '\r' || c == '\n' || c == '\0') return false;

    auto hop = [&] {
      if (head.hopLineCount == Head::kMaxHopLines) return false;
      head.hopLines[head.hopLineCount++] = {static_cast<uint32_t>(lineBegin),
                                            static_cast<uint32_t>(pos)};
      return true;
    };
    if (equalsIgnoreCase(name, "content-length")) {
      bool ok = true;
      forEachToken(value, [&](std::string_view v) {
        uint64_t n = 0;
        for (char c : v) {
          if (c < '0' || c > '9' || n > (uint64_t{1} << 56)) {
            ok = false;
            return;
          }
          n = n * 10 + static_cast<uint64_t>(c - '0');
        }
        if (head.contentLength >= 0 && static_cast<uint64_t>(head.contentLength) != n) ok = false;
        head.contentLength = static_cast<int64_t>(n);
      });
      if (!ok || value.empty()) return false;
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      sawTransferEncoding = true;
      forEachToken(value, [&](std::string_view v) { lastCoding = v; });
    } else if (equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "proxy-connection")) {
      forEachToken(value, [&](std::string_view v) {
        if (equalsIgnoreCase(v, "close")) head.connectionClose = true;
        if (equalsIgnoreCase(v, "keep-alive")) head.connectionKeepAlive = true;
        if (equalsIgnoreCase(v, "upgrade")) head.connectionUpgrade = true;
      });
      if (!hop()) return false;
    } else if (equalsIgnoreCase(name, "keep-alive")) {
      if (!hop()) return false;
    } else if (equalsIgnoreCase(name, "upgrade")) {
      head.hasUpgradeHeader = true;
    } else if (equalsIgnoreCase(name, "expect")) {
      head.expectContinue = equalsIgnoreCase(value, "100-continue");
    }
  }
  if (sawTransferEncoding) {
    head.chunked = equalsIgnoreCase(lastCoding, "chunked");
    if (request) {
      // A request body must be chunked last, and cannot also carry a Content-Length.
      if (!head.chunked || head.contentLength >= 0) return false;
    } else {
      head.contentLength = -1;  // Transfer-Encoding overrides Content-Length
    }
  }
  return true;
}

}  // namespace

Parse parseRequest(const char* data, size_t size, Head& head) {
  size_t end = headEnd(data, size);
  if (!end) return hasBareLf(data, size) ? Parse::Error : Parse::Incomplete;
  head = Head{};
  head.length = static_cast<uint32_t>(end);
  const char* lineEnd = static_cast<const char*>(memmem(data, end, "\r\n", 2));
  std::string_view line(data, static_cast<size_t>(lineEnd - data));
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return Parse::Error;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return Parse::Error;
  head.method = line.substr(0, sp1);
  for (char c : head.method)
    if (!isTokenChar(static_cast<unsigned char>(c))) return Parse::Error;
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : head.target)
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
      return Parse::Error;
  head.versionMinor = parseVersion(line.substr(sp2 + 1));
  if (head.versionMinor < 0) return Parse::Error;
  if (!parseHeaders(data, line.size() + 2, end, head, true)) return Parse::Error;
  return Parse::Complete;
}

Parse parseResponse(const char* data, size_t size, Head& head) {
  size_t end = headEnd(data, size);
  if (!end) return Parse::Incomplete;
  head = Head{};
  head.length = static_cast<uint32_t>(end);
  const char* lineEnd = static_cast<const char*>(memmem(data, end, "\r\n", 2));
  std::string_view line(data, static_cast<size_t>(lineEnd - data));
  // "HTTP/1.1 200 OK" (the reason phrase may be empty or missing).
  if (line.size() < 12 || line[8] != ' ') return Parse::Error;
  head.versionMinor = parseVersion(line.substr(0, 8));
  if (head.versionMinor < 0) return Parse::Error;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return Parse::Error;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) return Parse::Error;
  head.status = status;
  if (!parseHeaders(data, line.size() + 2, end, head, false)) return Parse::Error;
  return Parse::Complete;
}

BodyFraming::BodyFraming(Kind kind, uint64_t n) : kind_(kind), remaining_(n) {
  switch (kind) {
    case Kind::None:
      state_ = State::Done;
      break;
    case Kind::Length:
    case Kind::UntilClose:
      state_ = State::Data;
      break;
    case Kind::Chunked:
      state_ = State::Size;
      break;
  }
}

BodyFraming BodyFraming::forRequest(const Head& request) {
  if (request.chunked) return chunked();
  if (request.contentLength > 0) return length(static_cast<uint64_t>(request.contentLength));
  return none();
}

BodyFraming BodyFraming::forResponse(const Head& response, std::string_view requestMethod) {
  // RFC 9112 6.3: HEAD responses, 1xx, 204 and 304 never have a body.
  if (requestMethod == "HEAD" || response.status < 200 || response.status == 204 ||
      response.status == 304)
    return none();
  if (response.chunked) return chunked();
  if (response.contentLength >= 0) return length(static_cast<uint64_t>(response.contentLength));
  return untilClose();
}

size_t BodyFraming::consume(const char* data, size_t size) {
  size_t i = 0;
  while (i < size && state_ != State::Done) {
    char c = data[i];
    switch (state_) {
      case State::Data: {
        if (kind_ == Kind::UntilClose) return size;
        size_t take = remaining_ < size - i ? static_cast<size_t>(remaining_) : size - i;
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = kind_ == Kind::Length ? State::Done : State::DataCr;
        continue;
      }
      case State::Size: {
        int digit = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
        if (digit >= 0) {
          if (++sizeDigits_ > 15) return size_t(-1);
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
        } else if (sizeDigits_ == 0) {
          return size_t(-1);
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::SizeRest;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else {
          return size_t(-1);
        }
        break;
      }
      case State::SizeRest:
        if (c == '\r') {
          state_ = State::SizeLf;
        } else if (isControl(c)) {
          return size_t(-1);
        }
        break;
      case State::SizeLf:
        if (c != '\n') return size_t(-1);
        sizeDigits_ = 0;
        state_ = remaining_ ? State::Data : State::TrailerStart;
        break;
      case State::DataCr:
        if (c != '\r') return size_t(-1);
        state_ = State::DataLf;
        break;
      case State::DataLf:
        if (c != '\n') return size_t(-1);
        state_ = State::Size;
        break;
      case State::TrailerStart:
        if (c == '\r') {
          state_ = State::FinalLf;
        } else if (isControl(c)) {
          return size_t(-1);
        } else {
          state_ = State::TrailerLine;
        }
        break;
      case State::TrailerLine:
        if (c == '\r') {
          state_ = State::TrailerLf;
        } else if (isControl(c)) {
          return size_t(-1);
        }
        break;
      case State::TrailerLf:
        if (c != '\n') return size_t(-1);
        state_ = State::TrailerStart;
        break;
      case State::FinalLf:
        if (c != '\n') return size_t(-1);
        state_ = State::Done;
        break;
      case State::Done:
        break;
    }
    ++i;
  }
  return i;
}

}  // namespace sluice::http
