// The connector contract, on every backend: each method throws the error
// codes include/polydb/connection.hpp names for it, and each capability a
// connector claims is what it does (and what it does not claim, it refuses
// or says so). Behaviour is derived from Capabilities and quirks, never from
// the backend's name.

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "backends.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::conformance {
namespace {

class Contract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(GetParam().fresh_url(), o);
    table_ = "contract_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : table_)
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    conn_->drop_table(table_, true);
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }
  const Quirks& quirks() const { return GetParam().quirks; }

  static std::shared_ptr<Schema> schema() {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
    s->primary_key = {"id"};
    return s;
  }
  static Batch rows(int64_t from, int64_t to, const std::string& tag) {
    Batch b(schema());
    for (int64_t i = from; i <= to; ++i)
      b.append_row(std::vector<Value>{i, Value(tag + std::to_string(i))});
    return b;
  }
  void write(const Batch& batch, WriteMode mode) {
    auto w = conn_->writer(table_, batch.schema(), {mode, {"id"}});
    w->write(batch);
    w->commit();
  }
  // "count tags" of the table's rows: how many, and the tags they carry
  // (sorted, comma-separated).
  std::string contents() {
    ScanSpec s;
    s.table = table_;
    s.columns = {"name"};
    auto r = conn_->scan(s);
    size_t n = 0;
    std::set<std::string> tags;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i, ++n) {
        const std::string name = b->column(0).value_at(i).to_text();
        tags.insert(name.substr(0, name.find_first_of("0123456789")));
      }
    std::string out = std::to_string(n) + " ";
    for (const auto& t : tags) out += (out.back() == ' ' ? "" : ",") + t;
    return out;
  }

  // The code `fn` throws; ErrorCode::internal when it throws nothing, so
  // that a missing error fails the comparison that follows.
  static ErrorCode code_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  }

  std::unique_ptr<Connection> conn_;
  std::string table_;
};

