#pragma once

// The one rule MySQL's ON DUPLICATE KEY imposes on every writer that finds
// stored rows by a key (the bulk writer's upsert mode, the change writer):
// the key must be the primary key or a unique index on exactly its columns,
// or an upsert adds a row beside the stored one instead of replacing it.

#include <string>
#include <string_view>
#include <vector>

#include "connectors/mysql/sql.hpp"

namespace polydb::mysql {

class MysqlConnection;

/// Throws Error(invalid_argument) unless `key` (the target's spelling of the
/// columns; compared ignoring case, as MySQL compares column names) is the
/// primary key of `target` or the columns of one of its unique indexes.
/// `what` says what needs the key, e.g. "upsert into 't'" or "changes to 't'".
/// Reads information_schema through `conn`; throws its errors.
void require_unique_key(MysqlConnection& conn, const TableDescription& target,
                        const std::vector<std::string>& key, std::string_view what);

}  // namespace polydb::mysql
