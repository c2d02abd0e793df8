#pragma once

// Scenarios of Connection::change_writer that every backend with
// Capabilities::change_writes passes, run by each backend's own tests
// (tests/unit/connectors/sqlite/changes_test.cpp and
// tests/integration/{postgres,mysql,odbc}/changes_test.cpp) against tables
// they name:
// `ref(own_name)` is the text that designates the table `own_name` on the
// connection under test (in the test's own schema, quoted as needed).
//
// ChangeOracle is the reference the differential check compares with: an
// in-memory table that applies changes one by one with the rules of
// include/polydb/connection.hpp (ChangeOptions, ChangeWriter).

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb {

/// Values as text in test failures (NULL, or the type and the text).
inline void PrintTo(const Value& v, std::ostream* os) {
  if (v.is_null())
    *os << "NULL";
  else
    *os << to_string(v.type_id()) << " " << v.to_text();
}

}  // namespace polydb

namespace polydb::change_test {

using TableRef = std::function<std::string(const std::string& own_name)>;

struct Change {
  ChangeOp op;
  std::vector<Value> row;
};
inline Change up(std::vector<Value> row) { return {ChangeOp::upsert, std::move(row)}; }
inline Change rm(std::vector<Value> row) { return {ChangeOp::remove, std::move(row)}; }

inline ChangeBatch make_batch(const std::shared_ptr<const Schema>& schema,
                              const std::vector<Change>& changes) {
  ChangeBatch b{Batch(schema), {}};
  for (const auto& c : changes) {
    b.rows.append_row(c.row);
    b.ops.push_back(c.op);
  }
  return b;
}

/// The key of a row: its key cells' text, joined.
inline std::string key_text(const std::vector<Value>& row, const std::vector<size_t>& key) {
  std::string out;
  for (size_t k : key) out += row[k].to_text() + '\x1f';
  return out;
}

/// A table's rows by key (the columns of `schema`, in its order).
using Rows = std::map<std::string, std::vector<Value>>;

inline Rows read_table(Connection& c, const std::string& table, const Schema& schema,
                       const std::vector<size_t>& key) {
  ScanSpec spec;
  spec.table = table;
  for (const auto& f : schema.fields) spec.columns.push_back(f.name);
  spec.batch_rows = 7;  // several batches
  Rows rows;
  auto reader = c.scan(spec);
  while (auto b = reader->next())
    for (size_t r = 0; r < b->num_rows(); ++r) {
      auto row = b->row(r);
      const std::string k = key_text(row, key);
      EXPECT_TRUE(rows.emplace(k, std::move(row)).second) << "two stored rows with key " << k;
    }
  return rows;
}

inline std::string describe_rows(const Rows& rows) {
  std::string out;
  for (const auto& [k, row] : rows) {
    out += "  (";
    for (size_t i = 0; i < row.size(); ++i)
      out += (i ? ", " : "") + (row[i].is_null() ? std::string("NULL") : row[i].to_text());
    out += ")\n";
  }
  return out;
}

inline ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return ErrorCode::internal;
}

/// The reference: rows by key, changed as the contract says.
class ChangeOracle {
 public:
  ChangeOracle(std::vector<size_t> key, std::optional<size_t> version)
      : key_(std::move(key)), version_(version) {}

  /// One batch: without a version, each change in order; with one, per key
  /// the change with the highest version (the later one on a tie: the
  /// contract's "as its highest version says"), applied conditionally.
  void apply(const std::vector<Change>& batch) {
    if (!version_) {
      for (const auto& c : batch) apply_one(c);
      return;
    }
    std::map<std::string, size_t> winner;
    std::vector<std::string> order;
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string k = key_text(batch[i].row, key_);
      auto [it, fresh] = winner.try_emplace(k, i);
      if (fresh) {
        order.push_back(k);
        continue;
      }
      if (version_of(batch[i].row) >= version_of(batch[it->second].row)) it->second = i;
    }
    for (const auto& k : order) apply_one(batch[winner[k]]);
  }

  const Rows& rows() const { return rows_; }

 private:
  int64_t version_of(const std::vector<Value>& row) const { return row[*version_].as<int64_t>(); }

  void apply_one(const Change& c) {
    const std::string k = key_text(c.row, key_);
    auto it = rows_.find(k);
    const auto stored_version = [&]() -> std::optional<int64_t> {
      const Value& v = it->second[*version_];
      if (v.is_null()) return std::nullopt;
      return v.as<int64_t>();
    };
    if (c.op == ChangeOp::upsert) {
      if (it == rows_.end()) {
        rows_.emplace(k, c.row);
      } else if (!version_ || !stored_version() || *stored_version() < version_of(c.row)) {
        it->second = c.row;
      }
    } else if (it != rows_.end()) {
      if (!version_ || !stored_version() || *stored_version() <= version_of(c.row)) rows_.erase(it);
    }
  }

  std::vector<size_t> key_;
  std::optional<size_t> version_;
  Rows rows_;
};

