#include "connectors/mysql/sql.hpp"

#include <fmt/format.h>

#include "connectors/common/pushdown.hpp"
#include "polydb/error.hpp"

namespace polydb::mysql {

namespace {

std::string join_quoted(const std::vector<std::string>& names, std::string_view prefix = "") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += prefix;
    out += quote_ident(n);
  }
  return out;
}

bool is_temporal(TypeId t) {
  return t == TypeId::date || t == TypeId::timestamp || t == TypeId::timestamp_tz;
}

// An expression with the column's value as UTF-8 bytes (a binary string),
// compared bytewise and without trailing-space padding.
std::string bytes_expr(const std::string& col, const ColumnInfo& info) {
  const bool utf8 = info.charset == "utf8mb4" || info.charset == "utf8mb3" ||
                    info.charset == "utf8" || info.charset == "ascii";
  return utf8 ? "CAST(" + col + " AS BINARY)"
              : "CAST(CONVERT(" + col + " USING utf8mb4) AS BINARY)";
}

std::optional<std::string> compare_sql(const Filter& f, const Field& field, const ColumnInfo& info,
                                       const TypeOptions& options, std::vector<Value>& params) {
  const std::string col = quote_ident(field.name);
  const TypeId type = field.type.id;
  // With zero-date=null, the server still sees '0000-00-00' where polydb sees
  // NULL: such columns are filtered locally.
  if (options.zero_date_null && is_temporal(type)) return std::nullopt;
  if (f.op == CompareOp::is_null) return col + " IS NULL";
  if (f.op == CompareOp::is_not_null) return col + " IS NOT NULL";
  if (type == TypeId::json || type == TypeId::null) return std::nullopt;
  // FLOAT columns compare as 4-byte floats on the server, as doubles in polydb.
  if (type == TypeId::float64 && info.data_type == "float") return std::nullopt;
  const bool pad = field.collation == Collation::pad_space && type == TypeId::string;
  std::vector<Value> literals;
  for (const auto& v : f.values) {
    try {
      literals.push_back(coerce_value(v, field.type));
    } catch (const Error&) {
      return std::nullopt;  // evaluated locally, with polydb's comparison rules
    }
    // PAD SPACE: trailing blanks are insignificant on both sides.
    if (pad && literals.back().type_id() == TypeId::string) {
      const std::string_view text = literals.back().as<std::string>();
      literals.back() = Value(std::string(without_trailing_blanks(text)));
    }
  }
  if (f.op != CompareOp::in && literals.size() != 1) return std::nullopt;
  const bool equality = f.op == CompareOp::eq || f.op == CompareOp::in;
  if (type == TypeId::uuid) {
    // Case-insensitive text (or MariaDB's UUID type) matches polydb's UUID
    // equality; order and case-sensitive text do not.
    const bool ci = info.data_type == "uuid" || info.collation.ends_with("_ci");
    if (!ci || !(equality || f.op == CompareOp::ne)) return std::nullopt;
  }
  const auto placeholders = [&](std::string_view wrap_open, std::string_view wrap_close) {
    std::string out;
    for (size_t i = 0; i < literals.size(); ++i) {
      if (i) out += ", ";
      out += wrap_open;
      out += '?';
      out += wrap_close;
      params.push_back(literals[i]);
    }
    return out;
  };
  if (f.op == CompareOp::in && literals.empty()) return "FALSE";
  const std::string op(to_sql(f.op));
  // A case-insensitive collation is the server's to apply: polydb reproduces
  // it for printable ASCII only (compare_text), the server for everything.
  if (type == TypeId::string && is_case_insensitive(field.collation)) {
    if (f.op == CompareOp::in) return col + " IN (" + placeholders("", "") + ")";
    return col + " " + op + " " + placeholders("", "");
  }
  if (type == TypeId::string && !is_bytewise_collation(info.collation)) {
    const std::string bytes = bytes_expr(col, info);
    const std::string exact = pad ? "TRIM(TRAILING ' ' FROM " + bytes + ")" : bytes;
    if (f.op == CompareOp::in) {
      // The collation's IN narrows through an index; the bytes decide.
      std::string out = "(" + col + " IN (" + placeholders("", "") + ") AND " + exact + " IN (";
      return out + placeholders("CAST(", " AS BINARY)") + "))";
    }
    if (f.op == CompareOp::eq)
      return "(" + col + " = " + placeholders("", "") + " AND " + exact + " = " +
             placeholders("CAST(", " AS BINARY)") + ")";
    return exact + " " + op + " " + placeholders("CAST(", " AS BINARY)");
  }
  if (f.op == CompareOp::in) return col + " IN (" + placeholders("", "") + ")";
  return col + " " + op + " " + placeholders("", "");
}

}  // namespace

std::string quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string quote_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

std::string TableName::quoted() const {
  return schema.empty() ? quote_ident(table) : quote_ident(schema) + "." + quote_ident(table);
}

std::string TableName::display() const { return schema.empty() ? table : schema + "." + table; }

std::string create_table_sql(const TableName& name, const Schema& schema,
                             std::string_view text_collation, bool native) {
  std::string sql = "CREATE TABLE " + name.quoted() + " (";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    const Field& f = schema.fields[i];
    bool in_key = false;
    for (const auto& k : schema.primary_key) in_key = in_key || schema.field(k).name == f.name;
    std::optional<ColumnDdl> kept;
    if (native) kept = native_column_ddl(f.native_type, text_collation);
    const ColumnDdl ddl = kept ? *kept : column_ddl(f.type, in_key, text_collation);
    sql += (i ? ", " : "") + quote_ident(f.name) + " " + ddl.type;
    sql += f.nullable && !in_key ? " NULL" : " NOT NULL";
    if (!ddl.comment.empty()) sql += " COMMENT " + quote_string(ddl.comment);
  }
  if (!schema.primary_key.empty()) {
    std::vector<std::string> key;
    for (const auto& k : schema.primary_key) key.push_back(schema.field(k).name);
    sql += ", PRIMARY KEY (" + join_quoted(key) + ")";
  }
  return sql + ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
}

