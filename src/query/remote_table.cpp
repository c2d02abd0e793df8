#include "query/remote_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/c_callback.hpp"
#include "core/collation_error.hpp"
#include "core/log.hpp"
#include "query/join_view.hpp"
#include "query/names.hpp"
#include "query/values.hpp"

namespace polydb::query {

namespace {

using Clock = std::chrono::steady_clock;

// Values an IN list is split into per remote call: long lists become several
// scans instead of one statement that a backend may refuse.
constexpr size_t kInChunk = 500;

// Cost units: one row through a remote scan costs 1, starting a remote call
// 1000 (a round trip), a probe of a local index ~10.
constexpr double kRemoteCallCost = 1000;
constexpr double kLocalProbeCost = 10;

// Key batching: a lookup plan is worth a discovery pass when its table keeps
// at least this many rows, and it logs at most this many distinct keys.
constexpr double kMinBatchRows = 5000;
constexpr double kMaxBatchedKeys = 100'000;

struct VTab : sqlite3_vtab {
  RemoteTable* table = nullptr;
};

std::optional<CompareOp> compare_op(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return CompareOp::eq;
    case SQLITE_INDEX_CONSTRAINT_GT: return CompareOp::gt;
    case SQLITE_INDEX_CONSTRAINT_GE: return CompareOp::ge;
    case SQLITE_INDEX_CONSTRAINT_LT: return CompareOp::lt;
    case SQLITE_INDEX_CONSTRAINT_LE: return CompareOp::le;
    case SQLITE_INDEX_CONSTRAINT_NE: return CompareOp::ne;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return CompareOp::is_null;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: return CompareOp::is_not_null;
    default: return std::nullopt;
  }
}

bool has_operand(CompareOp op) { return op != CompareOp::is_null && op != CompareOp::is_not_null; }

// Types whose comparisons and order a backend evaluates as SQLite does once
// values are converted (text compares bytewise in polydb's filters).
bool comparable(TypeId id) { return id != TypeId::json && id != TypeId::null; }

// The collating sequence a vtab column is declared with: RTRIM compares text
// ignoring trailing blanks, as char(n) does in its engine; NOCASE is
// SQLite's own; a case-insensitive column gets a collation of its own
// (register_collations()), named after the table and column; date and time
// columns compare as values (temporal_collation()).
std::string vtab_collation(const RemoteTable& t, const Field& f) {
  if (const char* temporal = temporal_collation(f.type.id)) return temporal;
  if (f.type.id != TypeId::string) return "BINARY";
  switch (f.collation) {
    case Collation::binary: return "BINARY";
    case Collation::pad_space: return "RTRIM";
    case Collation::nocase: return "NOCASE";
    case Collation::case_insensitive:
    case Collation::case_insensitive_pad_space:
      // A join view's column compares as its member table's column: under
      // that table's collation, which exists as long as the table does.
      if (t.join)
        if (const auto i = t.schema.index_of(f.name)) {
          const JoinSpec::Column& c = t.join->spec.columns[*i];
          return "polydb_ci:" + t.join->member_table[c.member] + "." + c.column;
        }
      return "polydb_ci:" + t.display + "." + f.name;
  }
  return "BINARY";
}

// A case-insensitive column's collation in SQLite: polydb's reproduction of
// the engine's rule (compare_text). A value it cannot fold stops the query
// with refused_comparison() instead of a guess: the error is kept and the
// statement interrupted (a collation callback has no error return).
struct CaseInsensitive {
  Field field;
  Engine* engine = nullptr;
  sqlite3* engine_db = nullptr;
};

int compare_case_insensitive(void* arg, int na, const void* a, int nb, const void* b) noexcept {
  const auto& ci = *static_cast<const CaseInsensitive*>(arg);
  const std::string_view x(static_cast<const char*>(a), static_cast<size_t>(na));
  const std::string_view y(static_cast<const char*>(b), static_cast<size_t>(nb));
  try {
    callback_fault_point(CCallback::sqlite_collation);
    if (auto r = compare_text(x, y, ci.field.collation)) return *r;
    const bool x_folds = collation_key(x, ci.field.collation).has_value();
    ci.engine->keep_error(std::make_exception_ptr(refused_comparison(ci.field, x_folds ? y : x)));
  } catch (...) {
    ci.engine->keep_error(std::current_exception());
  }
  sqlite3_interrupt(ci.engine_db);
  const int r = x.compare(y);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

// Registers the collation of every case-insensitive column of `t` on `db`
// (the engine's, or the cache database that holds spilled copies).
void register_collations(sqlite3* db, sqlite3* engine_db, RemoteTable& t) {
  for (const auto& f : t.schema.fields) {
    if (f.type.id != TypeId::string || !is_case_insensitive(f.collation)) continue;
    auto* ci = new CaseInsensitive{f, t.engine, engine_db};
    const int rc = sqlite3_create_collation_v2(
        db, vtab_collation(t, f).c_str(), SQLITE_UTF8, ci, &compare_case_insensitive,
        [](void* p) { delete static_cast<CaseInsensitive*>(p); });
    if (rc != SQLITE_OK) {  // SQLite does not call the destructor then
      delete ci;
      throw Error(ErrorCode::internal,
                  fmt::format("cannot declare the collation of {}.{}: {}", t.display, f.name,
                              sqlite3_errmsg(db)),
                  "sqlite");
    }
  }
}

// Types a backend sorts as SQLite does: not text (collations differ).
// Columns of an aggregate view (RemoteTable::aggregate): the table's columns
// it hides, and the aggregates it computes.
bool hidden_column(const RemoteTable& t, int col) {
  return t.aggregate && col >= 0 && static_cast<size_t>(col) >= t.aggregate->first_hidden;
}
bool aggregate_column(const RemoteTable& t, int col) {
  return t.aggregate && col >= static_cast<int>(t.aggregate->group_by.size()) &&
         !hidden_column(t, col);
}

// Thrown by best_index for a plan an aggregate view cannot run (xBestIndex
// then answers SQLITE_CONSTRAINT and SQLite tries another).
struct PlanRefused {};

[[noreturn]] void refuse_plan(const char* why) {
  logger("query")->trace("aggregate view plan refused: {}", why);
  throw PlanRefused{};
}

bool sortable(TypeId id) {
  return id == TypeId::int64 || id == TypeId::float64 || id == TypeId::decimal ||
         id == TypeId::boolean || id == TypeId::date || id == TypeId::time ||
         id == TypeId::timestamp || id == TypeId::timestamp_tz;
}

double selectivity(const RemoteTable& t, const PlanTerm& term) {
  const bool sole_key = t.schema.primary_key.size() == 1 &&
                        t.schema.primary_key[0] == t.schema.fields[term.column].name;
  switch (term.op) {
    case CompareOp::eq: return term.in_list ? 0.2 : sole_key ? 1.0 / t.estimated_rows : 0.1;
    case CompareOp::ne: return 0.9;
    case CompareOp::is_null: return 0.1;
    case CompareOp::is_not_null: return 0.9;
    default: return 0.3;
  }
}

// The rows of a join view that `filter` keeps: the view's rows (its biggest
// member's: a join along keys keeps about as many) scaled by what each
// member's conditions keep of that member, by the backend's statistics;
// nullopt where the backend cannot tell for one of them.
std::optional<double> join_estimate(const RemoteTable& t, const Filter& filter) {
  const JoinView& j = *t.join;
  std::vector<std::vector<Filter>> per_member(j.spec.members.size());
  const std::vector<Filter> conjuncts =
      filter.kind == Filter::Kind::all_of ? filter.children : std::vector<Filter>{filter};
  for (const auto& c : conjuncts) {
    if (c.kind != Filter::Kind::compare) return std::nullopt;
    if (liked_column(c.column)) continue;
    const auto i = t.schema.index_of(c.column);
    if (!i) return std::nullopt;
    Filter own = c;
    own.column = j.spec.columns[*i].column;
    per_member[j.spec.columns[*i].member].push_back(std::move(own));
  }
  double rows = t.estimated_rows;
  for (size_t m = 0; m < per_member.size(); ++m) {
    if (per_member[m].empty()) continue;
    const Filter f = per_member[m].size() == 1 ? per_member[m][0] : Filter::all_of(per_member[m]);
    const auto n = t.conn->estimate_matches(j.spec.members[m].table, f);
    if (!n) return std::nullopt;
    rows *= std::min(1.0, static_cast<double>(*n) / std::max(1.0, j.member_rows[m]));
  }
  return rows;
}

// The rows `filter` keeps by the backend's own statistics (PostgreSQL's
// planner), asked once per filter; nullopt where the backend cannot tell.
std::optional<double> backend_estimate(RemoteTable& t, const Filter& filter) {
  const std::string key = filter.to_string();
  if (auto it = t.estimates.find(key); it != t.estimates.end()) return it->second;
  std::optional<double> n;
  try {
    if (t.join) n = join_estimate(t, filter);
    else if (auto m = t.conn->estimate_matches(t.name, filter)) n = static_cast<double>(*m);
  } catch (const Error& e) {
    logger("query")->debug("no estimate for {} WHERE {}: {}", t.display, key, e.message());
  }
  t.estimates[key] = n;
  return n;
}

std::string shown_value(sqlite3_value* v) {
  if (!v) return "?";
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return "NULL";
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: return reinterpret_cast<const char*>(sqlite3_value_text(v));
    case SQLITE_TEXT: {
      std::string s = "'";
      for (const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v)); *p; ++p) {
        s += *p;
        if (*p == '\'') s += '\'';
      }
      return s + "'";
    }
    default: return "x'...'";
  }
}

