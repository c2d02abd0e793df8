// The MySQL / MariaDB dialect behind MariaDB Connector/ODBC: backticks,
// LIMIT, ON DUPLICATE KEY UPDATE, non-transactional DDL with RENAME TABLE for
// the replace swap. Column types and marker comments match the native mysql
// connector, so either reads what the other wrote.

#include <fmt/format.h>

#include <algorithm>

#include "connectors/odbc/dialect.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

// A prepared statement takes at most 65535 placeholders.
constexpr size_t kMaxParams = 65535;
constexpr size_t kMaxRows = 500;

constexpr std::string_view kText = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

class MysqlDialect final : public Dialect {
 public:
  DbmsKind kind() const noexcept override { return DbmsKind::mysql; }

  std::string quote_ident(std::string_view name) const override {
    std::string out = "`";
    for (char c : name) {
      if (c == '`') out += '`';
      out += c;
    }
    return out + "`";
  }

  std::string select_sql(const SelectParts& p) const override {
    std::string sql = "SELECT " + p.columns + " FROM " + p.from;
    for (size_t i = 0; i < p.where.size(); ++i) sql += (i ? " AND " : " WHERE ") + p.where[i];
    if (!p.order.empty()) sql += " ORDER BY " + join_list(p.order);
    if (p.limit) sql += fmt::format(" LIMIT {}", *p.limit);
    return sql;
  }

  std::string column_type(Type type, bool in_key) const override {
    switch (type.id) {
      case TypeId::boolean:
        return "BOOLEAN";
      case TypeId::int64:
        return "BIGINT";
      case TypeId::float64:
        return "DOUBLE";
      case TypeId::decimal:
        if (type.precision == 0) return "DECIMAL(65,30)";
        if (type.precision > 65 || type.scale > 30)
          throw Error(ErrorCode::unsupported,
                      fmt::format("MySQL cannot hold {}: DECIMAL has at most 65 digits, 30 of "
                                  "them after the point",
                                  to_string(type)),
                      "odbc");
        return fmt::format("DECIMAL({},{})", type.precision, type.scale);
      case TypeId::bytes:
        return in_key ? "VARBINARY(255)" : "LONGBLOB";
      case TypeId::date:
        return "DATE";
      case TypeId::time:
        return "TIME(6)";
      case TypeId::timestamp:
      case TypeId::timestamp_tz:  // UTC in a DATETIME, marked by its comment
        return "DATETIME(6)";
      case TypeId::uuid:
        return "CHAR(36) CHARACTER SET ascii COLLATE ascii_general_ci";
      case TypeId::json:
        return "JSON";
      case TypeId::null:
      case TypeId::string:
        return (in_key ? "VARCHAR(255)" : "LONGTEXT") + std::string(kText);
    }
    return "LONGTEXT" + std::string(kText);
  }

  std::string column_comment(Type type) const override {
    if (type.id == TypeId::uuid) return "polydb:uuid";
    if (type.id == TypeId::timestamp_tz) return "polydb:timestamp_tz";
    return "";
  }

  ParamStyle param_style(TypeId id) const override {
    return id == TypeId::uuid || id == TypeId::time || id == TypeId::json ? ParamStyle::text
                                                                          : ParamStyle::native;
  }

  // MySQL evaluates the assignments left to right, later ones seeing what
  // earlier ones set: the version column is assigned last, so that every
  // condition reads the stored version.
  std::string change_upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                                const std::vector<std::string>& key, const std::string& version,
                                const std::vector<std::string>& placeholders,
                                size_t rows) const override {
    std::vector<std::string> set;
    const std::string v = version.empty() ? "" : quote_ident(version);
    const std::string newer =
        version.empty() ? "" : fmt::format("{0} IS NULL OR {0} < VALUES({0})", v);
    for (const auto& c : columns) {
      if (std::find(key.begin(), key.end(), c) != key.end() || c == version) continue;
      const std::string q = quote_ident(c);
      set.push_back(version.empty() ? fmt::format("{0} = VALUES({0})", q)
                                    : fmt::format("{0} = IF({1}, VALUES({0}), {0})", q, newer));
    }
    if (!version.empty()) set.push_back(fmt::format("{0} = IF({1}, VALUES({0}), {0})", v, newer));
    if (set.empty()) set.push_back(quote_ident(key.at(0)) + " = " + quote_ident(key.at(0)));
    return insert_sql(name, columns, placeholders, rows) + " ON DUPLICATE KEY UPDATE " +
           join_list(set);
  }

  // ON DUPLICATE KEY
  // UPDATE handles the rows of one statement in order, so a key met twice
  // ends as row-by-row execution would leave it: upserts go many rows at once too.
  size_t max_rows_per_statement(size_t columns, bool) const override {
    return std::clamp<size_t>(kMaxParams / std::max<size_t>(columns, 1), 1, kMaxRows);
  }
  bool upsert_meets_key_once() const override { return false; }

  bool transactional_ddl() const override { return false; }

  std::vector<std::string> swap_sql(const TableName& target, const TableName& aside,
                                    bool target_exists) const override {
    if (!target_exists)
      return {fmt::format("RENAME TABLE {} TO {}", quote_table(aside), quote_table(target))};
    // One RENAME swaps both names atomically; the old table goes afterwards.
    TableName old = aside;
    if (const auto p = old.table.find("_new_"); p != std::string::npos)
      old.table.replace(p, 5, "_old_");
    else
      old.table = "_polydb_old_" + old.table;
    return {fmt::format("RENAME TABLE {} TO {}, {} TO {}", quote_table(target), quote_table(old),
                        quote_table(aside), quote_table(target)),
            drop_table_sql(old)};
  }

  size_t max_identifier() const override { return 64; }

  std::vector<std::string> session_setup() const override {
    return {"SET SESSION sql_mode = 'STRICT_ALL_TABLES,STRICT_TRANS_TABLES,NO_ZERO_DATE,"
            "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = "
            "'+00:00'"};
  }
  bool schema_is_catalog() const override { return true; }

  std::optional<std::string> comparable(const std::string& quoted, Type type,
                                        const ColumnTraits& traits, CompareOp op) const override {
    if (type.id == TypeId::string) {
      // CAST(.. AS BINARY) compares without padding: a CHAR column is filtered locally.
      if (collation(traits) == Collation::pad_space) return std::nullopt;
      return "CAST(" + quoted + " AS BINARY)";
    }
    return Dialect::comparable(quoted, type, traits, op);
  }
  // CHAR(n) drops trailing blanks on read and compares ignoring them. (The
  // driver does not report a VARCHAR's collation, so VARCHAR stays binary.)
  Collation collation(const ColumnTraits& traits) const override {
    return traits.type_name == "char" ? Collation::pad_space : Collation::binary;
  }
  std::string compare_placeholder(Type type) const override {
    return type.id == TypeId::string ? "CAST(? AS BINARY)" : "?";
  }

  std::optional<bool> nulls_sort_low() const override { return true; }

  std::string order_expr(const std::string& quoted, Type type) const override {
    return type.id == TypeId::string ? "CAST(" + quoted + " AS BINARY)" : quoted;
  }

  std::optional<std::string> hash_partition_sql(const std::vector<std::string>& columns,
                                                uint32_t index, uint32_t count) const override {
    return fmt::format("MOD(CRC32(CONCAT_WS(0x1f, {})), {}) = {}", join_list(columns), count,
                       index);
  }
};

}  // namespace

std::unique_ptr<Dialect> make_mysql_dialect() { return std::make_unique<MysqlDialect>(); }

}  // namespace polydb::odbc
