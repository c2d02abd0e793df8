#include "connectors/common/murmur3.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace polydb {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reference values of the public-domain implementation (SMHasher's
// MurmurHash3.cpp), as other ports quote them.
TEST(Murmur3, X86_32KnownValues) {
  EXPECT_EQ(murmur3_x86_32(bytes("")), 0u);
  EXPECT_EQ(murmur3_x86_32(bytes(""), 1), 0x514E28B7u);
  EXPECT_EQ(murmur3_x86_32(bytes("hello")), 0x248BFA47u);
  EXPECT_EQ(murmur3_x86_32(bytes("The quick brown fox jumps over the lazy dog")), 0x2E4FF723u);
}

TEST(Murmur3, X64_128KnownValues) {
  const Hash128 empty = murmur3_x64_128(bytes(""));
  EXPECT_EQ(empty.h1, 0u);
  EXPECT_EQ(empty.h2, 0u);
  const Hash128 fox = murmur3_x64_128(bytes("The quick brown fox jumps over the lazy dog"));
  EXPECT_EQ(fox.h1, 0xE34BBC7BBC071B6Cull);
  EXPECT_EQ(fox.h2, 0x7A433CA9C49A9347ull);
}

}  // namespace
}  // namespace polydb
