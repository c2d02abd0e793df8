#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "connectors/sqlite/connection.hpp"
#include "connectors/sqlite/errors.hpp"
#include "connectors/sqlite/types.hpp"
#include "core/c_callback.hpp"
#include "core/log.hpp"
#include "polydb/config.hpp"
#include "polydb/query.hpp"
#include "polydb/uri.hpp"
#include "query/aggregate_pushdown.hpp"
#include "query/exact_sum.hpp"
#include "query/join_pushdown.hpp"
#include "query/join_view.hpp"
#include "query/names.hpp"
#include "query/remote_table.hpp"
#include "query/values.hpp"

namespace polydb {

namespace {

struct Attachment {
  std::string name;
  std::string target;  ///< URL or config name; empty when `conn` was given
  std::unique_ptr<Connection> conn;
  /// More connections to the same target, opened when every one is streaming
  /// a result (most backends stream one result per connection at a time).
  std::vector<std::unique_ptr<Connection>> more;
  std::set<const Connection*> streaming;
  bool attached = false;  ///< ATTACHed as a SQLite schema
};

// A scan's reader that marks its connection free again when it goes.
class LeasedReader final : public BatchReader {
 public:
  LeasedReader(std::unique_ptr<BatchReader> inner, std::set<const Connection*>& streaming,
               const Connection* conn)
      : inner_(std::move(inner)), streaming_(streaming), conn_(conn) {}
  ~LeasedReader() override {
    inner_.reset();
    streaming_.erase(conn_);
  }
  const Schema& schema() const override { return inner_->schema(); }
  std::optional<Batch> next() override { return inner_->next(); }
  ScanPlan plan() const override { return inner_->plan(); }

 private:
  std::unique_ptr<BatchReader> inner_;
  std::set<const Connection*>& streaming_;
  const Connection* conn_;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// `text`, a decimal, rounded to 15 significant digits (half away from zero):
// what SQLite can hold as a REAL and give back exactly (query/values.hpp).
std::string round_decimal(std::string_view text) {
  std::string sign, digits;
  size_t point = std::string::npos;  // digits before the point
  for (char c : text) {
    if (c == '-' || c == '+') sign = c == '-' ? "-" : "";
    else if (c == '.') point = digits.size();
    else if (c >= '0' && c <= '9') digits += c;
    else return std::string(text);  // not plain: left as it is
  }
  if (point == std::string::npos) point = digits.size();
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == '0') ++lead;
  constexpr size_t kDigits = 15;
  if (digits.size() - lead <= kDigits) return std::string(text);
  const size_t keep = lead + kDigits;  // digits[0, keep) survive
  bool carry = digits[keep] >= '5';
  for (size_t i = keep; i < digits.size(); ++i) digits[i] = '0';
  for (size_t i = keep; carry && i-- > 0;) {
    if (digits[i] == '9') {
      digits[i] = '0';
    } else {
      ++digits[i];
      carry = false;
    }
  }
  if (carry) {
    digits.insert(digits.begin(), '1');
    ++point;
  }
  std::string out = sign + (point == 0 ? "0" : digits.substr(0, point));
  std::string frac = point < digits.size() ? digits.substr(point) : "";
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? out : out + "." + frac;
}

// The reader of an aggregate view: decimals beyond 15 significant digits
// (a backend's exact sum) become the nearest 15-digit decimal, which SQLite
// holds as a number, as polydb's own sum() does, so that ORDER BY, HAVING
// and max() of sums compare numbers, never text.
class RoundedAggregates final : public BatchReader {
 public:
  // Columns from `first` on are aggregates (the group columns come first).
  RoundedAggregates(std::unique_ptr<BatchReader> inner, size_t first)
      : inner_(std::move(inner)), first_(first) {}
  const Schema& schema() const override { return inner_->schema(); }
  ScanPlan plan() const override { return inner_->plan(); }
  std::optional<Batch> next() override {
    auto b = inner_->next();
    if (!b) return b;
    bool wide = false;
    for (size_t c = first_; c < b->num_columns() && !wide; ++c)
      if (b->schema().fields[c].type.id == TypeId::decimal)
        for (size_t r = 0; r < b->num_rows() && !wide; ++r)
          wide = !b->column(c).is_null(r) && b->column(c).var_at(r).size() > 16;
    if (!wide) return b;
    Batch out(b->schema_ptr());
    std::vector<Value> row;
    for (size_t r = 0; r < b->num_rows(); ++r) {
      row = b->row(r);
      for (size_t c = first_; c < row.size(); ++c)
        if (row[c].type_id() == TypeId::decimal)
          row[c] = Value(Decimal{round_decimal(row[c].as<Decimal>().text)});
      out.append_row(row);
    }
    return out;
  }