// --- The scenarios -----------------------------------------------------------

/// id int64 (primary key), v int64 (a version, when options name it), note string.
inline std::shared_ptr<Schema> simple_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"v", TypeId::int64}, {"note", TypeId::string}};
  s->primary_key = {"id"};
  return s;
}

inline Rows simple_rows(Connection& c, const std::string& table) {
  return read_table(c, table, *simple_schema(), {0});
}

inline Rows expect_rows(std::initializer_list<std::vector<Value>> rows) {
  Rows out;
  for (const auto& r : rows) out.emplace(key_text(r, {0}), r);
  return out;
}

inline void upserts_insert_and_replace(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("upserts");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 10, "one"}), up({2, 20, "two"})}));
  w->apply(make_batch(s, {up({2, 21, "two again"}), up({3, nullptr, "three"})}));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 4u);
  EXPECT_EQ(r.removes, 0u);
  EXPECT_EQ(simple_rows(c, t),
            expect_rows({{1, 10, "one"}, {2, 21, "two again"}, {3, nullptr, "three"}}));
}

inline void removes_delete_and_absent_keys_are_fine(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("removes");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 1, "a"}), up({2, 1, "b"}), up({3, 1, "c"})}));
  // A remove reads only the key: its other cells may be NULL, or anything.
  w->apply(make_batch(s, {rm({2, nullptr, nullptr}), rm({42, 9, "not read"})}));
  w->apply(make_batch(s, {rm({2, nullptr, nullptr})}));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 3u);
  EXPECT_EQ(r.removes, 3u);
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 1, "a"}, {3, 1, "c"}}));
}

inline void key_changed_several_times_in_one_batch_ends_as_its_last_change(Connection& c,
                                                                           const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("last_change");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 1, "stored"}), up({2, 1, "stored"})}));
  w->apply(make_batch(s, {
                             up({1, 2, "first"}),
                             rm({1, nullptr, nullptr}),
                             up({1, 3, "last"}),
                             up({2, 2, "gone soon"}),
                             rm({2, nullptr, nullptr}),
                             up({3, 1, "x"}),
                             up({3, 2, "y"}),
                             up({3, 3, "z"}),
                             rm({4, nullptr, nullptr}),
                             up({4, 1, "back"}),
                         }));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 9u);
  EXPECT_EQ(r.removes, 3u);
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 3, "last"}, {3, 3, "z"}, {4, 1, "back"}}));
}

inline void versions_skip_stale_changes(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("versions");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.key = {}, .version_column = "v"});
  w->apply(make_batch(s, {up({1, 5, "v5"}), up({2, 5, "v5"}), up({3, 5, "v5"}), up({4, 5, "v5"}),
                          up({5, 5, "v5"})}));
  w->commit();
  c.execute("UPDATE " + t + " SET v = NULL WHERE id = 5");
  w->apply(make_batch(s, {
                             up({1, 4, "older"}),       // skipped
                             up({2, 5, "equal"}),       // skipped: applied already
                             up({3, 6, "newer"}),       // applied
                             rm({4, 4, nullptr}),       // lower: skipped
                             up({5, 1, "over NULL"}),   // the stored version is NULL
                             up({6, 1, "absent key"}),  // always inserted
                         }));
  w->commit();
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 5, "v5"},
                                            {2, 5, "v5"},
                                            {3, 6, "newer"},
                                            {4, 5, "v5"},
                                            {5, 1, "over NULL"},
                                            {6, 1, "absent key"}}));
  w->apply(make_batch(s, {rm({3, 6, nullptr}), rm({4, 7, nullptr}), rm({1, 4, nullptr})}));
  w->commit();
  c.execute("UPDATE " + t + " SET v = NULL WHERE id = 6");
  w->apply(make_batch(s, {rm({6, 0, nullptr})}));  // the stored version is NULL
  w->commit();
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 5, "v5"}, {2, 5, "v5"}, {5, 1, "over NULL"}}));
}

