// Change batches (Connection::change_writer) on every backend: what the sync
// and migrate tools apply. Each case states the contract of
// include/polydb/connection.hpp (ChangeBatch, ChangeOptions, ChangeWriter);
// backend differences come from the quirks of backends.cpp. What only one
// backend has (its unique-index rules, its `_extra` attributes, its batch
// protocol's limits beyond the large batches below) stays in that backend's
// tests/integration/<backend>/changes_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/value_order.hpp"
#include "fixture.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb::conformance {
namespace {

const auto U = ChangeOp::upsert;
const auto R = ChangeOp::remove;

// One change of a row of change_schema() (id, name, qty, ver) or
// keyed_schema() (k, part, name, qty, ver). A remove sends its key and
// version only: its other cells are NULL.
struct Change {
  ChangeOp op;
  int64_t id;
  std::optional<std::string> name;
  std::optional<int64_t> qty;
  std::optional<int64_t> ver;
  std::string part = {};
};

std::shared_ptr<Schema> change_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""},
               {"ver", TypeId::int64, true, ""}};
  s->primary_key = {"id"};
  return s;
}

// A composite key: (k, part); k takes Change::id. Not named "id": Cosmos DB
// keeps an item per id and partition key value, but its emulator keeps one
// per id, whatever the partition key value.
std::shared_ptr<Schema> keyed_schema() {
  auto s = std::make_shared<Schema>();
  s->fields = {{"k", TypeId::int64, false, ""},
               {"part", TypeId::string, false, ""},
               {"name", TypeId::string, true, ""},
               {"qty", TypeId::int64, true, ""},
               {"ver", TypeId::int64, true, ""}};
  s->primary_key = {"k", "part"};
  return s;
}

Value cell(const Change& c, const std::string& column) {
  if (column == "id" || column == "k") return c.id;
  if (column == "part") return c.part;
  if (column == "ver") return c.ver ? Value(*c.ver) : Value();
  if (c.op == R) return Value();
  if (column == "name") return c.name ? Value(*c.name) : Value();
  return c.qty ? Value(*c.qty) : Value();  // qty
}

ChangeBatch change_batch(const std::vector<Change>& list,
                         const std::shared_ptr<Schema>& schema = change_schema()) {
  ChangeBatch b{Batch(schema), {}};
  for (const auto& c : list) {
    std::vector<Value> row;
    for (const auto& f : schema->fields) row.push_back(cell(c, f.name));
    b.append(c.op, row);
  }
  return b;
}

// A table as the contract says it ends: rows by key.
using Oracle = std::map<std::pair<int64_t, std::string>, Change>;

// What applying the batch `list` leaves, by the contract's rules: per key the
// change with the highest version (the later one on a tie; without versions
// the last one) decides, applied conditionally on the stored version (a NULL
// stored version takes any change).
void apply_oracle(Oracle& table, const std::vector<Change>& list, bool versioned) {
  Oracle winners;
  for (const auto& c : list) {
    auto [it, fresh] = winners.try_emplace({c.id, c.part}, c);
    if (!fresh && (!versioned || *c.ver >= *it->second.ver)) it->second = c;
  }
  for (const auto& [key, c] : winners) {
    auto it = table.find(key);
    const bool older = versioned && it != table.end() && it->second.ver &&
                       (c.op == U ? *it->second.ver >= *c.ver : *it->second.ver > *c.ver);
    if (older) continue;
    if (c.op == U)
      table[key] = c;
    else if (it != table.end())
      table.erase(it);
  }
}

// The lines stored() reads for the rows of `table`.
std::vector<std::string> oracle_rows(const Oracle& table, const Schema& schema) {
  std::vector<std::string> out;
  for (const auto& [key, c] : table) {
    std::string line;
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      const Value v = cell(c, schema.fields[i].name);
      line += (i ? "|" : "") + (v.is_null() ? std::string("NULL") : v.to_text());
    }
    out.push_back(line);
  }
  return out;
}

ErrorCode code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  return ErrorCode::internal;
}

