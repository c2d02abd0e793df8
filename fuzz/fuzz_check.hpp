#pragma once

// Helpers shared by the libFuzzer targets in this folder (see fuzz/README.md).
// A target returns normally for input the code rejects the documented way
// (polydb::Error) and aborts — a finding — for anything else: a sanitizer
// report, another exception type escaping, or a broken property (FUZZ_CHECK).

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "polydb/error.hpp"

namespace polydb::fuzz {

/// Aborts with `what` when `ok` is false: libFuzzer saves the input.
inline void check(bool ok, const char* what, const char* file, int line) {
  if (ok) return;
  std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
  std::abort();
}

/// Runs `f`; a polydb::Error is the documented way to reject bad input and
/// is swallowed (returns false). Any other exception aborts. Returns true
/// when `f` returned normally.
template <class F>
bool rejects_or_runs(F&& f) {
  try {
    f();
    return true;
  } catch (const polydb::Error&) {
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception (not polydb::Error): %s\n", e.what());
    std::abort();
  }
}

}  // namespace polydb::fuzz

#define FUZZ_CHECK(cond) ::polydb::fuzz::check(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
