// The chunk content hash (src/engine/content_hash.cpp, defined in
// docs/state.md): independent of row order and batch boundaries, changed by
// any one value, and fixed by its documented encoding.

#include "engine/content_hash.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net/crypto.hpp"
#include "polydb/batch.hpp"
#include "polydb/value.hpp"

namespace polydb::engine {
namespace {

std::shared_ptr<Schema> every_type() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},       {"b", TypeId::boolean, true, ""},
               {"f", TypeId::float64, true, ""},       {"d", Type(TypeId::decimal, 20, 4), true, ""},
               {"s", TypeId::string, true, ""},        {"by", TypeId::bytes, true, ""},
               {"dt", TypeId::date, true, ""},         {"tm", TypeId::time, true, ""},
               {"ts", TypeId::timestamp, true, ""},    {"tz", TypeId::timestamp_tz, true, ""},
               {"u", TypeId::uuid, true, ""},          {"j", TypeId::json, true, ""}};
  return s;
}

std::vector<std::vector<Value>> sample_rows(size_t n) {
  std::vector<std::vector<Value>> rows;
  for (size_t i = 0; i < n; ++i) {
    const auto k = static_cast<int64_t>(i);
    Uuid u;
    u.bytes[0] = static_cast<uint8_t>(i);
    if (i % 5 == 0) {
      rows.push_back({k, Value(), Value(), Value(), Value(), Value(), Value(), Value(), Value(),
                      Value(), Value(), Value()});
      continue;
    }
    rows.push_back({k, i % 2 == 0, 0.5 * k, Decimal{std::to_string(i) + ".25"},
                    "row " + std::to_string(i), Bytes{std::string("\0x", 2) + std::to_string(i)},
                    Date{static_cast<int32_t>(i)}, Time{k * 1000}, Timestamp{k * 7},
                    TimestampTz{-k}, u, Json{R"({"b":1,"a":[)" + std::to_string(i) + "]}"}});
  }
  return rows;
}

// The hash of `rows` fed in batches of `batch_rows`.
uint64_t hash_of(const std::vector<std::vector<Value>>& rows, size_t batch_rows) {
  const auto schema = every_type();
  ContentHash h;
  for (size_t at = 0; at < rows.size(); at += batch_rows) {
    Batch b(schema);
    for (size_t i = at; i < std::min(rows.size(), at + batch_rows); ++i) b.append_row(rows[i]);
    h.add(b);
  }
  return h.value();
}

TEST(ContentHash, DoesNotDependOnRowOrderOrBatchBoundaries) {
  auto rows = sample_rows(200);
  const uint64_t reference = hash_of(rows, 200);
  EXPECT_NE(reference, 0u);
  std::mt19937 rng(15);
  for (size_t batch : {1u, 7u, 64u, 199u}) {
    std::shuffle(rows.begin(), rows.end(), rng);
    EXPECT_EQ(hash_of(rows, batch), reference) << "batches of " << batch;
  }
}

TEST(ContentHash, ContinuesFromASavedValueAsIfNeverInterrupted) {
  const auto rows = sample_rows(100);
  const auto schema = every_type();
  Batch first(schema), second(schema);
  for (size_t i = 0; i < rows.size(); ++i) (i < 40 ? first : second).append_row(rows[i]);
  ContentHash a;
  a.add(first);
  ContentHash b(a.value());  // a later attempt, from the saved position
  b.add(second);
  EXPECT_EQ(b.value(), hash_of(rows, 100));
  EXPECT_EQ(b.hex().size(), 16u);
}

TEST(ContentHash, ChangesWhenOneValueChanges) {
  const auto rows = sample_rows(50);
  const uint64_t reference = hash_of(rows, 50);
  for (size_t c = 0; c < rows[1].size(); ++c) {
    auto changed = rows;
    // Row 1 has a value in every column: make it NULL.
    changed[1][c] = Value();
    EXPECT_NE(hash_of(changed, 50), reference) << "column " << c << " set to NULL";
  }
  auto changed = rows;
  changed[3][4] = Value(std::string("row 3 "));
  EXPECT_NE(hash_of(changed, 50), reference);
  changed = rows;
  changed[2][0] = Value(int64_t{1000});
  EXPECT_NE(hash_of(changed, 50), reference);
  // A duplicated row counts twice.
  changed = rows;
  changed.push_back(rows[7]);
  EXPECT_NE(hash_of(changed, 50), reference);
}

TEST(ContentHash, OneValueHashesAlikeWhateverItsSpelling) {
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"d", TypeId::decimal, true, ""}, {"f", TypeId::float64, true, ""},
                    {"j", TypeId::json, true, ""}};
  auto one = [&](std::string d, double f, std::string j) {
    Batch b(schema);
    b.append_row(std::vector<Value>{Decimal{std::move(d)}, f, Json{std::move(j)}});
    ContentHash h;
    h.add(b);
    return h.value();
  };
  EXPECT_EQ(one("1.5", 0.0, R"({"a":1,"b":[1,2]})"), one("001.5000", -0.0, R"({ "b": [1, 2], "a": 1 })"));
  EXPECT_EQ(one("0", 1, "[]"), one("-0.000", 1, " [ ] "));
  EXPECT_NE(one("1.5", 0, "1"), one("15", 0, "1"));
}

TEST(ContentHash, FollowsTheDocumentedEncoding) {
  // docs/state.md: tag 02 + 8 bytes big-endian for int64, tag 05 + 4-byte
  // length + bytes for a string, tag 00 for NULL.
  auto schema = std::make_shared<Schema>();
  schema->fields = {{"i", TypeId::int64, false, ""}, {"s", TypeId::string, true, ""},
                    {"n", TypeId::string, true, ""}};
  Batch b(schema);
  b.append_row(std::vector<Value>{int64_t{258}, std::string("hé"), Value()});
  std::string encoded;
  append_row_encoding(b, 0, encoded);
  EXPECT_EQ(net::to_hex(encoded), "0200000000000001020500000003" "68c3a9" "00");
  const net::Digest d = net::sha256(encoded);
  uint64_t expected = 0;
  for (int i = 0; i < 8; ++i) expected = (expected << 8) | d[i];
  ContentHash h;
  h.add(b);
  h.add(b);
  EXPECT_EQ(h.value(), expected * 2);
}

}  // namespace
}  // namespace polydb::engine
