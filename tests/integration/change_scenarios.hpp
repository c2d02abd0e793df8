#pragma once

// Change-writer scenarios (Connection::change_writer) shared by the
// integration tests of the SQL backends: each takes a connection, a second
// one to the same database (to see what others see), and a fresh table name
// that the caller drops afterwards. The differential check applies a seeded
// random change stream and compares the table with an in-memory oracle that
// applies the same rules one change at a time.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::changetest {

using Row = std::vector<Value>;

/// id int64 (primary key), name string, qty int64 and, with `version`, ver int64.
inline std::shared_ptr<Schema> simple_schema(bool version) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""}};
  if (version) s->fields.push_back({"ver", TypeId::int64, true, ""});
  s->primary_key = {"id"};
  return s;
}

/// A change batch of `rows` (each with its op).
inline ChangeBatch changes(const std::shared_ptr<Schema>& schema,
                           const std::vector<std::pair<ChangeOp, Row>>& rows) {
  ChangeBatch b{Batch(schema), {}};
  for (const auto& [op, row] : rows) {
    b.rows.append_row(row);
    b.ops.push_back(op);
  }
  return b;
}

constexpr ChangeOp U = ChangeOp::upsert;
constexpr ChangeOp R = ChangeOp::remove;

/// Every row of `table`, ordered by `order`.
inline std::vector<Row> rows_of(Connection& c, const std::string& table,
                                const std::vector<std::string>& order = {"id"}) {
  ScanSpec spec{.table = table};
  for (const auto& o : order) spec.order_by.push_back({o});
  auto r = c.scan(spec);
  std::vector<Row> out;
  while (auto b = r->next())
    for (size_t i = 0; i < b->num_rows(); ++i) out.push_back(b->row(i));
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

inline void upserts_insert_and_replace(Connection& c, const std::string& t) {
  auto s = simple_schema(false);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {1, "a", 10}}, {U, {2, "b", 20}}, {U, {3, "c", nullptr}}}));
  ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 3u);
  EXPECT_EQ(r.removes, 0u);
  w->apply(changes(s, {{U, {2, "B", nullptr}}, {U, {3, nullptr, 33}}, {U, {4, "d", 40}}}));
  r = w->commit();
  EXPECT_EQ(r.upserts, 6u);
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "a", 10},
                                             {2, "B", nullptr},
                                             {3, nullptr, 33},
                                             {4, "d", 40}}));
}

inline void removes_delete_and_absent_keys_are_fine(Connection& c, const std::string& t) {
  auto s = simple_schema(false);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {1, "a", 1}}, {U, {2, "b", 2}}, {U, {3, "c", 3}}}));
  w->commit();
  // A remove reads only the key: its other cells may be anything, NULL included.
  w->apply(changes(s, {{R, {2, nullptr, nullptr}}, {R, {99, "x", 5}}, {R, {3, "other", 0}}}));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.removes, 3u);
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "a", 1}}));
}

inline void last_change_in_a_batch_wins(Connection& c, const std::string& t) {
  auto s = simple_schema(false);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {5, "stored", 5}}}));
  w->apply(changes(s, {{U, {1, "a", 1}},
                       {U, {1, "b", 2}},
                       {R, {2, nullptr, nullptr}},
                       {U, {2, "c", 3}},
                       {U, {3, "d", 4}},
                       {R, {3, nullptr, nullptr}},
                       {R, {5, nullptr, nullptr}},
                       {U, {5, "again", 6}},
                       {U, {1, "last", 7}}}));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 7u);
  EXPECT_EQ(r.removes, 3u);
  EXPECT_EQ(rows_of(c, t),
            (std::vector<Row>{{1, "last", 7}, {2, "c", 3}, {5, "again", 6}}));
}

