#include "connectors/mysql/unique_key.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "connectors/mysql/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

// Column names in MySQL are case-insensitive; an index lists its columns in
// its own order, the key in the caller's.
std::vector<std::string> sorted_lower(std::vector<std::string> names) {
  for (auto& s : names)
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

void require_unique_key(MysqlConnection& conn, const TableDescription& target,
                        const std::vector<std::string>& key, std::string_view what) {
  const std::vector<std::string> want = sorted_lower(key);
  if (sorted_lower(target.schema.primary_key) == want) return;
  const std::vector<Value> params{Value(target.name.schema), Value(target.name.table)};
  std::map<std::string, std::vector<std::string>> unique;
  for (const auto& row : conn.collect_text(
           "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
           "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0",
           params))
    if (row[0] == target.name.table && row[1] && row[2]) unique[*row[1]].push_back(*row[2]);
  for (const auto& [name, cols] : unique)
    if (sorted_lower(cols) == want) return;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("{} by ({}): the key must be the primary key or a unique index on "
                          "exactly those columns, since MySQL finds the stored row by its unique "
                          "keys (add such an index, or use the primary key as the key)",
                          what, fmt::join(key, ", ")),
              "mysql");
}

}  // namespace polydb::mysql