class Changes : public Conformance {
 protected:
  void TearDown() override {
    if (conn_)
      for (const auto& t : more_tables_) conn_->drop_table(t, true);
    Conformance::TearDown();
  }

  // `table` (default table_), created empty with `schema`.
  void create(const std::shared_ptr<Schema>& schema = change_schema(), std::string table = {}) {
    auto w = conn_->writer(table.empty() ? table_ : table, *schema, {WriteMode::create, {}});
    w->commit();
  }

  // The rows of `table` as "cell|cell|..." lines in the order of `schema`'s
  // columns (a column the rows lack reads NULL), sorted by their key.
  // Whole rows are read: a document store's inferred columns come in an
  // order of their own, and names of any spelling need no projection.
  std::vector<std::string> stored(const std::shared_ptr<Schema>& schema = change_schema(),
                                  std::string table = {}, Connection* conn = nullptr) {
    Connection& c = conn ? *conn : *conn_;
    ScanSpec spec;
    spec.table = table.empty() ? table_ : table;
    spec.batch_rows = 100;
    std::unique_ptr<BatchReader> reader;
    try {
      reader = c.scan(spec);
    } catch (const Error& e) {
      // A collection without documents does not exist: it holds no rows.
      if (e.code() == ErrorCode::not_found && !quirks().empty_tables_exist) return {};
      throw;
    }
    std::vector<std::pair<std::vector<Value>, std::string>> rows;
    while (auto b = reader->next())
      for (size_t r = 0; r < b->num_rows(); ++r) {
        std::vector<Value> key;
        std::string line;
        for (size_t i = 0; i < schema->fields.size(); ++i) {
          const Field& f = schema->fields[i];
          const auto at = b->schema().index_of(f.name);
          const Value v = at ? same_value(b->column(*at).value_at(r), f.type) : Value();
          line += (i ? "|" : "") + (v.is_null() ? std::string("NULL") : v.to_text());
          if (std::find(schema->primary_key.begin(), schema->primary_key.end(), f.name) !=
              schema->primary_key.end())
            key.push_back(v);
        }
        rows.emplace_back(std::move(key), std::move(line));
      }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return std::lexicographical_compare(
          a.first.begin(), a.first.end(), b.first.begin(), b.first.end(),
          [](const Value& x, const Value& y) { return compare_for_order(x, y) < 0; });
    });
    std::vector<std::string> out;
    for (auto& [key, line] : rows) out.push_back(std::move(line));
    return out;
  }

  std::unique_ptr<ChangeWriter> writer(std::string version = {}, std::vector<std::string> key = {},
                                       const std::shared_ptr<Schema>& schema = change_schema(),
                                       std::string table = {}) {
    ChangeOptions o;
    o.key = std::move(key);
    o.version_column = std::move(version);
    return conn_->change_writer(table.empty() ? table_ : table, *schema, o);
  }

  std::vector<std::string> more_tables_;  // dropped after the test
};

// Every backend applies change batches: the sync and migrate tools need it.
TEST_P(Changes, EveryBackendAppliesChangeBatches) {
  create();
  EXPECT_TRUE(conn_->capabilities().change_writes);
  EXPECT_NE(writer(), nullptr);
}

