#include "base/random.h"

#include <cassert>
#include <cstdio>
#include <mutex>
#include <random>
#include <string_view>

namespace sluice::base {

namespace {

class Mt64Random : public Random {
 public:
  explicit Mt64Random(uint64_t seed) : gen_(seed) {}
  uint64_t next() override {
    std::lock_guard lock(mu_);
    return gen_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 gen_;
};

}  // namespace

uint64_t Random::below(uint64_t n) {
  assert(n > 0);
  // Rejection sampling: the top `limit` values would make small results more likely.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = next();
  while (v >= limit);
  return v % n;
}

double Random::unit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::unique_ptr<Random> newRandom() {
  std::random_device rd;
  return std::make_unique<Mt64Random>((uint64_t{rd()} << 32) ^ rd());
}

std::unique_ptr<Random> newSeededRandom(uint64_t seed) {
  return std::make_unique<Mt64Random>(seed);
}

std::string randomSuffix(Random& random, size_t n) {
  static constexpr std::string_view alphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += alphabet[random.below(alphabet.size())];
  return out;
}

std::string newUid(Random& random) {
  unsigned char b[16];
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t v = random.next();
    for (size_t j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(v >> (8 * j));
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return buf;
}

}  // namespace sluice::base
