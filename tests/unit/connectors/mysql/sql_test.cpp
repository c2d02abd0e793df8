#include "connectors/mysql/sql.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb::mysql {
namespace {

ColumnInfo info(std::string name, std::string data_type, std::string charset = "",
                std::string collation = "") {
  ColumnInfo c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.column_type = c.data_type;
  c.charset = std::move(charset);
  c.collation = std::move(collation);
  return c;
}

// A table with one column of each kind the filter translation treats apart.
TableDescription table() {
  TableDescription t;
  t.name = {"shop", "orders"};
  const auto add = [&](std::string name, Type type, ColumnInfo c) {
    t.schema.fields.push_back({name, type, true, c.column_type});
    // As describe() marks them.
    if (type.id == TypeId::string) t.schema.fields.back().collation = collation_of(c.collation);
    t.columns.push_back(std::move(c));
  };
  add("id", TypeId::int64, info("id", "bigint"));
  add("name", TypeId::string, info("name", "varchar", "utf8mb4", "utf8mb4_general_ci"));
  add("code", TypeId::string, info("code", "varchar", "utf8mb4", "utf8mb4_nopad_bin"));
  add("latin", TypeId::string, info("latin", "varchar", "latin1", "latin1_swedish_ci"));
  add("price", Type(TypeId::decimal, 12, 2), info("price", "decimal"));
  add("ratio", TypeId::float64, info("ratio", "float"));
  add("score", TypeId::float64, info("score", "double"));
  add("doc", TypeId::json, info("doc", "json"));
  add("day", TypeId::date, info("day", "date"));
  add("uid", TypeId::uuid, info("uid", "char", "ascii", "ascii_general_ci"));
  add("buid", TypeId::uuid, info("buid", "char", "ascii", "ascii_bin"));
  add("padded", TypeId::string, info("padded", "char", "utf8mb4", "utf8mb4_bin"));
  add("latbin", TypeId::string, info("latbin", "varchar", "latin1", "latin1_bin"));
  t.schema.primary_key = {"id"};
  return t;
}

std::optional<std::string> to_sql(std::string_view where, std::vector<Value>& params,
                                  TypeOptions options = {}) {
  return filter_to_sql(parse_filter(where), table(), options, params);
}

TEST(MysqlSql, Quoting) {
  EXPECT_EQ(quote_ident("a`b"), "`a``b`");
  EXPECT_EQ(quote_ident("order"), "`order`");
  EXPECT_EQ(quote_string("it's a \\ test"), "'it''s a \\\\ test'");
  EXPECT_EQ((TableName{"db", "t`x"}).quoted(), "`db`.`t``x`");
  EXPECT_EQ((TableName{"", "t"}).quoted(), "`t`");
  EXPECT_EQ((TableName{"db", "t"}).display(), "db.t");
}

TEST(MysqlSql, CreateTable) {
  Schema s;
  s.fields = {{"id", TypeId::string, false, ""},
              {"u", TypeId::uuid, true, ""},
              {"at", TypeId::timestamp_tz, false, ""},
              {"d", TypeId::decimal, true, ""}};
  s.primary_key = {"id"};
  EXPECT_EQ(create_table_sql({"", "t"}, s, "utf8mb4_nopad_bin"),
            "CREATE TABLE `t` (`id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin "
            "NOT NULL, `u` CHAR(36) CHARACTER SET ascii COLLATE ascii_general_ci NULL COMMENT "
            "'polydb:uuid', `at` DATETIME(6) NOT NULL COMMENT 'polydb:timestamp_tz', `d` "
            "DECIMAL(65,30) NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
}

TEST(MysqlSql, CreateTableKeepsBuiltInNativeTypesOnlyWhenAsked) {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, "int(11)"},
              {"big", TypeId::decimal, true, "bigint(20) unsigned"},
              {"name", TypeId::string, true, "varchar(32)"},
              {"amount", Type(TypeId::decimal, 12, 2), true, "decimal(12,2)"},
              {"at", TypeId::timestamp, true, "datetime"},
              {"ts", TypeId::timestamp_tz, true, "timestamp"},   // session time zone: not kept
              {"e", TypeId::string, true, "enum('a','b')"},
              {"z", TypeId::int64, true, "int(11) zerofill"},
              {"evil", TypeId::string, true, "text) ; DROP TABLE x"}};
  s.primary_key = {"id"};
  EXPECT_EQ(create_table_sql({"", "t"}, s, "utf8mb4_nopad_bin", true),
            "CREATE TABLE `t` (`id` int(11) NOT NULL, `big` bigint(20) unsigned NULL, `name` "
            "varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL, `amount` "
            "decimal(12,2) NULL, `at` datetime NULL, `ts` DATETIME(6) NULL COMMENT "
            "'polydb:timestamp_tz', `e` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin "
            "NULL, `z` BIGINT NULL, `evil` LONGTEXT CHARACTER SET utf8mb4 COLLATE "
            "utf8mb4_nopad_bin NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  EXPECT_EQ(create_table_sql({"", "t"}, s, "utf8mb4_nopad_bin").find("int(11)"),
            std::string::npos);
}