 private:
  std::unique_ptr<BatchReader> inner_;
  size_t first_;
};

bool only_blanks(const char* tail) {
  for (; tail && *tail; ++tail)
    if (!(*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
      return false;
  return true;
}

}  // namespace

class Federation::Impl final : public query::Engine {
 public:
  explicit Impl(FederationOptions options)
      : options_(std::move(options)),
        engine_(Uri::parse("sqlite::memory:"), ConnectOptions{}) {
    sqlite3* cache = nullptr;
    // "": a private temporary database on disk: local copies spill there
    // instead of growing the process.
    if (sqlite3_open_v2("", &cache, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(cache);
      throw Error(ErrorCode::io, "cannot open a temporary database for local copies", "sqlite");
    }
    cache_.reset(cache);
    sqlite3_exec(cache, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536",
                 nullptr, nullptr, nullptr);
    query::register_module(engine_.db(), *this);
    query::register_temporal_collations(engine_.db());
    query::register_temporal_collations(cache);
    query::register_exact_sum(engine_.db(), *this);
    sqlite3_progress_handler(engine_.db(), 10'000, &Impl::on_progress, this);
    if (options_.config)
      for (const auto& c : options_.config->connections()) add(c.name, c.name, nullptr, false);
  }

  void add(std::string_view name, std::string_view target, std::unique_ptr<Connection> conn,
           bool explicit_attach) {
    if (!query::valid_attach_name(name))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("cannot attach '{}': a name is letters, digits and _ (not starting "
                              "with a digit), and not main or temp",
                              name));
    const std::string key = lower(name);
    if (explicit_attach && explicit_.count(key))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("'{}' is attached twice (use another name)", name));
    Attachment a;
    a.name = std::string(name);
    a.target = std::string(target);
    a.conn = std::move(conn);
    attachments_[key] = std::move(a);
    if (explicit_attach) explicit_[key] = true;
  }

  // ---- Engine
  query::RemoteTable& table(size_t id) override { return *tables_.at(id); }
  void count_remote_call(const query::RemoteTable& t) override {
    ++remote_calls_;
    if (options_.max_remote_calls && remote_calls_ > *options_.max_remote_calls)
      throw Error(ErrorCode::unsupported,
                  fmt::format("the query needs more than {} remote calls (call {} would read "
                              "{}): raise the limit on remote calls, or add conditions that the "
                              "backends can use",
                              *options_.max_remote_calls, remote_calls_, t.display))
          .set_hint(Hint::max_remote_calls);
  }
  void check_cancel() override {
    if (options_.stop.stop_requested()) throw Error(ErrorCode::cancelled, "query interrupted");
  }
  void keep_error(std::exception_ptr e) noexcept override {
    if (!kept_) kept_ = std::move(e);
  }
  std::unique_ptr<BatchReader> scan(query::RemoteTable& t, const ScanSpec& spec) override {
    Attachment& a = attachments_.at(t.attachment);
    Connection* conn = a.streaming.count(a.conn.get()) ? nullptr : a.conn.get();
    for (size_t i = 0; !conn && i < a.more.size(); ++i)
      if (!a.streaming.count(a.more[i].get())) conn = a.more[i].get();
    if (!conn) {
      if (a.target.empty())
        throw Error(ErrorCode::unsupported,
                    fmt::format("{} is read while another read of {} is still streaming, and a "
                                "connection attached as an object cannot be opened twice: attach "
                                "it by URL, or attach it again under a second name",
                                t.display, a.name));
      a.more.push_back(open_target(a));
      conn = a.more.back().get();
    }
    auto reader = t.join ? query::scan_join(*conn, t.join->spec, t.schema, spec) : conn->scan(spec);
    if (!spec.aggregates.empty()) reader = std::make_unique<RoundedAggregates>(std::move(reader), spec.group_by.size());
    a.streaming.insert(conn);
    return std::make_unique<LeasedReader>(std::move(reader), a.streaming, conn);
  }
  int next_plan_id() override { return ++plan_ids_; }
  sqlite3* cache_db() override { return cache_.get(); }
  size_t batch_rows() const override { return options_.batch_rows; }
  size_t copy_memory_bytes() const override { return options_.local_copy_memory_bytes; }
  bool discovering() const override { return discovering_; }
  const std::string& discovery_aborted() const override { return aborted_; }
  void abort_discovery(const std::string& why) override {
    if (aborted_.empty()) aborted_ = why;
  }

  // ---- queries
  std::unique_ptr<BatchReader> run(std::string_view sql, std::span<const Value> params,
                                   std::span<const std::string> names);
  FederatedPlan explain(std::string_view sql, std::span<const Value> params,
                        std::span<const std::string> names, bool analyze);
  uint64_t remote_calls() const { return remote_calls_; }
  std::vector<RemoteAccess> accesses() const;

  bool has_kept_error() const noexcept { return kept_ != nullptr; }
  /// Rethrows the error a callback kept, else `fallback`.
  [[noreturn]] void rethrow(const Error& fallback) {
    if (kept_) {
      Error e = error_from_exception(std::exchange(kept_, nullptr));
      // A stop request reaches the remote reads too ("interrupted while talking
      // to ..."): the query as a whole was interrupted.
      if (e.code() == ErrorCode::cancelled) throw Error(ErrorCode::cancelled, "query interrupted");
      throw e;
    }
    // SQLite stopped by the progress handler says "interrupted" its own way.
    if (fallback.code() == ErrorCode::cancelled) throw Error(ErrorCode::cancelled, "query interrupted");
    throw fallback;
  }

 private:
  static int on_progress(void* self) noexcept {
    auto* impl = static_cast<Impl*>(self);
    return impl->options_.stop.stop_requested() ? 1 : 0;
  }

  void reset_run() {
    kept_ = nullptr;
    remote_calls_ = 0;
    // Plans stay (a reader of an earlier query may still point at them);
    // what they did is forgotten.
    for (auto& t : tables_)
      for (auto& p : t->plans) {
        if (p.copy && !p.copy->table.empty())
          sqlite3_exec(cache_.get(), ("DROP TABLE IF EXISTS " + p.copy->table).c_str(), nullptr,
                       nullptr, nullptr);
        p.copy.reset();
        p.key_log.reset();
        p.aggregate_conditions.reset();
        p.choice.clear();
        p.executions = 0;
        RemoteAccess& a = p.stats;
        a.strategy.clear();
        a.native.clear();
        a.remote_calls = a.rows_fetched = a.probes = 0;
        a.seconds = 0;
      }
  }

  Attachment* find(std::string_view name) {
    auto it = attachments_.find(lower(name));
    return it == attachments_.end() ? nullptr : &it->second;
  }

  std::unique_ptr<Connection> open_target(const Attachment& a) const {
    ConnectOptions o;
    o.config = options_.config;
    o.timeout = options_.connect_timeout;
    o.stop = options_.stop;
    o.read_timeout = options_.read_timeout;
    try {
      return connect(a.target, o);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled) throw Error(ErrorCode::cancelled, "query interrupted");
      throw e.with_message(fmt::format("{}: {}", a.name, e.message()));
    }
  }

  Connection& open(Attachment& a) {
    if (!a.conn) a.conn = open_target(a);
    return *a.conn;
  }

  // SQLite holds at most SQLITE_MAX_ATTACHED schemas besides main and temp
  // (10 in the system library): one per connection whose tables a query reads.
  void check_attach_room(const std::string& table) {
    const int max_attached = sqlite3_limit(engine_.db(), SQLITE_LIMIT_ATTACHED, -1);
    size_t attached = 0;
    for (const auto& [key, other] : attachments_) attached += other.attached ? 1 : 0;
    if (attached < static_cast<size_t>(max_attached)) return;
    throw Error(ErrorCode::unsupported,
                fmt::format("{} is in one connection more than the {} whose tables one query can "
                            "read (SQLite's limit on attached databases): copy the tables of some "
                            "of them into one database first, or split the query",
                            table, max_attached))
        .set_hint(Hint::copy);
  }

  // Creates the virtual table for `schema.table` (the schema an attachment).
  void create_table(Attachment& a, const std::string& name) {
    if (!a.attached) check_attach_room(a.name + "." + name);
    Connection& conn = open(a);
    auto t = std::make_unique<query::RemoteTable>();
    t->engine = this;
    t->conn = &conn;
    t->attachment = lower(a.name);
    t->display = a.name + "." + name;
    t->name = name;
    try {
      t->schema = conn.describe(name);
    } catch (const Error& e) {
      throw e.with_message(fmt::format("{}: {}", a.name, e.message()));
    }
    if (t->schema.fields.empty())
      throw Error(ErrorCode::unsupported, fmt::format("{} has no columns", t->display));
    t->caps = conn.capabilities();
    try {
      if (auto n = conn.estimate_rows(name)) t->estimated_rows = std::max<double>(1, *n);
    } catch (const Error& e) {
      logger("query")->debug("no row estimate for {}: {}", t->display, e.message());
    }
    const size_t id = tables_.size();
    tables_.push_back(std::move(t));
    if (!a.attached) {
      engine_.exec("ATTACH DATABASE ':memory:' AS " + query::quote_identifier(a.name));
      a.attached = true;
    }
    try {
      engine_.exec(fmt::format("CREATE VIRTUAL TABLE {}.{} USING polydb_remote({})",
                               query::quote_identifier(a.name), query::quote_identifier(name), id));
    } catch (const Error& e) {
      if (kept_) rethrow(e);  // what xCreate threw
      throw;
    }
  }

  // The remote table `name` of attachment `a`, its virtual table created
  // if the query has not named it before.
  query::RemoteTable& base_table(Attachment& a, const std::string& name) {
    for (auto& t : tables_)
      if (!t->aggregate && !t->join && t->attachment == lower(a.name) &&
          lower(t->name) == lower(name))
        return *t;
    create_table(a, name);
    return *tables_.back();
  }

  // The aggregate view of `table` (query::AggregateHooks::view).
  std::string aggregate_view(const std::string& attachment, const std::string& table,
                             const std::vector<std::string>& group_by,
                             const std::vector<ScanAggregate>& aggregates) {
    Attachment& a = *find(attachment);
    query::RemoteTable& base = base_table(a, table);
    std::string key = lower(a.name) + "\n" + base.name + "\n";
    for (const auto& g : group_by) key += g + ",";
    key += "\n";
    for (const auto& x : aggregates) key += x.to_string() + ",";
    if (auto it = views_.find(key); it != views_.end()) return it->second;
    auto v = std::make_unique<query::RemoteTable>();
    v->engine = this;
    v->conn = base.conn;
    v->attachment = base.attachment;
    v->display = base.display;
    v->name = base.name;
    v->caps = base.caps;
    v->estimated_rows = base.estimated_rows;
    query::AggregateView view;
    view.group_by = group_by;
    view.aggregates = aggregates;
    for (const auto& g : group_by) v->schema.fields.push_back(base.schema.field(g));
    for (const auto& x : aggregates) {
      Field f;
      f.name = x.name;
      f.type = x.result_type(base.schema);
      v->schema.fields.push_back(std::move(f));
    }
    view.first_hidden = v->schema.fields.size();
    for (const auto& f : base.schema.fields)
      if (std::find(group_by.begin(), group_by.end(), f.name) == group_by.end())
        v->schema.fields.push_back(f);
    v->aggregate = std::move(view);
    const size_t id = tables_.size();
    tables_.push_back(std::move(v));
    const std::string name =
        query::quote_identifier(a.name) + "." + query::quote_identifier(fmt::format("polydb_agg_{}", id));
    try {
      engine_.exec(fmt::format("CREATE VIRTUAL TABLE {} USING polydb_remote({})", name, id));
    } catch (const Error& e) {
      if (kept_) rethrow(e);
      throw;
    }
    views_[key] = name;
    return name;
  }

  // The join view of `spec`'s tables of `attachment` (query::JoinHooks::view):
  // their columns as the spec names them, the members' primary keys
  // together as its key, the biggest member's rows as its estimate.
  std::string join_view(const std::string& attachment, const query::JoinSpec& spec) {
    Attachment& a = *find(attachment);
    const std::string key = lower(a.name) + "\n" + spec.key();
    if (auto it = views_.find(key); it != views_.end()) return it->second;
    std::vector<query::RemoteTable*> members;
    for (const auto& m : spec.members) members.push_back(&base_table(a, m.table));
    auto v = std::make_unique<query::RemoteTable>();
    v->engine = this;
    v->conn = members.front()->conn;
    v->attachment = members.front()->attachment;
    v->caps = members.front()->caps;
    // What the view's statement takes: conditions; not ORDER BY (a join
    // view sorts nothing) nor a LIMIT (SQLite asks for one only with every
    // condition pushed, and a join view may keep some).
    v->caps.order_pushdown = false;
    v->caps.limit_pushdown = false;
    query::JoinView view;
    view.spec = spec;
    std::string shown;
    bool keyed = true;
    v->estimated_rows = 1;
    for (size_t m = 0; m < members.size(); ++m) {
      const query::RemoteTable& t = *members[m];
      const std::string& alias = spec.members[m].alias;
      view.member_display.push_back(t.display + (lower(alias) == lower(t.name) ? "" : " " + alias));
      view.member_table.push_back(t.display);
      view.member_rows.push_back(t.estimated_rows);
      v->estimated_rows = std::max(v->estimated_rows, t.estimated_rows);
      shown += (m ? ", " : "") + view.member_display.back();
      keyed = keyed && !t.schema.primary_key.empty();
    }
    for (const auto& c : spec.columns) {
      Field f = members[c.member]->schema.field(c.column);
      f.name = c.name;
      v->schema.fields.push_back(std::move(f));
    }
    if (keyed)
      for (const auto& c : spec.columns) {
        const auto& pk = members[c.member]->schema.primary_key;
        if (std::find(pk.begin(), pk.end(), c.column) != pk.end())
          v->schema.primary_key.push_back(c.name);
      }
    v->display = "join of " + shown;
    const size_t id = tables_.size();
    v->name = fmt::format("polydb_join_{}", id);
    v->join = std::move(view);
    const std::string name = v->name;
    tables_.push_back(std::move(v));
    try {
      engine_.exec(fmt::format("CREATE VIRTUAL TABLE {}.{} USING polydb_remote({})",
                               query::quote_identifier(a.name), query::quote_identifier(name), id));
    } catch (const Error& e) {
      if (kept_) rethrow(e);
      throw;
    }
    views_[key] = name;
    view_names_.insert(lower(name));
    return name;
  }

  // `sql` with the joins of tables of one backend sent to it as join views
  // (query/join_pushdown.hpp); `sql` itself when there are none.
  std::string push_joins(const std::string& sql) {
    query::JoinHooks hooks;
    hooks.table = [&](const std::string& attachment, const std::string& table) {
      query::JoinHooks::Table out;
      Attachment* a = find(attachment);
      if (!a || view_names_.count(lower(table)) || lower(table).starts_with("polydb_agg_"))
        return out;
      query::RemoteTable& t = base_table(*a, table);
      out.schema = &t.schema;
      out.joins = query::runs_join_views(*t.conn);
      out.sqlite_file = t.conn->backend() == "sqlite";
      return out;
    };
    hooks.view = [&](const std::string& attachment, const query::JoinSpec& spec) {
      return join_view(attachment, spec);
    };
    return query::push_joins(sql, hooks);
  }

  // `sql` with the aggregates the backends can compute pushed to them
  // (query/aggregate_pushdown.hpp); `sql` itself when there are none.
  std::string push_aggregates(const std::string& sql) {
    query::AggregateHooks hooks;
    hooks.table = [&](const std::string& attachment,
                      const std::string& table) -> const Schema* {
      Attachment* a = find(attachment);
      if (!a) return nullptr;
      // An error here (no such table, a connection refused) is the
      // statement's: the table would be read without the pushdown too.
      query::RemoteTable& t = base_table(*a, table);
      return t.caps.aggregate_pushdown ? &t.schema : nullptr;
    };
    hooks.view = [&](const std::string& attachment, const std::string& table,
                     const std::vector<std::string>& group_by,
                     const std::vector<ScanAggregate>& aggregates) {
      return aggregate_view(attachment, table, group_by, aggregates);
    };
    return query::push_aggregates(sql, hooks);
  }

  // Prepares `sql`, creating the virtual tables it names on the way.
  sqlite::StmtHandle prepare(std::string_view text) {
    const std::string sql = query::rewrite_exists_star(query::rewrite_three_part_names(
        text, [&](std::string_view n) { return find(n) != nullptr; }));
    std::string pushed = sql;
    if (options_.aggregate_pushdown) pushed = push_aggregates(pushed);
    if (options_.join_pushdown) pushed = push_joins(pushed);
    if (pushed != sql) {
      logger("query")->debug("pushed down: {}", pushed);
      try {
        return prepare_text(pushed);
      } catch (const Error& e) {
        // Every plan of an aggregate view was refused (a condition on a
        // hidden column SQLite would not hand over): run it as written.
        if (e.message().find("no query solution") == std::string::npos) throw;
        kept_ = nullptr;
        logger("query")->debug("pushdown dropped: {}", e.message());
      }
    }
    return prepare_text(sql);
  }

  sqlite::StmtHandle prepare_text(const std::string& sql) {
    for (int attempt = 0; attempt < 256; ++attempt) {
      sqlite3_stmt* st = nullptr;
      const char* tail = nullptr;
      const int rc = sqlite3_prepare_v2(engine_.db(), sql.c_str(), static_cast<int>(sql.size()),
                                        &st, &tail);
      sqlite::StmtHandle handle(st);
      if (rc == SQLITE_OK) {
        if (!handle)
          throw Error(ErrorCode::invalid_argument, "the query is empty: write one SQL statement");
        if (!only_blanks(tail))
          throw Error(ErrorCode::invalid_argument,
                      "a federated query runs one statement at a time: remove the text after "
                      "the first ';'");
        return handle;
      }
      const std::string message = sqlite3_errmsg(engine_.db());
      if (kept_) rethrow(Error(ErrorCode::internal, message));
      if (auto missing = query::parse_missing_table(message)) {
        if (Attachment* a = find(missing->schema)) {
          create_table(*a, missing->table);
          continue;
        }
      }
      Error e(ErrorCode::invalid_argument,
              fmt::format("cannot run the query: {}{}", message, hint(message)), "sqlite", message);
      if (attachments_.empty() && message.find("no such table") != std::string::npos)
        e.set_hint(Hint::attach);
      throw e;
    }
    throw Error(ErrorCode::invalid_argument, "the query names too many tables");
  }

  std::string hint(const std::string& message) const {
    if (message.find("no such table") == std::string::npos) return "";
    std::string names;
    for (const auto& [key, a] : attachments_) names += (names.empty() ? "" : ", ") + a.name;
    return names.empty()
               ? " (attach a connection under a name and name its tables NAME.table)"
               : fmt::format(" (tables of attached connections are NAME.table; attached: {})",
                             names);
  }

  void bind(sqlite3_stmt* st, std::span<const Value> params, std::span<const std::string> names) {
    const int expected = sqlite3_bind_parameter_count(st);
    if (!names.empty()) {
      for (size_t i = 0; i < params.size(); ++i) {
        int idx = sqlite3_bind_parameter_index(st, names[i].c_str());
        if (idx == 0)
          throw Error(ErrorCode::invalid_argument,
                      fmt::format("the query has no parameter {}", names[i]));
        sqlite::bind_value(st, idx, params[i]);
      }
      return;
    }
    if (static_cast<int>(params.size()) != expected)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the query has {} parameter{} but {} value{} given (bind one "
                              "value per placeholder)",
                              expected, expected == 1 ? "" : "s", params.size(),
                              params.size() == 1 ? " was" : "s were"))
          .set_hint(Hint::bind_params);
    for (size_t i = 0; i < params.size(); ++i)
      sqlite::bind_value(st, static_cast<int>(i + 1), params[i]);
  }

