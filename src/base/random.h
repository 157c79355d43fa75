// Randomness behind one seam: object uids, generated names and load-balancing draws take a
// Random, so tests can make them reproducible.
//
// Threading: implementations are safe to call from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace sluice::base {

class Random {
 public:
  virtual ~Random() = default;
  // A uniformly distributed 64-bit value.
  virtual uint64_t next() = 0;
  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [0, 1).
  double unit();
};

// Seeded from the operating system's entropy.
std::unique_ptr<Random> newRandom();
// The same sequence for the same seed, for tests.
std::unique_ptr<Random> newSeededRandom(uint64_t seed);

// Kubernetes' generateName suffix: `n` characters from an alphabet without vowels (so no words
// are spelt by accident) and without look-alikes.
std::string randomSuffix(Random& random, size_t n);
// A version 4 UUID, as object uids are.
std::string newUid(Random& random);

}  // namespace sluice::base