TEST_P(Changes, UpsertsAndRemovesTakeEffectInOrder) {
  create();
  std::vector<Change> first;
  for (int64_t i = 1; i <= 40; ++i) first.push_back({U, i, "n" + std::to_string(i), i * 10, 1});
  std::vector<Change> second = {
      {U, 3, "three", std::nullopt, 2},  // replaces every column, qty to NULL
      {U, 4, std::nullopt, 4, 2},        // name to NULL
      {R, 5, {}, {}, 2},
      {R, 99, {}, {}, 2},  // not stored: nothing happens
      {U, 7, "seven", 70, 2},
      {R, 7, {}, {}, 3},  // upsert then remove: gone
      {R, 8, {}, {}, 2},
      {U, 8, "eight", 80, 3},  // remove then upsert: back
      {R, 42, {}, {}, 2},
      {U, 42, "new", 1, 3},  // likewise for a key not stored
      {U, 41, "a", 1, 1},
      {U, 41, "b", 2, 1},
      {U, 41, "c", 3, 1},  // the last one wins
  };
  Oracle oracle;
  apply_oracle(oracle, first, false);
  apply_oracle(oracle, second, false);
  auto w = writer();
  w->apply(change_batch(first));
  w->commit();
  w->apply(change_batch(second));
  ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 40u + 8u);
  EXPECT_EQ(r.removes, 5u);
  EXPECT_EQ(stored(), oracle_rows(oracle, *change_schema()));
  // The same changes again: the same table.
  w->apply(change_batch(first));
  w->apply(change_batch(second));
  w->commit();
  EXPECT_EQ(stored(), oracle_rows(oracle, *change_schema()));
  // A remove reads only its key: other cells may hold anything. A key removed
  // twice, or never stored, is fine.
  ChangeBatch removes{Batch(change_schema()), {}};
  removes.append(R, std::vector<Value>{int64_t{1}, "not read", int64_t{9}, int64_t{9}});
  removes.append(R, std::vector<Value>{int64_t{2}, Value(), Value(), Value()});
  removes.append(R, std::vector<Value>{int64_t{2}, Value(), Value(), Value()});
  removes.append(R, std::vector<Value>{int64_t{1000}, "x", Value(), Value()});
  w->apply(removes);
  r = w->commit();
  EXPECT_EQ(r.removes, 2 * 5u + 4u) << "every remove counts, stored or not";
  oracle.erase({1, ""});
  oracle.erase({2, ""});
  EXPECT_EQ(stored(), oracle_rows(oracle, *change_schema()));
}

TEST_P(Changes, VersionsNeverPutAnOlderRowOverANewerOne) {
  create();
  std::vector<Change> base;
  for (int64_t i = 1; i <= 8; ++i) base.push_back({U, i, "v5", i, 5});
  std::vector<Change> next = {
      {U, 1, "v4", 1, 4},                        // older: skipped
      {U, 2, "v5b", 2, 5},                       // equal: already applied, skipped
      {U, 3, "v6", 3, 6},                        // newer: applied
      {R, 4, {}, {}, 4},                         // remove older than the row: skipped
      {R, 5, {}, {}, 5},                         // remove at the row's version: applied
      {R, 6, {}, {}, 9},                         // newer remove: applied
      {U, 20, "new", 7, 1},                      // not stored: inserted whatever its version
      {R, 21, {}, {}, 1},                        // not stored: nothing happens
      {U, 7, "v9", 7, 9},   {U, 7, "v8", 7, 8},  // one batch, out of order: the highest wins
      {R, 8, {}, {}, 7},    {U, 8, "v6", 8, 6},  // remove v7 then an older upsert: stays removed
  };
  Oracle oracle;
  apply_oracle(oracle, base, true);
  apply_oracle(oracle, next, true);
  auto w = writer("ver");
  w->apply(change_batch(base));
  w->commit();
  w->apply(change_batch(next));
  const ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 8u + 7u) << "stale upserts count too";
  EXPECT_EQ(r.removes, 5u);
  EXPECT_EQ(stored(), oracle_rows(oracle, *change_schema()));
  // Replaying the whole stream from the start changes nothing.
  w->apply(change_batch(base));
  w->apply(change_batch(next));
  w->commit();
  EXPECT_EQ(stored(), oracle_rows(oracle, *change_schema()));
}

// A stored row without a version (written without one) takes any change.
TEST_P(Changes, AStoredRowWithoutVersionTakesAnyChange) {
  create();
  auto plain = writer();
  plain->apply(change_batch({{U, 1, "no version", 1, std::nullopt},
                             {U, 2, "no version", 2, std::nullopt},
                             {U, 3, "versioned", 3, 5}}));
  plain->commit();
  auto w = writer("ver");
  w->apply(change_batch({{U, 1, "over NULL", 1, 0}, {R, 2, {}, {}, 0}, {U, 3, "stale", 3, 4}}));
  w->commit();
  EXPECT_EQ(stored(), (std::vector<std::string>{"1|over NULL|1|0", "3|versioned|3|5"}));
}