inline void versions_decide(Connection& c, const std::string& t) {
  auto s = simple_schema(true);
  c.create_table(t, *s);
  {
    // Row 4 stored without a version: any versioned change replaces it.
    auto plain = c.change_writer(t, *s, {});
    plain->apply(changes(s, {{U, {4, "unversioned", 4, nullptr}}}));
    plain->commit();
  }
  auto w = c.change_writer(t, *s, {.version_column = "ver"});
  w->apply(changes(s, {{U, {1, "a", 1, 10}}, {U, {2, "b", 2, 10}}, {U, {3, "c", 3, 10}}}));
  w->commit();
  w->apply(changes(s, {{U, {1, "older", 0, 5}},     // skipped
                       {U, {2, "equal", 0, 10}},    // skipped: applied already
                       {U, {3, "newer", 33, 11}},   // applied: every column, version last
                       {U, {4, "versioned", 44, 1}},
                       {R, {5, nullptr, nullptr, 1}},  // absent: nothing
                       {U, {6, "new key", 6, 3}}}));
  w->commit();
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "a", 1, 10},
                                             {2, "b", 2, 10},
                                             {3, "newer", 33, 11},
                                             {4, "versioned", 44, 1},
                                             {6, "new key", 6, 3}}));
  w->apply(changes(s, {{R, {1, nullptr, nullptr, 9}},     // lower: skipped
                       {R, {3, nullptr, nullptr, 11}},    // equal: deleted
                       {R, {6, nullptr, nullptr, 100}}}));  // higher: deleted
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 8u);
  EXPECT_EQ(r.removes, 4u);
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "a", 1, 10},
                                             {2, "b", 2, 10},
                                             {4, "versioned", 44, 1}}));
}

inline void abort_rolls_back(Connection& c, const std::string& t) {
  auto s = simple_schema(false);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {1, "kept", 1}}, {U, {2, "kept", 2}}}));
  w->commit();
  w->apply(changes(s, {{U, {1, "gone", 1}}, {R, {2, nullptr, nullptr}}, {U, {3, "gone", 3}}}));
  w->abort();
  w->abort();  // twice is fine
  EXPECT_EQ(code_of([&] { w->apply(changes(s, {{U, {4, "x", 4}}})); }),
            ErrorCode::invalid_argument);
  w.reset();
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "kept", 1}, {2, "kept", 2}}));
  // Destroying a writer without commit() rolls back too.
  {
    auto w2 = c.change_writer(t, *s, {});
    w2->apply(changes(s, {{R, {1, nullptr, nullptr}}}));
  }
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "kept", 1}, {2, "kept", 2}}));
}

/// `other` sees the changes only once they are committed.
inline void two_commits_on_one_writer(Connection& c, Connection& other, const std::string& t) {
  auto s = simple_schema(false);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {1, "a", 1}}}));
  EXPECT_EQ(rows_of(other, t).size(), 0u);
  ChangeResult r = w->commit();
  EXPECT_EQ(rows_of(other, t), (std::vector<Row>{{1, "a", 1}}));
  w->apply(changes(s, {{U, {2, "b", 2}}, {R, {1, nullptr, nullptr}}}));
  EXPECT_EQ(rows_of(other, t), (std::vector<Row>{{1, "a", 1}}));
  r = w->commit();
  EXPECT_EQ(r.upserts, 2u);
  EXPECT_EQ(r.removes, 1u);
  EXPECT_EQ(rows_of(other, t), (std::vector<Row>{{2, "b", 2}}));
}

inline void composite_keys(Connection& c, const std::string& t) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"region", TypeId::string, false, ""},
               {"n", TypeId::int64, false, ""},
               {"v", TypeId::string, true, ""}};
  s->primary_key = {"region", "n"};
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {});
  w->apply(changes(s, {{U, {"eu", 1, "a"}}, {U, {"us", 1, "b"}}, {U, {"eu", 2, "c"}}}));
  w->apply(changes(s, {{U, {"us", 1, "B"}}, {R, {"eu", 2, nullptr}}, {R, {"us", 2, nullptr}},
                       {U, {"eu", 3, nullptr}}}));
  w->commit();
  EXPECT_EQ(rows_of(c, t, {"region", "n"}),
            (std::vector<Row>{{"eu", 1, "a"}, {"eu", 3, nullptr}, {"us", 1, "B"}}));
}

