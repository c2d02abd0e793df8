// Small helpers declared in connection.hpp that need no backend.

#include <fmt/format.h>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {

std::string_view to_string(WriteMode mode) noexcept {
  switch (mode) {
    case WriteMode::create: return "create";
    case WriteMode::append: return "append";
    case WriteMode::replace: return "replace";
    case WriteMode::upsert: return "upsert";
  }
  return "append";
}

WriteMode parse_write_mode(std::string_view text) {
  for (WriteMode m : {WriteMode::create, WriteMode::append, WriteMode::replace, WriteMode::upsert})
    if (text == to_string(m)) return m;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown write mode '{}' (use create, append, replace or upsert)", text));
}

std::vector<std::unique_ptr<Connection>> Connection::open_snapshot_readers(uint32_t n) {
  (void)n;
  throw Error(ErrorCode::unsupported,
              fmt::format("{} cannot open readers that share one snapshot (read with one "
                          "connection, without parallel workers)",
                          backend()),
              std::string(backend()));
}

}  // namespace polydb