std::string describe_terms(const RemoteTable& t, const Plan& p) {
  std::string out;
  for (const auto& term : p.terms) {
    if (!out.empty()) out += " AND ";
    const std::string& col = t.schema.fields[term.column].name;
    if (!has_operand(term.op))
      out += col + " " + std::string(to_sql(term.op));
    else if (term.like)
      out += col + " LIKE " + term.shown;
    else if (term.in_list)
      out += col + " IN (" + term.shown + ")";
    else
      out += col + " " + std::string(to_sql(term.op)) + " " + term.shown;
  }
  return out;
}

// The remote columns a plan reads, in table order.
std::vector<std::string> used_columns(const RemoteTable& t, const Plan& p) {
  std::vector<std::string> cols;
  if (t.aggregate) {  // what the aggregate query returns
    for (size_t i = 0; i < t.aggregate->first_hidden; ++i) cols.push_back(t.schema.fields[i].name);
    return cols;
  }
  const size_t n = t.schema.fields.size();
  for (size_t i = 0; i < n; ++i) {
    const bool used = i < 63 ? (p.columns_used >> i) & 1 : (p.columns_used >> 63) & 1;
    if (used) cols.push_back(t.schema.fields[i].name);
  }
  if (cols.empty())  // COUNT(*): read one column, the key where there is one
    cols.push_back(t.schema.primary_key.empty() ? t.schema.fields[0].name
                                                : t.schema.primary_key[0]);
  return cols;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

void fill_plan_stats(const RemoteTable& t, Plan& p) {
  RemoteAccess& s = p.stats;
  s.table = t.display;
  std::vector<std::string> keys;
  for (const auto& term : p.terms)
    if (term.lookup) keys.push_back(t.schema.fields[term.column].name);
  s.access = keys.empty() ? "scan" : "lookup (" + join(keys, ", ") + ")";
  s.columns = join(used_columns(t, p), ", ");
  if (t.join) {  // the join the backend runs
    std::vector<std::string> on;
    for (const auto& c : t.join->spec.conditions)
      on.push_back(t.join->spec.members[c.left].alias + "." + c.left_column + " = " +
                   t.join->spec.members[c.right].alias + "." + c.right_column);
    s.access = "join (" + join(t.join->member_display, ", ") + " ON " + join(on, " AND ") + ")" +
               (keys.empty() ? "" : ", lookup (" + join(keys, ", ") + ")");
  }
  if (t.aggregate) {
    const auto& g = t.aggregate->group_by;
    s.access = (g.empty() ? std::string("aggregate") : "aggregate by (" + join(g, ", ") + ")") +
               (keys.empty() ? "" : ", lookup (" + join(keys, ", ") + ")");
    std::vector<std::string> computed;
    for (const auto& a : t.aggregate->aggregates) computed.push_back(a.to_string());
    s.columns = join(g, ", ") + (g.empty() ? "" : ", ") + join(computed, ", ");
  }
  s.filter = describe_terms(t, p);
  s.limit = p.limit_arg >= 0 ? (p.offset_arg >= 0 ? "LIMIT+OFFSET" : "LIMIT") : "";
  std::vector<std::string> order;
  for (const auto& o : p.order) order.push_back(o.column + (o.descending ? " DESC" : ""));
  s.order = join(order, ", ");
}

// The strategy shown by explain --analyze, with why it was chosen.
void set_strategy(Plan& p, const std::string& strategy) {
  p.stats.strategy = p.choice.empty() ? strategy : strategy + " (" + p.choice + ")";
}

Plan* find_plan(RemoteTable& t, int id) {
  for (auto it = t.plans.rbegin(); it != t.plans.rend(); ++it)
    if (it->id == id) return &*it;
  return nullptr;
}

void best_index(RemoteTable& t, sqlite3_index_info* info) {
  Plan p;
  p.id = t.engine->next_plan_id();
  p.columns_used = info->colUsed;
  int argc = 0;
  bool every_term_pushed = true;
  double rows = t.estimated_rows;
  double unknown_selectivity = 1;  // of conditions whose values come at run time
  std::vector<Filter> constants;   // conditions with values known now
  bool unique = false;
  if (logger("query")->should_log(spdlog::level::trace)) {
    std::string cons;
    for (int i = 0; i < info->nConstraint; ++i)
      cons += fmt::format(" [col {} op {} usable {}]", info->aConstraint[i].iColumn,
                          static_cast<int>(info->aConstraint[i].op),
                          static_cast<int>(info->aConstraint[i].usable));
    logger("query")->trace("xBestIndex {}: {} order terms, constraints{}", t.display,
                           info->nOrderBy, cons);
  }
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT || c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) continue;
    // An aggregate's value: SQLite checks it on the grouped rows.
    if (aggregate_column(t, c.iColumn)) {
      every_term_pushed = false;
      continue;
    }
    // `col LIKE 'constant'` on a join view's text column: sent to narrow
    // what the backend returns (join_view.hpp); SQLite still checks it.
    if (t.join && c.op == SQLITE_INDEX_CONSTRAINT_LIKE && c.usable && c.iColumn >= 0 &&
        t.schema.fields[c.iColumn].type.id == TypeId::string &&
        t.schema.fields[c.iColumn].collation == Collation::binary) {
      sqlite3_value* rhs = nullptr;
      if (sqlite3_vtab_rhs_value(info, i, &rhs) == SQLITE_OK && rhs &&
          sqlite3_value_type(rhs) == SQLITE_TEXT) {
        PlanTerm term;
        term.column = c.iColumn;
        term.like = true;
        term.shown = shown_value(rhs);
        info->aConstraintUsage[i].argvIndex = ++argc;
        info->aConstraintUsage[i].omit = 0;
        rows *= 0.1;
        p.terms.push_back(std::move(term));
        continue;
      }
    }
    // A hidden column of an aggregate view: its condition goes to the
    // backend with the aggregate query, or the plan is refused.
    const bool hidden = hidden_column(t, c.iColumn);
    const auto op = compare_op(c.op);
    if (!c.usable || c.iColumn < 0 || !op || !comparable(t.schema.fields[c.iColumn].type.id)) {
      if (hidden) refuse_plan("a condition on a hidden column is not usable");
      every_term_pushed = false;
      continue;
    }
    // The backend compares as the column's collation says; a condition under
    // another one (`col = x COLLATE NOCASE`, or BINARY on a char(n) column)
    // is SQLite's to check, on every row.
    // SQLite forgets the COLLATE of a HIDDEN column (it reports BINARY): the
    // rewrite sends no explicit COLLATE, so BINARY there means the column's.
    const char* collation = sqlite3_vtab_collation(info, i);
    if (hidden && !sqlite3_stricmp(collation, "BINARY"))
      collation = nullptr;  // the column's own
    if (has_operand(*op) && collation &&
        sqlite3_stricmp(collation, vtab_collation(t, t.schema.fields[c.iColumn]).c_str())) {
      if (hidden) refuse_plan("a condition on a hidden column is under another collation");
      every_term_pushed = false;
      continue;
    }
    PlanTerm term;
    term.column = c.iColumn;
    term.op = *op;
    sqlite3_value* rhs = nullptr;
    term.in_list = *op == CompareOp::eq && sqlite3_vtab_in(info, i, -1);
    const bool known = !has_operand(*op) ||
                       (!term.in_list && sqlite3_vtab_rhs_value(info, i, &rhs) == SQLITE_OK);
    // A hidden column's value not known now is a bound parameter (the
    // rewrite sends no correlated condition): one value for the whole run.
    term.lookup = *op == CompareOp::eq && !known && !term.in_list && !hidden;
    if (hidden && known && rhs && has_operand(*op) &&
        !constraint_value(rhs, t.schema.fields[c.iColumn].type))
      // a value the backend would not compare as SQLite does
      refuse_plan("a hidden column's value does not convert");
    if (!known && !term.in_list && !term.lookup && !hidden) {  // a join on <, > ...: SQLite checks it
      every_term_pushed = false;
      continue;
    }
    term.shown = term.in_list ? "..." : shown_value(rhs);
    if (term.in_list) sqlite3_vtab_in(info, i, 1);
    if (has_operand(*op)) info->aConstraintUsage[i].argvIndex = ++argc;
    // A constant condition on a case-insensitive column is the engine's to
    // answer, by its own rules: SQLite does not check it again (its
    // reproduction covers printable ASCII only). Only a value that reaches
    // the backend, though: one xFilter cannot convert is SQLite's to check.
    const Field& field = t.schema.fields[c.iColumn];
    const bool engine_rules = known && has_operand(*op) && is_case_insensitive(field.collation) &&
                              rhs && constraint_value(rhs, field.type).has_value();
    info->aConstraintUsage[i].omit = term.in_list || engine_rules || hidden ? 1 : 0;
    if (term.lookup) {
      p.lookup = true;
      unique = unique || (t.schema.primary_key.size() == 1 &&
                          t.schema.primary_key[0] == t.schema.fields[c.iColumn].name);
    } else {
      rows *= selectivity(t, term);
      auto value = rhs ? constraint_value(rhs, t.schema.fields[c.iColumn].type) : std::nullopt;
      const std::string& name = t.schema.fields[c.iColumn].name;
      if (!has_operand(*op))
        constants.push_back(Filter::is_null(name, *op == CompareOp::is_not_null));
      else if (value)
        constants.push_back(Filter::compare(name, *op, std::move(*value)));
      else unknown_selectivity *= selectivity(t, term);
    }
    p.terms.push_back(std::move(term));
  }
  // ORDER BY: numbers and dates sort alike everywhere once NULLs are placed.
  bool order_ok = info->nOrderBy > 0 && !p.lookup && !t.aggregate && t.caps.order_pushdown &&
                  t.caps.order_nulls;
  for (int i = 0; order_ok && i < info->nOrderBy; ++i) {
    const auto& o = info->aOrderBy[i];
    order_ok = o.iColumn >= 0 && sortable(t.schema.fields[o.iColumn].type.id);
  }
  if (order_ok) {
    for (int i = 0; i < info->nOrderBy; ++i) {
      const auto& o = info->aOrderBy[i];
      OrderBy ob{t.schema.fields[o.iColumn].name, o.desc != 0};
      ob.nulls_first = o.desc == 0;  // SQLite: NULLs are the smallest values
      p.order.push_back(std::move(ob));
    }
    info->orderByConsumed = 1;
  }
  // LIMIT/OFFSET only when the backend sees every condition and the order.
  if (every_term_pushed && !p.lookup && !t.aggregate && t.caps.limit_pushdown &&
      (info->nOrderBy == 0 || order_ok)) {
    for (int i = 0; i < info->nConstraint; ++i) {
      const auto& c = info->aConstraint[i];
      if (!c.usable) continue;
      if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
        info->aConstraintUsage[i].argvIndex = ++argc;
        p.limit_arg = argc - 1;
      } else if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
        info->aConstraintUsage[i].argvIndex = ++argc;
        p.offset_arg = argc - 1;
      }
    }
  }
  if (!constants.empty())
    if (auto n = backend_estimate(t, constants.size() == 1 ? constants[0] : Filter::all_of(constants)))
      rows = *n * unknown_selectivity;
  // An aggregate view returns a row per group: one without GROUP BY, and
  // rarely more than a few thousand with it. Probed by key, though, what a
  // copy of it costs is the rows it adds up: key batching is weighed
  // against those (a correlated subquery's few keys against all of them).
  const double input_rows = std::max(rows, 1.0);
  if (t.aggregate) rows = t.aggregate->group_by.empty() ? 1 : std::min(rows, 1000.0);
  rows = std::max(rows, 1.0);
  p.estimated_rows = t.aggregate && p.lookup ? input_rows : rows;
  if (p.lookup) {
    const double per_probe = unique ? 1 : std::max(1.0, rows / 1000);
    // The local copy a join probes costs in proportion to its size: prefer
    // probing the smaller side (the quadratic term only matters for big ones).
    info->estimatedCost = kLocalProbeCost + std::log2(rows + 1) + per_probe + 1e-9 * rows * rows;
    info->estimatedRows = static_cast<sqlite3_int64>(per_probe);
    if (unique) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else {
    info->estimatedCost = kRemoteCallCost + rows;
    info->estimatedRows = static_cast<sqlite3_int64>(rows);
  }
  fill_plan_stats(t, p);
  // The same request gets the same plan: a statement prepared again (EXPLAIN
  // QUERY PLAN of it) then names the plans its twin runs.
  std::string key = fmt::format("{}|{}|{}|{}|{}|{}|", p.columns_used, p.limit_arg, p.offset_arg,
                                p.stats.order, info->orderByConsumed, p.stats.filter);
  for (int i = 0; i < info->nConstraint; ++i)
    key += fmt::format("{}:{}:{},", i, info->aConstraintUsage[i].argvIndex,
                       static_cast<int>(info->aConstraintUsage[i].omit));
  for (const auto& term : p.terms) key += term.lookup ? "L" : term.in_list ? "I" : "C";
  p.key = key;
  for (const auto& existing : t.plans)
    if (existing.key == key) p.id = existing.id;
  const std::string shown = p.stats.access + (p.stats.filter.empty() ? "" : " WHERE " + p.stats.filter) +
                            (p.order.empty() ? "" : " ORDER BY " + p.stats.order) +
                            (p.stats.limit.empty() ? "" : " " + p.stats.limit);
  info->idxNum = p.id;
  info->idxStr = sqlite3_mprintf("%s", shown.c_str());
  info->needToFreeIdxStr = 1;
  if (!find_plan(t, p.id)) t.plans.push_back(std::move(p));
}

