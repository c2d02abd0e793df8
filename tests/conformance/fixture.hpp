#pragma once

// The fixture of the conformance suite (conformance_test.cpp,
// changes_test.cpp): a fresh database of the backend under test per test, a
// table name of the test's own, and helpers to write, read and compare.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "backends.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {
// Readable values in assertion failures.
inline void PrintTo(const Value& v, std::ostream* os) {
  *os << to_string(v.type_id()) << " '" << v.to_text().substr(0, 80) << "'";
}
}  // namespace polydb

namespace polydb::conformance {

class Conformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = GetParam().fresh_url();
    ConnectOptions o;
    o.create_if_missing = true;
    conn_ = connect(url_, o);
    table_ = "conf_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : table_)
      // Lowercase: the tests also name the table unquoted in native SQL,
      // which PostgreSQL folds to lower case.
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    conn_->drop_table(table_, true);
  }
  void TearDown() override {
    if (conn_) conn_->drop_table(table_, true);
  }
  const Quirks& quirks() const { return GetParam().quirks; }

  static std::shared_ptr<Schema> all_types_schema() {
    auto s = std::make_shared<Schema>();
    s->fields = {
        {"id", TypeId::int64, false, ""},
        {"b", TypeId::boolean, true, ""},
        {"i", TypeId::int64, true, ""},
        {"f", TypeId::float64, true, ""},
        {"d", Type(TypeId::decimal, 38, 10), true, ""},
        {"s", TypeId::string, true, ""},
        {"by", TypeId::bytes, true, ""},
        {"dt", TypeId::date, true, ""},
        {"tm", TypeId::time, true, ""},
        {"ts", TypeId::timestamp, true, ""},
        {"tz", TypeId::timestamp_tz, true, ""},
        {"u", TypeId::uuid, true, ""},
        {"j", TypeId::json, true, ""},
    };
    s->primary_key = {"id"};
    return s;
  }

  // The rows of all_types_schema() with each type's edge values (the
  // backend's largest value, NULLs, empty text, the ends of every range).
  Batch edge_rows() const {
    Batch b(all_types_schema());
    std::string big_blob(std::min<size_t>(1 << 20, quirks().max_value_bytes), '\0');
    for (size_t i = 0; i < big_blob.size(); ++i) big_blob[i] = static_cast<char>(i * 31 % 251);
    Uuid u;
    for (int i = 0; i < 16; ++i) u.bytes[i] = static_cast<uint8_t>(i * 17);
    const double inf = std::numeric_limits<double>::infinity();
    b.append_row(std::vector<Value>{int64_t{1}, true, std::numeric_limits<int64_t>::max(), 1.5,
                                    Decimal{"1234567890123456789012345678.0123456789"},
                                    "héllo 世界 🎉 \"quoted\" 'single'", Bytes{big_blob},
                                    Date{19723}, Time{45296789012}, Timestamp{1704067200123456},
                                    TimestampTz{-1}, u, Json{R"({"a":[1,2,{"b":null}],"c":"ü"})"}});
    b.append_row(std::vector<Value>{int64_t{2}, false, std::numeric_limits<int64_t>::min(),
                                    quirks().stores_infinity ? Value(-inf) : Value(-2.25),
                                    Decimal{"-0.0000000001"}, "", Bytes{""}, Date{-719162}, Time{0},
                                    Timestamp{-62135596800000000}, TimestampTz{0}, Uuid{},
                                    Json{"[]"}});
    b.append_row(std::vector<Value>{int64_t{3}, Value(), Value(), Value(), Value(), Value(),
                                    Value(), Value(), Value(), Value(), Value(), Value(), Value()});
    b.append_row(std::vector<Value>{
        int64_t{4}, Value(), int64_t{0}, quirks().stores_infinity ? Value(inf) : Value(0.0),
        Decimal{"0"}, std::string(100000, 'x'), Bytes{std::string("\0\1\2", 3)}, Date{2932896},
        Time{86399999999}, Timestamp{253402300799999999}, TimestampTz{1700000000000000}, u,
        Json{"\"just a string\""}});
    return b;
  }

  // `v` as read back, made comparable with the value written in type
  // `written`: inferred types are compared in the written type (N "1.5" as
  // float64 1.5), and a fixed-scale DECIMAL's padding ("0.0000000000") is
  // cut where the backend pads to the column's scale.
  Value same_value(Value v, Type written) const {
    if (!quirks().exact_describe) v = coerce_value(v, written);
    if (quirks().decimal_keeps_written_scale || !v.holds<Decimal>()) return v;
    std::string t = v.as<Decimal>().text;
    if (t.find('.') != std::string::npos) {
      while (t.back() == '0') t.pop_back();
      if (t.back() == '.') t.pop_back();
    }
    return Value(Decimal{t});
  }

  // Writes `batch` into table_ with `mode` and commits.
  uint64_t write(const Batch& batch, WriteMode mode, std::vector<std::string> key = {}) {
    auto w = conn_->writer(table_, batch.schema(), {mode, std::move(key)});
    w->write(batch);
    return w->commit().rows;
  }

  std::vector<std::vector<Value>> read_all(ScanSpec spec, size_t* batches = nullptr) {
    if (spec.table.empty()) spec.table = table_;
    auto r = conn_->scan(spec);
    std::vector<std::vector<Value>> rows;
    size_t n = 0;
    while (auto b = r->next()) {
      EXPECT_GT(b->num_rows(), 0u) << "readers never return empty batches";
      EXPECT_LE(b->num_rows(), spec.batch_rows);
      ++n;
      for (size_t i = 0; i < b->num_rows(); ++i) rows.push_back(b->row(i));
    }
    if (batches) *batches = n;
    return rows;
  }

  Batch numbers(int64_t from, int64_t to, std::string tag = "v") {
    auto s = std::make_shared<Schema>();
    s->fields = {{"id", TypeId::int64, false, ""},
                 {"grp", TypeId::string, true, ""},
                 {"qty", TypeId::int64, true, ""},
                 {"price", Type(TypeId::decimal, 12, 2), true, ""}};
    s->primary_key = {"id"};
    Batch b(s);
    for (int64_t i = from; i <= to; ++i)
      b.append_row(
          std::vector<Value>{i, i % 7 == 0 ? Value() : Value(tag + std::to_string(i % 3)),
                             i % 11 == 0 ? Value() : Value(i * 10),
                             Decimal{std::to_string(i) + "." + std::to_string(10 + i % 90)}});
    return b;
  }

  std::string url_;
  std::unique_ptr<Connection> conn_;
  std::string table_;
};

}  // namespace polydb::conformance
