#include "connectors/common/murmur3.hpp"

#include <bit>

namespace polydb {

namespace {

// Blocks are read as little-endian words whatever the host's byte order.
uint32_t load32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint64_t load64(const uint8_t* p) noexcept {
  return uint64_t{load32(p)} | uint64_t{load32(p + 4)} << 32;
}

// The bytes after the last whole block, `n` (< 8) of them from `p`, as a
// little-endian word.
uint64_t load_tail(const uint8_t* p, size_t n) noexcept {
  uint64_t k = 0;
  for (size_t i = n; i-- > 0;) k = k << 8 | p[i];
  return k;
}

uint32_t fmix32(uint32_t h) noexcept {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}

uint64_t fmix64(uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  return k ^ (k >> 33);
}

constexpr uint32_t kC1x86 = 0xcc9e2d51u;
constexpr uint32_t kC2x86 = 0x1b873593u;
constexpr uint64_t kC1x64 = 0x87c37b91114253d5ull;
constexpr uint64_t kC2x64 = 0x4cf5ad432745937full;

uint32_t mix_k32(uint32_t k) noexcept { return std::rotl(k * kC1x86, 15) * kC2x86; }
uint64_t mix_k1(uint64_t k) noexcept { return std::rotl(k * kC1x64, 31) * kC2x64; }
uint64_t mix_k2(uint64_t k) noexcept { return std::rotl(k * kC2x64, 33) * kC1x64; }

}  // namespace

uint32_t murmur3_x86_32(std::span<const uint8_t> data, uint32_t seed) noexcept {
  uint32_t h = seed;
  const size_t blocks = data.size() / 4;
  for (size_t i = 0; i < blocks; ++i) {
    h ^= mix_k32(load32(data.data() + 4 * i));
    h = std::rotl(h, 13) * 5 + 0xe6546b64u;
  }
  if (const size_t rest = data.size() % 4)
    h ^= mix_k32(static_cast<uint32_t>(load_tail(data.data() + 4 * blocks, rest)));
  return fmix32(h ^ static_cast<uint32_t>(data.size()));
}

Hash128 murmur3_x64_128(std::span<const uint8_t> data, uint64_t seed) noexcept {
  uint64_t h1 = seed;
  uint64_t h2 = seed;
  const size_t blocks = data.size() / 16;
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* p = data.data() + 16 * i;
    h1 ^= mix_k1(load64(p));
    h1 = (std::rotl(h1, 27) + h2) * 5 + 0x52dce729;
    h2 ^= mix_k2(load64(p + 8));
    h2 = (std::rotl(h2, 31) + h1) * 5 + 0x38495ab5;
  }
  const uint8_t* tail = data.data() + 16 * blocks;
  const size_t rest = data.size() % 16;
  if (rest > 8) h2 ^= mix_k2(load_tail(tail + 8, rest - 8));
  if (rest > 0) h1 ^= mix_k1(rest >= 8 ? load64(tail) : load_tail(tail, rest));
  h1 ^= data.size();
  h2 ^= data.size();
  h1 += h2;
  h2 += h1;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

}  // namespace polydb