// ------------------------------------------------------------------ cursor

struct Cursor : sqlite3_vtab_cursor {
  RemoteTable* table = nullptr;
  Plan* plan = nullptr;
  // Remote mode: scans still to send, the open reader, its current batch.
  std::vector<ScanSpec> pending;
  std::unique_ptr<BatchReader> reader;
  std::optional<Batch> batch;
  size_t row = 0;
  std::vector<int> column_of;  // vtab column -> batch column (-1: not read)
  // Local mode: a probe of the plan's local copy, on disk (probe) or in
  // memory (hits).
  sqlite3_stmt* probe = nullptr;
  std::string probe_sql;
  std::vector<int> local_column_of;
  bool local = false;
  const LocalCopy* copy = nullptr;
  uint64_t copy_generation = 0;
  bool in_memory = false;          // hits (else the probe statement)
  std::span<const uint64_t> hits;  // the in-memory copy's rows that match
  size_t hit = 0;
  std::string key;
  bool eof = true;
  sqlite3_int64 rowid = 0;

  ~Cursor() { sqlite3_finalize(probe); }
};

// Runs `fn`, the body of a callback of kind `kind`: whatever it throws is
// kept by the engine (rethrown intact once SQLite returns) and becomes
// SQLITE_ERROR with the message in zErrMsg, which names the table. Nothing
// escapes: the callbacks are noexcept C functions.
template <class Fn>
int guarded(sqlite3_vtab* vtab, Engine& engine, CCallback kind, Fn&& fn) noexcept {
  try {
    callback_fault_point(kind);
    fn();
    return SQLITE_OK;
  } catch (...) {
    engine.keep_error(std::current_exception());
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = nullptr;
    try {
      vtab->zErrMsg =
          sqlite3_mprintf("%s", error_from_exception(std::current_exception()).message().c_str());
    } catch (...) {  // no memory for the text: SQLite reports the code alone
    }
    return SQLITE_ERROR;
  }
}