// Differential: seeded random streams over a composite key, with NULLs,
// repeated keys and versions that tie or arrive stale, against the oracle at
// every commit; with versions each batch is applied twice (a replayed batch
// changes nothing); then the whole stream is replayed in other batches.
TEST_P(Changes, RandomStreamsMatchTheOracle) {
  const auto schema = keyed_schema();
  static const char* const kParts[] = {"a", "b", "c"};
  for (const uint64_t seed : {7u, 20261207u})
    for (const bool versioned : {false, true}) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << (versioned ? ", with versions" : ""));
      conn_->drop_table(table_, true);
      create(schema);
      std::mt19937_64 rng(seed);
      std::vector<Change> stream;
      for (int i = 0; i < 500; ++i) {
        Change c{rng() % 10 < 3 ? R : U,
                 static_cast<int64_t>(rng() % 12),
                 rng() % 5 == 0 ? std::nullopt
                                : std::optional<std::string>("s" + std::to_string(rng() % 1000)),
                 rng() % 4 == 0 ? std::nullopt : std::optional<int64_t>(rng() % 100),
                 static_cast<int64_t>(rng() % 40),
                 kParts[rng() % 3]};
        stream.push_back(std::move(c));
      }
      Oracle oracle;
      ChangeResult expect;
      auto w = writer(versioned ? "ver" : "", {}, schema);
      for (const int pass : {0, 1}) {
        for (size_t at = 0; at < stream.size();) {
          const size_t n = std::min<size_t>(1 + rng() % 50, stream.size() - at);
          const std::vector<Change> part(stream.begin() + at, stream.begin() + at + n);
          at += n;
          for (int times = versioned && pass == 0 ? 2 : 1; times > 0; --times) {
            w->apply(change_batch(part, schema));
            apply_oracle(oracle, part, versioned);
            for (const auto& c : part) ++(c.op == U ? expect.upserts : expect.removes);
          }
          if (rng() % 3 == 0 || at == stream.size()) {
            const ChangeResult r = w->commit();
            EXPECT_EQ(r.upserts, expect.upserts);
            EXPECT_EQ(r.removes, expect.removes);
            ASSERT_EQ(stored(schema), oracle_rows(oracle, *schema))
                << "pass " << pass << ", after " << at << " changes";
          }
        }
      }
      EXPECT_GT(oracle.size(), 3u) << "the stream leaves rows behind";
    }
}