std::string create_staging_sql(std::string_view name, const std::vector<ColumnInfo>& columns) {
  std::string sql = "CREATE TEMPORARY TABLE " + quote_ident(name) + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnInfo& c = columns[i];
    sql += (i ? ", " : "") + quote_ident(c.name) + " " + c.column_type;
    if (!c.charset.empty() && c.charset != "binary" && c.data_type != "json")
      sql += " CHARACTER SET " + c.charset + (c.collation.empty() ? "" : " COLLATE " + c.collation);
    sql += " NULL";
  }
  // Numbers the rows in the order they are loaded, for the upsert's
  // last-row-wins rule (see upsert_sql).
  return sql + ", `" + std::string(kStagingRowColumn) +
         "` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB";
}

bool is_pad_space_collation(std::string_view collation) {
  return !collation.empty() && collation != "binary" &&
         collation.find("_nopad") == std::string_view::npos &&
         collation.find("_0900_") == std::string_view::npos;
}

Collation collation_of(std::string_view collation) {
  if (collation.empty() || is_bytewise_collation(collation)) return Collation::binary;
  const bool pad = is_pad_space_collation(collation);
  if (collation.ends_with("_ci"))
    return pad ? Collation::case_insensitive_pad_space : Collation::case_insensitive;
  return pad ? Collation::pad_space : Collation::binary;
}

bool is_bytewise_collation(std::string_view collation) {
  return collation == "binary" || collation.ends_with("_nopad_bin") ||
         collation.ends_with("_0900_bin");
}

std::optional<std::string> filter_to_sql(const Filter& f, const TableDescription& table,
                                         const TypeOptions& options, std::vector<Value>& params) {
  return polydb::filter_to_sql(f, [&](const Filter& leaf) {
    const Field& field = table.schema.field(leaf.column);
    return compare_sql(leaf, field, table.columns.at(*table.schema.index_of(field.name)), options,
                       params);
  });
}

std::string order_expr(const TableDescription& table, size_t i) {
  const Field& f = table.schema.fields.at(i);
  const ColumnInfo& info = table.columns.at(i);
  const std::string col = quote_ident(f.name);
  if (f.type.id == TypeId::string && !is_bytewise_collation(info.collation))
    return bytes_expr(col, info);
  if (f.type.id == TypeId::uuid && info.data_type != "uuid") return "LOWER(" + col + ")";
  return col;
}

std::string load_data_sql(const TableName& target, const std::vector<LoadColumn>& columns,
                          std::string_view file, std::string_view charset) {
  std::string list, set;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) list += ", ";
    if (columns[i].bit) {
      // LOAD DATA would store the digits' bytes in a BIT column: convert.
      const std::string var = fmt::format("@polydb_bit{}", i);
      list += var;
      set += fmt::format("{}{} = CAST({} AS UNSIGNED)", set.empty() ? " SET " : ", ",
                         quote_ident(columns[i].name), var);
    } else {
      list += quote_ident(columns[i].name);
    }
  }
  return fmt::format(
      "LOAD DATA LOCAL INFILE {} INTO TABLE {} CHARACTER SET {} FIELDS TERMINATED BY '\\t' "
      "ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({}){}",
      quote_string(file), target.quoted(), charset, list, set);
}

std::string insert_sql(const TableName& target, const std::vector<std::string>& columns,
                       size_t rows) {
  std::string tuple = "(";
  for (size_t i = 0; i < columns.size(); ++i) tuple += i ? ", ?" : "?";
  tuple += ")";
  std::string sql = "INSERT INTO " + target.quoted() + " (" + join_quoted(columns) + ") VALUES ";
  sql.reserve(sql.size() + rows * (tuple.size() + 2));
  for (size_t r = 0; r < rows; ++r) {
    if (r) sql += ", ";
    sql += tuple;
  }
  return sql;
}

std::string upsert_sql(const TableName& target, std::string_view staging,
                       const std::vector<std::string>& columns,
                       const std::vector<std::string>& key) {
  std::string set;
  for (const auto& c : columns) {
    bool is_key = false;
    for (const auto& k : key) is_key = is_key || k == c;
    if (is_key) continue;
    set += (set.empty() ? "" : ", ") + quote_ident(c) + " = s." + quote_ident(c);
  }
  // Referring to the SELECT's columns works on MariaDB and MySQL alike (VALUES()
  // is deprecated in MySQL 8.0.20 and warns).
  if (set.empty())
    set = quote_ident(key.at(0)) + " = " + target.quoted() + "." + quote_ident(key.at(0));
  // Rows are merged in load order, so that of rows sharing a key the last
  // one wins (each later row updates what the earlier one inserted).
  return fmt::format(
      "INSERT INTO {} ({}) SELECT {} FROM {} AS s ORDER BY s.`{}` ON DUPLICATE KEY UPDATE {}",
      target.quoted(), join_quoted(columns), join_quoted(columns, "s."), quote_ident(staging),
      kStagingRowColumn, set);
}

std::string hash_partition_sql(const std::vector<std::string>& columns, uint32_t index,
                               uint32_t count) {
  // CONCAT_WS skips NULLs: each row still hashes the same way in every query,
  // so it lands in exactly one partition.
  return fmt::format("MOD(CRC32(CONCAT_WS(0x1f, {})), {}) = {}", join_quoted(columns), count,
                     index);
}

}  // namespace polydb::mysql