void exec_cache(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(ErrorCode::io,
                "cannot write the local copy of a remote table (is the temporary directory "
                "full?): " + msg,
                "sqlite", msg);
  }
}

sqlite3_stmt* prepare_cache(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr) != SQLITE_OK)
    throw Error(ErrorCode::internal, fmt::format("cannot prepare '{}': {}", sql, sqlite3_errmsg(db)),
                "sqlite");
  return st;
}

// Reads a whole scan from the backend, counting the call and the time.
class RemoteRead {
 public:
  RemoteRead(RemoteTable& t, Plan& p, const ScanSpec& spec) : t_(t), p_(p) {
    t.engine->check_cancel();
    t.engine->count_remote_call(t);
    ++p.stats.remote_calls;
    const auto start = Clock::now();
    reader_ = t.engine->scan(t, spec);
    p.stats.native = reader_->plan().native;
    add_time(start);
  }
  std::optional<Batch> next() {
    t_.engine->check_cancel();
    const auto start = Clock::now();
    auto b = reader_->next();
    add_time(start);
    if (b) p_.stats.rows_fetched += b->num_rows();
    return b;
  }
  std::unique_ptr<BatchReader> release() { return std::move(reader_); }

 private:
  void add_time(Clock::time_point start) {
    p_.stats.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  RemoteTable& t_;
  Plan& p_;
  std::unique_ptr<BatchReader> reader_;
};

size_t column_position(const LocalCopy& copy, const std::string& name) {
  return static_cast<size_t>(std::find(copy.columns.begin(), copy.columns.end(), name) -
                             copy.columns.begin());
}

void insert_rows(RemoteTable& t, sqlite3_stmt* insert, const Batch& b) {
  for (size_t r = 0; r < b.num_rows(); ++r) {
    for (size_t c = 0; c < b.num_columns(); ++c)
      bind_engine_cell(insert, static_cast<int>(c + 1), b.column(c), r);
    if (sqlite3_step(insert) != SQLITE_DONE)
      throw Error(ErrorCode::io,
                  fmt::format("cannot write the local copy of {} (is the temporary directory "
                              "full?): {}",
                              t.display, sqlite3_errmsg(t.engine->cache_db())),
                  "sqlite");
    sqlite3_reset(insert);
  }
}

// The field of `column`, whose collation a lookup key follows.
const Field* collation_of(const RemoteTable& t, const std::string& column) {
  const auto i = t.schema.index_of(column);
  return i ? &t.schema.fields[*i] : nullptr;
}

void index_in_memory(const RemoteTable& t, LocalCopy& copy, const std::vector<std::string>& keys) {
  std::vector<size_t> key_cols;
  std::vector<const Field*> key_fields;  // their collations build the keys
  const Schema& schema = copy.batches.front().schema();
  for (const auto& k : keys) {
    key_cols.push_back(*schema.index_of(k));
    key_fields.push_back(collation_of(t, k));
  }
  std::string key;
  for (size_t bi = 0; bi < copy.batches.size(); ++bi) {
    const Batch& b = copy.batches[bi];
    for (size_t r = 0; r < b.num_rows(); ++r) {
      const uint64_t ref = (static_cast<uint64_t>(bi) << 32) | r;
      if (keys.empty()) {
        copy.all.push_back(ref);
        continue;
      }
      key.clear();
      bool ok = true;
      for (size_t k = 0; k < key_cols.size(); ++k)
        ok = ok && append_key(key, b.column(key_cols[k]), r, key_fields[k]);
      if (ok) copy.index.add(key, ref);  // a NULL key part matches nothing
    }
  }
  copy.index.finish();
}

// Builds the plan's local copy from `specs`: every row the constant
// conditions keep (and, for key batching, the keys' rows), indexed on the
// lookup columns. With `record` (a discovery pass) a copy that outgrows
// memory is abandoned instead (returns false): the pass stops.
bool build_copy(RemoteTable& t, Plan& p, const std::vector<ScanSpec>& specs,
                const std::string& signature, const std::vector<std::string>& keys,
                bool record = false) {
  sqlite3* db = t.engine->cache_db();
  const uint64_t generation = p.copy ? p.copy->generation + 1 : 1;
  if (p.copy && !p.copy->table.empty()) exec_cache(db, "DROP TABLE IF EXISTS " + p.copy->table);
  p.copy.reset();
  LocalCopy copy;
  copy.generation = generation;
  copy.signature = signature;
  copy.columns = specs.front().columns;
  if (t.aggregate) copy.columns = used_columns(t, p);  // what the aggregate query returns
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> insert(nullptr, sqlite3_finalize);
  auto spill = [&] {  // move to the cache database
    copy.table = fmt::format("copy_{}_{}", p.id, generation);
    std::string cols, marks;
    for (size_t i = 0; i < copy.columns.size(); ++i) {
      // Probes compare as the vtab column does (see connect()).
      const Field* field = collation_of(t, copy.columns[i]);
      cols += fmt::format("{}c{} COLLATE {}", i ? ", " : "", i,
                          quote_identifier(field ? vtab_collation(t, *field) : "BINARY"));
      marks += i ? ", ?" : "?";
    }
    exec_cache(db, fmt::format("DROP TABLE IF EXISTS {0}; CREATE TABLE {0} ({1})", copy.table, cols));
    insert.reset(prepare_cache(db, fmt::format("INSERT INTO {} VALUES ({})", copy.table, marks)));
    exec_cache(db, "BEGIN");
    for (const auto& b : copy.batches) insert_rows(t, insert.get(), b);
    copy.batches.clear();
  };
  size_t bytes = 0;
  try {
    for (const auto& spec : specs) {
      RemoteRead read(t, p, spec);
      while (auto b = read.next()) {
        if (insert) {
          insert_rows(t, insert.get(), *b);
          continue;
        }
        bytes += b->byte_size();
        copy.batches.push_back(std::move(*b));
        if (bytes <= t.engine->copy_memory_bytes()) continue;
        if (record) return false;
        spill();  // too big for memory
      }
    }
    if (insert) exec_cache(db, "COMMIT");
  } catch (...) {
    if (insert) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (!insert) {
    copy.in_memory = true;
    if (!copy.batches.empty()) index_in_memory(t, copy, keys);
  } else if (!keys.empty()) {
    std::string key_cols;
    for (size_t k = 0; k < keys.size(); ++k)
      key_cols += fmt::format("{}c{}", k ? ", " : "", column_position(copy, keys[k]));
    exec_cache(db, fmt::format("CREATE INDEX {0}_key ON {0} ({1})", copy.table, key_cols));
  }
  const std::string where = copy.in_memory ? "in memory" : "on disk";
  set_strategy(p, keys.empty() ? "remote, then a local copy (" + where + ")"
                               : fmt::format("remote, then a local copy ({}) indexed on ({})",
                                             where, join(keys, ", ")));
  p.copy = std::move(copy);
  return true;
}

std::string probe_sql(const LocalCopy& copy, const std::vector<std::string>& keys) {
  std::string cols;
  for (size_t i = 0; i < copy.columns.size(); ++i) cols += fmt::format("{}c{}", i ? ", " : "", i);
  std::string sql = fmt::format("SELECT {} FROM {}", cols, copy.table);
  for (size_t k = 0; k < keys.size(); ++k)
    sql += fmt::format("{}c{} = ?{}", k ? " AND " : " WHERE ", column_position(copy, keys[k]), k + 1);
  return sql;
}

void map_columns(const RemoteTable& t, const std::vector<std::string>& have, std::vector<int>& out) {
  out.assign(t.schema.fields.size(), -1);
  for (size_t i = 0; i < have.size(); ++i)
    if (auto idx = t.schema.index_of(have[i])) out[*idx] = static_cast<int>(i);
}

// Moves the cursor to the next row of the remote scans, opening the next
// pending scan when one ends.
void advance_remote(Cursor& cur) {
  RemoteTable& t = *cur.table;
  for (;;) {
    if (cur.batch && cur.row + 1 < cur.batch->num_rows()) {
      ++cur.row;
      return;
    }
    cur.batch.reset();
    cur.row = 0;
    if (cur.reader) {
      t.engine->check_cancel();
      const auto start = Clock::now();
      auto b = cur.reader->next();
      cur.plan->stats.seconds += std::chrono::duration<double>(Clock::now() - start).count();
      if (b) {
        cur.plan->stats.rows_fetched += b->num_rows();
        cur.batch = std::move(b);
        map_columns(t, [&] {
          std::vector<std::string> names;
          for (const auto& f : cur.batch->schema().fields) names.push_back(f.name);
          return names;
        }(), cur.column_of);
        if (cur.batch->num_rows() > 0) return;
        continue;
      }
      cur.reader.reset();
    }
    if (cur.pending.empty()) {
      cur.eof = true;
      return;
    }
    ScanSpec spec = std::move(cur.pending.front());
    cur.pending.erase(cur.pending.begin());
    RemoteRead read(t, *cur.plan, spec);
    cur.reader = read.release();
  }
}

void step_local(Cursor& cur) {
  if (cur.in_memory) {
    if (++cur.hit >= cur.hits.size()) cur.eof = true;
    return;
  }
  const int rc = sqlite3_step(cur.probe);
  if (rc == SQLITE_ROW) return;
  cur.eof = true;
  if (rc != SQLITE_DONE)
    throw Error(ErrorCode::io,
                fmt::format("cannot read the local copy of {}: {}", cur.table->display,
                            sqlite3_errmsg(cur.table->engine->cache_db())),
                "sqlite");
}

// The arguments of one xFilter call, sorted into what is pushed down.
struct FilterArgs {
  std::vector<Filter> constant;  ///< pushed to the backend / the copy's scan
  std::vector<Value> keys;       ///< lookup values, in the plan's lookup order
  std::vector<std::string> key_columns;
  std::string signature;         ///< the constant part, to reuse a copy
  bool exact = true;             ///< every constant condition is pushed
  bool empty = false;            ///< no row can match
  std::optional<uint64_t> limit;
  std::vector<Value> in_values;  ///< the IN list to split, when there is one
  std::string in_column;
};

FilterArgs read_args(const RemoteTable& t, const Plan& p, sqlite3_value** argv) {
  FilterArgs a;
  int arg = 0;
  for (const auto& term : p.terms) {
    const Field& f = t.schema.fields[term.column];
    if (!has_operand(term.op)) {
      a.constant.push_back(Filter::is_null(f.name, term.op == CompareOp::is_not_null));
      a.signature += f.name + std::string(to_sql(term.op)) + ";";
      continue;
    }
    sqlite3_value* v = argv[arg++];
    if (term.like) {
      if (sqlite3_value_type(v) != SQLITE_TEXT) continue;  // SQLite checks it
      const std::string pattern(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                                static_cast<size_t>(sqlite3_value_bytes(v)));
      a.constant.push_back(Filter::compare(like_column(f.name), CompareOp::eq, Value(pattern)));
      a.signature += f.name + " LIKE " + pattern + ";";
      continue;
    }
    if (term.in_list) {
      std::vector<Value> values;
      sqlite3_value* item = nullptr;
      for (int rc = sqlite3_vtab_in_first(v, &item); rc == SQLITE_OK && item;
           rc = sqlite3_vtab_in_next(v, &item))
        if (auto cv = constraint_value(item, f.type)) values.push_back(std::move(*cv));
      if (values.empty()) a.empty = true;  // no value can equal anything
      a.signature += f.name + " IN " + std::to_string(values.size()) + ";";
      for (const auto& x : values) a.signature += x.to_text() + ",";
      // An aggregate needs every value in one query.
      if (a.in_values.empty() && values.size() > kInChunk && !t.aggregate) {
        a.in_values = std::move(values);
        a.in_column = f.name;
      } else {
        a.constant.push_back(Filter::in(f.name, std::move(values)));
      }
      continue;
    }
    auto cv = constraint_value(v, f.type);
    if (term.lookup) {
      if (!cv) a.empty = true;  // NULL or a value of no comparable kind: no match
      else a.keys.push_back(std::move(*cv));
      a.key_columns.push_back(f.name);
      continue;
    }
    if (!cv && hidden_column(t, term.column))
      throw Error(ErrorCode::unsupported,
                  fmt::format("{}: the value {} for {} cannot be compared by the backend as "
                              "SQLite would, so the aggregate cannot be computed there",
                              t.display, shown_value(v), f.name));
    if (!cv) {
      a.exact = false;  // SQLite checks this one itself
      if (term.op == CompareOp::eq && sqlite3_value_type(v) == SQLITE_NULL) a.empty = true;
      continue;
    }
    a.signature += f.name + std::string(to_sql(term.op)) + cv->to_text() + ";";
    a.constant.push_back(Filter::compare(f.name, term.op, std::move(*cv)));
  }
  if (p.limit_arg >= 0 && a.exact) {
    int64_t lim = sqlite3_value_int64(argv[p.limit_arg]);
    if (p.offset_arg >= 0) lim += std::max<int64_t>(0, sqlite3_value_int64(argv[p.offset_arg]));
    if (lim >= 0) a.limit = static_cast<uint64_t>(lim);
    a.signature += "limit" + std::to_string(lim) + ";";
  }
  return a;
}

ScanSpec base_spec(const RemoteTable& t, const Plan& p, const std::vector<Filter>& filters) {
  ScanSpec spec;
  spec.table = t.name;
  if (t.aggregate) {
    spec.group_by = t.aggregate->group_by;
    spec.aggregates = t.aggregate->aggregates;
    if (!filters.empty())
      spec.filter = filters.size() == 1 ? filters[0] : Filter::all_of(filters);
    spec.batch_rows = t.engine->batch_rows();
    return spec;
  }
  spec.columns = used_columns(t, p);
  for (const auto& term : p.terms) {  // lookup columns are needed for the copy's index
    const std::string& name = t.schema.fields[term.column].name;
    if (std::find(spec.columns.begin(), spec.columns.end(), name) == spec.columns.end())
      spec.columns.push_back(name);
  }
  if (!filters.empty())
    spec.filter = filters.size() == 1 ? filters[0] : Filter::all_of(filters);
  spec.order_by = p.order;
  spec.batch_rows = t.engine->batch_rows();
  return spec;
}


void open_in_memory(Cursor& cur, const FilterArgs& a) {
  const LocalCopy& copy = *cur.plan->copy;
  if (cur.copy != &copy || cur.copy_generation != copy.generation) {
    cur.local_column_of.assign(cur.table->schema.fields.size(), -1);
    if (!copy.batches.empty()) map_columns(*cur.table, [&] {
        std::vector<std::string> names;
        for (const auto& f : copy.batches.front().schema().fields) names.push_back(f.name);
        return names;
      }(), cur.local_column_of);
    cur.copy = &copy;
    cur.copy_generation = copy.generation;
  }
  cur.local = true;
  cur.in_memory = true;
  if (a.keys.empty()) {
    cur.hits = copy.all;
  } else {
    cur.key.clear();
    bool ok = true;
    for (size_t k = 0; k < a.keys.size(); ++k)
      ok = ok && append_key(cur.key, a.keys[k], collation_of(*cur.table, a.key_columns[k]));
    cur.hits = ok ? copy.index.find(cur.key) : std::span<const uint64_t>();
  }
  cur.hit = 0;
  cur.eof = cur.hits.empty();
}

void open_local(Cursor& cur, const FilterArgs& a) {
  const LocalCopy& copy = *cur.plan->copy;
  if (copy.in_memory) return open_in_memory(cur, a);
  cur.in_memory = false;
  cur.hits = {};
  if (!cur.probe || cur.copy != &copy || cur.copy_generation != copy.generation) {
    sqlite3_finalize(cur.probe);
    cur.probe = nullptr;
    cur.probe_sql = probe_sql(copy, a.key_columns);
    cur.probe = prepare_cache(cur.table->engine->cache_db(), cur.probe_sql);
    map_columns(*cur.table, copy.columns, cur.local_column_of);
    cur.copy = &copy;
    cur.copy_generation = copy.generation;
  }
  sqlite3_reset(cur.probe);
  for (size_t k = 0; k < a.keys.size(); ++k)
    bind_lookup_key(cur.probe, static_cast<int>(k + 1), a.keys[k]);
  cur.local = true;
  cur.eof = false;
  step_local(cur);
}

// One scan per `kInChunk` values of `values`, each with `filters` and
// `column IN (chunk)`.
std::vector<ScanSpec> in_list_specs(const RemoteTable& t, const Plan& p,
                                    const std::vector<Filter>& filters, const std::string& column,
                                    const std::vector<Value>& values) {
  std::vector<ScanSpec> specs;
  for (size_t i = 0; i < values.size(); i += kInChunk) {
    std::vector<Filter> chunk = filters;
    const size_t end = std::min(values.size(), i + kInChunk);
    chunk.push_back(Filter::in(column, {values.begin() + static_cast<long>(i),
                                        values.begin() + static_cast<long>(end)}));
    specs.push_back(base_spec(t, p, chunk));
  }
  return specs;
}

// The scan behind a local copy: every row the constant conditions keep.
ScanSpec copy_spec(const RemoteTable& t, const Plan& p, const FilterArgs& a) {
  std::vector<Filter> filters = a.constant;
  if (!a.in_values.empty()) filters.push_back(Filter::in(a.in_column, a.in_values));
  ScanSpec spec = base_spec(t, p, filters);
  spec.limit = a.limit;
  return spec;
}

std::vector<std::string> lookup_columns(const RemoteTable& t, const Plan& p) {
  std::vector<std::string> cols;
  for (const auto& term : p.terms)
    if (term.lookup) cols.push_back(t.schema.fields[term.column].name);
  return cols;
}

// Whether the plan's copy answers a probe for `a`: a copy built from
// batched keys holds only the keys the discovery pass saw.
bool copy_answers(const RemoteTable& t, const Plan& p, const FilterArgs& a) {
  if (!p.copy || p.copy->signature != a.signature) return false;
  if (!p.copy->covered) return true;
  std::string key;
  return append_key(key, a.keys.front(), collation_of(t, a.key_columns.front())) &&
         p.copy->covered->count(key) > 0;
}

// Distinct keys beyond which a copy of the whole table is the better bet:
// each key brings at least one row (a foreign key) and costs a share of an
// IN-list call, so batching must read much less than the table.
size_t max_batched_keys(const RemoteTable& t, const Plan& p) {
  const auto keys = lookup_columns(t, p);
  const bool unique = t.schema.primary_key.size() == 1 && keys.size() == 1 &&
                      keys[0] == t.schema.primary_key[0];
  const double limit = p.estimated_rows / (unique ? 4 : 20);
  // Each IN list sent to a join view runs the whole join again (the other
  // tables are scanned per call: TPC-H q03 took 6 calls of 100 ms where one
  // copy took 150 ms): batch only what one call sends.
  if (t.join) return static_cast<size_t>(std::clamp(limit, 1.0, static_cast<double>(kInChunk)));
  return static_cast<size_t>(std::clamp(limit, 1.0, kMaxBatchedKeys));
}

void reject_keys(RemoteTable& t, KeyLog& log, std::string why) {
  log.rejected = std::move(why);
  log.values.clear();
  log.seen.clear();
  t.engine->abort_discovery(t.display + " " + log.rejected);
}

// A lookup during discovery: logs the key; answers nothing for now.
void log_keys(RemoteTable& t, Plan& p, const FilterArgs& a) {
  if (!p.key_log) {
    KeyLog log;
    log.signature = a.signature;
    log.constant = a.constant;
    log.column = a.key_columns.front();
    p.key_log = std::move(log);
  }
  KeyLog& log = *p.key_log;
  if (!log.rejected.empty()) return;
  if (log.signature != a.signature || !a.in_values.empty())
    return reject_keys(t, log, "is probed with conditions that change from probe to probe");
  std::string key;
  if (!append_key(key, a.keys.front(), collation_of(t, a.key_columns.front())) ||
      !log.seen.insert(std::move(key)).second)
    return;
  log.values.push_back(a.keys.front());
  if (const size_t most = max_batched_keys(t, p); log.values.size() > most)
    reject_keys(t, log,
                fmt::format("is probed with more than {} distinct keys (of ~{:.0f} rows)", most,
                            p.estimated_rows));
}

// A plan run during discovery: lookups log their keys, scans are read once
// into a copy that the real run replays.
void discover(Cursor& cur, const FilterArgs& a) {
  RemoteTable& t = *cur.table;
  Plan& p = *cur.plan;
  if (!t.engine->discovery_aborted().empty()) return;
  // A lookup whose keys an earlier pass fetched answers from its copy, so
  // that what it drives (a correlated subquery) is reached and logs keys.
  if (p.lookup && copy_answers(t, p, a)) return open_local(cur, a);
  if (p.lookup) return log_keys(t, p, a);
  if (!copy_answers(t, p, a) &&
      !build_copy(t, p, {copy_spec(t, p, a)}, a.signature, a.key_columns, true))
    return t.engine->abort_discovery(
        fmt::format("{} has more rows than fit in memory ({} MB)", t.display,
                    t.engine->copy_memory_bytes() >> 20));
  open_local(cur, a);
}

// After discovery: reads the rows of the logged keys, in IN lists.
void fetch_keys(RemoteTable& t, Plan& p) {
  KeyLog log = std::move(*p.key_log);
  p.key_log.reset();
  const auto specs = in_list_specs(t, p, log.constant, log.column, log.values);
  const auto keys = lookup_columns(t, p);
  build_copy(t, p, specs, log.signature, keys);
  p.copy->covered = std::move(log.seen);
  p.choice = fmt::format("{} distinct keys against ~{:.0f} rows", log.values.size(),
                         p.estimated_rows);
  set_strategy(p, fmt::format("key batching: {} keys in {} IN list{}, then a local copy ({}) "
                              "indexed on ({})",
                              log.values.size(), specs.size(), specs.size() == 1 ? "" : "s",
                              p.copy->in_memory ? "in memory" : "on disk", join(keys, ", ")));
}

void filter(Cursor& cur, int idx_num, sqlite3_value** argv) {
  RemoteTable& t = *cur.table;
  cur.plan = find_plan(t, idx_num);
  if (!cur.plan) throw Error(ErrorCode::internal, "unknown plan " + std::to_string(idx_num));
  Plan& p = *cur.plan;
  ++p.executions;
  ++p.stats.probes;
  cur.pending.clear();
  cur.reader.reset();
  cur.batch.reset();
  cur.local = false;
  cur.in_memory = false;
  cur.hits = {};
  cur.eof = true;
  FilterArgs a = read_args(t, p, argv);
  if (t.aggregate) {
    if (!p.aggregate_conditions) p.aggregate_conditions = a.signature;
    else if (*p.aggregate_conditions != a.signature)
      throw Error(ErrorCode::internal,
                  fmt::format("{}: SQLite asked an aggregate for other conditions within one "
                              "query ({} after {}); run it with aggregate pushdown off",
                              t.display, a.signature, *p.aggregate_conditions));
    // No row can match, yet an aggregate without GROUP BY has its one row
    // (count 0, sum NULL): the backend computes it over nothing.
    if (a.empty && t.aggregate->group_by.empty()) {
      a.empty = false;
      a.constant.push_back(Filter::any_of({}));
    }
  }
  if (a.empty) return;
  if (t.engine->discovering()) return discover(cur, a);
  // A plan SQLite runs again (a join probing this table, or a table scanned
  // inside a loop) reads the backend once more, into a local copy that
  // answers every later run: never one remote call per outer row.
  const bool reuse = copy_answers(t, p, a);
  if (reuse || p.executions >= 2) {
    if (!reuse) {
      if (p.copy && p.copy->covered)  // a key the discovery pass did not see
        p.choice = "a probe asked for a key the discovery pass had not seen, so the whole "
                   "table was read";
      build_copy(t, p, {copy_spec(t, p, a)}, a.signature, a.key_columns);
    }
    open_local(cur, a);
    return;
  }
  if (p.stats.strategy.empty()) set_strategy(p, "remote");
  std::vector<Filter> filters = a.constant;
  for (size_t k = 0; k < a.keys.size(); ++k)
    filters.push_back(Filter::compare(a.key_columns[k], CompareOp::eq, a.keys[k]));
  if (a.in_values.empty()) {
    ScanSpec spec = base_spec(t, p, filters);
    spec.limit = a.limit;
    cur.pending.push_back(std::move(spec));
  } else {  // SQLite applies any LIMIT itself
    for (auto& spec : in_list_specs(t, p, filters, a.in_column, a.in_values))
      cur.pending.push_back(std::move(spec));
    set_strategy(p, fmt::format("remote, IN list in {} calls", cur.pending.size()));
  }
  cur.eof = false;
  advance_remote(cur);
}

// ------------------------------------------------------------ callbacks

// Declares the virtual table of engine.table(argv[3]).
sqlite3_vtab* connect(sqlite3* db, Engine& engine, int argc, const char* const* argv) {
  if (argc < 4) throw Error(ErrorCode::internal, "polydb_remote needs a table id", "sqlite");
  size_t used = 0;
  const unsigned long id = std::stoul(argv[3], &used);
  if (argv[3][used] != '\0')
    throw Error(ErrorCode::internal, fmt::format("polydb_remote: bad table id '{}'", argv[3]),
                "sqlite");
  RemoteTable& t = engine.table(id);
  std::string ddl = "CREATE TABLE x(";
  for (size_t i = 0; i < t.schema.fields.size(); ++i)
    // HIDDEN is a word of the type (SQLite takes it out): before DECIMAL(p,s).
    ddl += (i ? ", " : "") + quote_identifier(t.schema.fields[i].name) + " " +
           (hidden_column(t, static_cast<int>(i)) ? "HIDDEN " : "") +
           engine_declared_type(t.schema.fields[i].type) + " COLLATE " +
           quote_identifier(vtab_collation(t, t.schema.fields[i]));
  // An aggregate or join view's columns are its tables', whose collations exist.
  if (!t.aggregate && !t.join) {
    register_collations(db, db, t);
    register_collations(engine.cache_db(), db, t);
  }
  // SQLite's OR-by-union plans drop rows whose identity a previous branch
  // returned: with a primary key that identity is the key (WITHOUT ROWID);
  // without one, x_rowid hashes the whole row.
  if (!t.schema.primary_key.empty()) {
    ddl += ", PRIMARY KEY(";
    for (size_t i = 0; i < t.schema.primary_key.size(); ++i)
      ddl += (i ? ", " : "") + quote_identifier(t.schema.primary_key[i]);
    ddl += ")) WITHOUT ROWID";
  } else {
    ddl += ")";
  }
  if (sqlite3_declare_vtab(db, ddl.c_str()) != SQLITE_OK)
    throw Error(ErrorCode::internal,
                fmt::format("cannot declare {}: {}", t.display, sqlite3_errmsg(db)), "sqlite");
  auto v = std::make_unique<VTab>();
  v->table = &t;
  return v.release();
}

// xCreate and xConnect. No vtab exists yet to carry zErrMsg: the message
// goes to `err`; the engine keeps the exception.
int x_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
              char** err) noexcept {
  auto& engine = *static_cast<Engine*>(aux);
  try {
    callback_fault_point(CCallback::sqlite_vtab_connect);
    *out = connect(db, engine, argc, argv);
    return SQLITE_OK;
  } catch (...) {
    engine.keep_error(std::current_exception());
    try {
      *err = sqlite3_mprintf("%s",
                             error_from_exception(std::current_exception()).message().c_str());
    } catch (...) {
    }
    return SQLITE_ERROR;
  }
}

int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) noexcept {
  RemoteTable& t = *static_cast<VTab*>(vtab)->table;
  bool refused = false;
  const int rc = guarded(vtab, *t.engine, CCallback::sqlite_vtab_best_index, [&] {
    try {
      best_index(t, info);
    } catch (const PlanRefused&) {
      refused = true;
    }
  });
  return refused ? SQLITE_CONSTRAINT : rc;
}

