#include "connectors/odbc/dialect.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

bool icontains(std::string_view text, std::string_view part) {
  return std::search(text.begin(), text.end(), part.begin(), part.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

bool in_key(const Schema& schema, const Field& f) {
  for (const auto& k : schema.primary_key)
    if (schema.field(k).name == f.name) return true;
  return false;
}

// Generic ANSI SQL: the fallback for any other DBMS.
class AnsiDialect final : public Dialect {
 public:
  DbmsKind kind() const noexcept override { return DbmsKind::ansi; }
  std::string column_type(Type type, bool in_key) const override {
    switch (type.id) {
      case TypeId::boolean:
        return "BOOLEAN";
      case TypeId::int64:
        return "BIGINT";
      case TypeId::float64:
        return "DOUBLE PRECISION";
      case TypeId::decimal:
        return type.precision ? fmt::format("DECIMAL({},{})", type.precision, type.scale)
                              : "DECIMAL(38,10)";
      case TypeId::bytes:
        return in_key ? "VARBINARY(255)" : "BLOB";
      case TypeId::date:
        return "DATE";
      case TypeId::time:
        return "TIME";
      case TypeId::timestamp:
        return "TIMESTAMP";
      case TypeId::timestamp_tz:
        return "TIMESTAMP WITH TIME ZONE";
      case TypeId::uuid:
        return "CHAR(36)";
      case TypeId::json:
      case TypeId::null:
      case TypeId::string:
        return in_key ? "VARCHAR(255)" : "CLOB";
    }
    return "CLOB";
  }
};

}  // namespace

std::string_view to_string(DbmsKind kind) noexcept {
  switch (kind) {
    case DbmsKind::sqlserver:
      return "sqlserver";
    case DbmsKind::postgresql:
      return "postgresql";
    case DbmsKind::mysql:
      return "mysql";
    case DbmsKind::ansi:
      return "ansi";
  }
  return "ansi";
}

DbmsKind dbms_kind_from_name(std::string_view name) noexcept {
  if (icontains(name, "SQL Server") || icontains(name, "Azure SQL")) return DbmsKind::sqlserver;
  if (icontains(name, "PostgreSQL")) return DbmsKind::postgresql;
  if (icontains(name, "MySQL") || icontains(name, "MariaDB")) return DbmsKind::mysql;
  return DbmsKind::ansi;
}

std::optional<DbmsKind> parse_dbms_kind(std::string_view text) noexcept {
  for (DbmsKind k : {DbmsKind::sqlserver, DbmsKind::postgresql, DbmsKind::mysql, DbmsKind::ansi})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

std::string join_list(const std::vector<std::string>& items, std::string_view prefix) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += prefix;
    out += i;
  }
  return out;
}

std::string Dialect::quote_ident(std::string_view name) const {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Dialect::quote_table(const TableName& name) const {
  return name.schema.empty() ? quote_ident(name.table)
                             : quote_ident(name.schema) + "." + quote_ident(name.table);
}

std::string Dialect::select_sql(const SelectParts& p) const {
  std::string sql = "SELECT " + p.columns + " FROM " + p.from;
  for (size_t i = 0; i < p.where.size(); ++i) sql += (i ? " AND " : " WHERE ") + p.where[i];
  if (!p.order.empty()) sql += " ORDER BY " + join_list(p.order);
  if (p.limit) sql += fmt::format(" FETCH FIRST {} ROWS ONLY", *p.limit);
  return sql;
}

std::string Dialect::column_comment(Type) const { return ""; }

std::string Dialect::create_table_sql(const TableName& name, const Schema& schema) const {
  std::string sql = "CREATE TABLE " + quote_table(name) + " (";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    const bool key = in_key(schema, f);
    sql += (i ? ", " : "") + quote_ident(f.name) + " " + column_type(f.type, key);
    sql += f.nullable && !key ? " NULL" : " NOT NULL";
    if (const std::string c = column_comment(f.type); !c.empty()) sql += " COMMENT '" + c + "'";
  }
  if (!schema.primary_key.empty()) {
    std::vector<std::string> key;
    for (const auto& k : schema.primary_key) key.push_back(quote_ident(schema.field(k).name));
    sql += ", PRIMARY KEY (" + join_list(key) + ")";
  }
  return sql + ")";
}

std::string Dialect::drop_table_sql(const TableName& name) const {
  return "DROP TABLE " + quote_table(name);
}

std::string Dialect::count_sql(const TableName& name) const {
  return "SELECT COUNT(*) FROM " + quote_table(name);
}

ParamStyle Dialect::param_style(TypeId id) const {
  return id == TypeId::uuid || id == TypeId::time ? ParamStyle::text : ParamStyle::native;
}

std::string Dialect::placeholder(TypeId, std::string_view) const { return "?"; }

std::string Dialect::insert_sql(const TableName& name, const std::vector<std::string>& columns,
                                const std::vector<std::string>& placeholders, size_t rows) const {
  std::vector<std::string> quoted;
  for (const auto& c : columns) quoted.push_back(quote_ident(c));
  const std::string row = "(" + join_list(placeholders) + ")";
  std::string sql =
      fmt::format("INSERT INTO {} ({}) VALUES {}", quote_table(name), join_list(quoted), row);
  sql.reserve(sql.size() + (row.size() + 2) * (std::max<size_t>(rows, 1) - 1));
  for (size_t r = 1; r < rows; ++r) (sql += ", ") += row;
  return sql;
}

size_t Dialect::max_rows_per_statement(size_t, bool) const {
  return 1;  // multi-row VALUES is not everywhere (Oracle has none)
}

std::string Dialect::upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                                const std::vector<std::string>& key,
                                const std::vector<std::string>& placeholders, size_t rows) const {
  return change_upsert_sql(name, columns, key, "", placeholders, rows);
}

