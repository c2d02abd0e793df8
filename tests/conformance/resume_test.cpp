// Resume points (BatchReader::resume_point, ScanSpec::resume_from) on every
// backend: where Capabilities::resume_points holds, a scan interrupted after
// some batches and continued from its resume point returns exactly the rows
// the first reader had not returned (whole tables and parallel-scan
// segments); elsewhere a resume_from is refused with Error(unsupported).

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::conformance {
namespace {

constexpr int64_t kRows = 300;

class Resume : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(GetParam().fresh_url(), o);
    // Short: PostgreSQL cuts identifiers at 63 bytes. Unique per test and
    // backend: DynamoDB and Cosmos DB tests share one database.
    table_ = "resume_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())
                 .substr(0, 12) +
             "_" + GetParam().name;
    for (auto& c : table_)
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    conn_->drop_table(table_, true);
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
    s->primary_key = {"id"};
    schema_ = s;
    Batch b(s);
    for (int64_t i = 1; i <= kRows; ++i)
      b.append_row(std::vector<Value>{i, "row " + std::to_string(i)});
    auto w = conn_->writer(table_, *s, {WriteMode::create, {}});
    w->write(b);
    w->commit();
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }

  ScanSpec spec() const {
    ScanSpec s;
    s.table = table_;
    s.columns = {"id", "name"};
    s.batch_rows = 16;
    return s;
  }

  // Reads up to `batches` batches (all when 0) of `reader`, appending the ids.
  static void read(BatchReader& reader, std::vector<int64_t>& ids, size_t batches = 0) {
    for (size_t n = 0; batches == 0 || n < batches; ++n) {
      auto b = reader.next();
      if (!b) return;
      for (size_t i = 0; i < b->num_rows(); ++i) ids.push_back(b->column(0).int64_at(i));
    }
  }

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
  std::shared_ptr<const Schema> schema_;
};

TEST_P(Resume, ResumePointsSplitAScanIntoTwoExactPartsOrAreRefused) {
  ASSERT_EQ(conn_->capabilities().resume_points, GetParam().quirks.resume_points);
  if (!conn_->capabilities().resume_points) {
    ScanSpec s = spec();
    s.resume_from = "{}";
    EXPECT_EQ(code_of([&] { conn_->scan(s); }), ErrorCode::unsupported);
    return;
  }
  for (size_t k : {1u, 5u, 18u}) {  // 18 batches of 16 = 288 rows: 12 left
    SCOPED_TRACE("resumed after " + std::to_string(k) + " batches");
    std::vector<int64_t> ids;
    std::string point;
    {
      auto first = conn_->scan(spec());
      read(*first, ids, k);
      ASSERT_EQ(ids.size(), 16 * k);
      auto p = first->resume_point();
      ASSERT_TRUE(p.has_value());
      point = *p;
    }
    ScanSpec s = spec();
    s.resume_from = point;
    auto rest = conn_->scan(s);
    read(*rest, ids);
    std::sort(ids.begin(), ids.end());
    ASSERT_EQ(ids.size(), static_cast<size_t>(kRows)) << "no row twice, none missing";
    for (int64_t i = 0; i < kRows; ++i) ASSERT_EQ(ids[i], i + 1);
  }
  // At the end, the point resumes to nothing.
  std::vector<int64_t> all;
  auto whole = conn_->scan(spec());
  read(*whole, all);
  ASSERT_EQ(all.size(), static_cast<size_t>(kRows));
  auto end = whole->resume_point();
  ASSERT_TRUE(end.has_value());
  ScanSpec s = spec();
  s.resume_from = *end;
  EXPECT_FALSE(conn_->scan(s)->next().has_value());
  // Text no reader wrote.
  s.resume_from = "not a resume point";
  EXPECT_EQ(code_of([&] { conn_->scan(s)->next(); }), ErrorCode::invalid_argument);
}

TEST_P(Resume, ASegmentResumesOnlyItselfFromItsOwnPoint) {
  if (!conn_->capabilities().resume_points || !conn_->capabilities().partitioned_scan) {
    ScanSpec s = spec();
    s.partition = {1, 3};
    s.resume_from = "{}";
    if (!conn_->capabilities().resume_points) {
      EXPECT_EQ(code_of([&] { conn_->scan(s); }), ErrorCode::unsupported);
    }
    return;
  }
  ScanSpec seg = spec();
  seg.partition = {1, 3};
  seg.batch_rows = 8;
  std::vector<int64_t> expected;
  {
    auto r = conn_->scan(seg);
    read(*r, expected);
  }
  ASSERT_GT(expected.size(), 16u) << "the segment must span several batches";
  std::vector<int64_t> ids;
  std::string point;
  {
    auto r = conn_->scan(seg);
    read(*r, ids, 2);
    point = r->resume_point().value();
  }
  ScanSpec rest = seg;
  rest.resume_from = point;
  {
    auto r = conn_->scan(rest);
    read(*r, ids);
  }
  std::sort(ids.begin(), ids.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  // Another segment, or the whole table, refuses that point.
  ScanSpec other = rest;
  other.partition = {2, 3};
  EXPECT_EQ(code_of([&] { conn_->scan(other)->next(); }), ErrorCode::invalid_argument);
  other.partition = {0, 1};
  EXPECT_EQ(code_of([&] { conn_->scan(other)->next(); }), ErrorCode::invalid_argument);
  // And so does another table.
  other = rest;
  other.table = table_ + "_other";
  conn_->drop_table(other.table, true);
  {
    auto w = conn_->writer(other.table, *schema_, {WriteMode::create, {}});
    Batch b(schema_);
    b.append_row(std::vector<Value>{int64_t{1}, "other"});
    w->write(b);
    w->commit();
  }
  EXPECT_EQ(code_of([&] { conn_->scan(other)->next(); }), ErrorCode::invalid_argument);
  conn_->drop_table(other.table, true);
}

INSTANTIATE_TEST_SUITE_P(Backends, Resume, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::conformance