TEST_P(Changes, BadChangesAreRefused) {
  create();
  auto w = writer("ver");
  std::string message;
  ChangeBatch null_key{Batch(change_schema()), {}};
  null_key.append(U, std::vector<Value>{int64_t{1}, "ok", Value(), int64_t{1}});
  null_key.append(U, std::vector<Value>{Value(), "x", Value(), int64_t{1}});
  EXPECT_EQ(code_of([&] { w->apply(null_key); }, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("'id'"), std::string::npos) << message;
  EXPECT_EQ(code_of([&] {
              w->apply(change_batch({{U, 1, "no version", 1, std::nullopt}}));
            }),
            ErrorCode::invalid_argument)
      << "a NULL version";
  ChangeBatch mismatched = change_batch({{U, 1, "a", 1, 1}});
  mismatched.ops.push_back(R);
  EXPECT_EQ(code_of([&] { w->apply(mismatched); }), ErrorCode::invalid_argument) << "ops != rows";
  ChangeBatch narrow{Batch(keyed_schema()), {}};
  narrow.append(U, std::vector<Value>{int64_t{1}, "p", "x", Value(), int64_t{1}});
  EXPECT_EQ(code_of([&] { w->apply(narrow); }), ErrorCode::invalid_argument)
      << "another schema than the writer's";
  EXPECT_TRUE(stored().empty()) << "a refused batch sends nothing";
  // ... and leaves the writer as it was.
  w->apply(change_batch({{U, 1, "ok", 1, 1}}));
  w->commit();
  w.reset();
  EXPECT_EQ(stored(), std::vector<std::string>{"1|ok|1|1"});
}

TEST_P(Changes, OpeningChecksTheTableAndColumns) {
  std::string message;
  if (quirks().empty_tables_exist) {
    EXPECT_EQ(code_of([&] { (void)writer(); }, &message), ErrorCode::not_found) << "no table yet";
    EXPECT_NE(message.find(table_), std::string::npos) << message;
  } else {  // a table without rows does not exist: a missing one is an empty one
    EXPECT_EQ(code_of([&] { (void)writer(); }), ErrorCode::internal) << "no error expected";
  }
  create();
  EXPECT_EQ(code_of([&] { (void)writer("name"); }), ErrorCode::invalid_argument)
      << "a version column must be an integer";
  EXPECT_EQ(code_of([&] { (void)writer("nope"); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)writer({}, {"nope"}); }), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)writer("id", {"id"}); }), ErrorCode::invalid_argument)
      << "the version cannot be part of the key";
  auto no_key = std::make_shared<Schema>(*change_schema());
  no_key->primary_key.clear();
  EXPECT_EQ(code_of([&] { (void)writer({}, {}, no_key); }), ErrorCode::invalid_argument)
      << "no key named and none in the schema";
  auto wider = std::make_shared<Schema>(*change_schema());
  wider->fields.push_back({"missing_col", TypeId::string, true, ""});
  if (quirks().fixed_columns) {
    EXPECT_EQ(code_of([&] { (void)writer({}, {}, wider); }, &message), ErrorCode::not_found);
    EXPECT_NE(message.find("missing_col"), std::string::npos) << message;
  } else {  // items take any attribute
    auto w = writer({}, {}, wider);
    ChangeBatch b{Batch(wider), {}};
    b.append(U, std::vector<Value>{int64_t{1}, "a", Value(), Value(), "more"});
    w->apply(b);
    w->commit();
    EXPECT_EQ(stored(wider), std::vector<std::string>{"1|a|NULL|NULL|more"});
  }
}

// Changes of fewer columns than the table has.
TEST_P(Changes, UpsertsOfFewerColumns) {
  create();
  auto w = writer();
  w->apply(change_batch({{U, 1, "a", 7, 1}}));
  w->commit();
  w.reset();
  auto narrow = std::make_shared<Schema>();
  narrow->fields = {{"id", TypeId::int64, false, ""}, {"name", TypeId::string, true, ""}};
  narrow->primary_key = {"id"};
  auto wn = writer({}, {}, narrow);
  ChangeBatch b{Batch(narrow), {}};
  b.append(U, std::vector<Value>{int64_t{1}, "b"});
  b.append(U, std::vector<Value>{int64_t{2}, "c"});
  wn->apply(b);
  wn->commit();
  if (quirks().upserts_keep_other_columns)
    EXPECT_EQ(stored(), (std::vector<std::string>{"1|b|7|1", "2|c|NULL|NULL"}));
  else  // the whole item is replaced
    EXPECT_EQ(stored(), (std::vector<std::string>{"1|b|NULL|NULL", "2|c|NULL|NULL"}));
}

TEST_P(Changes, AbortKeepsWhatWasCommitted) {
  create();
  {
    auto w = writer();
    w->apply(change_batch({{U, 1, "kept", 1, 1}}));
    w->commit();
    w->apply(change_batch({{U, 2, "maybe", 2, 1}, {R, 1, {}, {}, 1}}));
    w->abort();
    w->abort();  // safe twice
    EXPECT_EQ(code_of([&] {
                w->apply(change_batch({{U, 3, "late", 3, 1}}));
              }),
              ErrorCode::invalid_argument)
        << "the writer is unusable after abort()";
    EXPECT_EQ(code_of([&] { w->commit(); }), ErrorCode::invalid_argument);
  }
  if (quirks().transactional_writes) {
    EXPECT_EQ(stored(), std::vector<std::string>{"1|kept|1|1"});
  } else {  // each change was visible once applied
    EXPECT_FALSE(conn_->capabilities().transactions);
    EXPECT_EQ(stored(), std::vector<std::string>{"2|maybe|2|1"});
  }
  const std::vector<std::string> before = stored();
  {
    // Destroyed without commit(): rolled back as well, where it can be.
    auto w = writer();
    w->apply(change_batch({{U, 5, "dropped", 5, 1}}));
  }
  if (quirks().transactional_writes)
    EXPECT_EQ(stored(), before);
  else
    EXPECT_EQ(stored().size(), before.size() + 1);
}