TEST_P(Contract, EachMethodThrowsTheCodesItsContractNames) {
  const std::string missing = "contract_no_such_table";
  const Capabilities caps = conn_->capabilities();
  // A missing table: not_found from every method that reads or drops it.
  EXPECT_EQ(code_of([&] { conn_->describe(missing); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->scan({.table = missing})->next(); }), ErrorCode::not_found);
  EXPECT_EQ(code_of([&] { conn_->drop_table(missing); }), ErrorCode::not_found);
  EXPECT_NO_THROW(conn_->drop_table(missing, true));
  if (quirks().empty_tables_exist) {
    EXPECT_EQ(code_of([&] { (void)conn_->count_rows(missing); }), ErrorCode::not_found);
    EXPECT_EQ(code_of([&] { conn_->change_writer(missing, *schema(), {.key = {"id"}}); }),
              caps.change_writes ? ErrorCode::not_found : ErrorCode::unsupported);
  } else {
    // A missing collection is an empty one (Firestore): nothing to count,
    // and changes may create it.
    EXPECT_EQ(conn_->count_rows(missing).value_or(0), 0u);
  }

  write(rows(1, 5, "a"), WriteMode::create);
  // An existing table: conflict from create.
  EXPECT_EQ(code_of([&] { conn_->create_table(table_, *schema()); }), ErrorCode::conflict);
  EXPECT_EQ(code_of([&] { conn_->writer(table_, *schema(), {WriteMode::create, {}}); }),
            ErrorCode::conflict);
  // Specs the reader cannot honour: invalid_argument; a missing column: not_found.
  // (Errors may come from the first next(): a scan may send nothing before.)
  EXPECT_EQ(code_of([&] { conn_->scan({.table = table_, .columns = {"nope"}})->next(); }),
            ErrorCode::not_found);
  ScanSpec out_of_range{.table = table_};
  out_of_range.partition = {2, 2};
  EXPECT_EQ(code_of([&] { conn_->scan(out_of_range)->next(); }), ErrorCode::invalid_argument);
  // Change writers without the key they need: invalid_argument.
  auto keyless = std::make_shared<Schema>(*schema());
  keyless->primary_key.clear();
  if (caps.change_writes) {
    EXPECT_EQ(code_of([&] { conn_->change_writer(table_, *keyless, {}); }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_of([&] {
                conn_->change_writer(table_, *schema(), {.key = {"id"}, .version_column = "name"});
              }),
              ErrorCode::invalid_argument)
        << "a version column must be an integer";
  }
  // Snapshots: invalid_argument for no readers; unsupported where the
  // backend cannot share one.
  EXPECT_EQ(code_of([&] { conn_->snapshot(0); }), ErrorCode::invalid_argument);
  if (!caps.shared_snapshot) {
    EXPECT_EQ(code_of([&] { conn_->snapshot(2); }), ErrorCode::unsupported);
  }
  // Resume points: a text the backend did not write is invalid_argument
  // where they exist, and any text is unsupported where they do not.
  ScanSpec resumed{.table = table_};
  resumed.resume_from = "not a resume point";
  EXPECT_EQ(code_of([&] { conn_->scan(resumed)->next(); }),
            caps.resume_points ? ErrorCode::invalid_argument : ErrorCode::unsupported);
  EXPECT_EQ(contents(), "5 a") << "nothing above changed the table";
}

TEST_P(Contract, CapabilitiesSayWhatTheBackendDoes) {
  const Capabilities caps = conn_->capabilities();
  EXPECT_EQ(caps.transactions, quirks().transactional_writes);
  EXPECT_EQ(caps.resume_points, quirks().resume_points);
  EXPECT_EQ(caps.sql, quirks().sql);
  // An atomic replace needs transactions, and is one: a replace that wrote
  // its rows and was then aborted leaves the old rows in place.
  write(rows(1, 50, "old"), WriteMode::create);
  if (caps.atomic_replace) {
    EXPECT_TRUE(caps.transactions);
    auto w = conn_->writer(table_, *schema(), {WriteMode::replace, {}});
    w->write(rows(100, 110, "new"));
    w->abort();
    EXPECT_EQ(contents(), "50 old");
  }
  write(rows(200, 209, "new"), WriteMode::replace);
  EXPECT_EQ(contents(), "10 new");

  // Pushdown capabilities: what is claimed is pushed for the simplest case
  // (the plan says so), and the result is right either way.
  ScanSpec s{.table = table_};
  s.filter = Filter::compare("id", CompareOp::eq, Value(int64_t{203}));
  {
    auto r = conn_->scan(s);
    auto b = r->next();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->num_rows(), 1u);
    if (caps.filter_pushdown) {
      EXPECT_TRUE(r->plan().filter_pushed) << r->plan().native;
    }
  }
  s.filter.reset();
  s.limit = 3;
  {
    auto r = conn_->scan(s);
    size_t n = 0;
    while (auto b = r->next()) n += b->num_rows();
    EXPECT_EQ(n, 3u);
  }
  s.limit.reset();
  s.order_by = {OrderBy{"id", true, std::nullopt}};
  {
    auto r = conn_->scan(s);
    std::vector<int64_t> ids;
    while (auto b = r->next())
      for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
    EXPECT_EQ(ids, (std::vector<int64_t>{209, 208, 207, 206, 205, 204, 203, 202, 201, 200}));
    if (caps.order_pushdown) {
      EXPECT_TRUE(r->plan().order_pushed) << r->plan().native;
    }
  }

  // Partitioned scans split the work where claimed, and are refused where not.
  ScanSpec part{.table = table_};
  part.partition = {1, 2};
  if (caps.partitioned_scan) {
    EXPECT_NO_THROW(conn_->scan(part));
  } else {
    EXPECT_EQ(code_of([&] { conn_->scan(part); }), ErrorCode::unsupported);
  }

  // A shared snapshot is one: its readers see the table as it was when it
  // was opened, not a write made afterwards.
  bool later_written = false;
  if (caps.shared_snapshot) {
    auto snap = conn_->snapshot(2);
    auto first = snap->open_reader();
    auto second = snap->open_reader();
    snap.reset();  // SQLite holds its write lock until the readers have started
    // A backend may hold writers off while the snapshot is read (SQLite
    // outside WAL mode: the readers' shared locks); else the write commits.
    try {
      write(rows(300, 304, "later"), WriteMode::append);
      later_written = true;
    } catch (const Error& e) {
      EXPECT_FALSE(caps.transactions && e.code() == ErrorCode::internal) << e.what();
    }
    for (auto* reader : {first.get(), second.get()}) {
      auto r = reader->scan({.table = table_, .columns = {"id"}});
      size_t n = 0;
      while (auto b = r->next()) n += b->num_rows();
      EXPECT_EQ(n, 10u) << "a snapshot reader saw a later write";
    }
  }
  // Change writes: where claimed, a batch takes effect.
  if (caps.change_writes) {
    auto w = conn_->change_writer(table_, *schema(), {.key = {"id"}});
    w->apply(ChangeBatch{rows(200, 201, "changed"), {ChangeOp::upsert, ChangeOp::remove}});
    w->commit();
    EXPECT_EQ(contents(), later_written ? "14 changed,later,new" : "9 changed,new");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Contract, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::conformance