  // Runs the statement as a discovery pass when key batching may pay off
  // (see FederationOptions::key_batching), then rewinds it. A lookup that no
  // pass reached (a correlated subquery probed only for rows an outer lookup
  // returns, and those answer nothing while their keys are logged) gets
  // another pass once the outer keys are fetched: at most three in all.
  void discover(sqlite3_stmt* st, std::string_view sql, std::span<const Value> params,
                std::span<const std::string> names) {
    if (!options_.key_batching) return;
    bool lookups = false;
    for (const auto& t : tables_)
      for (const auto& p : t->plans) lookups = lookups || p.lookup;
    if (!lookups) return;
    const std::vector<int> used = query_plan(sql, params, names).second;
    if (!query::worth_discovering(tables_, used)) return;
    for (int pass = 1;; ++pass) {
      aborted_.clear();
      discovering_ = true;
      int rc = SQLITE_ROW;
      while (aborted_.empty() && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      }
      discovering_ = false;
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        const Error e = sqlite::make_error(rc, engine_.db(), "cannot run the query");
        sqlite3_reset(st);
        rethrow(e);
      }
      sqlite3_reset(st);
      logger("query")->debug("key discovery pass {} {}", pass,
                             aborted_.empty() ? "done" : "stopped: " + aborted_);
      bool fetched = false;
      for (auto& t : tables_) fetched = query::end_discovery(*t, aborted_) || fetched;
      if (!aborted_.empty() || !fetched || pass == 3) return;
      bool unreached = false;
      for (const auto& t : tables_)
        for (const auto& p : t->plans)
          unreached = unreached || (p.lookup && p.executions == 0 &&
                                    std::find(used.begin(), used.end(), p.id) != used.end());
      if (!unreached) return;
    }
  }