// What a second connection to the same database sees: with transactions the
// changes of a commit together and nothing before; without, each change once
// applied. Results count from the writer's opening.
TEST_P(Changes, CommitsShowToOtherConnections) {
  create();
  auto other = connect(url_);
  const bool atomic = quirks().transactional_writes;
  auto w = writer();
  w->apply(change_batch({{U, 1, "first", 1, 1}, {U, 2, "first", 2, 1}}));
  const std::vector<std::string> first = {"1|first|1|1", "2|first|2|1"};
  EXPECT_EQ(stored(change_schema(), {}, other.get()), atomic ? std::vector<std::string>{} : first);
  ChangeResult r = w->commit();
  EXPECT_EQ(r.upserts, 2u);
  EXPECT_EQ(stored(change_schema(), {}, other.get()), first);
  w->apply(change_batch({{U, 1, "second", 1, 2}, {R, 2, {}, {}, 2}}));
  const std::vector<std::string> second = {"1|second|1|2"};
  EXPECT_EQ(stored(change_schema(), {}, other.get()), atomic ? first : second);
  r = w->commit();
  EXPECT_EQ(r.upserts, 3u) << "cumulative";
  EXPECT_EQ(r.removes, 1u);
  EXPECT_EQ(stored(change_schema(), {}, other.get()), second);
  EXPECT_EQ(w->commit().upserts, 3u) << "a commit with nothing applied";
}

// A composite key named in another order than the table's primary key.
TEST_P(Changes, CompositeKeysInAnyOrder) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"tenant", TypeId::string, false, ""},
               {"seq", TypeId::int64, false, ""},
               {"v", TypeId::int64, true, ""},
               {"amount", TypeId::float64, true, ""}};
  s->primary_key = {"tenant", "seq"};
  const auto batch =
      [&](std::vector<std::tuple<ChangeOp, const char*, int64_t, int64_t, double>> rows) {
        ChangeBatch b{Batch(s), {}};
        for (const auto& [op, tenant, seq, v, amount] : rows)
          b.append(op, std::vector<Value>{tenant, seq, v, op == R ? Value() : Value(amount)});
        return b;
      };
  for (const bool versioned : {false, true}) {
    SCOPED_TRACE(versioned ? "with versions" : "without versions");
    conn_->drop_table(table_, true);
    create(s);
    auto w = writer(versioned ? "v" : "", {"seq", "tenant"}, s);
    w->apply(batch(
        {{U, "a", 1, 1, 1.5}, {U, "a", 2, 1, 2.5}, {U, "b", 1, 1, 3.5}, {U, "b", 2, 1, 4.5}}));
    w->apply(batch({{U, "a", 1, 2, -1.0},
                    {R, "b", 1, 3, 0},
                    {U, "b", 2, 0, 99.0},
                    {R, "a", 2, 0, 0},
                    {R, "c", 1, 9, 0}}));
    w->commit();
    EXPECT_EQ(stored(s), versioned
                             ? (std::vector<std::string>{"a|1|2|-1", "a|2|1|2.5", "b|2|1|4.5"})
                             : (std::vector<std::string>{"a|1|2|-1", "b|2|0|99"}));
  }
}

