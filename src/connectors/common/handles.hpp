#pragma once

// The deleter of every RAII handle over a C library's handle (STYLE.md):
// std::unique_ptr<PGconn, Free<&PQfinish>> calls PQfinish once, never on null.

namespace polydb {

/// Calls `Fn(p)` for a non-null `p`. Never throws.
template <auto Fn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    if (p) Fn(p);
  }
};

}  // namespace polydb