  FederationOptions options_;
  sqlite::SqliteConnection engine_;
  sqlite::DbHandle cache_;
  std::map<std::string, Attachment> attachments_;
  std::map<std::string, bool> explicit_;
  std::vector<std::unique_ptr<query::RemoteTable>> tables_;
  std::map<std::string, std::string> views_;  ///< aggregate and join views by what they compute
  std::set<std::string> view_names_;          ///< join views' names, lower case
  std::exception_ptr kept_;  ///< what a SQLite callback threw, until rethrown
  uint64_t remote_calls_ = 0;
  int plan_ids_ = 0;
  bool discovering_ = false;
  std::string aborted_;  ///< why the discovery pass stopped early

 public:
  sqlite::SqliteConnection& engine() { return engine_; }
  sqlite::StmtHandle prepare_bound(std::string_view sql, std::span<const Value> params,
                                   std::span<const std::string> names) {
    reset_run();
    sqlite::StmtHandle st = prepare(sql);
    bind(st.get(), params, names);
    return st;
  }

  /// SQLite's plan of `sql` (EXPLAIN QUERY PLAN, indented) and the remote
  /// plans (idxNum) it uses.
  std::pair<std::vector<std::string>, std::vector<int>> query_plan(
      std::string_view sql, std::span<const Value> params, std::span<const std::string> names) {
    std::pair<std::vector<std::string>, std::vector<int>> out;
    auto eqp = prepare(std::string("EXPLAIN QUERY PLAN ") + std::string(sql));
    bind(eqp.get(), params, names);
    std::map<int, int> depth;  // id -> indentation
    while (sqlite3_step(eqp.get()) == SQLITE_ROW) {
      const int id = sqlite3_column_int(eqp.get(), 0);
      const int parent = sqlite3_column_int(eqp.get(), 1);
      const std::string detail = reinterpret_cast<const char*>(sqlite3_column_text(eqp.get(), 3));
      depth[id] = depth.count(parent) ? depth[parent] + 1 : 0;
      out.first.push_back(std::string(static_cast<size_t>(depth[id]) * 2, ' ') + detail);
      const auto at = detail.find("VIRTUAL TABLE INDEX ");
      if (at != std::string::npos) out.second.push_back(std::atoi(detail.c_str() + at + 20));
    }
    return out;
  }
};

