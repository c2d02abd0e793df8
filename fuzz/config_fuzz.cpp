// Fuzz target: polydb::Config::parse (src/core/config.cpp): YAML through
// yaml-cpp, then ${ENV} substitution and strict validation.
// Properties: only polydb::Error escapes; every connection of a config that
// loads yields its Uri (Config::parse has checked that the URL parses).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "polydb/config.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Variables the seed corpus refers to as ${...}; FUZZ_EMPTY exercises ${X:-default}.
  setenv("FUZZ_USER", "app", 1);
  setenv("FUZZ_PASSWORD", "p@ss:w/rd?#", 1);
  setenv("FUZZ_HOST", "127.0.0.1", 1);
  setenv("FUZZ_PORT", "5432", 1);
  setenv("FUZZ_URL", "postgresql://app@127.0.0.1:5432/shop", 1);
  setenv("FUZZ_DOLLAR", "$${FUZZ_USER}", 1);
  setenv("FUZZ_NESTED", "${FUZZ_USER}", 1);
  setenv("FUZZ_EMPTY", "", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  polydb::Config config;
  if (!polydb::fuzz::rejects_or_runs([&] { config = polydb::Config::parse(text, "fuzz.yaml"); }))
    return 0;
  for (const auto& c : config.connections()) {
    const bool ok = polydb::fuzz::rejects_or_runs([&] {
      const polydb::Uri u = c.uri();
      (void)u.to_string();
    });
    FUZZ_CHECK(ok);
    FUZZ_CHECK(config.find(c.name) != nullptr);
  }
  (void)config.connection_names();
  if (auto n = config.default_batch_size()) FUZZ_CHECK(*n > 0);
  return 0;
}