int x_disconnect(sqlite3_vtab* vtab) noexcept {
  delete static_cast<VTab*>(vtab);
  return SQLITE_OK;
}

int x_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) noexcept {
  RemoteTable& t = *static_cast<VTab*>(vtab)->table;
  return guarded(vtab, *t.engine, CCallback::sqlite_vtab_open, [&] {
    auto cur = std::make_unique<Cursor>();
    cur->table = &t;
    *out = cur.release();
  });
}

int x_close(sqlite3_vtab_cursor* c) noexcept {
  delete static_cast<Cursor*>(c);
  return SQLITE_OK;
}

int x_filter(sqlite3_vtab_cursor* c, int idx_num, const char*, int, sqlite3_value** argv) noexcept {
  auto& cur = *static_cast<Cursor*>(c);
  return guarded(c->pVtab, *cur.table->engine, CCallback::sqlite_vtab_filter, [&] {
    cur.rowid = 0;
    filter(cur, idx_num, argv);
  });
}

int x_next(sqlite3_vtab_cursor* c) noexcept {
  auto& cur = *static_cast<Cursor*>(c);
  return guarded(c->pVtab, *cur.table->engine, CCallback::sqlite_vtab_next, [&] {
    ++cur.rowid;
    if (cur.local) step_local(cur);
    else advance_remote(cur);
  });
}

