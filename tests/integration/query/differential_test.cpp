// Differential testing of federated SQL: random queries over three tables
// split across PostgreSQL, MariaDB and SQLite run through polydb's Federation
// and, as the oracle, in one PostgreSQL schema holding the same rows with the
// same comparison semantics (text bytewise under COLLATE "C", char(n) ignoring
// trailing blanks). Every answer must match.
//
// The columns: integer, decimal, bytewise text, char(n), date, float (-0.0
// too), timestamp (fractions, midnight), case-insensitive text (citext /
// utf8mb4_general_ci / NOCASE, shown in upper case where the engine may show
// any of equal values). The queries cover filters on every column type (with
// NULLs, padded and unpadded text, date-only and ISO 'T' timestamp literals,
// IN lists, ranges, AND/OR/NOT), aggregates with GROUP BY,
// joins and LEFT JOINs across backends, joins of two or three tables of one
// backend (which it runs as one query: join views), IN/EXISTS subqueries (also NOT),
// DISTINCT, ORDER BY with LIMIT/OFFSET, and aggregates of one table in the
// shapes its backend computes itself (aggregate pushdown).
//
// Environment: POLYDB_DIFF_SEED (base seed, fixed by default),
// POLYDB_DIFF_QUERIES (queries per test; the suite's 6 tests run 100 each in
// `make test`; `make difftest` runs 2,000 each), POLYDB_DIFF_REPLAY=<seed>
// (runs that one query only). A mismatch prints the query's seed, its SQL
// and both answers.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../mysql/fixture.hpp"
#include "../postgres/fixture.hpp"
#include "rows.hpp"
#include "polydb/query.hpp"
#include "polydb/uri.hpp"