std::string Dialect::change_upsert_sql(const TableName& name,
                                       const std::vector<std::string>& columns,
                                       const std::vector<std::string>& key,
                                       const std::string& version,
                                       const std::vector<std::string>& placeholders,
                                       size_t) const {
  // SQL:2003 MERGE, as DB2, Oracle, Snowflake and others accept it; the
  // version condition goes into WHEN MATCHED AND.
  std::vector<std::string> cols, on, set;
  for (const auto& c : columns) {
    const std::string q = quote_ident(c);
    cols.push_back(q);
    if (std::find(key.begin(), key.end(), c) != key.end())
      on.push_back("t." + q + " = s." + q);
    else
      set.push_back(q + " = s." + q);
  }
  std::string sql = fmt::format("MERGE INTO {} t USING (VALUES ({})) s ({}) ON ({})",
                                quote_table(name), join_list(placeholders), join_list(cols),
                                fmt::join(on, " AND "));
  if (!version.empty())
    sql += fmt::format(" WHEN MATCHED AND (t.{0} IS NULL OR t.{0} < s.{0}) THEN UPDATE SET {1}",
                       quote_ident(version), join_list(set));
  else if (!set.empty())
    sql += " WHEN MATCHED THEN UPDATE SET " + join_list(set);
  return sql + fmt::format(" WHEN NOT MATCHED THEN INSERT ({}) VALUES ({})", join_list(cols),
                           join_list(cols, "s."));
}

std::string Dialect::change_remove_sql(const TableName& name, const std::vector<std::string>& key,
                                       const std::vector<std::string>& key_placeholders,
                                       const std::string& version) const {
  std::vector<std::string> where;
  for (size_t i = 0; i < key.size(); ++i)
    where.push_back(quote_ident(key[i]) + " = " + key_placeholders.at(i));
  if (!version.empty())
    where.push_back(fmt::format("({0} IS NULL OR {0} <= ?)", quote_ident(version)));
  return fmt::format("DELETE FROM {} WHERE {}", quote_table(name), fmt::join(where, " AND "));
}

std::vector<std::string> Dialect::swap_sql(const TableName& target, const TableName& aside,
                                           bool target_exists) const {
  std::vector<std::string> out;
  if (target_exists) out.push_back(drop_table_sql(target));
  out.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", quote_table(aside),
                            quote_ident(target.table)));
  return out;
}

std::optional<std::string> Dialect::comparable(const std::string& quoted, Type type,
                                               const ColumnTraits& traits, CompareOp op) const {
  const bool equality = op == CompareOp::eq || op == CompareOp::ne || op == CompareOp::in;
  switch (type.id) {
    case TypeId::int64:
    case TypeId::decimal:
    case TypeId::date:
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
    case TypeId::time:
      return quoted;
    case TypeId::float64:
      // A REAL column compares as a 4-byte float on the server.
      return traits.sql_type == 7 /* SQL_REAL */ ? std::nullopt : std::optional(quoted);
    case TypeId::boolean:
      return equality ? std::optional(quoted) : std::nullopt;
    case TypeId::uuid:
      return equality && traits.sql_type == -11 /* SQL_GUID */ ? std::optional(quoted)
                                                              : std::nullopt;
    default:
      return std::nullopt;  // strings: collations differ; json and bytes: not comparable
  }
}

std::string Dialect::compare_placeholder(Type) const { return "?"; }

std::optional<std::string> Dialect::compare_sql(const std::string& quoted, Type type,
                                                const ColumnTraits& traits, CompareOp op,
                                                size_t values) const {
  if (op == CompareOp::is_null) return quoted + " IS NULL";
  if (op == CompareOp::is_not_null) return quoted + " IS NOT NULL";
  if (op == CompareOp::in && values == 0) return "(1=0)";
  if (op != CompareOp::in && values != 1) return std::nullopt;
  const auto lhs = comparable(quoted, type, traits, op);
  if (!lhs) return std::nullopt;
  const std::string ph = compare_placeholder(type);
  if (op == CompareOp::in) {
    std::string list;
    for (size_t i = 0; i < values; ++i) list += (i ? ", " : "") + ph;
    return *lhs + " IN (" + list + ")";
  }
  return *lhs + " " + std::string(to_sql(op)) + " " + ph;
}

std::string Dialect::order_expr(const std::string& quoted, Type) const { return quoted; }

std::vector<std::string> Dialect::order_items(const std::string& quoted, Type type,
                                              bool descending,
                                              std::optional<bool> nulls_first) const {
  std::vector<std::string> items;
  if (nulls_first) {
    const std::optional<bool> low = nulls_sort_low();
    const bool by_default = low && *nulls_first == (*low != descending);
    if (!by_default)
      items.push_back(fmt::format("CASE WHEN {} IS NULL THEN {} ELSE {} END", quoted,
                                  *nulls_first ? 0 : 1, *nulls_first ? 1 : 0));
  }
  items.push_back(order_expr(quoted, type) + (descending ? " DESC" : ""));
  return items;
}

std::optional<std::string> Dialect::hash_partition_sql(const std::vector<std::string>&, uint32_t,
                                                       uint32_t) const {
  return std::nullopt;
}

std::unique_ptr<Dialect> make_dialect(DbmsKind kind) {
  switch (kind) {
    case DbmsKind::sqlserver:
      return make_sqlserver_dialect();
    case DbmsKind::postgresql:
      return make_postgresql_dialect();
    case DbmsKind::mysql:
      return make_mysql_dialect();
    case DbmsKind::ansi:
      break;
  }
  return std::make_unique<AnsiDialect>();
}

}  // namespace polydb::odbc