/// A stream in commit order (versions rise), replayed from the start: the
/// table ends as after the first pass.
inline void replaying_a_stream_twice_gives_the_same_table(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("replay");
  c.create_table(t, *s);
  std::mt19937_64 rng(7);
  std::vector<std::vector<Change>> stream;
  int64_t version = 0;
  for (int b = 0; b < 20; ++b) {
    std::vector<Change> batch;
    for (int i = 0; i < 25; ++i) {
      const int64_t id = static_cast<int64_t>(rng() % 15);
      ++version;
      if (rng() % 3 == 0)
        batch.push_back(rm({id, version, nullptr}));
      else
        batch.push_back(up({id, version, "at " + std::to_string(version)}));
    }
    stream.push_back(std::move(batch));
  }
  auto w = c.change_writer(t, *s, {.key = {}, .version_column = "v"});
  for (const auto& b : stream) w->apply(make_batch(s, b));
  w->commit();
  const Rows once = simple_rows(c, t);
  EXPECT_FALSE(once.empty());
  for (const auto& b : stream) w->apply(make_batch(s, b));
  w->commit();
  EXPECT_EQ(simple_rows(c, t), once);
  // Replaying from the middle ends right too.
  for (size_t b = stream.size() / 2; b < stream.size(); ++b) w->apply(make_batch(s, stream[b]));
  w->commit();
  EXPECT_EQ(simple_rows(c, t), once);
}

inline void abort_rolls_back(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("aborted");
  c.create_table(t, *s);
  {
    auto w = c.change_writer(t, *s, {});
    w->apply(make_batch(s, {up({1, 1, "kept"}), up({2, 1, "kept"})}));
    w->commit();
    w->apply(make_batch(s, {up({1, 2, "changed"}), rm({2, nullptr, nullptr}), up({3, 1, "new"})}));
    w->abort();
    w->abort();  // safe twice
    EXPECT_EQ(code_of([&] {
                w->apply(make_batch(s, {up({4, 1, "late"})}));
              }),
              ErrorCode::invalid_argument)
        << "the writer is unusable after abort()";
  }
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 1, "kept"}, {2, 1, "kept"}}));
  {
    // Destroyed without commit(): rolled back as well.
    auto w = c.change_writer(t, *s, {});
    w->apply(make_batch(s, {rm({1, nullptr, nullptr})}));
  }
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 1, "kept"}, {2, 1, "kept"}}));
}

/// `other` is a second connection to the same database: it sees what the
/// first commit made visible and nothing of the second transaction before
/// the second commit.
inline void commit_then_more_changes_then_commit(Connection& c, Connection& other,
                                                 const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("two_txns");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 1, "first"}), up({2, 1, "first"})}));
  EXPECT_TRUE(simple_rows(other, t).empty()) << "nothing is visible before the first commit";
  ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 2u);
  w->apply(make_batch(s, {up({1, 2, "second"}), rm({2, nullptr, nullptr})}));
  EXPECT_EQ(simple_rows(other, t), expect_rows({{1, 1, "first"}, {2, 1, "first"}}))
      << "the second transaction is not visible before its commit";
  r = w->commit();
  EXPECT_EQ(r.upserts, 3u) << "cumulative";
  EXPECT_EQ(r.removes, 1u);
  EXPECT_EQ(simple_rows(other, t), expect_rows({{1, 2, "second"}}));
  EXPECT_EQ(w->commit().upserts, 3u) << "a commit with nothing applied";
}

