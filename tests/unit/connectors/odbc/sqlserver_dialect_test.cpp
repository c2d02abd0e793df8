// The SQL Server dialect, checked on the SQL text it generates (no server
// exists here: these tests are its specification).

#include <gtest/gtest.h>

#include "connectors/odbc/dialect.hpp"
#include "polydb/error.hpp"

namespace polydb::odbc {
namespace {

class SqlServerDialectTest : public ::testing::Test {
 protected:
  std::unique_ptr<Dialect> d_ = make_dialect(DbmsKind::sqlserver);
};

TEST_F(SqlServerDialectTest, QuotesWithBracketsAndDoublesClosingBrackets) {
  EXPECT_EQ(d_->quote_ident("orders"), "[orders]");
  EXPECT_EQ(d_->quote_ident("we]ird [name"), "[we]]ird [name]");
  EXPECT_EQ(d_->quote_ident("a\"b"), "[a\"b]");
  EXPECT_EQ(d_->quote_table({"sales", "order]s"}), "[sales].[order]]s]");
  EXPECT_EQ(d_->quote_table({"", "t"}), "[t]");
}

TEST_F(SqlServerDialectTest, LimitIsTopWithoutOrderAndOffsetFetchWithIt) {
  SelectParts p{"[a], [b]", "[t]", {"[a] > ?"}, {}, 10};
  EXPECT_EQ(d_->select_sql(p), "SELECT TOP (10) [a], [b] FROM [t] WHERE [a] > ?");
  p.order = {"[a] DESC"};
  EXPECT_EQ(d_->select_sql(p),
            "SELECT [a], [b] FROM [t] WHERE [a] > ? ORDER BY [a] DESC OFFSET 0 ROWS FETCH NEXT 10 "
            "ROWS ONLY");
  p.limit.reset();
  EXPECT_EQ(d_->select_sql(p), "SELECT [a], [b] FROM [t] WHERE [a] > ? ORDER BY [a] DESC");
}

TEST_F(SqlServerDialectTest, UpsertIsOneMergeWithHoldlock) {
  const std::string sql =
      d_->upsert_sql({"dbo", "t"}, {"id", "name", "qty"}, {"id"}, {"?", "?", "?"});
  EXPECT_EQ(sql,
            "MERGE INTO [dbo].[t] WITH (HOLDLOCK) AS t USING (VALUES (?, ?, ?)) AS s ([id], "
            "[name], [qty]) ON (t.[id] = s.[id]) WHEN MATCHED THEN UPDATE SET t.[name] = "
            "s.[name], t.[qty] = s.[qty] WHEN NOT MATCHED THEN INSERT ([id], [name], [qty]) "
            "VALUES (s.[id], s.[name], s.[qty]);");
}

TEST_F(SqlServerDialectTest, UpsertWithOnlyKeyColumnsInsertsWhenMissing) {
  const std::string sql = d_->upsert_sql({"", "t"}, {"a", "b"}, {"a", "b"}, {"?", "?"});
  EXPECT_EQ(sql,
            "MERGE INTO [t] WITH (HOLDLOCK) AS t USING (VALUES (?, ?)) AS s ([a], [b]) ON (t.[a] "
            "= s.[a] AND t.[b] = s.[b]) WHEN NOT MATCHED THEN INSERT ([a], [b]) VALUES (s.[a], "
            "s.[b]);");
}

TEST_F(SqlServerDialectTest, CreateTableMapsEveryPolydbType) {
  Schema s;
  s.fields = {{"id", TypeId::int64, false, ""},       {"b", TypeId::boolean, true, ""},
              {"f", TypeId::float64, true, ""},       {"d", Type(TypeId::decimal, 12, 2), true, ""},
              {"s", TypeId::string, true, ""},        {"by", TypeId::bytes, true, ""},
              {"dt", TypeId::date, true, ""},         {"tm", TypeId::time, true, ""},
              {"ts", TypeId::timestamp, true, ""},    {"tz", TypeId::timestamp_tz, true, ""},
              {"u", TypeId::uuid, true, ""},          {"j", TypeId::json, true, ""},
              {"k", TypeId::string, false, ""}};
  s.primary_key = {"id", "k"};
  EXPECT_EQ(d_->create_table_sql({"dbo", "all"}, s),
            "CREATE TABLE [dbo].[all] ([id] BIGINT NOT NULL, [b] BIT NULL, [f] FLOAT(53) NULL, "
            "[d] DECIMAL(12,2) NULL, [s] NVARCHAR(MAX) NULL, [by] VARBINARY(MAX) NULL, [dt] DATE "
            "NULL, [tm] TIME(6) NULL, [ts] DATETIME2(6) NULL, [tz] DATETIMEOFFSET(6) NULL, [u] "
            "UNIQUEIDENTIFIER NULL, [j] NVARCHAR(MAX) NULL, [k] NVARCHAR(450) NOT NULL, PRIMARY "
            "KEY ([id], [k]))");
}

TEST_F(SqlServerDialectTest, DecimalsBeyond38DigitsAreRefused) {
  EXPECT_EQ(d_->column_type(Type(TypeId::decimal, 38, 10), false), "DECIMAL(38,10)");
  EXPECT_EQ(d_->column_type(Type(TypeId::decimal), false), "DECIMAL(38,10)");
  try {
    d_->column_type(Type(TypeId::decimal, 50, 2), false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
  }
}

TEST_F(SqlServerDialectTest, CountUsesCountBig) {
  EXPECT_EQ(d_->count_sql({"dbo", "t"}), "SELECT COUNT_BIG(*) FROM [dbo].[t]");
}

TEST_F(SqlServerDialectTest, ParametersThatNeedAServerSideCast) {
  EXPECT_EQ(d_->param_style(TypeId::timestamp_tz), ParamStyle::text);
  EXPECT_EQ(d_->placeholder(TypeId::timestamp_tz, "datetimeoffset"),
            "CAST(? AS DATETIMEOFFSET(7))");
  EXPECT_EQ(d_->placeholder(TypeId::uuid, "uniqueidentifier"), "CAST(? AS UNIQUEIDENTIFIER)");
  EXPECT_EQ(d_->placeholder(TypeId::int64, "bigint"), "?");
  EXPECT_EQ(d_->param_style(TypeId::int64), ParamStyle::native);
  EXPECT_FALSE(d_->stores_non_finite());
}

TEST_F(SqlServerDialectTest, InsertBindsPlaceholders) {
  EXPECT_EQ(d_->insert_sql({"", "t"}, {"a", "u"}, {"?", "CAST(? AS UNIQUEIDENTIFIER)"}),
            "INSERT INTO [t] ([a], [u]) VALUES (?, CAST(? AS UNIQUEIDENTIFIER))");
  EXPECT_EQ(d_->insert_sql({"", "t"}, {"a", "b"}, {"?", "?"}, 3),
            "INSERT INTO [t] ([a], [b]) VALUES (?, ?), (?, ?), (?, ?)");
}

TEST_F(SqlServerDialectTest, RowsPerStatementStayWithinTheRequestLimits) {
  EXPECT_EQ(d_->max_rows_per_statement(1, false), 1000u);  // VALUES takes 1000 rows
  EXPECT_EQ(d_->max_rows_per_statement(10, false), 200u);  // 2100 parameters
  EXPECT_EQ(d_->max_rows_per_statement(3000, false), 1u);
  EXPECT_EQ(d_->max_rows_per_statement(10, true), 1u);  // MERGE meets a key once
}

TEST_F(SqlServerDialectTest, ReplaceSwapsWithSpRenameInTheTransaction) {
  EXPECT_TRUE(d_->transactional_ddl());
  const auto sql = d_->swap_sql({"dbo", "o'rders"}, {"dbo", "_polydb_new_o'rders_0a"}, true);
  ASSERT_EQ(sql.size(), 2u);
  EXPECT_EQ(sql[0], "DROP TABLE [dbo].[o'rders]");
  EXPECT_EQ(sql[1], "EXEC sp_rename N'[dbo].[_polydb_new_o''rders_0a]', N'o''rders', N'OBJECT'");
  EXPECT_EQ(d_->swap_sql({"dbo", "t"}, {"dbo", "n"}, false).size(), 1u);
}

TEST_F(SqlServerDialectTest, StringComparisonsAreBinaryEqualityOnly) {
  const ColumnTraits text{-9, "nvarchar"};
  EXPECT_EQ(d_->compare_sql("[s]", TypeId::string, text, CompareOp::eq, 1),
            "[s] COLLATE Latin1_General_100_BIN2 = ?");
  EXPECT_EQ(d_->compare_sql("[s]", TypeId::string, text, CompareOp::in, 2),
            "[s] COLLATE Latin1_General_100_BIN2 IN (?, ?)");
  EXPECT_EQ(d_->compare_sql("[s]", TypeId::string, text, CompareOp::lt, 1), std::nullopt);
  EXPECT_EQ(d_->compare_sql("[n]", TypeId::int64, {-5, "bigint"}, CompareOp::ge, 1), "[n] >= ?");
  EXPECT_EQ(d_->compare_sql("[f]", TypeId::float64, {7, "real"}, CompareOp::eq, 1), std::nullopt);
  EXPECT_EQ(d_->compare_sql("[j]", TypeId::json, text, CompareOp::eq, 1), std::nullopt);
  EXPECT_EQ(d_->compare_sql("[x]", TypeId::int64, {}, CompareOp::in, 0), "(1=0)");
  EXPECT_EQ(d_->compare_sql("[x]", TypeId::json, {}, CompareOp::is_null, 0), "[x] IS NULL");
  EXPECT_EQ(d_->order_expr("[s]", TypeId::string), "[s] COLLATE Latin1_General_100_BIN2");
}

// Which text columns ignore trailing blanks in comparisons (Field::collation),
// and that a pushed comparison agrees: SQL Server's `=` pads, PostgreSQL's
// bpchar = text and MySQL's CAST(.. AS BINARY) do not, so those stay local.
TEST(OdbcDialectTest, PadSpaceColumnsByDbms) {
  auto ss = make_dialect(DbmsKind::sqlserver);
  auto pg = make_dialect(DbmsKind::postgresql);
  auto my = make_dialect(DbmsKind::mysql);
  for (const char* t : {"char", "varchar", "nchar", "nvarchar"})
    EXPECT_EQ(ss->collation({1, t}), Collation::pad_space) << t;
  EXPECT_EQ(ss->collation({-10, "ntext"}), Collation::binary);
  EXPECT_EQ(pg->collation({1, "bpchar"}), Collation::pad_space);
  EXPECT_EQ(pg->collation({12, "varchar"}), Collation::binary);
  EXPECT_EQ(pg->collation({-1, "text"}), Collation::binary);
  EXPECT_EQ(my->collation({1, "char"}), Collation::pad_space);
  EXPECT_EQ(my->collation({12, "varchar"}), Collation::binary);
  EXPECT_EQ(pg->compare_sql("\"c\"", TypeId::string, {1, "bpchar"}, CompareOp::eq, 1), std::nullopt);
  EXPECT_EQ(pg->compare_sql("\"v\"", TypeId::string, {12, "varchar"}, CompareOp::eq, 1), "\"v\" = ?");
  EXPECT_EQ(my->compare_sql("`c`", TypeId::string, {1, "char"}, CompareOp::eq, 1), std::nullopt);
  EXPECT_EQ(ss->compare_sql("[c]", TypeId::string, {1, "char"}, CompareOp::eq, 1),
            "[c] COLLATE Latin1_General_100_BIN2 = ?");
}

TEST_F(SqlServerDialectTest, NullsArePlacedWithACaseTermWhereTheDefaultDiffers) {
  using Items = std::vector<std::string>;
  // SQL Server sorts NULL as the lowest value: first ascending, last descending.
  EXPECT_EQ(d_->order_items("[n]", TypeId::int64, false, true), Items{"[n]"});
  EXPECT_EQ(d_->order_items("[n]", TypeId::int64, true, false), Items{"[n] DESC"});
  EXPECT_EQ(d_->order_items("[n]", TypeId::int64, false, false),
            (Items{"CASE WHEN [n] IS NULL THEN 1 ELSE 0 END", "[n]"}));
  EXPECT_EQ(d_->order_items("[n]", TypeId::int64, true, true),
            (Items{"CASE WHEN [n] IS NULL THEN 0 ELSE 1 END", "[n] DESC"}));
  EXPECT_EQ(d_->order_items("[s]", TypeId::string, true, std::nullopt),
            Items{"[s] COLLATE Latin1_General_100_BIN2 DESC"});
}

TEST(OdbcDialectTest, NullPlacementFollowsEachDbmsDefault) {
  using Items = std::vector<std::string>;
  const auto pg = make_dialect(DbmsKind::postgresql);  // NULL is the highest value
  EXPECT_EQ(pg->order_items("\"n\"", TypeId::int64, false, false), Items{"\"n\""});
  EXPECT_EQ(pg->order_items("\"n\"", TypeId::int64, false, true),
            (Items{"CASE WHEN \"n\" IS NULL THEN 0 ELSE 1 END", "\"n\""}));
  EXPECT_EQ(pg->order_items("\"n\"", TypeId::int64, true, true), Items{"\"n\" DESC"});
  const auto my = make_dialect(DbmsKind::mysql);  // NULL is the lowest value
  EXPECT_EQ(my->order_items("`n`", TypeId::int64, false, true), Items{"`n`"});
  EXPECT_EQ(my->order_items("`n`", TypeId::int64, true, true),
            (Items{"CASE WHEN `n` IS NULL THEN 0 ELSE 1 END", "`n` DESC"}));
  const auto ansi = make_dialect(DbmsKind::ansi);  // unknown: always spelled out
  EXPECT_EQ(ansi->order_items("\"n\"", TypeId::int64, false, true),
            (Items{"CASE WHEN \"n\" IS NULL THEN 0 ELSE 1 END", "\"n\""}));
  EXPECT_EQ(ansi->order_items("\"n\"", TypeId::int64, false, std::nullopt), Items{"\"n\""});
}

TEST_F(SqlServerDialectTest, HashPartitionsUseChecksum) {
  EXPECT_EQ(d_->hash_partition_sql({"[a]", "[b]"}, 1, 4),
            "ABS(CAST(CHECKSUM([a], [b]) AS BIGINT)) % 4 = 1");
}

TEST(OdbcDialectTest, KindFromDbmsName) {
  EXPECT_EQ(dbms_kind_from_name("Microsoft SQL Server"), DbmsKind::sqlserver);
  EXPECT_EQ(dbms_kind_from_name("PostgreSQL"), DbmsKind::postgresql);
  EXPECT_EQ(dbms_kind_from_name("MariaDB"), DbmsKind::mysql);
  EXPECT_EQ(dbms_kind_from_name("MySQL"), DbmsKind::mysql);
  EXPECT_EQ(dbms_kind_from_name("DB2/LINUXX8664"), DbmsKind::ansi);
  EXPECT_EQ(parse_dbms_kind("sqlserver"), DbmsKind::sqlserver);
  EXPECT_EQ(parse_dbms_kind("oracle"), std::nullopt);
}

TEST(OdbcDialectTest, PostgresqlUpsertIsOnConflictAndLimitIsLimit) {
  auto d = make_dialect(DbmsKind::postgresql);
  EXPECT_EQ(d->upsert_sql({"public", "t"}, {"id", "v"}, {"id"}, {"?", "CAST(? AS jsonb)"}),
            "INSERT INTO \"public\".\"t\" (\"id\", \"v\") VALUES (?, CAST(? AS jsonb)) ON "
            "CONFLICT (\"id\") DO UPDATE SET \"v\" = EXCLUDED.\"v\"");
  EXPECT_EQ(d->upsert_sql({"", "t"}, {"id"}, {"id"}, {"?"}),
            "INSERT INTO \"t\" (\"id\") VALUES (?) ON CONFLICT (\"id\") DO NOTHING");
  EXPECT_EQ(d->select_sql({"\"a\"", "\"t\"", {}, {"\"a\""}, 5}),
            "SELECT \"a\" FROM \"t\" ORDER BY \"a\" LIMIT 5");
  EXPECT_EQ(d->placeholder(TypeId::json, "jsonb"), "CAST(? AS jsonb)");
  EXPECT_EQ(d->placeholder(TypeId::json, "x); DROP TABLE t; --"), "CAST(? AS jsonb)");
  EXPECT_EQ(d->quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(d->max_rows_per_statement(10, false), 500u);
  EXPECT_EQ(d->max_rows_per_statement(1000, false), 65u);  // 65535 parameters
  EXPECT_EQ(d->max_rows_per_statement(10, true), 500u);
  EXPECT_TRUE(d->upsert_meets_key_once());  // ON CONFLICT touches a row once per statement
}

TEST(OdbcDialectTest, MysqlUpsertIsOnDuplicateKeyAndSwapIsOneRename) {
  auto d = make_dialect(DbmsKind::mysql);
  EXPECT_EQ(d->upsert_sql({"", "t"}, {"id", "v"}, {"id"}, {"?", "?"}),
            "INSERT INTO `t` (`id`, `v`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)");
  // Rows of one statement apply in order, as row-by-row: upserts go in many rows too.
  EXPECT_EQ(d->upsert_sql({"", "t"}, {"id", "v"}, {"id"}, {"?", "?"}, 2),
            "INSERT INTO `t` (`id`, `v`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `v` = "
            "VALUES(`v`)");
  EXPECT_EQ(d->max_rows_per_statement(10, true), 500u);
  EXPECT_FALSE(d->upsert_meets_key_once());
  EXPECT_FALSE(d->transactional_ddl());
  const auto swap = d->swap_sql({"", "t"}, {"", "_polydb_new_t_00ff"}, true);
  ASSERT_EQ(swap.size(), 2u);
  EXPECT_EQ(swap[0], "RENAME TABLE `t` TO `_polydb_old_t_00ff`, `_polydb_new_t_00ff` TO `t`");
  EXPECT_EQ(swap[1], "DROP TABLE `_polydb_old_t_00ff`");
  EXPECT_EQ(d->compare_sql("`s`", TypeId::string, {}, CompareOp::lt, 1),
            "CAST(`s` AS BINARY) < CAST(? AS BINARY)");
}

TEST(OdbcDialectTest, AnsiFallsBackToStandardSql) {
  auto d = make_dialect(DbmsKind::ansi);
  EXPECT_EQ(d->select_sql({"\"a\"", "\"t\"", {}, {}, 3}),
            "SELECT \"a\" FROM \"t\" FETCH FIRST 3 ROWS ONLY");
  EXPECT_EQ(d->upsert_sql({"", "t"}, {"id", "v"}, {"id"}, {"?", "?"}),
            "MERGE INTO \"t\" t USING (VALUES (?, ?)) s (\"id\", \"v\") ON (t.\"id\" = s.\"id\") "
            "WHEN MATCHED THEN UPDATE SET \"v\" = s.\"v\" WHEN NOT MATCHED THEN INSERT (\"id\", "
            "\"v\") VALUES (s.\"id\", s.\"v\")");
  EXPECT_EQ(d->hash_partition_sql({"\"a\""}, 0, 2), std::nullopt);
  EXPECT_EQ(d->max_rows_per_statement(10, false), 1u);  // not every DBMS has multi-row VALUES
}

}  // namespace
}  // namespace polydb::odbc