namespace {

// The engine's reader, rethrowing the errors of remote tables intact.
class FederatedReader final : public BatchReader {
 public:
  FederatedReader(Federation::Impl& impl, sqlite::StmtHandle stmt, size_t batch_rows)
      : impl_(impl) {
    sqlite::ReaderSetup setup;
    setup.stmt = std::move(stmt);
    setup.batch_rows = batch_rows;
    // Sums and MIN/MAX of decimal columns carry the decimal subtype (as
    // INTEGER, REAL or TEXT): type such result columns decimal, not int64 or
    // float64, so that a later group's fraction still fits.
    setup.type_of_value = [](sqlite3_value* v) -> std::optional<Type> {
      if (sqlite3_value_type(v) != SQLITE_NULL && sqlite3_value_subtype(v) == query::kDecimalSubtype)
        return Type(TypeId::decimal);
      return std::nullopt;
    };
    try {
      inner_ = sqlite::make_reader(impl.engine(), std::move(setup));
    } catch (const Error& e) {
      impl_.rethrow(e);
    }
  }
  const Schema& schema() const override { return inner_->schema(); }
  std::optional<Batch> next() override {
    std::optional<Batch> batch;
    try {
      batch = inner_->next();
    } catch (const Error& e) {
      impl_.rethrow(e);
    }
    // A callback that failed without failing the step (a collation that
    // refused a comparison interrupts the statement, which SQLite notices
    // only later): the batch may hold rows built on its answer.
    if (impl_.has_kept_error())
      impl_.rethrow(Error(ErrorCode::internal, "the query stopped in a callback"));
    return batch;
  }