// Names with the quotes of every SQL dialect (", `, [ ]), dots, spaces and a
// keyword, key and version included, in a table named oddly too where the
// backend's names allow it.
TEST_P(Changes, OddColumnAndTableNames) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"the \"id\" `k`]. 1", TypeId::int64, false, ""},
               {"ver.sion'`", TypeId::int64, true, ""},
               {"it's a [note]", TypeId::string, true, ""},
               {"excluded", TypeId::string, true, ""}};
  s->primary_key = {"the \"id\" `k`]. 1"};
  const std::string own = quirks().any_table_name ? table_ + " \"t\"`x" : table_ + ".t-x";
  const std::string t = conn_->table_reference(own);
  more_tables_.push_back(t);
  conn_->drop_table(t, true);
  create(s, t);
  auto w = writer("ver.sion'`", {}, s, t);
  const auto row = [](int64_t id, int64_t v, Value note, Value x) {
    return std::vector<Value>{id, v, std::move(note), std::move(x)};
  };
  ChangeBatch b1{Batch(s), {}};
  b1.append(U, row(1, 1, "a", "x"));
  b1.append(U, row(2, 1, "b", "y"));
  b1.append(U, row(3, 1, "c", "z"));
  w->apply(b1);
  ChangeBatch b2{Batch(s), {}};
  b2.append(U, row(1, 2, "a2", "x2"));
  b2.append(U, row(2, 0, "stale", "stale"));
  b2.append(R, row(3, 1, Value(), Value()));
  w->apply(b2);
  w->commit();
  EXPECT_EQ(stored(s, t), (std::vector<std::string>{"1|2|a2|x2", "2|1|b|y"}));
}

// SQL tables find the stored row of a key through a unique index: a key the
// table does not know as unique is refused, a unique index serves as a key.
TEST_P(Changes, AKeyMustBeUniqueInTheTable) {
  auto s = std::make_shared<Schema>();
  s->fields = {{"id", TypeId::int64, true, ""},
               {"code", TypeId::int64, true, ""},
               {"name", TypeId::string, true, ""}};
  if (!quirks().sql) {
    // No indexes to declare: a document store's key is its table's own key,
    // which the backend's own tests hold it to.
    s->primary_key = {"id"};
    create(s);
    auto w = writer({}, {"id"}, s);
    ChangeBatch b{Batch(s), {}};
    b.append(U, std::vector<Value>{int64_t{1}, int64_t{100}, "a"});
    w->apply(b);
    w->commit();
    EXPECT_EQ(stored(s), std::vector<std::string>{"1|100|a"});
    return;
  }
  conn_->execute("CREATE TABLE " + table_ +
                 " (id BIGINT, code BIGINT, name VARCHAR(20), UNIQUE (code))");
  std::string message;
  EXPECT_EQ(code_of([&] { (void)writer({}, {}, s); }), ErrorCode::invalid_argument)
      << "no key named and no primary key";
  EXPECT_EQ(code_of([&] { (void)writer({}, {"id"}, s); }, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("unique"), std::string::npos) << message;
  auto w = writer({}, {"code"}, s);
  ChangeBatch b1{Batch(s), {}};
  b1.append(U, std::vector<Value>{int64_t{1}, int64_t{100}, "a"});
  b1.append(U, std::vector<Value>{int64_t{2}, int64_t{200}, "b"});
  w->apply(b1);
  ChangeBatch b2{Batch(s), {}};
  b2.append(U, std::vector<Value>{int64_t{3}, int64_t{100}, "A"});
  b2.append(R, std::vector<Value>{Value(), int64_t{200}, Value()});
  w->apply(b2);
  w->commit();
  auto by_code = std::make_shared<Schema>(*s);
  by_code->primary_key = {"code"};
  EXPECT_EQ(stored(by_code), std::vector<std::string>{"3|100|A"});
}

// Every type, with its edge values, upserted over itself and read back; keys
// of other types than integers and text found again by a remove.
TEST_P(Changes, EveryTypeRoundTripsThroughChanges) {
  const auto schema = all_types_schema();
  create(schema);
  const Batch edge = edge_rows();
  auto w = writer({}, {}, schema);
  ChangeBatch all{Batch(schema), {}};
  for (size_t r = 0; r < edge.num_rows(); ++r) all.append(U, edge.row(r));
  w->apply(all);
  w->commit();
  // Row 1 takes row 2's values; row 3 goes.
  std::vector<Value> second = edge.row(1);
  second[0] = int64_t{1};
  ChangeBatch over{Batch(schema), {}};
  over.append(U, second);
  std::vector<Value> gone(schema->fields.size());
  gone[0] = int64_t{3};
  over.append(R, gone);
  w->apply(over);
  w->commit();
  const std::vector<std::vector<Value>> want = {second, edge.row(1), edge.row(3)};
  ScanSpec spec;
  spec.table = table_;
  spec.order_by = {{"id"}};
  for (const auto& f : schema->fields) spec.columns.push_back(f.name);
  const auto rows = read_all(spec);
  ASSERT_EQ(rows.size(), want.size());
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < schema->fields.size(); ++c)
      EXPECT_EQ(same_value(rows[r][c], schema->fields[c].type),
                same_value(want[r][c], schema->fields[c].type))
          << "row " << r << " column " << schema->fields[c].name;

  auto keyed = std::make_shared<Schema>();
  keyed->fields = {{"dt", TypeId::date, false, ""},
                   {"u", TypeId::uuid, false, ""},
                   {"n", TypeId::string, true, ""}};
  keyed->primary_key = {"dt", "u"};
  Uuid u1, u2;
  for (uint8_t i = 0; i < 16; ++i) {
    u1.bytes[i] = static_cast<uint8_t>(i * 17);
    u2.bytes[i] = static_cast<uint8_t>(255 - i);
  }
  conn_->drop_table(table_, true);
  create(keyed);
  auto wk = writer({}, {}, keyed);
  ChangeBatch k1{Batch(keyed), {}};
  k1.append(U, std::vector<Value>{Date{1}, u1, "x"});
  k1.append(U, std::vector<Value>{Date{1}, u2, "y"});
  wk->apply(k1);
  ChangeBatch k2{Batch(keyed), {}};
  k2.append(R, std::vector<Value>{Date{1}, u1, Value()});
  k2.append(U, std::vector<Value>{Date{1}, u2, "z"});
  wk->apply(k2);
  wk->commit();
  EXPECT_EQ(stored(keyed), std::vector<std::string>{"1970-01-02|" + Value(u2).to_text() + "|z"});
}