int x_eof(sqlite3_vtab_cursor* c) noexcept { return static_cast<Cursor*>(c)->eof ? 1 : 0; }

void column(Cursor& cur, sqlite3_context* ctx, int i) {
  const Type type = cur.table->schema.fields[static_cast<size_t>(i)].type;
  if (hidden_column(*cur.table, i))
    throw Error(ErrorCode::internal,
                fmt::format("{}: SQLite asked the aggregate view for column {}, which it does not "
                            "return (a condition on it was not sent to the backend)",
                            cur.table->display, cur.table->schema.fields[static_cast<size_t>(i)].name));
  if (cur.local && cur.in_memory) {
    const int pos = cur.local_column_of[static_cast<size_t>(i)];
    if (pos < 0) return sqlite3_result_null(ctx);
    const uint64_t ref = cur.hits[cur.hit];
    const Batch& b = cur.copy->batches[ref >> 32];
    return result_cell(ctx, b.column(static_cast<size_t>(pos)), ref & 0xffffffffu);
  }
  if (cur.local) {
    const int pos = cur.local_column_of[static_cast<size_t>(i)];
    if (pos < 0) return sqlite3_result_null(ctx);
    sqlite3_value* v = sqlite3_column_value(cur.probe, pos);
    sqlite3_result_value(ctx, v);
    const int storage = sqlite3_value_type(v);
    if (type.id == TypeId::decimal && storage != SQLITE_NULL)
      sqlite3_result_subtype(ctx, kDecimalSubtype);
    else if (type.id == TypeId::json && storage == SQLITE_TEXT)
      sqlite3_result_subtype(ctx, kJsonSubtype);
    return;
  }
  const int pos = cur.column_of[static_cast<size_t>(i)];
  if (pos < 0 || !cur.batch) return sqlite3_result_null(ctx);
  result_cell(ctx, cur.batch->column(static_cast<size_t>(pos)), cur.row);
}