 private:
  Federation::Impl& impl_;
  std::unique_ptr<BatchReader> inner_;
};

}  // namespace

std::unique_ptr<BatchReader> Federation::Impl::run(std::string_view sql,
                                                   std::span<const Value> params,
                                                   std::span<const std::string> names) {
  auto st = prepare_bound(sql, params, names);
  discover(st.get(), sql, params, names);
  return std::make_unique<FederatedReader>(*this, std::move(st), options_.batch_rows);
}

std::vector<RemoteAccess> Federation::Impl::accesses() const {
  std::vector<RemoteAccess> out;
  for (const auto& t : tables_)
    for (const auto& p : t->plans)
      if (p.executions > 0) out.push_back(p.stats);
  return out;
}

FederatedPlan Federation::Impl::explain(std::string_view sql, std::span<const Value> params,
                                        std::span<const std::string> names, bool analyze) {
  auto st = prepare_bound(sql, params, names);
  // SQLite's plan: EXPLAIN QUERY PLAN of the same text (the tables exist now).
  FederatedPlan out;
  std::vector<int> chosen;
  std::tie(out.steps, chosen) = query_plan(sql, params, names);
  if (analyze) {
    discover(st.get(), sql, params, names);
    FederatedReader reader(*this, std::move(st), options_.batch_rows);
    while (reader.next()) {
    }
  }
  for (int id : chosen)
    for (const auto& t : tables_)
      for (const auto& p : t->plans)
        if (p.id == id) out.tables.push_back(p.stats);
  return out;
}

Federation::Federation(FederationOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Federation::~Federation() = default;

void Federation::attach(std::string_view name, std::string_view url_or_name) {
  impl_->add(name, url_or_name, nullptr, true);
}
void Federation::attach(std::string_view name, std::unique_ptr<Connection> conn) {
  if (!conn) throw Error(ErrorCode::invalid_argument, "attach: the connection is null");
  impl_->add(name, "", std::move(conn), true);
}
std::unique_ptr<BatchReader> Federation::query(std::string_view sql, std::span<const Value> params,
                                               std::span<const std::string> param_names) {
  return impl_->run(sql, params, param_names);
}
FederatedPlan Federation::explain(std::string_view sql, std::span<const Value> params,
                                  std::span<const std::string> param_names, bool analyze) {
  return impl_->explain(sql, params, param_names, analyze);
}
uint64_t Federation::remote_calls() const noexcept { return impl_->remote_calls(); }
std::vector<RemoteAccess> Federation::last_accesses() const { return impl_->accesses(); }

}  // namespace polydb
