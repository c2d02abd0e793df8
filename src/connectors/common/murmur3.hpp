#pragma once

// MurmurHash3 (Austin Appleby's public-domain hash functions), the 32-bit
// x86 and the 128-bit x64 variants, as partitioned stores use them to place
// keys (Cosmos DB's effective partition keys). Not a cryptographic hash.

#include <cstdint>
#include <span>

namespace polydb {

/// MurmurHash3_x86_32 of `data` with `seed`.
uint32_t murmur3_x86_32(std::span<const uint8_t> data, uint32_t seed = 0) noexcept;

/// The two 64-bit halves of a MurmurHash3_x64_128 hash, in the order the
/// reference implementation writes them (h1 first).
struct Hash128 {
  uint64_t h1 = 0;
  uint64_t h2 = 0;
};

/// MurmurHash3_x64_128 of `data` with `seed`.
Hash128 murmur3_x64_128(std::span<const uint8_t> data, uint64_t seed = 0) noexcept;

}  // namespace polydb