namespace polydb {
namespace {

using querytest::Rows;

using querytest::canonical;

Rows rows_of(BatchReader& r) { return querytest::rows_of(r, canonical); }

// Up to 8 rows from row `from` (the first that differs).
std::string show(const Rows& rows, size_t from) {
  std::string out;
  if (from > 0 && from < rows.size()) out += fmt::format("  ... from row {}:\n", from + 1);
  for (size_t i = from; i < rows.size() && i < from + 8; ++i) {
    out += "  (";
    for (size_t j = 0; j < rows[i].size(); ++j) out += (j ? ", " : "") + rows[i][j];
    out += ")\n";
  }
  if (rows.size() > from + 8) out += fmt::format("  ... {} rows in all\n", rows.size());
  return out.empty() ? "  (no rows)\n" : out;
}

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoull(v) : fallback;
}

// ------------------------------------------------------------ the data

// The same logical table in each engine: id, k (join key), n (decimal),
// s (bytewise text), c (char(6): trailing blanks insignificant), d (date).
const std::vector<std::string> kTexts = {"a", "b", "ab", "abc", "B", "a ", " a", "", "é", "z", "ba"};
const std::vector<std::string> kChars = {"MAIL", "MAIL  ", "SHIP", "AIR", "A B", "", "mail", "SHIP "};

struct Row {
  int id;
  std::optional<int> k;
  std::optional<std::string> n, s, c, d, f, t, i;
};

// Case-insensitive text (PostgreSQL citext, MariaDB utf8mb4_general_ci,
// SQLite NOCASE): letters, digits and blanks only, which every engine and
// polydb fold alike and order alike.
const std::vector<std::string> kCi = {"abc", "ABC", "Abc", "b", "B", "ab c", "a1", "A1", ""};

// Floats that add up exactly (multiples of 1/4, and -0.0), and timestamps
// at midnight, on the second and between (what a date-only literal tests).
const std::vector<std::string> kFloats = {"-1.5", "-0.25", "0", "0.5", "2.25", "3", "1000000.5", "-0.0"};
const std::vector<std::string> kTimes = {"00:00:00", "10:30:00", "10:30:00.5", "23:59:59.25",
                                         "12:00:00.123456"};

std::vector<Row> table_rows(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<Row> rows;
  for (int id = 1; id <= count; ++id) {
    Row r;
    r.id = id;
    if (pick(10)) r.k = static_cast<int>(pick(26));
    if (pick(10)) {
      const int cents = static_cast<int>(pick(4000)) - 1000;
      r.n = fmt::format("{}{}.{:02d}", cents < 0 ? "-" : "", std::abs(cents) / 100, std::abs(cents) % 100);
    }
    if (pick(8)) r.s = kTexts[pick(kTexts.size())];
    if (pick(8)) r.c = kChars[pick(kChars.size())];
    if (pick(10)) r.d = fmt::format("2024-01-{:02d}", 1 + pick(28));
    if (pick(10)) r.f = kFloats[pick(kFloats.size())];
    if (pick(10)) r.t = fmt::format("2024-01-{:02d} {}", 1 + pick(5), kTimes[pick(kTimes.size())]);
    if (pick(8)) r.i = kCi[pick(kCi.size())];
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string sql_text(const std::optional<std::string>& v) {
  if (!v) return "NULL";
  std::string out = "'";
  for (char ch : *v) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

std::string insert_sql(const std::string& table, const std::vector<Row>& rows) {
  std::string sql = "INSERT INTO " + table + " (id, k, n, s, c, d, f, t, i) VALUES ";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    sql += fmt::format("{}({}, {}, {}, {}, {}, {}, {}, {}, {})", i ? ", " : "", r.id,
                       r.k ? std::to_string(*r.k) : "NULL", r.n ? *r.n : "NULL", sql_text(r.s),
                       sql_text(r.c), sql_text(r.d), r.f ? *r.f : "NULL", sql_text(r.t),
                       sql_text(r.i));
  }
  return sql;
}

// ------------------------------------------------------------ the queries

// One random query: placeholders {pt}, {mt}, {lt} name the tables.
class QueryGen {
 public:
  explicit QueryGen(uint64_t seed) : rng_(seed) {}

  std::string query() {
    switch (pick(13)) {
      case 11:
      case 12: return backend_join();
      case 0: return filter_rows();
      case 1:
      case 2: return grouped();
      case 3:
      case 4: return join();
      case 5: return left_join();
      case 6: return subquery();
      case 7: return distinct();
      case 8:
      case 9: return backend_aggregate();
      default: return top_n();
    }
  }

 private:
  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  template <class T>
  const T& one_of(const std::vector<T>& v) { return v[pick(v.size())]; }
  std::string table() { return one_of<std::string>({"{pt}", "{mt}", "{lt}"}); }

  std::string cmp() { return one_of<std::string>({"=", "<>", "<", "<=", ">", ">="}); }

  std::string text_literal() {
    std::string s = one_of(kTexts);
    if (pick(5) == 0) s += "  ";
    return sql_text(s);
  }
  std::string char_literal() {
    std::string s = one_of(kChars);
    if (pick(4) == 0) s += "   ";
    return sql_text(s);
  }
  std::string literal(char column) {
    switch (column) {
      case 'k': return std::to_string(static_cast<int>(pick(30)) - 2);
      case 'n': return fmt::format("{}.{}", static_cast<int>(pick(40)) - 10, pick(100));
      case 's': return text_literal();
      case 'c': return char_literal();
      case 'f': return pick(4) ? fmt::format("{}", (static_cast<int>(pick(41)) - 20) / 4.0)
                               : one_of(kFloats);
      case 't': {
        // Full, date-only, fraction with trailing zeros, ISO 'T'.
        const std::string day = fmt::format("2024-01-{:02d}", 1 + pick(5));
        switch (pick(4)) {
          case 0: return sql_text(day);
          case 1: return sql_text(day + " " + one_of(kTimes));
          case 2: return sql_text(day + " 10:30:00.50");
          default: return sql_text(day + "T23:59:59.25");
        }
      }
      case 'i': return sql_text(one_of<std::string>({"abc", "aBc", "ABC", "b", "zz", "A1", "ab c", "AB C", ""}));
      default: return sql_text(fmt::format("2024-01-{:02d}", 1 + pick(28)));
    }
  }
  char column() { return "knscdfti"[pick(8)]; }
  // A value shown: a case-insensitive column's group or MIN/MAX may be any
  // of its equal values ('abc' or 'ABC'), so it is shown in upper case.
  static std::string shown(const std::string& expr, char col) {
    return col == 'i' ? "UPPER(" + expr + ")" : expr;
  }

  // One condition on table alias `a`.
  std::string atom(const std::string& a) {
    const char col = column();
    const std::string ref = a + "." + col;
    switch (pick(7)) {
      case 0: return ref + (pick(2) ? " IS NULL" : " IS NOT NULL");
      case 1: {
        std::string list;
        const size_t n = 1 + pick(4);
        for (size_t i = 0; i < n; ++i) list += (i ? ", " : "") + literal(col);
        return ref + (pick(4) == 0 ? " NOT IN (" : " IN (") + list + ")";
      }
      case 2: return ref + " BETWEEN " + literal(col) + " AND " + literal(col);
      default: return ref + " " + cmp() + " " + literal(col);
    }
  }

  std::string predicate(const std::string& a, int depth = 0) {
    const size_t shape = depth >= 2 ? 0 : pick(6);
    if (shape <= 2) return atom(a);
    if (shape == 3) return "NOT (" + predicate(a, depth + 1) + ")";
    const char* op = shape == 4 ? " AND " : " OR ";
    return "(" + predicate(a, depth + 1) + op + predicate(a, depth + 1) + ")";
  }

  std::string where(const std::string& a) { return pick(6) == 0 ? "" : " WHERE " + predicate(a); }

  std::string aggregates(const std::string& a) {
    const char col = column();
    std::string out = "COUNT(*), COUNT(" + a + "." + col + "), " +
                      shown("MIN(" + a + "." + col + ")", col) + ", " +
                      shown("MAX(" + a + "." + col + ")", col);
    if (pick(2)) out += ", SUM(" + a + ".n)";
    if (pick(3) == 0) out += ", SUM(" + a + ".k), AVG(" + a + ".k)";
    if (pick(3) == 0) out += ", COUNT(DISTINCT " + a + "." + column() + ")";
    return out;
  }

  // The shape a SQL backend computes itself (aggregate pushdown): one
  // table, conditions joined by AND, arithmetic inside the aggregates.
  std::string backend_aggregate() {
    static const std::vector<std::string> kAggregates = {
        "SUM(x.n * 2 - x.k)", "SUM(x.k * x.k + 1)", "SUM(-x.n)",     "MIN(x.n * 3)",
        "MAX(x.k - x.n)",     "COUNT(x.n)",         "MIN(x.d)",      "MAX(x.d)",
        "AVG(x.k)",           "SUM(x.n)",           "MAX(x.n - 0.5)", "COUNT(x.s)",
        "SUM(x.f)",           "MAX(x.t)",           "MIN(x.t)",      "COUNT(x.t)"};
    std::string list = "COUNT(*)";
    for (size_t i = 0, n = 1 + pick(3); i < n; ++i) list += ", " + one_of(kAggregates);
    std::string conds;
    for (size_t i = 0, n = pick(4); i < n; ++i) conds += (i ? " AND " : " WHERE ") + atom("x");
    const char g = "kncdi "[pick(6)];
    if (g == ' ') return "SELECT " + list + " FROM " + table() + " x" + conds;
    std::string sql = fmt::format("SELECT {4}, {1} FROM {2} x{3} GROUP BY x.{0}", g, list,
                                  table(), conds, shown(std::string("x.") + g, g));
    if (pick(3) == 0) sql += " HAVING COUNT(*) > " + std::to_string(pick(6));
    return sql + " ORDER BY 1 NULLS FIRST";
  }

  std::string filter_rows() {
    return "SELECT x.id, x.k, x.n, x.s, x.c, x.d, x.f, x.t, x.i FROM " + table() + " x" + where("x") +
           " ORDER BY x.id";
  }

  std::string grouped() {
    const char g = column();
    std::string sql = fmt::format("SELECT {}, {} FROM {} x{} GROUP BY x.{}",
                                  shown(std::string("x.") + g, g), aggregates("x"), table(),
                                  where("x"), g);
    if (pick(3) == 0) sql += " HAVING COUNT(*) > " + std::to_string(pick(6));
    return sql + " ORDER BY 1 NULLS FIRST";
  }

  // A join key both sides compare alike: k (integer), s (bytewise), c
  // (pad space), d. (Joining char(n) with text depends on operand order.)
  char join_key() { return "kkscdti"[pick(7)]; }

  std::string join() {
    const char key = join_key();
    const std::string a = table(), b = table();
    std::string sql = fmt::format("SELECT COUNT(*), COUNT(b.id), SUM(a.n), MIN(b.s), MAX(a.d) FROM {} a JOIN {} b ON a.{} = b.{}", a, b, key, key);
    std::vector<std::string> conds;
    if (pick(3)) conds.push_back(predicate("a"));
    if (pick(3)) conds.push_back(predicate("b"));
    if (pick(4) == 0) {
      sql += " JOIN " + table() + " z ON z.k = b.k";
      if (pick(2)) conds.push_back(predicate("z"));
    }
    for (size_t i = 0; i < conds.size(); ++i) sql += (i ? " AND " : " WHERE ") + conds[i];
    if (pick(2)) {
      sql.replace(7, sql.find(" FROM ") - 7,
                  fmt::format("{}, COUNT(*), SUM(b.n)", shown(std::string("a.") + key, key)));
      sql += fmt::format(" GROUP BY a.{} ORDER BY 1 NULLS FIRST", key);
    }
    return sql;
  }

  // Joins of two or three tables of one backend (sent to it as one query,
  // a join view), alone or joined with another backend's table.
  std::string backend_join() {
    const std::string backend = one_of<std::string>({"p", "m", "l"});
    const std::string t1 = "{" + backend + "t}", t2 = "{" + backend + "t2}";
    const char key = join_key();
    const bool comma = pick(2);
    std::vector<std::string> conds;
    std::string from = comma ? fmt::format("{} a, {} b", pick(4) ? t1 : t2, t2)
                             : fmt::format("{} a JOIN {} b ON a.{} = b.{}", pick(4) ? t1 : t2, t2, key, key);
    if (comma) conds.push_back(fmt::format("b.{} = a.{}", key, key));
    if (pick(2)) {  // a third table of the same backend
      const char key2 = join_key();
      if (comma) {
        from += ", " + t1 + " c";
        conds.push_back(fmt::format("c.{} = b.{}", key2, key2));
      } else {
        from += fmt::format(" JOIN {} c ON c.{} = b.{}", t1, key2, key2);
      }
      if (pick(2)) conds.push_back(predicate("c"));
    }
    if (pick(3) == 0) {  // and a table of another backend
      from += (comma ? ", " : " JOIN ") + table() + " z" + (comma ? "" : " ON z.k = a.k");
      if (comma) conds.push_back("z.k = a.k");
    }
    if (pick(3)) conds.push_back(predicate("a"));
    if (pick(3)) conds.push_back(predicate("b"));
    std::string where;
    for (size_t i = 0; i < conds.size(); ++i) where += (i ? " AND " : " WHERE ") + conds[i];
    switch (pick(3)) {
      case 0:
        return "SELECT a.id, b.id, a.n, b." + std::string(1, column()) + " FROM " + from + where +
               " ORDER BY 1, 2, 3, 4 LIMIT 60";
      case 1:
        return fmt::format("SELECT {}, COUNT(*), SUM(b.n), MIN(a.id) FROM {}{} GROUP BY a.{} ORDER "
                           "BY 1 NULLS FIRST",
                           shown(std::string("a.") + key, key), from, where, key);
      default:
        return "SELECT COUNT(*), COUNT(b.id), SUM(a.n), MIN(b.s), MAX(a.d) FROM " + from + where;
    }
  }

  std::string left_join() {
    const char key = join_key();
    return fmt::format(
        "SELECT a.id, COUNT(b.id), MIN(b.id) FROM {} a LEFT JOIN {} b ON a.{} = b.{}{} {} GROUP "
        "BY a.id ORDER BY a.id",
        table(), table(), key, key, pick(2) ? " AND " + predicate("b") : std::string(),
        pick(3) ? "WHERE " + predicate("a") : std::string());
  }

  std::string subquery() {
    const char key = join_key();
    const std::string a = table(), b = table();
    std::string inner = pick(2) ? predicate("b") : "b.id > " + std::to_string(pick(100));
    std::string cond;
    switch (pick(5)) {
      case 4:  // a correlated scalar aggregate (pushed grouped by its key)
        cond = fmt::format("a.n > (SELECT {} FROM {} b WHERE b.{} = a.{} AND {})",
                           one_of<std::string>({"AVG(b.k)", "MAX(b.n) - 1", "0.5 * SUM(b.n)",
                                                "MIN(b.k) + 2", "SUM(b.n * b.k)"}),
                           b, key, key, inner);
        break;
      case 0: cond = fmt::format("a.{} IN (SELECT b.{} FROM {} b WHERE {})", key, key, b, inner); break;
      case 1: cond = fmt::format("a.{} NOT IN (SELECT b.{} FROM {} b WHERE {})", key, key, b, inner); break;
      case 2: cond = fmt::format("EXISTS (SELECT 1 FROM {} b WHERE b.{} = a.{} AND {})", b, key, key, inner); break;
      default: cond = fmt::format("NOT EXISTS (SELECT * FROM {} b WHERE b.{} = a.{} AND {})", b, key, key, inner); break;
    }
    if (pick(2)) cond += " AND " + predicate("a");
    return "SELECT COUNT(*), SUM(a.n), MIN(a.id), MAX(a.s) FROM " + a + " a WHERE " + cond;
  }

  std::string distinct() {
    const char col = column();
    return fmt::format("SELECT DISTINCT {} FROM {} x{} ORDER BY 1 NULLS LAST",
                       shown(std::string("x.") + col, col), table(),
                       where("x"));
  }

  std::string top_n() {
    const char col = column();
    const bool desc = pick(2);
    return fmt::format("SELECT x.id, x.{0} FROM {1} x{2} ORDER BY x.{0} {3} NULLS {4}, x.id LIMIT {5}{6}",
                       col, table(), where("x"), desc ? "DESC" : "ASC", pick(2) ? "FIRST" : "LAST",
                       1 + pick(20), pick(3) == 0 ? " OFFSET " + std::to_string(pick(10)) : "");
  }

  std::mt19937_64 rng_;
};

std::string expand(std::string sql, const std::map<std::string, std::string>& names) {
  for (const auto& [key, name] : names)
    for (size_t at; (at = sql.find(key)) != std::string::npos;) sql.replace(at, key.size(), name);
  return sql;
}

// ------------------------------------------------------------ the suite

class DifferentialQueryTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kDataSeed = 20261206;

  static void SetUpTestSuite() {
    std::tie(pg_url_, my_url_, lite_url_, schema_, dir_) = querytest::scratch("diff_", "lt.db");
    auto pg = connect(pg_url_);
    const std::string oracle = schema_ + "_oracle";
    for (const auto& s : {schema_, oracle}) {
      pg->execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
      pg->execute("CREATE SCHEMA " + s);
    }
    const auto pt = table_rows(kDataSeed, 300), mt = table_rows(kDataSeed + 1, 200),
               lt = table_rows(kDataSeed + 2, 150), pt2 = table_rows(kDataSeed + 3, 120),
               mt2 = table_rows(kDataSeed + 4, 100), lt2 = table_rows(kDataSeed + 5, 80);
    // The oracle: the same rows, bytewise text, char(n) with PostgreSQL's own semantics.
    for (const char* t : {"pt", "mt", "lt", "pt2", "mt2", "lt2"})
      pg->execute(fmt::format("CREATE TABLE {}.{} (id int PRIMARY KEY, k int, n numeric(8,2), s "
                              "text COLLATE \"C\", c char(6) COLLATE \"C\", d date, f double "
                              "precision, t timestamp, i citext COLLATE \"C\")",
                              oracle, t));
    pg->execute(insert_sql(oracle + ".pt", pt));
    pg->execute(insert_sql(oracle + ".mt", mt));
    pg->execute(insert_sql(oracle + ".lt", lt));
    pg->execute(insert_sql(oracle + ".pt2", pt2));
    pg->execute(insert_sql(oracle + ".mt2", mt2));
    pg->execute(insert_sql(oracle + ".lt2", lt2));
    auto my = connect(my_url_);
    ConnectOptions create;
    create.create_if_missing = true;
    auto lite = connect(lite_url_, create);
    for (const auto& [name, rows] : {std::pair{std::string("pt"), &pt}, std::pair{std::string("pt2"), &pt2}}) {
      pg->execute(fmt::format("CREATE TABLE {}.{} (id int PRIMARY KEY, k int, n numeric(8,2), s "
                              "text, c char(6), d date, f double precision, t timestamp, i "
                              "citext)",
                              schema_, name));
      pg->execute(insert_sql(schema_ + "." + name, *rows));
      pg->execute(fmt::format("CREATE INDEX ON {}.{} (k)", schema_, name));
      pg->execute("ANALYZE " + schema_ + "." + name);
    }
    for (const auto& [name, rows] : {std::pair{std::string("_mt"), &mt}, std::pair{std::string("_mt2"), &mt2}}) {
      my->execute("DROP TABLE IF EXISTS " + schema_ + name);
      my->execute("CREATE TABLE " + schema_ + name +
                  " (id INT PRIMARY KEY, k INT, n DECIMAL(8,2), s VARCHAR(8) CHARACTER SET "
                  "utf8mb4 COLLATE utf8mb4_nopad_bin, c CHAR(6) CHARACTER SET utf8mb4 COLLATE "
                  "utf8mb4_bin, d DATE, f DOUBLE, t DATETIME(6), i VARCHAR(8) CHARACTER SET utf8mb4 "
                  "COLLATE utf8mb4_general_ci, KEY (k))");
      my->execute(insert_sql(schema_ + name, *rows));
      my->execute("ANALYZE TABLE " + schema_ + name);
    }
    for (const auto& [name, rows] : {std::pair{std::string("lt"), &lt}, std::pair{std::string("lt2"), &lt2}}) {
      lite->execute("CREATE TABLE " + name +
                    " (id INTEGER PRIMARY KEY, k INTEGER, n DECIMAL(8,2), s TEXT, c "
                    "TEXT COLLATE RTRIM, d DATE, f REAL, t TIMESTAMP, i TEXT COLLATE NOCASE)");
      lite->execute(insert_sql(name, *rows));
    }
  }

  static void TearDownTestSuite() {
    // (nothing when SetUpTestSuite failed and said why)
    querytest::drop_scratch(pg_url_, my_url_, schema_, {"_mt", "_mt2"}, dir_);
  }

  // Runs the queries of `shard`; every mismatch is reported with its seed.
  void run_shard(uint64_t shard) {
    const uint64_t base = env_number("POLYDB_DIFF_SEED", 7);
    const uint64_t count = env_number("POLYDB_DIFF_QUERIES", 100);
    const uint64_t replay = env_number("POLYDB_DIFF_REPLAY", 0);
    Federation fed;
    fed.attach("pg", pg_url_);
    fed.attach("my", my_url_);
    fed.attach("lite", lite_url_);
    auto oracle = connect(pg_url_);
    const std::map<std::string, std::string> fed_names = {
        {"{pt}", "pg." + schema_ + ".pt"},   {"{mt}", "my." + schema_ + "_mt"},
        {"{lt}", "lite.lt"},                 {"{pt2}", "pg." + schema_ + ".pt2"},
        {"{mt2}", "my." + schema_ + "_mt2"}, {"{lt2}", "lite.lt2"}};
    const std::string o = schema_ + "_oracle.";
    const std::map<std::string, std::string> oracle_names = {
        {"{pt}", o + "pt"},   {"{mt}", o + "mt"},   {"{lt}", o + "lt"},
        {"{pt2}", o + "pt2"}, {"{mt2}", o + "mt2"}, {"{lt2}", o + "lt2"}};
    std::vector<uint64_t> seeds;
    if (replay != 0) {
      if (shard == 0) seeds.push_back(replay);
    } else {
      for (uint64_t i = 0; i < count; ++i) seeds.push_back(base * 1000003 + shard * 1000000 + i);
    }
    size_t mismatches = 0, nonempty = 0;
    for (uint64_t seed : seeds) {
      const std::string sql = QueryGen(seed).query();
      Rows want, got;
      try {
        want = rows_of(*oracle->query(expand(sql, oracle_names)));
      } catch (const Error& e) {
        ADD_FAILURE() << "the oracle rejects generated query (seed " << seed << "): " << e.what()
                      << "\n" << expand(sql, oracle_names);
        continue;
      }
      nonempty += !want.empty() && want != Rows{{"0"}};
      std::string error;
      try {
        got = rows_of(*fed.query(expand(sql, fed_names)));
      } catch (const Error& e) {
        error = e.what();
      }
      if (error.empty() && got == want) continue;
      ++mismatches;
      size_t from = 0;
      while (from < got.size() && from < want.size() && got[from] == want[from]) ++from;
      ADD_FAILURE() << "mismatch, replay with POLYDB_DIFF_REPLAY=" << seed << "\n"
                    << expand(sql, fed_names) << "\npolydb:\n"
                    << (error.empty() ? show(got, from) : "  error: " + error + "\n") << "oracle:\n"
                    << show(want, from);
      if (mismatches >= 10) break;  // enough to go on
    }
    // A generator whose queries all come back empty tests nothing.
    if (replay == 0) {
      EXPECT_GT(nonempty, seeds.size() / 2) << "too few queries return rows";
    }
  }

  static inline std::string pg_url_, my_url_, lite_url_, schema_;
  static inline std::filesystem::path dir_;
};

TEST_F(DifferentialQueryTest, RandomQueriesShard0) { run_shard(0); }
TEST_F(DifferentialQueryTest, RandomQueriesShard1) { run_shard(1); }
TEST_F(DifferentialQueryTest, RandomQueriesShard2) { run_shard(2); }
TEST_F(DifferentialQueryTest, RandomQueriesShard3) { run_shard(3); }
TEST_F(DifferentialQueryTest, RandomQueriesShard4) { run_shard(4); }
TEST_F(DifferentialQueryTest, RandomQueriesShard5) { run_shard(5); }

}  // namespace
}  // namespace polydb
