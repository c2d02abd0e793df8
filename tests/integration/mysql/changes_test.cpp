// The MySQL / MariaDB change writer against the real server: what is MySQL's
// own. The behaviour every backend shares (batches spanning statements
// included) is in tests/conformance/changes_test.cpp; here: the conditional
// assignments (the version column assigned last) checked on the server, and
// database-qualified names.

#include "fixture.hpp"

namespace polydb::mytest {
namespace {

using Row = std::vector<Value>;

class MysqlChanges : public MysqlTest {};

// The version column is compared before it is overwritten: assigned last in
// ON DUPLICATE KEY UPDATE, whatever its place among the table's columns.
TEST_F(MysqlChanges, VersionColumnFirstInTheTable) {
  conn_->execute(
      "CREATE TABLE t (ver BIGINT, id BIGINT PRIMARY KEY, name VARCHAR(20), qty BIGINT)");
  auto s = std::make_shared<Schema>();
  s->fields = {{"ver", TypeId::int64},
               {"id", TypeId::int64, false},
               {"name", TypeId::string},
               {"qty", TypeId::int64}};
  s->primary_key = {"id"};
  auto w = conn_->change_writer("t", *s, {.key = {}, .version_column = "ver"});
  for (const Row& row : {Row{1, 1, "a", 1}, Row{2, 1, "b", 2}, Row{1, 1, "stale", 3}}) {
    ChangeBatch b{Batch(s), {}};
    b.append(ChangeOp::upsert, row);
    w->apply(b);
  }
  w->commit();
  EXPECT_EQ(client("SELECT ver, id, name, qty FROM t"), "2\t1\tb\t2\n");
}

TEST_F(MysqlChanges, DatabaseQualifiedTable) {
  conn_->execute("CREATE TABLE t (id BIGINT PRIMARY KEY, note VARCHAR(20))");
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  s->primary_key = {"id"};
  auto other = connect(server_);  // another default database
  auto w = other->change_writer(db_ + ".t", *s, {});
  ChangeBatch b{Batch(s), {}};
  b.append(ChangeOp::upsert, Row{1, "a"});
  w->apply(b);
  w->commit();
  EXPECT_EQ(client("SELECT id, note FROM t"), "1\ta\n");
}

}  // namespace
}  // namespace polydb::mytest
