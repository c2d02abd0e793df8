#pragma once

/// polydb::Secret — a credential (password, access key, token) that must not
/// leak into logs, error messages or output.

#include <cstddef>
#include <string>
#include <utility>

namespace polydb {

/// Holds a credential. The value is reachable only through `reveal()`, named
/// so that every use stands out in review; there is deliberately no
/// `operator<<` and no conversion to a string. Print `redacted()` instead.
///
/// The destructor and both assignments overwrite the buffer they give up with
/// zeros before releasing it. This is best effort: copies made by callers of
/// `reveal()`, the string passed to the constructor, and buffers the
/// allocator released while the string grew are out of reach.
///
/// Thread-compatible, like std::string: concurrent const use is safe.
class Secret {
 public:
  /// An empty secret (no credential).
  Secret() = default;

  /// Takes ownership of `value`; pass it with std::move to avoid a copy.
  explicit Secret(std::string value) noexcept : value_(std::move(value)) {}

  Secret(const Secret& other) : value_(other.value_) {}

  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }

  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }

  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      // libstdc++ may hand our old buffer to `other`; it was wiped above, and
      // a short value copied out of `other`'s inline buffer is wiped here.
      other.wipe();
    }
    return *this;
  }

  ~Secret() { wipe(); }

  /// The credential itself. Hand it to a driver or signer; never log it.
  const std::string& reveal() const noexcept { return value_; }

  /// True when no credential is held.
  bool empty() const noexcept { return value_.empty(); }

  /// "***", or "" when empty: what to print in place of the value.
  std::string redacted() const { return value_.empty() ? std::string() : std::string("***"); }

  friend bool operator==(const Secret& a, const Secret& b) noexcept { return a.value_ == b.value_; }

 private:
  // Zeros every byte the string owns, including the bytes past size() left
  // over from an earlier, longer value, then empties it. Writing through a
  // volatile pointer keeps the compiler from dropping the stores as dead.
  void wipe() noexcept {
    // resize() to the current capacity never reallocates, so it cannot throw;
    // it makes the whole buffer part of the string so writing it is defined.
    value_.resize(value_.capacity());
    volatile char* bytes = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) bytes[i] = '\0';
    value_.clear();
  }

  std::string value_;
};

}  // namespace polydb