int x_column(sqlite3_vtab_cursor* c, sqlite3_context* ctx, int i) noexcept {
  auto& cur = *static_cast<Cursor*>(c);
  return guarded(c->pVtab, *cur.table->engine, CCallback::sqlite_vtab_column,
                 [&] { column(cur, ctx, i); });
}

// The identity of the current row for tables without a primary key: a hash
// of every column (FNV-1a over the values' text), so that the same row read
// by two branches of an OR is recognised.
sqlite3_int64 rowid(const Cursor& cur) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char ch : bytes) h = (h ^ ch) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  const size_t n = cur.table->schema.fields.size();
  for (size_t i = 0; i < n; ++i) {
    if (cur.local && cur.in_memory) {
      const int pos = cur.local_column_of[i];
      if (pos < 0) continue;
      const uint64_t ref = cur.hits[cur.hit];
      const Value v = cur.copy->batches[ref >> 32].column(static_cast<size_t>(pos)).value_at(ref & 0xffffffffu);
      mix(v.is_null() ? std::string("\x01null") : v.to_text());
    } else if (cur.local) {
      const int pos = cur.local_column_of[i];
      if (pos < 0) continue;
      const auto* text = sqlite3_column_text(cur.probe, pos);
      mix(text ? std::string_view(reinterpret_cast<const char*>(text),
                                  static_cast<size_t>(sqlite3_column_bytes(cur.probe, pos)))
               : std::string_view("\x01null"));
    } else {
      const int pos = cur.column_of[i];
      if (pos < 0 || !cur.batch) continue;
      const Value v = cur.batch->column(static_cast<size_t>(pos)).value_at(cur.row);
      mix(v.is_null() ? std::string("\x01null") : v.to_text());
    }
  }
  return static_cast<sqlite3_int64>(h);
}