inline void composite_keys(Connection& c, const TableRef& ref) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"tenant", TypeId::string, false},
               {"seq", TypeId::int64, false},
               {"v", TypeId::int64},
               {"amount", TypeId::float64}};
  s->primary_key = {"tenant", "seq"};
  const std::string t = ref("composite");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.key = {"seq", "tenant"}, .version_column = "v"});
  w->apply(make_batch(
      s, {up({"a", 1, 1, 1.5}), up({"a", 2, 1, 2.5}), up({"b", 1, 1, 3.5}), up({"b", 2, 1, 4.5})}));
  w->apply(make_batch(s, {up({"a", 1, 2, -1.0}), rm({"b", 1, 3, nullptr}), up({"b", 2, 0, 99.0}),
                          rm({"a", 2, 0, nullptr}), rm({"c", 1, 9, nullptr})}));
  w->commit();
  Rows want;
  for (const std::vector<Value>& r :
       std::vector<std::vector<Value>>{{"a", 1, 2, -1.0}, {"a", 2, 1, 2.5}, {"b", 2, 1, 4.5}})
    want.emplace(key_text(r, {0, 1}), r);
  EXPECT_EQ(read_table(c, t, *s, {0, 1}), want);
}

/// Column names with the quotes of every SQL dialect (", `, [ ]), dots and
/// spaces, key and version included, in a table named oddly too.
inline void odd_column_names(Connection& c, const TableRef& ref) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"the \"id\" `k`]. 1", TypeId::int64, false},
               {"ver.sion'`", TypeId::int64},
               {"it's a [note]", TypeId::string},
               {"excluded", TypeId::string}};
  s->primary_key = {"the \"id\" `k`]. 1"};
  const std::string t = ref("odd \"t\"`x");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.key = {}, .version_column = "ver.sion'`"});
  w->apply(make_batch(s, {up({1, 1, "a", "x"}), up({2, 1, "b", "y"}), up({3, 1, "c", "z"})}));
  w->apply(make_batch(
      s, {up({1, 2, "a2", "x2"}), up({2, 0, "stale", "stale"}), rm({3, 1, nullptr, nullptr})}));
  w->commit();
  Rows want;
  for (const std::vector<Value>& r :
       std::vector<std::vector<Value>>{{1, 2, "a2", "x2"}, {2, 1, "b", "y"}})
    want.emplace(key_text(r, {0}), r);
  EXPECT_EQ(read_table(c, t, *s, {0}), want);
}

inline void nulls_in_non_key_columns(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("nulls");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 1, "set"}), up({2, nullptr, nullptr})}));
  w->apply(make_batch(s, {up({1, nullptr, nullptr}), up({2, 2, "now set"})}));
  w->commit();
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, nullptr, nullptr}, {2, 2, "now set"}}));
}

inline void bad_changes_are_invalid_arguments(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("bad_changes");
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.key = {}, .version_column = "v"});
  std::string message;
  EXPECT_EQ(code_of(
                [&] {
                  w->apply(make_batch(s, {up({1, 1, "ok"}), up({nullptr, 1, "x"})}));
                },
                &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("'id'"), std::string::npos) << message;
  auto w2 = c.change_writer(t, *s, {.key = {}, .version_column = "v"});
  EXPECT_EQ(code_of([&] {
              w2->apply(make_batch(s, {up({1, nullptr, "no version"})}));
            }),
            ErrorCode::invalid_argument);
  auto w3 = c.change_writer(t, *s, {});
  ChangeBatch mismatched = make_batch(s, {up({1, 1, "x"})});
  mismatched.ops.push_back(ChangeOp::remove);
  EXPECT_EQ(code_of([&] { w3->apply(mismatched); }), ErrorCode::invalid_argument);
  w3.reset();
  w2.reset();
  EXPECT_TRUE(simple_rows(c, t).empty());
  // A refused batch sent nothing: the writer goes on.
  w->apply(make_batch(s, {up({1, 1, "ok"})}));
  w->commit();
  w.reset();
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 1, "ok"}}));
}

