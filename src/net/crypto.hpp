#pragma once

// SHA-256 and HMAC-SHA256 over OpenSSL, for request signers (private header of polydb_net).
// No OpenSSL type appears here: callers need not see OpenSSL's headers.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace polydb::net {

/// A SHA-256 or HMAC-SHA256 digest.
using Digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `data`. Thread-safe. Throws Error(internal) if OpenSSL fails.
Digest sha256(std::string_view data);

/// HMAC-SHA256 of `data` under `key`. Thread-safe. Throws Error(internal) if OpenSSL fails.
Digest hmac_sha256(std::string_view key, std::string_view data);

/// Lowercase hexadecimal of `bytes` ("e3b0c442...").
std::string to_hex(std::string_view bytes);
std::string to_hex(const Digest& digest);

/// The digest's bytes as a string (to chain HMACs: the key of one is the output of another).
inline std::string_view as_bytes(const Digest& digest) noexcept {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

/// Incremental SHA-256, for payloads that arrive in pieces (streamed uploads).
/// Move-only; single-threaded. Throws Error(internal) if OpenSSL fails.
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  /// Adds `data` to the hash.
  void update(std::string_view data);
  /// The digest of everything added; the object is reset for a new hash.
  Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace polydb::net