TEST(MysqlSql, StagingTableCopiesNativeTypes) {
  std::vector<ColumnInfo> cols = {info("id", "bigint"),
                                  info("s", "varchar", "utf8mb4", "utf8mb4_bin"),
                                  info("b", "blob", "binary", "binary")};
  cols[0].column_type = "bigint(20) unsigned";
  cols[1].column_type = "varchar(20)";
  EXPECT_EQ(create_staging_sql("_polydb_up_1", cols),
            "CREATE TEMPORARY TABLE `_polydb_up_1` (`id` bigint(20) unsigned NULL, `s` "
            "varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, `b` blob NULL, "
            "`_polydb_staging_row` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB");
}

TEST(MysqlSql, FiltersBindTheirLiterals) {
  std::vector<Value> p;
  EXPECT_EQ(to_sql("id >= 10", p), "`id` >= ?");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0], Value(int64_t{10}));
  p.clear();
  // A literal is converted to the column's type, and never spliced.
  EXPECT_EQ(to_sql("price < '12.5'", p), "`price` < ?");
  EXPECT_EQ(p.at(0), Value(Decimal{"12.5"}));
  p.clear();
  EXPECT_EQ(to_sql("code = 'x'' OR 1=1'", p), "`code` = ?");
  EXPECT_EQ(p.at(0), Value("x' OR 1=1"));
  p.clear();
  EXPECT_EQ(to_sql("id IN (1, 2, 3)", p), "`id` IN (?, ?, ?)");
  EXPECT_EQ(p.size(), 3u);
  p.clear();
  EXPECT_EQ(to_sql("name IS NULL", p), "`name` IS NULL");
  EXPECT_EQ(to_sql("NOT (id < 5 OR code IS NOT NULL)", p),
            "(NOT (`id` < ? OR `code` IS NOT NULL))");
  p.clear();
  EXPECT_EQ(filter_to_sql(Filter::in("id", {}), table(), {}, p), "FALSE");
  EXPECT_EQ(filter_to_sql(Filter::all_of({}), table(), {}, p), "(1=1)");
  EXPECT_EQ(to_sql("day = '2024-01-31'", p), "`day` = ?");
  EXPECT_EQ(p.at(0), Value(Date{days_from_civil(2024, 1, 31)}));
}

TEST(MysqlSql, TextComparesAsTheCollationSays) {
  std::vector<Value> p;
  // A case-sensitive, space-padding collation: the index narrows, the bytes
  // (trailing blanks removed, as PAD SPACE ignores them) decide.
  EXPECT_EQ(to_sql("padded = 'Ab  '", p),
            "(`padded` = ? AND TRIM(TRAILING ' ' FROM CAST(`padded` AS BINARY)) = CAST(? AS "
            "BINARY))");
  EXPECT_EQ(p, (std::vector<Value>{"Ab", "Ab"}));
  p.clear();
  EXPECT_EQ(to_sql("padded > 'Ab'", p),
            "TRIM(TRAILING ' ' FROM CAST(`padded` AS BINARY)) > CAST(? AS BINARY)");
  p.clear();
  EXPECT_EQ(to_sql("padded IN ('a', 'b ')", p),
            "(`padded` IN (?, ?) AND TRIM(TRAILING ' ' FROM CAST(`padded` AS BINARY)) IN (CAST(? "
            "AS BINARY), CAST(? AS BINARY)))");
  EXPECT_EQ(p, (std::vector<Value>{"a", "b", "a", "b"}));
  p.clear();
  // A case-insensitive collation is the server's own: compared natively.
  EXPECT_EQ(to_sql("name = 'Ab  '", p), "`name` = ?");
  EXPECT_EQ(p, (std::vector<Value>{"Ab  "}));
  p.clear();
  EXPECT_EQ(to_sql("name > 'Ab'", p), "`name` > ?");
  p.clear();
  EXPECT_EQ(to_sql("latin IN ('a', 'é')", p), "`latin` IN (?, ?)");
  p.clear();
  // A no-pad bytewise collation compares as it is, blanks included.
  EXPECT_EQ(to_sql("code = 'x '", p), "`code` = ?");
  EXPECT_EQ(p, (std::vector<Value>{"x "}));
  p.clear();
  // Other character sets are compared as UTF-8.
  EXPECT_EQ(to_sql("latbin = 'é'", p),
            "(`latbin` = ? AND TRIM(TRAILING ' ' FROM CAST(CONVERT(`latbin` USING utf8mb4) AS "
            "BINARY)) = CAST(? AS BINARY))");
  // polydb's order is bytewise, whatever the collation.
  EXPECT_EQ(order_expr(table(), 1), "CAST(`name` AS BINARY)");
  EXPECT_EQ(order_expr(table(), 2), "`code`");
  EXPECT_EQ(order_expr(table(), 0), "`id`");
}