/// A key must be one the table knows as unique (its primary key or a unique
/// index on exactly those columns). `create(t)` creates table `t` as
/// (id int64, code int64, name string) with a unique index on (code) and no
/// primary key: the DDL differs per backend.
inline void keys_must_be_unique(Connection& c, const TableRef& ref,
                                const std::function<void(const std::string&)>& create) {
  const std::string t = ref("unique_keys");
  create(t);
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64}, {"code", TypeId::int64}, {"name", TypeId::string}};
  std::string message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {}); }, &message), ErrorCode::invalid_argument)
      << "no key named and no primary key";
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {.key = {"id"}, .version_column = ""}); },
                    &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("unique"), std::string::npos) << message;
  auto w = c.change_writer(t, *s, {.key = {"code"}, .version_column = ""});
  w->apply(make_batch(s, {up({1, 100, "a"}), up({2, 200, "b"})}));
  w->apply(make_batch(s, {up({3, 100, "A"}), rm({nullptr, 200, nullptr})}));
  w->commit();
  Rows want;
  const std::vector<Value> left = {3, 100, "A"};
  want.emplace(key_text(left, {1}), left);
  EXPECT_EQ(read_table(c, t, *s, {1}), want);
}

inline void opening_checks_table_and_columns(Connection& c, const TableRef& ref) {
  const auto s = simple_schema();
  const std::string t = ref("opening");
  std::string message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {}); }, &message), ErrorCode::not_found);
  EXPECT_NE(message.find("opening"), std::string::npos) << message;
  c.create_table(t, *s);
  auto wider = std::make_shared<Schema>(*s);
  wider->fields.push_back({"missing_col", TypeId::string});
  EXPECT_EQ(code_of([&] { c.change_writer(t, *wider, {}); }, &message), ErrorCode::not_found);
  EXPECT_NE(message.find("missing_col"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {.key = {"nope"}, .version_column = ""}); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {.key = {}, .version_column = "note"}); }),
            ErrorCode::invalid_argument)
      << "a version column that is not int64";
  // A subset of the table's columns: the others keep their stored values.
  auto narrow = std::make_shared<Schema>();
  narrow->fields = {{"id", TypeId::int64, false}, {"note", TypeId::string}};
  narrow->primary_key = {"id"};
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up({1, 7, "a"})}));
  w->commit();
  w.reset();
  auto wn = c.change_writer(t, *narrow, {});
  wn->apply(make_batch(narrow, {up({1, "b"}), up({2, "c"})}));
  wn->commit();
  EXPECT_EQ(simple_rows(c, t), expect_rows({{1, 7, "b"}, {2, nullptr, "c"}}));
}

/// Every polydb type the backend's writer writes, upserted twice and read back.
inline void every_type_round_trips(Connection& c, const TableRef& ref) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false}, {"b", TypeId::boolean},
               {"f", TypeId::float64},       {"d", Type(TypeId::decimal, 12, 3)},
               {"s", TypeId::string},        {"by", TypeId::bytes},
               {"dt", TypeId::date},         {"tm", TypeId::time},
               {"ts", TypeId::timestamp},    {"tz", TypeId::timestamp_tz},
               {"u", TypeId::uuid},          {"j", TypeId::json}};
  s->primary_key = {"id"};
  const std::string t = ref("all_types");
  c.create_table(t, *s);
  Uuid u1, u2;
  for (uint8_t i = 0; i < 16; ++i) {
    u1.bytes[i] = static_cast<uint8_t>(i * 17);
    u2.bytes[i] = static_cast<uint8_t>(255 - i);
  }
  const std::vector<Value> a = {1,
                                true,
                                0.1,
                                Decimal{"-12345.678"},
                                "héllo ✓",
                                Bytes{std::string("\0\x01\xff", 3)},
                                Date{19000},
                                Time{45296789012},
                                Timestamp{1700000000123456},
                                TimestampTz{-86400000001},
                                u1,
                                Json{"{\"a\":[1,2]}"}};
  const std::vector<Value> b = {1,
                                false,
                                -2.5e300,
                                Decimal{"0.001"},
                                "",
                                Bytes{""},
                                Date{-719162},
                                Time{0},
                                Timestamp{-62135596800000000},
                                TimestampTz{253402300799999999},
                                u2,
                                Json{"[]"}};
  const std::vector<Value> nulls = {2,       nullptr, nullptr, nullptr, nullptr, nullptr,
                                    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
  auto w = c.change_writer(t, *s, {});
  w->apply(make_batch(s, {up(a), up(nulls)}));
  w->commit();
  Rows want;
  want.emplace(key_text(a, {0}), a);
  want.emplace(key_text(nulls, {0}), nulls);
  EXPECT_EQ(read_table(c, t, *s, {0}), want);
  w->apply(make_batch(s, {up(b)}));
  w->commit();
  want[key_text(b, {0})] = b;
  EXPECT_EQ(read_table(c, t, *s, {0}), want);
  // Keys of other types: a remove finds the row by its stored encoding.
  auto keyed = std::make_shared<Schema>();
  keyed->fields = {{"dt", TypeId::date, false}, {"u", TypeId::uuid, false}, {"n", TypeId::string}};
  keyed->primary_key = {"dt", "u"};
  const std::string t2 = ref("typed_keys");
  c.create_table(t2, *keyed);
  auto w2 = c.change_writer(t2, *keyed, {});
  w2->apply(make_batch(keyed, {up({Date{1}, u1, "x"}), up({Date{1}, u2, "y"})}));
  w2->apply(make_batch(keyed, {rm({Date{1}, u1, nullptr}), up({Date{1}, u2, "z"})}));
  w2->commit();
  Rows want2;
  const std::vector<Value> left = {Date{1}, u2, "z"};
  want2.emplace(key_text(left, {0, 1}), left);
  EXPECT_EQ(read_table(c, t2, *keyed, {0, 1}), want2);
}