/// Names with quotes of every SQL dialect, blanks and a dot, key and version included.
inline void odd_column_names(Connection& c, const std::string& t) {
  const std::string key = "k`e\"y]. 1", val = "va`l\"ue [x]", ver = "v'e\"r`";
  auto s = std::make_shared<Schema>();
  s->fields = {{key, TypeId::int64, false, ""},
               {val, TypeId::string, true, ""},
               {ver, TypeId::int64, true, ""}};
  s->primary_key = {key};
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.version_column = ver});
  w->apply(changes(s, {{U, {1, "a", 1}}, {U, {2, "b", 1}}}));
  w->apply(changes(s, {{U, {1, "A", 2}}, {R, {2, nullptr, 1}}, {U, {3, "c", 1}}}));
  w->commit();
  EXPECT_EQ(rows_of(c, t, {key}), (std::vector<Row>{{1, "A", 2}, {3, "c", 1}}));
}

inline void null_key_is_invalid(Connection& c, const std::string& t) {
  auto s = simple_schema(true);
  c.create_table(t, *s);
  auto w = c.change_writer(t, *s, {.version_column = "ver"});
  std::string message;
  EXPECT_EQ(code_of([&] { w->apply(changes(s, {{U, {1, "a", 1, 1}}, {U, {nullptr, "b", 2, 1}}})); },
                    &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("id"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { w->apply(changes(s, {{U, {1, "a", 1, nullptr}}})); }),
            ErrorCode::invalid_argument);
  ChangeBatch mismatched = changes(s, {{U, {1, "a", 1, 1}}});
  mismatched.ops.push_back(R);
  EXPECT_EQ(code_of([&] { w->apply(mismatched); }), ErrorCode::invalid_argument);
  // A refused batch sent nothing: the writer goes on.
  w->apply(changes(s, {{U, {1, "a", 1, 1}}}));
  w->commit();
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{1, "a", 1, 1}}));
}

/// `t` is created without a primary key and with a unique index on `code`
/// by the caller's `create` (SQL differs per backend).
inline void keys_must_be_unique(Connection& c, const std::string& t,
                                const std::function<void()>& create) {
  create();  // (id int, code int, name text), UNIQUE (code), no primary key
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, true, ""},
               {"code", TypeId::int64, true, ""},
               {"name", TypeId::string, true, ""}};
  std::string message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {}); }, &message), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {.key = {"id"}}); }, &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("unique"), std::string::npos) << message;
  auto w = c.change_writer(t, *s, {.key = {"code"}});
  w->apply(changes(s, {{U, {1, 100, "a"}}, {U, {2, 200, "b"}}}));
  w->apply(changes(s, {{U, {3, 100, "A"}}, {R, {nullptr, 200, nullptr}}}));
  w->commit();
  EXPECT_EQ(rows_of(c, t), (std::vector<Row>{{3, 100, "A"}}));
}

inline void missing_table_or_column(Connection& c, const std::string& t) {
  auto s = simple_schema(false);
  std::string message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {}); }, &message), ErrorCode::not_found);
  EXPECT_NE(message.find(t), std::string::npos) << message;
  c.create_table(t, *s);
  auto more = std::make_shared<Schema>(*s);
  more->fields.push_back({"extra", TypeId::int64, true, ""});
  EXPECT_EQ(code_of([&] { c.change_writer(t, *more, {}); }, &message), ErrorCode::not_found);
  EXPECT_NE(message.find("extra"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] { c.change_writer(t, *s, {.version_column = "name"}); }),
            ErrorCode::invalid_argument);
}

/// The oracle: changes one at a time, as the contract states them. Within
/// one batch a removed key remembers the remove's version (a remove leaves
/// none behind across batches), so that a key's change with the highest
/// version decides, as ChangeWriter promises for a batch.
class Oracle {
 public:
  explicit Oracle(bool versioned) : versioned_(versioned) {}

  void apply(const std::vector<std::pair<ChangeOp, Row>>& batch) {
    std::map<int64_t, int64_t> removed;  // key -> version of the remove, this batch only
    for (const auto& [op, row] : batch) {
      const int64_t key = row[0].as<int64_t>();
      const auto stored = rows_.find(key);
      if (!versioned_) {
        if (op == ChangeOp::upsert)
          rows_[key] = row;
        else if (stored != rows_.end())
          rows_.erase(stored);
        continue;
      }
      const int64_t v = row[3].as<int64_t>();
      if (op == ChangeOp::upsert) {
        if (stored != rows_.end()) {
          if (stored->second[3].is_null() || stored->second[3].as<int64_t>() < v)
            stored->second = row;
        } else if (auto gone = removed.find(key); gone == removed.end() || gone->second < v) {
          rows_[key] = row;
          removed.erase(key);
        }
      } else {
        if (stored != rows_.end()) {
          if (stored->second[3].is_null() || stored->second[3].as<int64_t>() <= v) {
            rows_.erase(stored);
            removed[key] = v;
          }
        } else {
          removed[key] = std::max(v, removed.count(key) ? removed[key] : v);
        }
      }
    }
  }

