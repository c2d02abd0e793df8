#include "polydb/batch.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb {
namespace {

std::shared_ptr<const Schema> sample_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"ok", TypeId::boolean, true, ""},
               {"day", TypeId::date, true, ""}};
  return s;
}

TEST(Batch, AppendsRowsAndReadsThemBack) {
  Batch b(sample_schema());
  b.append_row(std::vector<Value>{int64_t{1}, "a", true, Date{3}});
  b.append_row(std::vector<Value>{int64_t{2}, Value(), false, Value()});
  b.append_row(std::vector<Value>{int64_t{3}, "", Value(), Date{-5}});
  ASSERT_EQ(b.num_rows(), 3u);
  EXPECT_EQ(b.row(0), (std::vector<Value>{int64_t{1}, "a", true, Date{3}}));
  EXPECT_EQ(b.row(1), (std::vector<Value>{int64_t{2}, Value(), false, Value()}));
  EXPECT_EQ(b.row(2), (std::vector<Value>{int64_t{3}, "", Value(), Date{-5}}));
  EXPECT_EQ(b.column(1).null_count(), 1u);
}

TEST(Batch, ArrowLayoutOfStringsAndValidity) {
  Batch b(sample_schema());
  for (int i = 0; i < 10; ++i)
    b.append_row(std::vector<Value>{int64_t{i}, i % 3 ? Value(std::string(i, 'x')) : Value(),
                                    Value(), Value()});
  const Column& names = b.column(1);
  ASSERT_EQ(names.offsets().size(), 11u);
  EXPECT_EQ(names.offsets()[0], 0);
  EXPECT_EQ(names.offsets()[10], static_cast<int32_t>(names.data().size()));
  // Bit i of the validity bitmap (LSB first) is set when row i is not NULL.
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(((names.validity()[i / 8] >> (i % 8)) & 1) == 1, i % 3 != 0) << i;
  EXPECT_TRUE(b.column(0).validity().empty()) << "no bitmap without NULLs";
}

// C APIs read a null pointer as SQL NULL: an empty value never has one, even
// in a column that holds no bytes at all.
TEST(Batch, EmptyValuesPointSomewhere) {
  for (TypeId id : {TypeId::string, TypeId::bytes}) {
    Column col{Type(id)};
    col.append(id == TypeId::string ? Value(std::string()) : Value(Bytes{}));
    col.append(id == TypeId::string ? Value(std::string()) : Value(Bytes{}));
    ASSERT_EQ(col.var_at(1).size(), 0u);
    EXPECT_NE(col.var_at(0).data(), nullptr);
    EXPECT_NE(col.var_at(1).data(), nullptr);
  }
}

TEST(Batch, TypeMismatchNamesTheColumnAndKeepsTheBatchRectangular) {
  Batch b(sample_schema());
  b.append_row(std::vector<Value>{int64_t{1}, "a", true, Date{3}});
  try {
    b.append_row(std::vector<Value>{int64_t{2}, "b", true, "not a date"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::type_mismatch);
    EXPECT_NE(e.message().find("day"), std::string::npos);
  }
  ASSERT_EQ(b.num_rows(), 1u);
  for (size_t c = 0; c < b.num_columns(); ++c) EXPECT_EQ(b.column(c).size(), 1u);
}

TEST(Batch, TruncateKeepsPrefix) {
  Batch b(sample_schema());
  for (int i = 0; i < 20; ++i)
    b.append_row(std::vector<Value>{int64_t{i}, i % 2 ? Value("odd") : Value(), i % 2 == 0,
                                    Date{i}});
  b.truncate(9);
  ASSERT_EQ(b.num_rows(), 9u);
  EXPECT_EQ(b.row(8), (std::vector<Value>{int64_t{8}, Value(), true, Date{8}}));
  EXPECT_EQ(b.column(1).null_count(), 5u);
  b.append_row(std::vector<Value>{int64_t{99}, "z", false, Date{1}});
  EXPECT_EQ(b.row(9), (std::vector<Value>{int64_t{99}, "z", false, Date{1}}));
}

}  // namespace
}  // namespace polydb