/// The differential check: a random stream of `count` changes (fixed seed,
/// keys from a small range, random ops, versions and batch sizes, a commit
/// every four batches) applied through the writer, against ChangeOracle,
/// compared at each commit.
inline void matches_the_oracle(Connection& c, const TableRef& ref, bool versioned,
                               uint64_t seed = 20240615, size_t count = 2000) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false},
               {"part", TypeId::string, false},
               {"ver", TypeId::int64},
               {"note", TypeId::string},
               {"n", TypeId::int64}};
  s->primary_key = {"id", "part"};
  const std::vector<size_t> key = {0, 1};
  const std::string t = ref(versioned ? "oracle_versioned" : "oracle_plain");
  c.create_table(t, *s);
  ChangeOracle oracle(key, versioned ? std::optional<size_t>(2) : std::nullopt);
  auto w = c.change_writer(t, *s, {.key = {}, .version_column = versioned ? "ver" : ""});
  std::mt19937_64 rng(seed);
  const auto pick = [&](uint64_t n) { return rng() % n; };
  static const char* const kParts[] = {"a", "b", "c"};
  static const char* const kNotes[] = {"x", "y", "", "z z"};
  size_t made = 0;
  uint64_t batches = 0;
  ChangeResult expect;
  while (made < count) {
    const size_t size = std::min<size_t>(1 + pick(150), count - made);
    std::vector<Change> batch;
    for (size_t i = 0; i < size; ++i) {
      const Value id = static_cast<int64_t>(pick(12));
      const Value part = kParts[pick(3)];
      const Value ver = static_cast<int64_t>(pick(40));
      if (pick(10) < 3) {
        batch.push_back(rm({id, part, versioned ? ver : Value(), nullptr, nullptr}));
      } else {
        const Value note = pick(5) == 0 ? Value() : Value(kNotes[pick(4)]);
        const Value n = pick(4) == 0 ? Value() : Value(static_cast<int64_t>(rng()));
        batch.push_back(up({id, part, versioned || pick(6) ? ver : Value(), note, n}));
      }
    }
    made += size;
    w->apply(make_batch(s, batch));
    oracle.apply(batch);
    for (const auto& ch : batch) ++(ch.op == ChangeOp::upsert ? expect.upserts : expect.removes);
    if (++batches % 4 == 0) {
      const ChangeResult r = w->commit();
      EXPECT_EQ(r.upserts, expect.upserts);
      EXPECT_EQ(r.removes, expect.removes);
      ASSERT_EQ(read_table(c, t, *s, key), oracle.rows()) << "after " << made << " changes";
    }
  }
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, expect.upserts);
  EXPECT_EQ(r.removes, expect.removes);
  EXPECT_EQ(r.upserts + r.removes, count);
  const Rows got = read_table(c, t, *s, key);
  EXPECT_GT(oracle.rows().size(), 3u) << "the stream leaves rows behind";
  EXPECT_EQ(got, oracle.rows()) << "table:\n"
                                << describe_rows(got) << "oracle:\n"
                                << describe_rows(oracle.rows());
}

}  // namespace polydb::change_test
