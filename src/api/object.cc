#include "api/object.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

namespace sluice::api {

namespace {
template <class V>
V* findImpl(V& v, std::string_view path) {
  V* cur = &v;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    auto* obj = cur->if_object();
    if (!obj) return nullptr;
    auto it = obj->find(step);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur;
}
}  // namespace

const json::value* find(const json::value& v, std::string_view path) {
  return findImpl(v, path);
}
json::value* find(json::value& v, std::string_view path) {
  return findImpl(v, path);
}

std::string getString(const json::value& v, std::string_view path, std::string_view fallback) {
  const auto* p = find(v, path);
  if (p && p->is_string()) return std::string(p->as_string());
  return std::string(fallback);
}

int64_t getInt(const json::value& v, std::string_view path, int64_t fallback) {
  const auto* p = find(v, path);
  if (!p) return fallback;
  if (p->is_int64()) return p->as_int64();
  if (p->is_uint64()) return static_cast<int64_t>(p->as_uint64());
  if (p->is_double()) return static_cast<int64_t>(p->as_double());
  return fallback;
}

bool getBool(const json::value& v, std::string_view path, bool fallback) {
  const auto* p = find(v, path);
  if (p && p->is_bool()) return p->as_bool();
  return fallback;
}

json::object& ensureObject(json::value& v, std::string_view path) {
  if (!v.is_object()) v = json::object{};
  json::value* cur = &v;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    json::value& next = cur->as_object()[step];
    if (!next.is_object()) next = json::object{};
    cur = &next;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return cur->as_object();
}

int64_t resourceVersionOf(const json::value& o) {
  auto s = getString(o, "metadata.resourceVersion");
  if (s.empty()) return 0;
  int64_t rv = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    rv = rv * 10 + (c - '0');
  }
  return rv;
}

std::string formatTimestamp(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool parseTimestamp(std::string_view text, std::chrono::system_clock::time_point& out) {
  int y, mo, d, h, mi, s;
  char rest[64] = {0};
  std::string copy(text.substr(0, 60));
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%63s", &y, &mo, &d, &h, &mi, &s, rest) < 6)
    return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t secs = timegm(&tm);
  // Offsets like +08:00 after optional fractions.
  std::string_view r(rest);
  if (!r.empty() && r[0] == '.') {
    size_t i = 1;
    while (i < r.size() && r[i] >= '0' && r[i] <= '9') ++i;
    r = r.substr(i);
  }
  if (r.size() >= 6 && (r[0] == '+' || r[0] == '-')) {
    int oh = (r[1] - '0') * 10 + (r[2] - '0');
    int om = (r[4] - '0') * 10 + (r[5] - '0');
    int off = (oh * 60 + om) * 60;
    secs -= r[0] == '+' ? off : -off;
  }
  out = std::chrono::system_clock::from_time_t(secs);
  return true;
}

std::string humanDuration(std::chrono::seconds d) {
  // kubectl's duration.HumanDuration.
  long long secs = d.count();
  if (secs < -1) return "<invalid>";
  if (secs < 0) secs = 0;
  auto f = [](long long v, const char* u) { return std::to_string(v) + u; };
  if (secs < 60 * 2) return f(secs, "s");
  long long minutes = secs / 60;
  if (minutes < 10) {
    long long s = secs % 60;
    return s == 0 ? f(minutes, "m") : f(minutes, "m") + f(s, "s");
  }
  if (minutes < 60 * 3) return f(minutes, "m");
  long long hours = secs / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return m == 0 ? f(hours, "h") : f(hours, "h") + f(m, "m");
  }
  if (hours < 48) return f(hours, "h");
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return h == 0 ? f(hours / 24, "d") : f(hours / 24, "d") + f(h, "h");
  }
  if (hours < 24 * 365 * 2) return f(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    long long dy = (hours / 24) % 365;
    return dy == 0 ? f(hours / 24 / 365, "y") : f(hours / 24 / 365, "y") + f(dy, "d");
  }
  return f(hours / 24 / 365, "y");
}

}  // namespace sluice::api

namespace sluice::api {

namespace {
void writeCanonical(const json::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> entries;
    for (const auto& [k, val] : v.as_object()) entries.emplace_back(k, &val);
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out += ',';
      out += json::serialize(json::string(entries[i].first));
      out += ':';
      writeCanonical(*entries[i].second, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out += ',';
      first = false;
      writeCanonical(e, out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}
}  // namespace

std::string canonicalJson(const json::value& v) {
  std::string out;
  writeCanonical(v, out);
  return out;
}

}  // namespace sluice::api
