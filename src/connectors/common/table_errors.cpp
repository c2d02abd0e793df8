#include "connectors/common/table_errors.hpp"

#include <fmt/format.h>

#include <string>

namespace polydb {

Error table_exists_error(std::string_view table, std::string_view where, std::string_view backend,
                         std::string_view detail) {
  return Error(ErrorCode::conflict,
               fmt::format("table '{}' already exists in {} (write in append, replace or upsert "
                           "mode)",
                           table, where),
               std::string(backend), std::string(detail))
      .set_hint(Hint::write_mode);
}

Error no_table_error(std::string_view table, std::string_view where, std::string_view backend) {
  return Error(ErrorCode::not_found,
               fmt::format("no table '{}' in {} (the connection's table list shows the names)",
                           table, where),
               std::string(backend))
      .set_hint(Hint::list_tables);
}

void check_schema_creatable(std::string_view table, const Schema& schema) {
  if (schema.fields.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("cannot create table '{}' with no columns", table));
}

}  // namespace polydb
