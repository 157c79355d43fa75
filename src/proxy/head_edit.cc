#include "proxy/head_edit.h"

#include <vector>

namespace sluice::proxy {

namespace {

bool sameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void appendLine(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

void rewriteHead(std::string_view head, const HeadRewrite& rw, std::string& out) {
  out.clear();
  size_t lineEnd = head.find("\r\n");
  if (lineEnd == std::string_view::npos) {
    out.assign(head);
    return;
  }
  out.append(rw.startLine.empty() ? head.substr(0, lineEnd) : rw.startLine).append("\r\n");
  const HeaderEdits* e = rw.edits;
  // Up to 16 set and 16 add entries (the schema's limits): which have been written.
  uint32_t setDone = 0, addDone = 0;
  bool hostDone = rw.host.empty();
  size_t at = lineEnd + 2;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos || end == at) break;
    std::string_view line = head.substr(at, end - at);
    at = end + 2;
    size_t colon = line.find(':');
    std::string_view name = colon == std::string_view::npos ? line : line.substr(0, colon);
    if (!hostDone && sameName(name, "host")) {
      appendLine(out, name, rw.host);
      hostDone = true;
      continue;
    }
    bool drop = false;
    if (e) {
      for (const auto& r : e->remove) drop = drop || sameName(name, r);
      for (size_t i = 0; !drop && i < e->set.size(); ++i)
        if (sameName(name, e->set[i].first)) {
          if (!(setDone & (1u << i))) appendLine(out, e->set[i].first, e->set[i].second);
          setDone |= 1u << i;
          drop = true;
        }
      for (size_t i = 0; !drop && i < e->add.size(); ++i)
        if (sameName(name, e->add[i].first) && !(addDone & (1u << i))) {
          out.append(line).append(",").append(e->add[i].second).append("\r\n");
          addDone |= 1u << i;
          drop = true;
        }
    }
    if (!drop) out.append(line).append("\r\n");
  }
  if (e) {
    for (size_t i = 0; i < e->set.size(); ++i)
      if (!(setDone & (1u << i))) appendLine(out, e->set[i].first, e->set[i].second);
    for (size_t i = 0; i < e->add.size(); ++i)
      if (!(addDone & (1u << i))) appendLine(out, e->add[i].first, e->add[i].second);
  }
  if (!hostDone) appendLine(out, "Host", rw.host);
  out.append(rw.extra).append("\r\n");
}

std::string modifiedPath(const PathModifier& modifier, const RouteMatch& matched,
                         std::string_view path) {
  switch (modifier.type) {
    case PathModifier::Type::None:
      return std::string(path);
    case PathModifier::Type::ReplaceFullPath:
      return modifier.value;
    case PathModifier::Type::ReplacePrefixMatch: {
      if (matched.pathType != RouteMatch::Path::Prefix) return std::string(path);
      std::string_view rest = path.substr(std::min(path.size(), matched.path.size()));
      std::string out = modifier.value;
      while (!out.empty() && out.back() == '/') out.pop_back();
      if (rest.empty() || rest == "/") return out.empty() ? "/" : out + std::string(rest);
      return out + std::string(rest);
    }
  }
  return std::string(path);
}

std::string redirectLocation(const Redirect& r, const RouteMatch& matched, std::string_view host,
                             uint16_t port, std::string_view target) {
  std::string_view path = target, query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q);
  }
  std::string scheme = r.scheme.empty() ? "http" : r.scheme;
  int32_t to = r.port;
  if (!to) to = !r.scheme.empty() ? (scheme == "https" ? 443 : 80) : port;
  std::string location = scheme + "://" + (r.hostname.empty() ? std::string(host) : r.hostname);
  bool wellKnown = (scheme == "http" && to == 80) || (scheme == "https" && to == 443);
  if (!wellKnown) location += ":" + std::to_string(to);
  location += modifiedPath(r.path, matched, path);
  location += query;
  return location;
}

std::optional<std::string_view> cookieValue(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view pair = cookies.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      return value;
    }
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

}  // namespace sluice::proxy
