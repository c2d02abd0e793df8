#pragma once

// The errors every connector raises about tables, worded once.

#include <string_view>

#include "polydb/error.hpp"
#include "polydb/type.hpp"

namespace polydb {

/// Error(conflict): `table` already exists in `where` (a redacted URL).
/// `detail` is the backend's own words, when it reported the conflict.
Error table_exists_error(std::string_view table, std::string_view where, std::string_view backend,
                         std::string_view detail = {});

/// Error(not_found): no table `table` in `where` (a redacted URL), with
/// Hint::list_tables.
Error no_table_error(std::string_view table, std::string_view where, std::string_view backend);

/// Throws Error(invalid_argument) when `schema` has no columns to create.
void check_schema_creatable(std::string_view table, const Schema& schema);

}  // namespace polydb