TEST(MysqlSql, PadSpaceCollations) {
  for (const char* pad : {"utf8mb4_general_ci", "utf8mb4_bin", "latin1_swedish_ci", "ascii_bin",
                          "utf8mb4_unicode_520_ci"})
    EXPECT_TRUE(is_pad_space_collation(pad)) << pad;
  for (const char* nopad : {"", "binary", "utf8mb4_nopad_bin", "utf8mb4_general_nopad_ci",
                            "utf8mb4_0900_ai_ci", "utf8mb4_0900_bin", "utf8mb4_ja_0900_as_cs"})
    EXPECT_FALSE(is_pad_space_collation(nopad)) << nopad;
}

TEST(MysqlSql, CollationsAsPolydbComparesThem) {
  const std::pair<const char*, Collation> cases[] = {
      {"", Collation::binary},
      {"binary", Collation::binary},
      {"utf8mb4_nopad_bin", Collation::binary},
      {"utf8mb4_0900_bin", Collation::binary},
      {"utf8mb4_bin", Collation::pad_space},
      {"latin1_bin", Collation::pad_space},
      {"latin1_general_cs", Collation::pad_space},
      {"utf8mb4_ja_0900_as_cs", Collation::binary},
      {"utf8mb4_general_ci", Collation::case_insensitive_pad_space},
      {"latin1_swedish_ci", Collation::case_insensitive_pad_space},
      {"utf8mb4_uca1400_ai_ci", Collation::case_insensitive_pad_space},
      {"utf8mb4_general_nopad_ci", Collation::case_insensitive},
      {"utf8mb4_0900_ai_ci", Collation::case_insensitive},
  };
  for (const auto& [name, expected] : cases)
    EXPECT_EQ(collation_of(name), expected) << name;
}

TEST(MysqlSql, WhatCannotBeEvaluatedExactlyStaysLocal) {
  std::vector<Value> p;
  EXPECT_FALSE(to_sql("ratio = 1.1", p)) << "FLOAT compares as 4-byte float on the server";
  EXPECT_TRUE(to_sql("score = 1.1", p));
  EXPECT_FALSE(to_sql("doc = '{}'", p));
  EXPECT_FALSE(to_sql("id = 'not a number'", p));
  EXPECT_FALSE(to_sql("id = 1 OR doc IS NULL AND ratio > 1", p));
  EXPECT_TRUE(to_sql("uid = '00010203-0405-0607-0809-0a0b0c0d0e0f'", p));
  EXPECT_FALSE(to_sql("uid < '00010203-0405-0607-0809-0a0b0c0d0e0f'", p));
  EXPECT_FALSE(to_sql("buid = '00010203-0405-0607-0809-0a0b0c0d0e0f'", p))
      << "a case-sensitive collation would miss upper-case UUID text";
  TypeOptions zero_null;
  zero_null.zero_date_null = true;
  EXPECT_FALSE(to_sql("day IS NULL", p, zero_null)) << "the server sees 0000-00-00, polydb NULL";
  EXPECT_THROW(to_sql("nope = 1", p), Error);
}

TEST(MysqlSql, LoadInsertUpsertAndPartitions) {
  EXPECT_EQ(load_data_sql({"", "t"}, {{"a", false}, {"b", true}}, "polydb-rows-1", "utf8mb4"),
            "LOAD DATA LOCAL INFILE 'polydb-rows-1' INTO TABLE `t` CHARACTER SET utf8mb4 FIELDS "
            "TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (`a`, @polydb_bit1) "
            "SET `b` = CAST(@polydb_bit1 AS UNSIGNED)");
  EXPECT_EQ(insert_sql({"db", "t"}, {"a", "b"}, 2),
            "INSERT INTO `db`.`t` (`a`, `b`) VALUES (?, ?), (?, ?)");
  EXPECT_EQ(upsert_sql({"", "t"}, "_polydb_up_1", {"id", "v"}, {"id"}),
            "INSERT INTO `t` (`id`, `v`) SELECT s.`id`, s.`v` FROM `_polydb_up_1` AS s ORDER BY "
            "s.`_polydb_staging_row` ON DUPLICATE KEY UPDATE `v` = s.`v`");
  EXPECT_EQ(upsert_sql({"", "t"}, "_polydb_up_1", {"id"}, {"id"}),
            "INSERT INTO `t` (`id`) SELECT s.`id` FROM `_polydb_up_1` AS s ORDER BY "
            "s.`_polydb_staging_row` ON DUPLICATE KEY UPDATE `id` = `t`.`id`");
  EXPECT_EQ(hash_partition_sql({"a", "b"}, 1, 4), "MOD(CRC32(CONCAT_WS(0x1f, `a`, `b`)), 4) = 1");
}

}  // namespace
}  // namespace polydb::mysql
