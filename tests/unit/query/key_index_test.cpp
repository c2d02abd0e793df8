#include "query/key_index.hpp"

#include "polydb/batch.hpp"
#include "polydb/value.hpp"
#include "query/values.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace polydb::query {
namespace {

std::vector<uint64_t> rows(std::span<const uint64_t> s) { return {s.begin(), s.end()}; }

TEST(KeyIndexTest, RowsOfAKeyComeBackInTheOrderAdded) {
  KeyIndex index;
  index.add("b", 10);
  index.add("a", 11);
  index.add("b", 12);
  index.add("", 13);  // the empty key is a key like any other
  index.add("b", 14);
  index.finish();
  EXPECT_EQ(rows(index.find("b")), (std::vector<uint64_t>{10, 12, 14}));
  EXPECT_EQ(rows(index.find("a")), (std::vector<uint64_t>{11}));
  EXPECT_EQ(rows(index.find("")), (std::vector<uint64_t>{13}));
  EXPECT_TRUE(index.find("c").empty());
  EXPECT_TRUE(index.find("bb").empty());
  EXPECT_EQ(index.keys(), 3u);
  EXPECT_EQ(index.rows(), 5u);
}

TEST(KeyIndexTest, AnEmptyIndexFindsNothing) {
  KeyIndex index;
  index.finish();
  EXPECT_TRUE(index.find("x").empty());
  EXPECT_EQ(index.keys(), 0u);
  KeyIndex unfinished;
  EXPECT_TRUE(unfinished.find("x").empty());
}

// Against std::map on many keys, binary ones included (append_key encodes
// values as bytes): every key's rows, through every growth of the table.
TEST(KeyIndexTest, AgreesWithAMapAcrossGrowth) {
  std::mt19937_64 rng(42);
  std::map<std::string, std::vector<uint64_t>> want;
  KeyIndex index;
  for (uint64_t r = 0; r < 200000; ++r) {
    const uint64_t v = rng() % 50000;
    std::string key(reinterpret_cast<const char*>(&v), sizeof v);
    if (v % 7 == 0) key.push_back('\0');
    want[key].push_back(r);
    index.add(key, r);
  }
  index.finish();
  EXPECT_EQ(index.keys(), want.size());
  EXPECT_EQ(index.rows(), 200000u);
  for (const auto& [key, refs] : want) ASSERT_EQ(rows(index.find(key)), refs);
  for (uint64_t v = 50000; v < 51000; ++v)
    EXPECT_TRUE(index.find(std::string(reinterpret_cast<const char*>(&v), sizeof v)).empty());
}

// A probe's key (from a SQLite value) must encode as the copy's key (from a
// batch column) did, whatever the type.
TEST(KeyIndexTest, KeysOfValuesAndOfColumnsAgree) {
  for (const Value& v :
       {Value(int64_t{42}), Value(int64_t{-1}), Value(std::string("DE")), Value(std::string()),
        Value(2.5), Value(3.0), Value(Decimal{"12.50"}), Value(true), Value(Date{19000})}) {
    Column col(Type(v.type_id()));
    col.append(v);
    std::string from_column, from_value;
    ASSERT_TRUE(append_key(from_column, col, 0));
    ASSERT_TRUE(append_key(from_value, v));
    EXPECT_EQ(from_value, from_column) << v.to_text();
  }
  std::string none;
  EXPECT_FALSE(append_key(none, Value()));
}

}  // namespace
}  // namespace polydb::query
