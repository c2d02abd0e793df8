// The PostgreSQL dialect behind psqlODBC: LIMIT, ON CONFLICT, explicit casts
// for parameters PostgreSQL will not convert from text implicitly.

#include <fmt/format.h>

#include <algorithm>

#include "connectors/odbc/dialect.hpp"

namespace polydb::odbc {

namespace {

// The protocol's Bind message counts parameters in 16 bits.
constexpr size_t kMaxParams = 65535;
// Rows per INSERT: more only adds parse and plan time (measured with bench/compare/odbc_read.sh).
constexpr size_t kMaxRows = 500;

// A native type name safe to put in a CAST (it comes from the catalog).
bool plain_type_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ' ';
  });
}

class PostgresqlDialect final : public Dialect {
 public:
  DbmsKind kind() const noexcept override { return DbmsKind::postgresql; }

  std::string select_sql(const SelectParts& p) const override {
    std::string sql = "SELECT " + p.columns + " FROM " + p.from;
    for (size_t i = 0; i < p.where.size(); ++i) sql += (i ? " AND " : " WHERE ") + p.where[i];
    if (!p.order.empty()) sql += " ORDER BY " + join_list(p.order);
    if (p.limit) sql += fmt::format(" LIMIT {}", *p.limit);
    return sql;
  }

  std::string column_type(Type type, bool) const override {
    switch (type.id) {
      case TypeId::boolean:
        return "BOOLEAN";
      case TypeId::int64:
        return "BIGINT";
      case TypeId::float64:
        return "DOUBLE PRECISION";
      // Unconstrained, like the native connector: values keep the scale written.
      case TypeId::decimal:
        return "NUMERIC";
      case TypeId::bytes:
        return "BYTEA";
      case TypeId::date:
        return "DATE";
      case TypeId::time:
        return "TIME";
      case TypeId::timestamp:
        return "TIMESTAMP";
      case TypeId::timestamp_tz:
        return "TIMESTAMPTZ";
      case TypeId::uuid:
        return "UUID";
      case TypeId::json:
        return "JSONB";
      case TypeId::null:
      case TypeId::string:
        return "TEXT";
    }
    return "TEXT";
  }

  ParamStyle param_style(TypeId id) const override {
    return id == TypeId::uuid || id == TypeId::time || id == TypeId::json ? ParamStyle::text
                                                                          : ParamStyle::native;
  }

  // psqlODBC declares text parameters as varchar, which PostgreSQL does not
  // assign to jsonb, uuid or time columns without a cast.
  std::string placeholder(TypeId id, std::string_view native_type) const override {
    if (id != TypeId::uuid && id != TypeId::time && id != TypeId::json) return "?";
    std::string name(native_type);
    if (!plain_type_name(name)) name = id == TypeId::json ? "jsonb" : id == TypeId::uuid ? "uuid" : "time";
    return "CAST(? AS " + name + ")";
  }

  bool stores_non_finite() const override { return true; }

  std::string upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                         const std::vector<std::string>& key,
                         const std::vector<std::string>& placeholders, size_t rows) const override {
    std::vector<std::string> set, keys;
    for (const auto& k : key) keys.push_back(quote_ident(k));
    for (const auto& c : columns)
      if (std::find(key.begin(), key.end(), c) == key.end())
        set.push_back(quote_ident(c) + " = EXCLUDED." + quote_ident(c));
    return insert_sql(name, columns, placeholders, rows) +
           fmt::format(" ON CONFLICT ({}) DO {}", join_list(keys),
                       set.empty() ? "NOTHING" : "UPDATE SET " + join_list(set));
  }

  std::string change_upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                                const std::vector<std::string>& key, const std::string& version,
                                const std::vector<std::string>& placeholders,
                                size_t rows) const override {
    std::vector<std::string> cols, set, keys;
    for (const auto& k : key) keys.push_back(quote_ident(k));
    for (const auto& c : columns) {
      cols.push_back(quote_ident(c));
      if (std::find(key.begin(), key.end(), c) == key.end())
        set.push_back(quote_ident(c) + " = EXCLUDED." + quote_ident(c));
    }
    const std::string row = "(" + join_list(placeholders) + ")";
    std::string sql = fmt::format("INSERT INTO {} AS t ({}) VALUES {}", quote_table(name),
                                  join_list(cols), row);
    for (size_t r = 1; r < rows; ++r) (sql += ", ") += row;
    sql += fmt::format(" ON CONFLICT ({}) DO ", join_list(keys));
    if (set.empty()) return sql + "NOTHING";
    sql += "UPDATE SET " + join_list(set);
    // The stored row is t; a row the condition refuses stays as it is.
    if (!version.empty())
      sql += fmt::format(" WHERE t.{0} IS NULL OR t.{0} < EXCLUDED.{0}", quote_ident(version));
    return sql;
  }

  // ON CONFLICT DO UPDATE cannot touch one row twice in a statement
  // (upsert_meets_key_once: the writer checks the keys of each statement).
  size_t max_rows_per_statement(size_t columns, bool) const override {
    return std::clamp<size_t>(kMaxParams / std::max<size_t>(columns, 1), 1, kMaxRows);
  }

  size_t max_identifier() const override { return 63; }
  std::vector<std::string> session_setup() const override { return {"SET TIME ZONE 'UTC'"}; }
  std::string default_schema_sql() const override { return "SELECT current_schema()"; }

  std::optional<std::string> comparable(const std::string& quoted, Type type,
                                        const ColumnTraits& traits, CompareOp op) const override {
    if (type.id == TypeId::string && traits.type_name != "json" && traits.type_name != "jsonb") {
      // char(n) = ? compares the blank-stripped column with the literal as
      // bound: not pad_space for a literal ending in blanks. Filtered locally.
      if (collation(traits) == Collation::pad_space) return std::nullopt;
      // Equality is exact under deterministic collations; order needs "C" (bytewise).
      const bool equality = op == CompareOp::eq || op == CompareOp::ne || op == CompareOp::in;
      return equality ? quoted : quoted + " COLLATE \"C\"";
    }
    return Dialect::comparable(quoted, type, traits, op);
  }

  Collation collation(const ColumnTraits& traits) const override {
    return traits.type_name == "bpchar" || traits.type_name == "character"
               ? Collation::pad_space
               : Collation::binary;
  }

  std::optional<bool> nulls_sort_low() const override { return false; }

  std::string order_expr(const std::string& quoted, Type type) const override {
    return type.id == TypeId::string ? quoted + " COLLATE \"C\"" : quoted;
  }

  std::optional<std::string> hash_partition_sql(const std::vector<std::string>& columns,
                                                uint32_t index, uint32_t count) const override {
    // concat_ws skips NULLs: a row always hashes the same way; bigint avoids abs() overflow.
    return fmt::format("((hashtext(concat_ws(chr(31), {0})::text)::bigint % {1}) + {1}) % {1} = {2}",
                       join_list(columns), count, index);
  }
};

}  // namespace

std::unique_ptr<Dialect> make_postgresql_dialect() { return std::make_unique<PostgresqlDialect>(); }

}  // namespace polydb::odbc
