#include "connectors/common/document_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/value_order.hpp"
#include "polydb/error.hpp"
#include "polydb/filter.hpp"

namespace polydb {
namespace {

using Json = nlohmann::ordered_json;

struct TestSetup : DocumentReadSetup {
  std::vector<std::vector<Json>> pages;
};

// Pages of JSON objects; int64 and string columns.
struct TestPages {
  using Setup = TestSetup;
  static constexpr std::string_view kLogger = "test";

  TestPages(TestSetup& setup, int* fetches) : setup_(setup), fetches_(fetches) {}

  bool done() const { return next_ >= setup_.pages.size(); }
  std::vector<Json> fetch() {
    ++*fetches_;
    return setup_.pages[next_++];
  }
  Schema infer_schema(const std::vector<Json>& first_page) const {
    Schema s;
    for (auto it = first_page.at(0).begin(); it != first_page.at(0).end(); ++it)
      s.fields.push_back({it.key(), it->is_number() ? TypeId::int64 : TypeId::string, true, ""});
    return s;
  }
  static int compare(const Value& a, const Value& b) { return compare_for_order(a, b); }

  const Json* properties(const Json& doc) const { return &doc; }
  void append(Column& column, const Json* v) const {
    if (!v || v->is_null()) return column.append_null();
    if (column.type().id == TypeId::int64 && v->is_number_integer())
      return column.append_int64(v->get<int64_t>());
    if (column.type().id == TypeId::string && v->is_string())
      return column.append_var(v->get<std::string>());
    throw Error(ErrorCode::type_mismatch, "does not fit", "test");
  }
  std::string text(const Json& v) const { return v.dump(); }
  bool is_extra(std::string_view, const Json& v) const { return !v.is_null(); }
  Error conversion_error(const Error& e, const Json& doc, std::string_view column) const {
    return Error(
        e.code(),
        "'" + std::string(column) + "' of " + doc.value("id", Json()).dump() + ": " + e.message(),
        "test");
  }

 private:
  const TestSetup& setup_;
  int* fetches_;
  size_t next_ = 0;
};

struct NearLimitPages : TestPages {
  using TestPages::TestPages;
  static constexpr uint64_t kMinLimitedRead = 2;
};

std::vector<Json> page(int first, int n) {
  std::vector<Json> docs;
  for (int i = first; i < first + n; ++i)
    docs.push_back({{"id", i}, {"name", "n" + std::to_string(i)}});
  return docs;
}

std::shared_ptr<Schema> id_name(bool extra) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
  if (extra) s->fields.push_back({std::string(kExtraColumn), TypeId::json, true, ""});
  return s;
}

template <class Pages = TestPages>
std::vector<std::vector<std::vector<Value>>> drain(TestSetup setup, int* fetches = nullptr) {
  int ignored = 0;
  DocumentReader<Pages> reader(std::move(setup), fetches ? fetches : &ignored);
  std::vector<std::vector<std::vector<Value>>> batches;
  while (auto b = reader.next()) {
    auto& rows = batches.emplace_back();
    for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
  }
  return batches;
}

TEST(DocumentReader, BatchesSpanPagesAndStopAtTheRowCap) {
  TestSetup setup;
  setup.schema = id_name(false);
  setup.batch_rows = 4;
  setup.pages = {page(0, 3), {}, page(3, 3), page(6, 1)};
  const auto batches = drain(setup);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].size(), 4u);
  EXPECT_EQ(batches[1].size(), 3u);
  EXPECT_EQ(batches[1][2][0], Value(int64_t{6}));
  EXPECT_EQ(batches[1][2][1], Value(std::string("n6")));
}

TEST(DocumentReader, StopsABatchAtTheByteCap) {
  TestSetup setup;
  setup.schema = id_name(false);
  setup.batch_rows = 100;
  setup.batch_bytes = 1;  // every row passes it
  setup.pages = {page(0, 3)};
  EXPECT_EQ(drain(setup).size(), 3u);
}