int x_rowid(sqlite3_vtab_cursor* c, sqlite3_int64* out) noexcept {
  auto& cur = *static_cast<Cursor*>(c);
  return guarded(c->pVtab, *cur.table->engine, CCallback::sqlite_vtab_rowid,
                 [&] { *out = rowid(cur); });
}

const sqlite3_module kModule = [] {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = x_connect;
  m.xConnect = x_connect;
  m.xBestIndex = x_best_index;
  m.xDisconnect = x_disconnect;
  m.xDestroy = x_disconnect;
  m.xOpen = x_open;
  m.xClose = x_close;
  m.xFilter = x_filter;
  m.xNext = x_next;
  m.xEof = x_eof;
  m.xColumn = x_column;
  m.xRowid = x_rowid;
  return m;
}();

}  // namespace

bool worth_discovering(const std::vector<std::unique_ptr<RemoteTable>>& tables,
                       const std::vector<int>& used) {
  double drivers = 0, biggest = 0;
  for (const auto& t : tables)
    for (const auto& p : t->plans) {
      if (std::find(used.begin(), used.end(), p.id) == used.end()) continue;
      if (p.lookup) biggest = std::max(biggest, p.estimated_rows);
      else drivers += p.estimated_rows;
    }
  // Each driving row is at most one key; batching pays while the keys are
  // few against the rows a copy would read. The estimates are rough (the
  // pass stops as soon as the keys turn out many), so only a driving side
  // estimated bigger than the probed table rules the pass out.
  return biggest >= kMinBatchRows && drivers <= biggest;
}

bool end_discovery(RemoteTable& t, const std::string& aborted) {
  bool fetched = false;
  for (auto& p : t.plans) {
    if (p.executions == 0) continue;
    p.stats.probes = 0;
    if (!p.lookup) {
      // A recorded scan is complete (a copy is built before it answers):
      // the real run replays it. One abandoned half-way runs as usual.
      if (p.copy) set_strategy(p, "remote, read once into memory for key discovery and the query");
      else p.executions = 0;
    } else if (!aborted.empty()) {
      // The real run copies the table at its first probe.
      p.key_log.reset();
      p.choice = "no key batching: " + aborted;
    } else if (p.key_log && !p.key_log->values.empty()) {
      fetch_keys(t, p);
      fetched = true;
    }
  }
  return fetched;
}

void register_module(sqlite3* db, Engine& engine) {
  if (sqlite3_create_module_v2(db, "polydb_remote", &kModule, &engine, nullptr) != SQLITE_OK)
    throw Error(ErrorCode::internal,
                std::string("cannot register the remote table module: ") + sqlite3_errmsg(db),
                "sqlite");
}

}  // namespace polydb::query