// Batches larger than any backend sends in one statement or request: MySQL's
// 1,000 rows per INSERT and 500 keys per DELETE, DynamoDB's 25 items per
// BatchWriteItem, Cosmos DB's 100 ids per stored-version query, Firestore's
// 500 writes per commit (with versions: per transaction).
TEST_P(Changes, LargeBatchesSpanRequests) {
  constexpr int64_t n = 1200;
  for (const bool versioned : {false, true}) {
    SCOPED_TRACE(versioned ? "with versions" : "without versions");
    conn_->drop_table(table_, true);
    create();
    auto w = writer(versioned ? "ver" : "");
    std::vector<Change> ups, stale, downs;
    std::vector<std::string> want;
    for (int64_t k = 0; k < n; ++k) {
      ups.push_back({U, k, "r" + std::to_string(k), k, 7});
      stale.push_back({U, k, "stale", k, 6});
      if (k % 2)
        downs.push_back({R, k, {}, {}, 7});
      else
        want.push_back(std::to_string(k) + "|r" + std::to_string(k) + "|" + std::to_string(k) +
                       "|7");
    }
    w->apply(change_batch(ups));
    if (versioned) w->apply(change_batch(stale));
    EXPECT_EQ(w->commit().upserts, static_cast<uint64_t>(versioned ? 2 * n : n));
    EXPECT_EQ(stored().size(), static_cast<size_t>(n));
    w->apply(change_batch(downs));
    EXPECT_EQ(w->commit().removes, downs.size());
    std::vector<std::string> got = stored();
    EXPECT_EQ(got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Changes, ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace polydb::conformance
