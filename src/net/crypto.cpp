#include "net/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "net/handles.hpp"
#include "polydb/error.hpp"

namespace polydb::net {

namespace {
[[noreturn]] void openssl_failed(std::string_view what) {
  throw Error(ErrorCode::internal, "OpenSSL " + std::string(what) + " failed");
}
}  // namespace

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size())
    openssl_failed("SHA-256");
  return out;
}

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size())
    openssl_failed("HMAC-SHA256");
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

std::string to_hex(const Digest& digest) { return to_hex(as_bytes(digest)); }

struct Sha256::State {
  EvpMdCtx ctx{EVP_MD_CTX_new()};
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx.get(), EVP_sha256(), nullptr) != 1)
    openssl_failed("SHA-256 init");
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size()) != 1)
    openssl_failed("SHA-256 update");
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx.get(), out.data(), &len) != 1 || len != out.size() ||
      EVP_DigestInit_ex(state_->ctx.get(), EVP_sha256(), nullptr) != 1)
    openssl_failed("SHA-256 final");
  return out;
}

}  // namespace polydb::net