  std::vector<Row> rows() const {
    std::vector<Row> out;
    for (const auto& [k, r] : rows_) out.push_back(r);
    return out;
  }

 private:
  bool versioned_;
  std::map<int64_t, Row> rows_;
};

/// A seeded random stream of `total` changes over 40 keys in random-size
/// batches, applied by the writer and by the Oracle; commits every few
/// batches and compares the table with the oracle each time. Versions are
/// distinct (random around the stream position), so stale changes abound.
inline void differential(Connection& c, const std::string& t, bool versioned,
                         size_t total = 2000) {
  auto s = simple_schema(true);
  c.create_table(t, *s);
  std::mt19937_64 rng(versioned ? 20240607 : 7);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto w = c.change_writer(t, *s, {.version_column = versioned ? "ver" : ""});
  Oracle oracle(versioned);
  ChangeResult expect;
  size_t done = 0, batches = 0;
  while (done < total) {
    const size_t n = std::min<size_t>(total - done, static_cast<size_t>(pick(1, 150)));
    std::vector<std::pair<ChangeOp, Row>> batch;
    for (size_t i = 0; i < n; ++i) {
      const int64_t pos = static_cast<int64_t>(done + i);
      // Distinct: the low 12 bits hold the position (total < 4096).
      const int64_t version = (pos + pick(-300, 300)) * 4096 + pos;
      const ChangeOp op = pick(0, 99) < 70 ? U : R;
      Row row{pick(0, 39),
              pick(0, 9) == 0 ? Value() : Value("n" + std::to_string(pos)),
              pick(0, 9) == 0 ? Value() : Value(pick(-1000, 1000)),
              versioned ? Value(version) : (pick(0, 3) == 0 ? Value() : Value(pos))};
      if (op == R) row[1] = row[2] = Value();
      batch.emplace_back(op, std::move(row));
      ++(op == U ? expect.upserts : expect.removes);
    }
    w->apply(changes(s, batch));
    oracle.apply(batch);
    done += n;
    if (++batches % 4 == 0 || done == total) {
      const ChangeResult r = w->commit();
      EXPECT_EQ(r.upserts, expect.upserts);
      EXPECT_EQ(r.removes, expect.removes);
      ASSERT_EQ(rows_of(c, t), oracle.rows()) << "after " << done << " changes";
    }
  }
  EXPECT_GT(oracle.rows().size(), 5u);  // the stream leaves something to compare
}

/// The same stream applied twice (a replay) leaves the same table.
inline void replay_twice(Connection& c, const std::string& t) {
  auto s = simple_schema(true);
  c.create_table(t, *s);
  std::mt19937_64 rng(99);
  std::vector<ChangeBatch> stream;
  for (int b = 0, pos = 0; b < 10; ++b) {
    std::vector<std::pair<ChangeOp, Row>> rows;
    for (int i = 0; i < 50; ++i, ++pos) {
      const bool up = rng() % 4 != 0;
      rows.push_back({up ? U : R,
                      {static_cast<int64_t>(rng() % 30), up ? Value("p" + std::to_string(pos)) : Value(),
                       Value(), Value(int64_t{pos})}});
    }
    stream.push_back(changes(s, rows));
  }
  auto w = c.change_writer(t, *s, {.version_column = "ver"});
  for (const auto& b : stream) w->apply(b);
  w->commit();
  const std::vector<Row> once = rows_of(c, t);
  EXPECT_GT(once.size(), 3u);
  for (const auto& b : stream) w->apply(b);
  w->commit();
  EXPECT_EQ(rows_of(c, t), once);
}

}  // namespace polydb::changetest
