#pragma once

// Change-batch scenarios (Connection::change_writer) that the document
// stores' integration tests run against their emulators
// (tests/integration/{dynamodb,cosmos,firestore}/changes_test.cpp): each
// backend's file owns its fixture (server, table naming, clean-up) and calls
// these on a table that exists and is empty. Rows are (k int64 key, name
// string, qty int64 nullable[, v int64 version]); read back through scan().

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::changetest {

/// One change of a (k, name, qty, v) row.
struct Change {
  ChangeOp op = ChangeOp::upsert;
  int64_t k = 0;
  std::string name;
  std::optional<int64_t> qty;
  int64_t v = 0;
};

/// What a key holds after the changes.
struct Stored {
  std::string name;
  std::optional<int64_t> qty;
  std::optional<int64_t> v;
  friend bool operator==(const Stored&, const Stored&) = default;
};
using Contents = std::map<int64_t, Stored>;

inline std::ostream& operator<<(std::ostream& os, const Stored& s) {
  os << "{" << s.name << ", " << (s.qty ? std::to_string(*s.qty) : "NULL") << ", v"
     << (s.v ? std::to_string(*s.v) : "NULL") << "}";
  return os;
}

/// (k key, name, qty[, v]): with_qty false leaves qty out (a narrower row).
inline std::shared_ptr<Schema> row_schema(bool with_version, bool with_qty = true) {
  auto s = std::make_shared<Schema>();
  s->fields.push_back({"k", TypeId::int64, false, ""});
  s->fields.push_back({"name", TypeId::string, true, ""});
  if (with_qty) s->fields.push_back({"qty", TypeId::int64, true, ""});
  if (with_version) s->fields.push_back({"v", TypeId::int64, true, ""});
  s->primary_key = {"k"};
  return s;
}

inline ChangeBatch to_batch(const std::shared_ptr<Schema>& schema,
                            std::span<const Change> changes) {
  ChangeBatch b{Batch(schema), {}};
  for (const Change& c : changes) {
    std::vector<Value> row;
    for (const Field& f : schema->fields) {
      if (f.name == "k")
        row.emplace_back(c.k);
      else if (f.name == "name")
        row.push_back(c.op == ChangeOp::remove ? Value() : Value(c.name));
      else if (f.name == "qty")
        row.push_back(c.qty && c.op == ChangeOp::upsert ? Value(*c.qty) : Value());
      else
        row.emplace_back(c.v);
    }
    b.rows.append_row(row);
    b.ops.push_back(c.op);
  }
  return b;
}

inline std::optional<int64_t> as_int(const Value& v) {
  if (v.is_null()) return std::nullopt;
  return std::stoll(v.to_text());
}

/// The table's rows by k, read through scan().
inline Contents read_back(Connection& conn, const std::string& table) {
  Contents out;
  if (conn.backend() == "firestore") {
    // An empty collection does not exist: scan() would fail with not_found.
    auto n = conn.count_rows(table);
    if (n && *n == 0) return out;
  }
  ScanSpec spec;
  spec.table = table;
  spec.batch_rows = 100;  // several batches for the larger tables
  auto reader = conn.scan(spec);
  while (auto b = reader->next()) {
    const Schema& s = b->schema();
    const auto col = [&](std::string_view name) { return s.index_of(name); };
    for (size_t r = 0; r < b->num_rows(); ++r) {
      Stored row;
      const auto k = as_int(b->column(*col("k")).value_at(r));
      if (auto c = col("name")) {
        const Value v = b->column(*c).value_at(r);
        row.name = v.is_null() ? "" : v.to_text();
      }
      if (auto c = col("qty")) row.qty = as_int(b->column(*c).value_at(r));
      if (auto c = col("v")) row.v = as_int(b->column(*c).value_at(r));
      if (!k) {
        ADD_FAILURE() << "a row of " << table << " has no k";
        continue;
      }
      EXPECT_TRUE(out.emplace(*k, row).second) << "key " << *k << " read twice";
    }
  }
  return out;
}

/// Applies `changes` as one batch and commits.
inline ChangeResult apply(Connection& conn, const std::string& table,
                          const std::shared_ptr<Schema>& schema, std::span<const Change> changes,
                          const ChangeOptions& options = {}) {
  auto w = conn.change_writer(table, *schema, options);
  w->apply(to_batch(schema, changes));
  return w->commit();
}

/// What applying `c` does to `contents`, as ChangeOptions says.
inline void oracle_apply(Contents& contents, const Change& c, bool versioned) {
  auto it = contents.find(c.k);
  if (c.op == ChangeOp::upsert) {
    if (versioned && it != contents.end() && it->second.v && *it->second.v >= c.v) return;
    contents[c.k] = {c.name, c.qty, versioned ? std::optional<int64_t>(c.v) : std::nullopt};
  } else if (it != contents.end()) {
    if (versioned && it->second.v && *it->second.v > c.v) return;
    contents.erase(it);
  }
}

/// What applying one batch does, as ChangeWriter says: without versions,
/// each key ends as its last change; with versions, as its change of the
/// highest version (the later one on a tie), applied conditionally. (Not
/// quite one by one: a remove followed by an older upsert of the same key in
/// one batch leaves the key removed, where one by one the upsert would
/// insert it again, a remove keeping no version behind.)
inline void oracle_apply_batch(Contents& contents, std::span<const Change> batch, bool versioned) {
  if (!versioned) {
    for (const Change& c : batch) oracle_apply(contents, c, false);
    return;
  }
  std::map<int64_t, const Change*> winner;
  for (const Change& c : batch) {
    auto [it, fresh] = winner.try_emplace(c.k, &c);
    if (!fresh && c.v >= it->second->v) it->second = &c;
  }
  for (const auto& [k, c] : winner) oracle_apply(contents, *c, true);
}

inline void upserts_insert_and_replace(Connection& conn, const std::string& table) {
  ASSERT_TRUE(conn.capabilities().change_writes);
  const auto wide = row_schema(false);
  const Change a[] = {{ChangeOp::upsert, 1, "one", 10, 0}, {ChangeOp::upsert, 2, "two", 20, 0}};
  const ChangeResult r = apply(conn, table, wide, a);
  EXPECT_EQ(r.upserts, 2u);
  EXPECT_EQ(r.removes, 0u);
  EXPECT_EQ(read_back(conn, table), (Contents{{1, {"one", 10, {}}}, {2, {"two", 20, {}}}}));
  // A narrower row replaces the whole item: qty is gone, not kept.
  const Change b[] = {{ChangeOp::upsert, 1, "uno", {}, 0}};
  apply(conn, table, row_schema(false, false), b);
  EXPECT_EQ(read_back(conn, table), (Contents{{1, {"uno", {}, {}}}, {2, {"two", 20, {}}}}));
}

inline void removes_delete_and_absent_keys_are_fine(Connection& conn, const std::string& table) {
  const auto s = row_schema(false);
  const Change a[] = {{ChangeOp::upsert, 1, "one", 1, 0}, {ChangeOp::upsert, 2, "two", 2, 0}};
  apply(conn, table, s, a);
  const Change b[] = {{ChangeOp::remove, 1, "", {}, 0}, {ChangeOp::remove, 99, "", {}, 0}};
  const ChangeResult r = apply(conn, table, s, b);
  EXPECT_EQ(r.removes, 2u);
  EXPECT_EQ(read_back(conn, table), (Contents{{2, {"two", 2, {}}}}));
}

inline void last_change_of_a_key_wins(Connection& conn, const std::string& table) {
  const auto s = row_schema(false);
  const Change a[] = {{ChangeOp::upsert, 1, "a", 1, 0}, {ChangeOp::upsert, 1, "b", 2, 0},
                      {ChangeOp::remove, 1, "", {}, 0}, {ChangeOp::upsert, 1, "c", 3, 0},
                      {ChangeOp::upsert, 2, "x", 1, 0}, {ChangeOp::remove, 2, "", {}, 0},
                      {ChangeOp::upsert, 3, "p", 1, 0}, {ChangeOp::upsert, 3, "q", {}, 0}};
  const ChangeResult r = apply(conn, table, s, a);
  EXPECT_EQ(r.upserts, 6u);
  EXPECT_EQ(r.removes, 2u);
  EXPECT_EQ(read_back(conn, table), (Contents{{1, {"c", 3, {}}}, {3, {"q", {}, {}}}}));
}

inline void versions_decide(Connection& conn, const std::string& table) {
  const auto s = row_schema(true);
  const ChangeOptions o{.key = {}, .version_column = "v"};
  const Change a[] = {{ChangeOp::upsert, 1, "v5", 5, 5},
                      {ChangeOp::upsert, 2, "v5", 5, 5},
                      {ChangeOp::upsert, 3, "v5", 5, 5},
                      {ChangeOp::upsert, 4, "v5", 5, 5}};
  apply(conn, table, s, a, o);
  const Change b[] = {
      {ChangeOp::upsert, 1, "older", 4, 4},  // skipped
      {ChangeOp::upsert, 2, "equal", 5, 5},  // skipped: applied already
      {ChangeOp::upsert, 3, "newer", 6, 6},  // applied
      {ChangeOp::remove, 4, "", {}, 3},      // skipped: the row is newer
      {ChangeOp::upsert, 5, "new", 1, 1},    // a key not stored: inserted
      {ChangeOp::remove, 6, "", {}, 1},      // absent: fine
  };
  const ChangeResult r = apply(conn, table, s, b, o);
  EXPECT_EQ(r.upserts, 4u);  // stale ones included
  EXPECT_EQ(r.removes, 2u);
  const Contents want = {{1, {"v5", 5, 5}},
                         {2, {"v5", 5, 5}},
                         {3, {"newer", 6, 6}},
                         {4, {"v5", 5, 5}},
                         {5, {"new", 1, 1}}};
  EXPECT_EQ(read_back(conn, table), want);
  // A remove at the stored version or above deletes.
  const Change c[] = {{ChangeOp::remove, 1, "", {}, 5}, {ChangeOp::remove, 3, "", {}, 9}};
  apply(conn, table, s, c, o);
  const Contents after = {{2, {"v5", 5, 5}}, {4, {"v5", 5, 5}}, {5, {"new", 1, 1}}};
  EXPECT_EQ(read_back(conn, table), after);
  // Within one batch the highest version wins, whatever the order.
  const Change d[] = {{ChangeOp::upsert, 7, "v9", 9, 9},
                      {ChangeOp::upsert, 7, "v8", 8, 8},
                      {ChangeOp::remove, 5, "", {}, 7},
                      {ChangeOp::upsert, 5, "v6", 6, 6}};
  apply(conn, table, s, d, o);
  EXPECT_EQ(read_back(conn, table),
            (Contents{{2, {"v5", 5, 5}}, {4, {"v5", 5, 5}}, {7, {"v9", 9, 9}}}));
}

/// A seeded stream: `n` changes over keys [0, keys), about a third removes,
/// versions 1..n in random order (so that many arrive stale).
inline std::vector<Change> random_stream(uint64_t seed, size_t n, int64_t keys) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> versions(n);
  for (size_t i = 0; i < n; ++i) versions[i] = static_cast<int64_t>(i + 1);
  std::shuffle(versions.begin(), versions.end(), rng);
  std::vector<Change> out;
  for (size_t i = 0; i < n; ++i) {
    Change c;
    c.op = rng() % 3 == 0 ? ChangeOp::remove : ChangeOp::upsert;
    c.k = static_cast<int64_t>(rng() % static_cast<uint64_t>(keys));
    c.v = versions[i];
    if (c.op == ChangeOp::upsert) {
      c.name = "n" + std::to_string(rng() % 1000);
      if (rng() % 4) c.qty = static_cast<int64_t>(rng() % 100000) - 50000;
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// Applies `stream` in batches of random sizes (1..max_batch) through one
/// writer, committing every few batches; returns what the oracle expects.
/// With `twice`, each batch is applied a second time right after itself
/// (with versions, a replayed batch changes nothing).
inline Contents apply_stream(Connection& conn, const std::string& table,
                             const std::vector<Change>& stream, bool versioned, uint64_t seed,
                             size_t max_batch, Contents expected = {}, bool twice = false) {
  const auto s = row_schema(versioned);
  ChangeOptions o;
  if (versioned) o.version_column = "v";
  auto w = conn.change_writer(table, *s, o);
  std::mt19937_64 rng(seed);
  uint64_t upserts = 0, removes = 0;
  for (size_t i = 0; i < stream.size();) {
    const size_t n = std::min<size_t>(1 + rng() % max_batch, stream.size() - i);
    const std::span<const Change> part(stream.data() + i, n);
    const ChangeBatch batch = to_batch(s, part);
    for (int round = twice ? 2 : 1; round > 0; --round) {
      w->apply(batch);
      for (const Change& c : part) ++(c.op == ChangeOp::upsert ? upserts : removes);
    }
    oracle_apply_batch(expected, part, versioned);
    if (rng() % 3 == 0) w->commit();
    i += n;
  }
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, upserts);
  EXPECT_EQ(r.removes, removes);
  return expected;
}

/// The differential check: 1,000 seeded changes over 40 keys compared with
/// the oracle: without versions; with versions, each batch applied twice
/// (a replayed batch changes nothing); then the whole stream replayed from
/// its start in other batches (stale changes skipped, as the oracle says).
inline void differential(Connection& conn, const std::string& unconditional_table,
                         const std::string& versioned_table, size_t max_batch) {
  const std::vector<Change> stream = random_stream(20261207, 1000, 40);
  const Contents plain = apply_stream(conn, unconditional_table, stream, false, 1, max_batch);
  EXPECT_FALSE(plain.empty());
  EXPECT_EQ(read_back(conn, unconditional_table), plain);

  const Contents versioned =
      apply_stream(conn, versioned_table, stream, true, 2, max_batch, {}, true);
  EXPECT_FALSE(versioned.empty());
  EXPECT_EQ(read_back(conn, versioned_table), versioned);
  const Contents replayed =
      apply_stream(conn, versioned_table, stream, true, 3, max_batch, versioned);
  EXPECT_EQ(read_back(conn, versioned_table), replayed);
}

/// `n` upserts, then removes of every other key, in one batch each.
inline void large_batches(Connection& conn, const std::string& table, int64_t n) {
  const auto s = row_schema(false);
  std::vector<Change> up, down;
  Contents want;
  for (int64_t k = 0; k < n; ++k) {
    up.push_back({ChangeOp::upsert, k, "r" + std::to_string(k), k, 0});
    if (k % 2)
      down.push_back({ChangeOp::remove, k, "", {}, 0});
    else
      want[k] = {"r" + std::to_string(k), k, {}};
  }
  EXPECT_EQ(apply(conn, table, s, up).upserts, static_cast<uint64_t>(n));
  EXPECT_EQ(read_back(conn, table).size(), static_cast<size_t>(n));
  EXPECT_EQ(apply(conn, table, s, down).removes, down.size());
  EXPECT_EQ(read_back(conn, table), want);
}

/// Errors every change writer reports before writing.
inline void bad_input(Connection& conn, const std::string& table) {
  const auto s = row_schema(true);
  const auto code = [](const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::internal;
  };
  EXPECT_EQ(code([&] { conn.change_writer(table, *s, {.key = {"nope"}, .version_column = {}}); }),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code([&] { conn.change_writer(table, *s, {.key = {}, .version_column = "name"}); }),
            ErrorCode::invalid_argument);
  auto w = conn.change_writer(table, *s, {.key = {}, .version_column = "v"});
  ChangeBatch nulls{Batch(s), {ChangeOp::upsert}};
  nulls.rows.append_row(std::vector<Value>{int64_t{1}, "x", int64_t{1}, Value()});
  EXPECT_EQ(code([&] { w->apply(nulls); }), ErrorCode::invalid_argument);
  ChangeBatch mismatch = to_batch(s, std::vector<Change>{{ChangeOp::upsert, 1, "x", 1, 1}});
  mismatch.ops.push_back(ChangeOp::remove);
  EXPECT_EQ(code([&] { w->apply(mismatch); }), ErrorCode::invalid_argument);
  EXPECT_EQ(read_back(conn, table), Contents{});
}

}  // namespace polydb::changetest
