#include "proxy/session_persistence.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proxy/head_edit.h"

namespace sluice::proxy {

int pinnedBackend(const SessionPersistence& session, std::span<const RouteBackend> backends,
                  std::string_view head) {
  std::optional<std::string_view> token;
  if (session.type == SessionPersistence::Type::Cookie) {
    if (auto cookies = headerValue(head, "cookie")) token = cookieValue(*cookies, session.name);
  } else {
    std::string lower(session.name);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    token = headerValue(head, lower);
  }
  if (!token || token->empty()) return -1;
  for (size_t i = 0; i < backends.size(); ++i)
    if (backends[i].weight > 0 && backends[i].token == *token) return static_cast<int>(i);
  return -1;
}

std::string sessionToken(std::span<const unsigned char> key, const std::string& identity) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(identity.data()), identity.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 16 && i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string sessionLine(const SessionPersistence& session, const std::string& token) {
  if (session.type == SessionPersistence::Type::Header) return session.name + ": " + token + "\r\n";
  std::string line = "Set-Cookie: " + session.name + "=" + token + "; Path=/; HttpOnly";
  if (session.permanent && session.absoluteTimeout.count() > 0)
    line += "; Max-Age=" + std::to_string(session.absoluteTimeout.count());
  return line + "\r\n";
}

}  // namespace sluice::proxy