TEST(DocumentReader, InfersTheSchemaFromTheFirstNonEmptyPage) {
  TestSetup setup;
  setup.pages = {{}, page(0, 2)};
  int fetches = 0;
  DocumentReader<TestPages> reader(setup, &fetches);
  EXPECT_EQ(fetches, 2);
  ASSERT_EQ(reader.schema().fields.size(), 2u);
  EXPECT_EQ(reader.schema().fields[0].type.id, TypeId::int64);
  auto b = reader.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->num_rows(), 2u);  // the first page is not fetched again
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(fetches, 2);
}

TEST(DocumentReader, KeepsWhatIsNoColumnAndWhatDoesNotFitInTheCatchAll) {
  TestSetup setup;
  setup.schema = id_name(true);
  setup.pages = {
      {{{"id", 1}, {"name", 7}, {"more", true}, {"gone", nullptr}}, {{"id", 2}, {"name", "b"}}}};
  const auto batches = drain(setup);
  ASSERT_EQ(batches.size(), 1u);
  const auto& rows = batches[0];
  EXPECT_TRUE(rows[0][1].is_null());
  EXPECT_EQ(Json::parse(rows[0][2].as<polydb::Json>().text), (Json{{"name", 7}, {"more", true}}));
  EXPECT_TRUE(rows[1][2].is_null());
}

TEST(DocumentReader, AValueThatDoesNotFitFailsWithoutTheCatchAll) {
  TestSetup setup;
  setup.schema = id_name(false);
  setup.pages = {{{{"id", 1}, {"name", 7}}}};
  try {
    drain(setup);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    EXPECT_EQ(e.message(), "'name' of 1: does not fit");
  }
}

TEST(DocumentReader, FiltersProjectsAndLimits) {
  // The read schema holds the output columns first, then the filter's.
  TestSetup setup;
  auto read = std::make_shared<Schema>();
  read->fields = {{"name", TypeId::string, true, ""}, {"id", TypeId::int64, false, ""}};
  setup.schema = read;
  auto output = std::make_shared<Schema>();
  output->fields = {read->fields[0]};
  setup.output = output;
  setup.residual = Filter::compare("id", CompareOp::ge, Value(int64_t{3}));
  setup.limit = 4;
  setup.batch_rows = 3;
  setup.pages = {page(0, 10)};
  const auto batches = drain(setup);
  ASSERT_EQ(batches.size(), 2u);  // rows 0-2 are filtered out
  EXPECT_EQ(batches[0].size(), 3u);
  ASSERT_EQ(batches[1].size(), 1u);
  EXPECT_EQ(batches[1][0], (std::vector<Value>{Value(std::string("n6"))}));
}

TEST(DocumentReader, NearTheLimitReadsNoMoreThanItNeedsAboveTheMinimum) {
  TestSetup setup;
  setup.schema = id_name(false);
  std::vector<Value> odd;
  for (int64_t i = 1; i < 12; i += 2) odd.emplace_back(i);
  setup.residual = Filter::in("id", odd);
  setup.limit = 5;
  setup.batch_rows = 4;
  setup.pages = {page(0, 12)};
  const auto sizes = [](const auto& batches) {
    std::vector<size_t> out;
    for (const auto& b : batches) out.push_back(b.size());
    return out;
  };
  // Reads 4, 3 (5 - 2 left), 2, 2 documents: never below the minimum of 2.
  EXPECT_EQ(sizes(drain<NearLimitPages>(setup)), (std::vector<size_t>{2, 1, 1, 1}));
  EXPECT_EQ(sizes(drain<TestPages>(setup)), (std::vector<size_t>{2, 2, 1}));
}

TEST(DocumentReader, SortsLocallyAndStopsAtTheLimit) {
  TestSetup setup;
  setup.schema = id_name(false);
  setup.order_by = {OrderBy{"id", /*descending=*/true}};
  setup.limit = 3;
  setup.batch_rows = 2;
  setup.pages = {page(0, 4), page(4, 4)};
  const auto batches = drain(setup);
  std::vector<Value> ids;
  for (const auto& b : batches)
    for (const auto& r : b) ids.push_back(r[0]);
  EXPECT_EQ(ids, (std::vector<Value>{Value(int64_t{7}), Value(int64_t{6}), Value(int64_t{5})}));
}

}  // namespace
}  // namespace polydb
