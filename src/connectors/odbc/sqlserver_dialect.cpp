// The SQL Server / Azure SQL dialect: [bracket] quoting, TOP and OFFSET FETCH,
// MERGE for upserts, sp_rename for the replace swap, T-SQL column types.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "connectors/odbc/dialect.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {

namespace {

// A request takes at most 2100 parameters, a VALUES list at most 1000 rows.
constexpr size_t kMaxParams = 2000;
constexpr size_t kMaxRows = 1000;

// A binary collation: equality and order by code point, as polydb compares
// (UTF-16 code unit order differs from UTF-8 byte order only between
// supplementary characters and U+E000-U+FFFF).
constexpr std::string_view kBinaryCollation = " COLLATE Latin1_General_100_BIN2";

std::string nstring_literal(std::string_view text) {
  std::string out = "N'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

class SqlServerDialect final : public Dialect {
 public:
  DbmsKind kind() const noexcept override { return DbmsKind::sqlserver; }

  std::string quote_ident(std::string_view name) const override {
    std::string out = "[";
    for (char c : name) {
      if (c == ']') out += ']';
      out += c;
    }
    return out + "]";
  }

  std::string select_sql(const SelectParts& p) const override {
    // TOP needs no ORDER BY; OFFSET ... FETCH is only valid after one.
    const bool top = p.limit && p.order.empty();
    std::string sql = top ? fmt::format("SELECT TOP ({}) ", *p.limit) : std::string("SELECT ");
    sql += p.columns + " FROM " + p.from;
    for (size_t i = 0; i < p.where.size(); ++i) sql += (i ? " AND " : " WHERE ") + p.where[i];
    if (!p.order.empty()) sql += " ORDER BY " + join_list(p.order);
    if (p.limit && !top) sql += fmt::format(" OFFSET 0 ROWS FETCH NEXT {} ROWS ONLY", *p.limit);
    return sql;
  }

  std::string column_type(Type type, bool in_key) const override {
    switch (type.id) {
      case TypeId::boolean:
        return "BIT";
      case TypeId::int64:
        return "BIGINT";
      case TypeId::float64:
        return "FLOAT(53)";
      case TypeId::decimal:
        if (type.precision == 0) return "DECIMAL(38,10)";
        if (type.precision > 38 || type.scale > type.precision)
          throw Error(ErrorCode::unsupported,
                      fmt::format("SQL Server cannot hold {}: DECIMAL has at most 38 digits",
                                  to_string(type)),
                      "odbc");
        return fmt::format("DECIMAL({},{})", type.precision, type.scale);
      case TypeId::bytes:
        // Index keys hold at most 900 bytes.
        return in_key ? "VARBINARY(900)" : "VARBINARY(MAX)";
      case TypeId::date:
        return "DATE";
      case TypeId::time:
        return "TIME(6)";
      case TypeId::timestamp:
        return "DATETIME2(6)";
      case TypeId::timestamp_tz:
        return "DATETIMEOFFSET(6)";
      case TypeId::uuid:
        return "UNIQUEIDENTIFIER";
      case TypeId::json:
      case TypeId::null:
      case TypeId::string:
        return in_key ? "NVARCHAR(450)" : "NVARCHAR(MAX)";
    }
    return "NVARCHAR(MAX)";
  }

  std::string count_sql(const TableName& name) const override {
    return "SELECT COUNT_BIG(*) FROM " + quote_table(name);
  }

  ParamStyle param_style(TypeId id) const override {
    return id == TypeId::uuid || id == TypeId::time || id == TypeId::timestamp_tz
               ? ParamStyle::text
               : ParamStyle::native;
  }

  std::string placeholder(TypeId id, std::string_view) const override {
    switch (id) {
      case TypeId::uuid:
        return "CAST(? AS UNIQUEIDENTIFIER)";
      case TypeId::time:
        return "CAST(? AS TIME(7))";
      case TypeId::timestamp_tz:
        return "CAST(? AS DATETIMEOFFSET(7))";
      default:
        return "?";
    }
  }

  // MERGE fails when two source rows match one target row: upserts go row by row.
  size_t max_rows_per_statement(size_t columns, bool upsert) const override {
    if (upsert) return 1;
    return std::clamp<size_t>(kMaxParams / std::max<size_t>(columns, 1), 1, kMaxRows);
  }

  std::string change_upsert_sql(const TableName& name, const std::vector<std::string>& columns,
                                const std::vector<std::string>& key, const std::string& version,
                                const std::vector<std::string>& placeholders,
                                size_t) const override {
    std::vector<std::string> cols, on, set;
    for (const auto& c : columns) {
      const std::string q = quote_ident(c);
      cols.push_back(q);
      if (std::find(key.begin(), key.end(), c) != key.end())
        on.push_back("t." + q + " = s." + q);
      else
        set.push_back("t." + q + " = s." + q);
    }
    // HOLDLOCK: without it two concurrent MERGEs may both miss the key and
    // both insert (MERGE is not atomic under READ COMMITTED). The version
    // condition goes into WHEN MATCHED AND.
    std::string sql = fmt::format(
        "MERGE INTO {} WITH (HOLDLOCK) AS t USING (VALUES ({})) AS s ({}) ON ({})",
        quote_table(name), join_list(placeholders), join_list(cols), fmt::join(on, " AND "));
    if (!version.empty())
      sql += fmt::format(" WHEN MATCHED AND (t.{0} IS NULL OR t.{0} < s.{0}) THEN UPDATE SET {1}",
                         quote_ident(version), join_list(set));
    else if (!set.empty())
      sql += " WHEN MATCHED THEN UPDATE SET " + join_list(set);
    return sql + fmt::format(" WHEN NOT MATCHED THEN INSERT ({}) VALUES ({});", join_list(cols),
                             join_list(cols, "s."));
  }

  std::vector<std::string> swap_sql(const TableName& target, const TableName& aside,
                                    bool target_exists) const override {
    std::vector<std::string> out;
    if (target_exists) out.push_back(drop_table_sql(target));
    // sp_rename takes the object's (quoted) name and the new bare name as strings.
    out.push_back(fmt::format("EXEC sp_rename {}, {}, N'OBJECT'",
                              nstring_literal(quote_table(aside)), nstring_literal(target.table)));
    return out;
  }

  std::string default_schema_sql() const override { return "SELECT SCHEMA_NAME()"; }

  std::optional<std::string> comparable(const std::string& quoted, Type type,
                                        const ColumnTraits& traits, CompareOp op) const override {
    if (type.id == TypeId::string) {
      const bool equality = op == CompareOp::eq || op == CompareOp::ne || op == CompareOp::in;
      // Default collations are case-insensitive: compare binary, equality only.
      if (!equality || traits.type_name == "text" || traits.type_name == "ntext")
        return std::nullopt;
      return quoted + std::string(kBinaryCollation);
    }
    return Dialect::comparable(quoted, type, traits, op);
  }

  // SQL Server pads the shorter string with blanks before comparing (SQL-92),
  // for char and varchar alike, also under a binary collation.
  Collation collation(const ColumnTraits& traits) const override {
    const std::string& t = traits.type_name;
    return t == "char" || t == "varchar" || t == "nchar" || t == "nvarchar" ? Collation::pad_space
                                                                           : Collation::binary;
  }

  std::optional<bool> nulls_sort_low() const override { return true; }

  std::string order_expr(const std::string& quoted, Type type) const override {
    return type.id == TypeId::string ? quoted + std::string(kBinaryCollation) : quoted;
  }

  std::optional<std::string> hash_partition_sql(const std::vector<std::string>& columns,
                                                uint32_t index, uint32_t count) const override {
    return fmt::format("ABS(CAST(CHECKSUM({}) AS BIGINT)) % {} = {}", join_list(columns), count,
                       index);
  }
};

}  // namespace

std::unique_ptr<Dialect> make_sqlserver_dialect() { return std::make_unique<SqlServerDialect>(); }

}  // namespace polydb::odbc
