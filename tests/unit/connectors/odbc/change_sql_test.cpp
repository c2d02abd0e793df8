// The change writer's statements per ODBC dialect (Dialect::change_upsert_sql
// and change_remove_sql): SQL Server has no server in the tests, so its MERGE
// is checked as text; MySQL's assignment order matters (the version last).

#include <gtest/gtest.h>

#include "connectors/odbc/dialect.hpp"

namespace polydb::odbc {
namespace {

TEST(OdbcChangeDialects, SqlServerMergeConditionsTheUpdate) {
  const auto d = make_sqlserver_dialect();
  const std::string sql =
      d->change_upsert_sql({"dbo", "t"}, {"id", "v", "ver"}, {"id"}, "ver", {"?", "?", "?"});
  EXPECT_EQ(sql,
            "MERGE INTO [dbo].[t] WITH (HOLDLOCK) AS t USING (VALUES (?, ?, ?)) AS s ([id], [v], "
            "[ver]) ON (t.[id] = s.[id]) WHEN MATCHED AND (t.[ver] IS NULL OR t.[ver] < s.[ver]) "
            "THEN UPDATE SET t.[v] = s.[v], t.[ver] = s.[ver] WHEN NOT MATCHED THEN INSERT ([id], "
            "[v], [ver]) VALUES (s.[id], s.[v], s.[ver]);");
  EXPECT_EQ(d->change_remove_sql({"dbo", "t"}, {"id"}, {"?"}, "ver"),
            "DELETE FROM [dbo].[t] WHERE [id] = ? AND ([ver] IS NULL OR [ver] <= ?)");
  EXPECT_EQ(d->change_upsert_sql({"", "t"}, {"id"}, {"id"}, "", {"?"}),
            "MERGE INTO [t] WITH (HOLDLOCK) AS t USING (VALUES (?)) AS s ([id]) ON (t.[id] = "
            "s.[id]) WHEN NOT MATCHED THEN INSERT ([id]) VALUES (s.[id]);");
}

TEST(OdbcChangeDialects, MysqlAssignsTheVersionLast) {
  const auto d = make_mysql_dialect();
  EXPECT_EQ(d->change_upsert_sql({"", "t"}, {"ver", "id", "v"}, {"id"}, "ver", {"?", "?", "?"}),
            "INSERT INTO `t` (`ver`, `id`, `v`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `v` = "
            "IF(`ver` IS NULL OR `ver` < VALUES(`ver`), VALUES(`v`), `v`), `ver` = IF(`ver` IS "
            "NULL OR `ver` < VALUES(`ver`), VALUES(`ver`), `ver`)");
}

TEST(OdbcChangeDialects, PostgresqlConditionsTheConflictUpdate) {
  const auto d = make_postgresql_dialect();
  EXPECT_EQ(d->change_upsert_sql({"s", "t"}, {"id", "v", "ver"}, {"id"}, "ver", {"?", "?", "?"},
                                 2),
            "INSERT INTO \"s\".\"t\" AS t (\"id\", \"v\", \"ver\") VALUES (?, ?, ?), (?, ?, ?) ON "
            "CONFLICT (\"id\") DO UPDATE SET \"v\" = EXCLUDED.\"v\", \"ver\" = EXCLUDED.\"ver\" "
            "WHERE t.\"ver\" IS NULL OR t.\"ver\" < EXCLUDED.\"ver\"");
  EXPECT_EQ(d->change_upsert_sql({"", "t"}, {"id"}, {"id"}, "", {"?"}),
            "INSERT INTO \"t\" AS t (\"id\") VALUES (?) ON CONFLICT (\"id\") DO NOTHING");
}

}  // namespace
}  // namespace polydb::odbc
