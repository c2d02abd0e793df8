#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/transfer.hpp"
#include "cli/error_text.hpp"
#include "cli/interrupt.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "core/log.hpp"
#include "polydb/config.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/filter.hpp"
#include "polydb/log.hpp"
#include "polydb/query.hpp"
#include "polydb/uri.hpp"

#ifndef POLYDB_VERSION
#error "POLYDB_VERSION must be defined by the build (src/cli/CMakeLists.txt)"
#endif

namespace polydb::cli {

using engine::CopyStats;
using engine::kMaxParallel;

namespace {

constexpr size_t kDefaultCopyBatchRows = 10'000;

// `ping` checks this many connections at once at most.
constexpr size_t kMaxConcurrentPings = 16;

constexpr std::string_view kParamHelp =
    "Query parameter, one per ? / ?N placeholder, in order. TYPE:VALUE binds VALUE as that "
    "polydb type (int, float, decimal, text, bool, date, time, timestamp, timestamp_tz, uuid, "
    "json, bytes, ...; null: binds NULL). Without a type, a number binds as int64 (42) or "
    "float64 (1.5, 2e3) and anything else as text; write text:VALUE to force text (e.g. "
    "text:007, text:date:x). A word before the first ':' that is no type is an error (write "
    "text:note:x for such text; URLs such as http://x bind as text); json: takes valid JSON "
    "only. Write --param=-x for text that starts with '-'. @NAME=VALUE "
    "binds a named parameter (@NAME in Cosmos SQL); all -p are then named.";

constexpr std::string_view kEpilog =
    "CONN is a URL (sqlite:///path.db, sqlite:relative.db, postgresql://user@host/db, ...) or a\n"
    "connection name from the config file (--config FILE, else ./polydb.yaml when present).\n"
    "Passwords in URLs and the config are never printed.\n"
    "\n"
    "Output: --format defaults to the config's defaults.format, else table on a terminal and\n"
    "csv otherwise. csv is RFC 4180 with a header row and \\n line endings; NULL is an empty\n"
    "field and an empty string is \"\". json/ndjson: numbers stay numbers, decimals are strings.\n"
    "\n"
    "Exit status: 0 success; 1 operational error (connection, missing table or file, bad SQL,\n"
    "conflict, interrupted, ...); 2 usage error (unknown command or option, an option value\n"
    "out of its range, bad -p value, malformed connection URL, unknown scheme or URL option).\n"
    "Warnings (retries, fallbacks) show with -v; a failing command prints one error line.\n";

// A usage error: bad arguments, option values or connection URL. Exit status 2.
class UsageError : public Error {
 public:
  explicit UsageError(const Error& e) : Error(e) {}
  explicit UsageError(std::string message)
      : Error(ErrorCode::invalid_argument, std::move(message)) {}
};

// Runs `fn`, turning any polydb::Error it throws into a UsageError: for
// parsing what the user typed.
template <class Fn>
auto as_usage(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e);
  }
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

// polydb::Error messages and details are redacted where they are thrown (and
// redacting twice would eat text after a `***`); text that echoes raw
// arguments, such as CLI11's messages, goes through redact_url_text first.
void print_error(std::string_view message, std::string_view detail, int verbosity) {
  std::cerr << "polydb: error: " << one_line(std::string(message)) << '\n';
  if (verbosity > 0 && !detail.empty())
    std::cerr << "polydb: detail: " << one_line(std::string(detail)) << '\n';
  std::cerr.flush();
}

// ---------------------------------------------------------------- arguments

struct GlobalArgs {
  std::string config;
  std::string format;
  int verbosity = 0;
  bool quiet = false;
};

struct ConnArgs {
  std::string conn;
};

struct DescribeArgs {
  std::string conn;
  std::string table;
};

struct StatementArgs {
  std::string conn;
  std::string text;
  std::vector<std::string> params;
};

struct CopyArgs {
  std::string src;
  std::string table;
  std::string dst;
  std::string dst_table;
  std::string mode = "create";
  std::vector<std::string> key;
  std::optional<size_t> batch_size;
  std::string where;
  std::vector<std::string> columns;
  std::optional<uint64_t> limit;
  uint32_t parallel = 1;
  bool non_atomic = false;
  bool chunked = false;
  std::string state;
  std::string job;
  bool resume = false;
  std::string chunk_by;
  uint64_t chunk_rows = 100'000;
  uint64_t checkpoint_rows = 50'000;
  uint32_t lease_seconds = 60;
};

struct QueryArgs {
  std::string text;
  std::vector<std::string> attach;
  std::vector<std::string> params;
  bool explain = false;
  bool analyze = false;
  std::optional<uint64_t> max_remote_calls;
  bool no_key_batching = false;
};

struct PingArgs {
  std::vector<std::string> conns;
};

// ---------------------------------------------------------------- parsing

// A CLI11 check that the option's value is a whole number from `min` to
// `max`: anything else is a usage error naming the option and the range.
CLI::Validator count_in(uint64_t min, uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        try {
          parse_count(text, min, max);
          return {};
        } catch (const Error& e) {
          return e.message();
        }
      },
      "");
}

WriteMode parse_mode(std::string_view text) {
  try {
    return parse_write_mode(text);
  } catch (const Error& e) {
    throw UsageError("--mode: " + e.message());
  }
}

std::optional<Type> param_type(std::string_view name) {
  static constexpr std::pair<std::string_view, TypeId> kAliases[] = {
      {"int", TypeId::int64},       {"integer", TypeId::int64},
      {"bigint", TypeId::int64},    {"float", TypeId::float64},
      {"double", TypeId::float64},  {"real", TypeId::float64},
      {"numeric", TypeId::decimal}, {"text", TypeId::string},
      {"str", TypeId::string},      {"bool", TypeId::boolean},
      {"blob", TypeId::bytes},      {"timestamptz", TypeId::timestamp_tz},
  };
  std::string lower(name);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const auto& [alias, id] : kAliases)
    if (lower == alias) return Type(id);
  return parse_type(lower);
}

// The types -p TYPE:VALUE names, for messages.
constexpr std::string_view kParamTypeNames =
    "int, float, decimal, decimal(P,S), text, bool, date, time, timestamp, timestamp_tz, uuid, "
    "json, bytes, null and the aliases in polydb --help";

// `WORD:` before a value is read as a type prefix: a word (a letter, then
// letters, digits or '_') right before the first ':'. The exception is a URL
// (`http://x`, `s3://b/k`), whose ':' is followed by "//", and an IPv6
// address (`fe80::1`), followed by ':'. Text that starts
// with a digit (`12:30`), a symbol or a space is never a type prefix.
bool looks_like_type_prefix(std::string_view prefix, std::string_view rest) {
  if (prefix.empty() || !std::isalpha(static_cast<unsigned char>(prefix[0]))) return false;
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  // `fe80::1` is an address, not an empty value of type fe80.
  return !rest.starts_with("//") && !rest.starts_with(":");
}

// json:VALUE must be one JSON document: a typo must not reach a JSON column
// (or a text column) as if it were data.
void check_json(std::string_view text) {
  try {
    const nlohmann::json parsed = nlohmann::json::parse(text);
    (void)parsed;
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::invalid_argument,
                fmt::format("json: takes one JSON document, and this is not valid JSON (error at "
                            "byte {}; write text:... to bind it as text)",
                            e.byte));
  }
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// Returns 0 for no number, 1 for an integer, 2 for a fraction or exponent.
int json_number_kind(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0')
    ++i;
  else if (digits() == 0)
    return 0;
  int kind = 1;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return 0;
    kind = 2;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return 0;
    kind = 2;
  }
  return i == t.size() ? kind : 0;
}

// ---------------------------------------------------------------- context

// What every command shares: the config, the output format and verbosity.
class Context {
 public:
  Context(const GlobalArgs& args, bool need_config) : args_(args) {
    // Validate what the user typed (usage errors) before reading files
    // (operational errors).
    std::optional<OutputFormat> format;
    if (!args.format.empty()) format = as_usage([&] { return parse_output_format(args.format); });
    if (need_config) load_config();
    if (!format && config_ && config_->default_format())
      format = parse_output_format(*config_->default_format());
    format_ = format.value_or(isatty(STDOUT_FILENO) ? OutputFormat::table : OutputFormat::csv);
    printer_.color = format_ == OutputFormat::table && isatty(STDOUT_FILENO) &&
                     std::getenv("NO_COLOR") == nullptr;
    if (config_ && config_->log_level()) set_log_level(*config_->log_level());
    if (args.verbosity == 1)
      set_log_level("info");
    else if (args.verbosity == 2)
      set_log_level("debug");
    else if (args.verbosity > 2)
      set_log_level("trace");
  }

  OutputFormat format() const { return format_; }
  const PrinterOptions& printer() const { return printer_; }
  bool quiet() const { return args_.quiet; }
  const Config* config() const { return config_ ? &*config_ : nullptr; }

  /// Connects to CONN; a malformed URL or unknown scheme is a usage error.
  std::unique_ptr<Connection> open(std::string_view conn, bool create_if_missing) const {
    ConnectOptions options;
    options.config = config();
    options.create_if_missing = create_if_missing;
    options.stop = stop_;
    try {
      return connect(conn, options);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::invalid_argument) throw UsageError(e);
      throw;
    }
  }

  /// Connections opened from now on stop when `stop` is requested (the
  /// commands that install an InterruptGuard).
  void set_stop(std::stop_token stop) const { stop_ = std::move(stop); }

  /// How to show CONN in output: a config name as is, a URL redacted.
  std::string display(std::string_view conn) const {
    if (config_ && config_->find(conn)) return std::string(conn);
    try {
      return Uri::parse(conn).to_string();
    } catch (const Error&) {
      return redact_url_text(conn);  // a file path, or a URL that does not parse
    }
  }

  std::unique_ptr<ResultPrinter> make_printer() const {
    return cli::make_printer(format_, std::cout, printer_);
  }

 private:
  void load_config() {
    if (!args_.config.empty()) {
      config_ = Config::load_file(args_.config);
      return;
    }
    std::error_code ec;
    if (std::filesystem::exists("polydb.yaml", ec)) config_ = Config::load_file("polydb.yaml");
  }

  const GlobalArgs& args_;
  std::optional<Config> config_;
  OutputFormat format_ = OutputFormat::csv;
  PrinterOptions printer_;
  mutable std::stop_token stop_;
};

void print_batch(const Context& ctx, const Batch& batch) {
  auto printer = ctx.make_printer();
  printer->begin(batch.schema());
  if (batch.num_rows() > 0) printer->write(batch);
  printer->end();
}

std::shared_ptr<Schema> make_schema(std::initializer_list<std::pair<const char*, Type>> cols) {
  auto schema = std::make_shared<Schema>();
  for (const auto& [name, type] : cols) schema->fields.push_back(Field{name, type, true, {}});
  return schema;
}

// -p values, and their names when they are given as @NAME=VALUE.
struct Params {
  std::vector<Value> values;
  std::vector<std::string> names;  ///< empty, or one per value
};

Params parse_params(const std::vector<std::string>& texts) {
  Params out;
  out.values.reserve(texts.size());
  for (const auto& t : texts) {
    try {
      if (auto named = parse_named_param(t)) {
        out.names.push_back(std::move(named->first));
        out.values.push_back(std::move(named->second));
      } else {
        out.values.push_back(parse_param(t));
      }
    } catch (const Error& e) {
      throw UsageError(fmt::format("-p '{}': {}", t, e.message()));
    }
  }
  if (!out.names.empty() && out.names.size() != out.values.size())
    throw UsageError("-p: name every parameter (@NAME=VALUE) or none");
  return out;
}

// Named parameters need a backend that binds by name.
void check_named(const Connection& conn, const Params& params) {
  if (!params.names.empty() && !conn.capabilities().named_parameters)
    throw Error(ErrorCode::unsupported,
                fmt::format("{} binds parameters by position, not by name: drop the @NAME= "
                            "prefixes (write text:@x=1 for such text)",
                            conn.backend()),
                std::string(conn.backend()));
}

// "; request charge: 12.5 RU (source) + 80 RU (target)" for connections that report one.
std::string cost_note(const Connection& src, const Connection& dst) {
  std::string out;
  auto add = [&](const Connection& c, std::string_view role) {
    if (auto cost = c.request_cost())
      out += fmt::format("{}{:.2f} {} ({})", out.empty() ? "; request charge: " : " + ",
                         cost->total, cost->unit, role);
  };
  add(src, "source");
  if (&dst != &src) add(dst, "target");
  return out;
}

// ---------------------------------------------------------------- commands

int cmd_ls(const Context& ctx, const ConnArgs& args) {
  auto conn = ctx.open(args.conn, false);
  Batch batch(make_schema({{"name", TypeId::string}, {"kind", TypeId::string}}));
  for (const auto& t : conn->list_tables()) {
    const Value row[] = {t.name, t.kind};
    batch.append_row(row);
  }
  print_batch(ctx, batch);
  return kExitOk;
}

int cmd_describe(const Context& ctx, const DescribeArgs& args) {
  auto conn = ctx.open(args.conn, false);
  const Schema schema = conn->describe(args.table);
  Batch batch(make_schema({{"name", TypeId::string},
                           {"type", TypeId::string},
                           {"native_type", TypeId::string},
                           {"nullable", TypeId::boolean},
                           {"key", TypeId::int64},
                           {"collation", TypeId::string}}));
  for (const auto& f : schema.fields) {
    Value key;
    for (size_t k = 0; k < schema.primary_key.size(); ++k)
      if (schema.primary_key[k] == f.name) key = static_cast<int64_t>(k + 1);
    // How text compares (docs/query.md): the rule, and the engine's name of a
    // case-insensitive one.
    Value collation;
    if (f.type.id == TypeId::string)
      collation = std::string(to_string(f.collation)) +
                  (f.collation_name.empty() ? "" : " (" + f.collation_name + ")");
    const Value row[] = {f.name, to_string(f.type), f.native_type, f.nullable, key, collation};
    batch.append_row(row);
  }
  print_batch(ctx, batch);
  return kExitOk;
}

int cmd_sql(const Context& ctx, const StatementArgs& args) {
  const Params params = parse_params(args.params);
  auto conn = ctx.open(args.conn, false);
  check_named(*conn, params);
  QueryOptions options;
  options.param_names = params.names;
  options.exclusive = true;  // printed to the end: nothing else runs on `conn`
  auto reader = conn->query(args.text, params.values, options);
  auto printer = ctx.make_printer();
  print_all(*reader, *printer);
  return kExitOk;
}

int cmd_exec(const Context& ctx, const StatementArgs& args) {
  const Params params = parse_params(args.params);
  if (!params.names.empty())
    throw UsageError("exec binds parameters by position: drop the @NAME= prefixes");
  auto conn = ctx.open(args.conn, false);
  const uint64_t rows = conn->execute(args.text, params.values);
  if (ctx.format() == OutputFormat::table) {
    std::cout << fmt::format("{} row{} affected\n", rows, rows == 1 ? "" : "s");
    return kExitOk;
  }
  Batch batch(make_schema({{"rows_affected", TypeId::int64}}));
  const Value row[] = {static_cast<int64_t>(rows)};
  batch.append_row(row);
  print_batch(ctx, batch);
  return kExitOk;
}

int cmd_ping(const Context& ctx, const PingArgs& args) {
  Batch batch(make_schema({{"connection", TypeId::string},
                           {"status", TypeId::string},
                           {"latency_ms", Type(TypeId::decimal, 12, 3)},
                           {"version", TypeId::string},
                           {"role", TypeId::string},
                           {"error", TypeId::string}}));
  // Each connection is pinged on a thread of its own, at most
  // kMaxConcurrentPings at once, so that unreachable hosts wait out their
  // timeouts together; rows keep the order of the arguments.
  const size_t n = args.conns.size();
  std::vector<std::vector<Value>> rows(n);
  std::vector<char> ok(n, 0);
  std::atomic<size_t> next{0};
  auto error_row = [&](const std::string& name, std::string message) {
    return std::vector<Value>{ctx.display(name), "error", Value(),
                              Value(),           Value(), std::move(message)};
  };
  auto work = [&]() noexcept {
    for (size_t i; (i = next++) < n;) {
      const std::string& name = args.conns[i];
      try {
        try {
          auto conn = ctx.open(name, false);
          const PingResult r = conn->ping();
          const int64_t us = r.latency.count();
          const Decimal ms{fmt::format("{}.{:03d}", us / 1000, us % 1000)};
          rows[i] = {ctx.display(name), "ok", ms, r.server_version, r.role, Value()};
          ok[i] = 1;
        } catch (const Error& e) {
          rows[i] = error_row(name, one_line(error_text(e)));
        } catch (const std::exception& e) {
          rows[i] = error_row(name, fmt::format("internal error: {}", e.what()));
        }
      } catch (...) {
        // Out of memory building the row: it stays empty and counts as failed.
      }
    }
  };
  {
    std::vector<std::jthread> threads;
    const size_t workers = std::min(n, kMaxConcurrentPings);
    for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
    work();
  }  // joined
  size_t failed = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!ok[i]) ++failed;
    if (rows[i].empty()) rows[i] = error_row(args.conns[i], "out of memory");
    batch.append_row(rows[i]);
  }
  print_batch(ctx, batch);
  if (failed == 0) return kExitOk;
  print_error(fmt::format("{} of {} connection{} failed (see the error column)", failed,
                          args.conns.size(), args.conns.size() == 1 ? "" : "s"),
              {}, 0);
  return kExitFailure;
}

int cmd_copy(const Context& ctx, const CopyArgs& args) {
  InterruptGuard guard;
  ctx.set_stop(guard.token());

  engine::CopyOptions o;
  o.table = args.table;
  o.columns = args.columns;
  o.limit = args.limit;
  o.dst_table = args.dst_table;
  o.mode = parse_mode(args.mode);
  o.key = args.key;
  o.non_atomic = args.non_atomic;
  o.parallel = args.parallel;
  o.chunked = args.chunked;
  o.state = args.state;
  o.job = args.job;
  o.resume = args.resume;
  o.chunk_by = args.chunk_by;
  o.chunk_rows = args.chunk_rows;
  o.checkpoint_rows = args.checkpoint_rows;
  o.lease = std::chrono::seconds(args.lease_seconds);
  o.stop = guard.token();
  if (!args.where.empty()) o.filter = as_usage([&] { return parse_filter(args.where); });
  // --batch-size and --parallel were range-checked when parsed; the config's
  // batch size is checked here.
  o.batch_rows = kDefaultCopyBatchRows;
  if (args.batch_size) {
    o.batch_rows = *args.batch_size;
  } else if (ctx.config() && ctx.config()->default_batch_size()) {
    o.batch_rows = *ctx.config()->default_batch_size();
    if (o.batch_rows > kMaxBatchRows)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("defaults.batch_size in the config is {}; a batch holds at most {} "
                              "rows",
                              o.batch_rows, group_digits(kMaxBatchRows)));
  }
  // The engine makes every check, in the order a library caller meets them:
  // the options before any connection, the source before the destination is
  // opened (which may create its database file), the destination in copy().
  // Options that contradict each other come back with a usage_hint().
  engine::check_options(o);
  auto src = ctx.open(args.src, false);
  (void)engine::check_source(*src, o);
  // The same CONN for both sides shares one connection where the backend asks
  // for it: two SQLite connections to one file block each other's locks.
  std::unique_ptr<Connection> dst_owned;
  if (args.dst != args.src || !src->capabilities().single_connection_copy)
    dst_owned = ctx.open(args.dst, true);
  Connection* dst = dst_owned ? dst_owned.get() : src.get();

  std::optional<ProgressLine> progress;
  if (!ctx.quiet() && isatty(STDERR_FILENO)) progress.emplace(std::cerr);
  o.progress = progress ? &*progress : nullptr;
  const engine::ConnectionFactory open_src = [&] { return ctx.open(args.src, false); };
  const engine::ConnectionFactory open_dst = [&] { return ctx.open(args.dst, true); };
  const CopyStats stats = engine::copy(*src, *dst, o, open_src, open_dst);
  progress.reset();
  if (!ctx.quiet()) {
    const double secs = stats.elapsed.count();
    const double rate = secs > 0 ? static_cast<double>(stats.rows) / secs : 0;
    std::cerr << fmt::format(
        "copied {} rows ({}) from {}.{} to {}.{} in {:.2f} s ({:.0f} rows/s){}\n", stats.rows,
        format_bytes(stats.bytes), ctx.display(args.src), args.table, ctx.display(args.dst),
        stats.dst_table, secs, rate, cost_note(*src, *dst));
    if (args.chunked)
      std::cerr << fmt::format(
          "job {}: complete, {} chunks, {} rows in all ({} chunks by this worker{})\n", stats.job,
          stats.job_chunks, stats.job_rows, stats.chunks,
          stats.retries ? fmt::format(", {} retried", stats.retries) : std::string());
  }
  return kExitOk;
}

// One row per step of SQLite's plan; steps that read a remote table carry
// what was pushed down to it (and, with --analyze, what it cost).
void print_plan(const Context& ctx, const FederatedPlan& plan, bool analyze) {
  Batch batch(make_schema({{"step", TypeId::string},
                           {"table", TypeId::string},
                           {"access", TypeId::string},
                           {"columns", TypeId::string},
                           {"filter", TypeId::string},
                           {"order", TypeId::string},
                           {"limit", TypeId::string},
                           {"strategy", TypeId::string},
                           {"native", TypeId::string},
                           {"remote_calls", TypeId::int64},
                           {"rows_fetched", TypeId::int64},
                           {"probes", TypeId::int64},
                           {"remote_ms", Type(TypeId::decimal, 12, 1)}}));
  size_t next_table = 0;
  auto text = [](const std::string& s) { return s.empty() ? Value() : Value(s); };
  for (const auto& step : plan.steps) {
    std::vector<Value> row(13);
    row[0] = step;
    if (step.find("VIRTUAL TABLE INDEX") != std::string::npos && next_table < plan.tables.size()) {
      const RemoteAccess& t = plan.tables[next_table++];
      row[1] = t.table;
      row[2] = t.access;
      row[3] = text(t.columns);
      row[4] = text(t.filter);
      row[5] = text(t.order);
      row[6] = text(t.limit);
      if (analyze) {
        row[7] = text(t.strategy);
        row[8] = text(t.native);
        row[9] = static_cast<int64_t>(t.remote_calls);
        row[10] = static_cast<int64_t>(t.rows_fetched);
        row[11] = static_cast<int64_t>(t.probes);
        row[12] = Decimal{fmt::format("{:.1f}", t.seconds * 1000)};
      }
    }
    batch.append_row(row);
  }
  print_batch(ctx, batch);
}

int cmd_query(const Context& ctx, const QueryArgs& args) {
  InterruptGuard guard;
  ctx.set_stop(guard.token());
  const Params params = parse_params(args.params);
  if (args.analyze && !args.explain) throw UsageError("--analyze goes with --explain");
  FederationOptions options;
  options.config = ctx.config();
  options.max_remote_calls = args.max_remote_calls;
  options.key_batching = !args.no_key_batching;
  options.stop = guard.token();
  Federation fed(options);
  for (const auto& a : args.attach) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw UsageError(fmt::format("--attach '{}': write NAME=CONN", redact_url_text(a)));
    as_usage([&] { fed.attach(a.substr(0, eq), a.substr(eq + 1)); });
  }
  if (args.explain) {
    print_plan(ctx, fed.explain(args.text, params.values, params.names, args.analyze),
               args.analyze);
    return kExitOk;
  }
  auto reader = fed.query(args.text, params.values, params.names);
  auto printer = ctx.make_printer();
  print_all(*reader, *printer);
  for (const auto& t : fed.last_accesses())
    logger("query")->info("{} ({}): {} remote call{}, {} rows fetched, {} probes, {:.1f} ms; {}",
                          t.table, t.access, t.remote_calls, t.remote_calls == 1 ? "" : "s",
                          t.rows_fetched, t.probes, t.seconds * 1000, t.native);
  return kExitOk;
}

int cmd_version() {
  std::cout << "polydb " << POLYDB_VERSION << '\n';
  return kExitOk;
}

}  // namespace

std::optional<std::pair<std::string, Value>> parse_named_param(std::string_view text) {
  if (text.size() < 3 || text[0] != '@') return std::nullopt;
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 1) return std::nullopt;
  for (char c : text.substr(1, eq - 1))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return std::nullopt;
  return std::make_pair(std::string(text.substr(0, eq)), parse_param(text.substr(eq + 1)));
}

Value parse_param(std::string_view text) {
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view prefix = text.substr(0, colon);
    const std::string_view rest = text.substr(colon + 1);
    if (const auto type = param_type(prefix)) {
      if (type->id == TypeId::null) {
        if (!rest.empty())
          throw Error(ErrorCode::invalid_argument, "null: takes no value (write null:)");
        return Value();
      }
      if (type->id == TypeId::json) check_json(rest);
      return parse_value(rest, *type);
    }
    if (looks_like_type_prefix(prefix, rest))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("'{}' is not a type (types: {}; write text:{} to bind this text "
                              "as it is)",
                              prefix, kParamTypeNames, text));
  }
  switch (json_number_kind(text)) {
    case 1: {
      int64_t v;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc{} && r.ptr == text.data() + text.size()) return Value(v);
      return Value(std::string(text));  // out of int64 range: keep every digit
    }
    case 2: {
      double v;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc{} && r.ptr == text.data() + text.size()) return Value(v);
      return Value(std::string(text));  // out of float64 range
    }
    default:
      return Value(std::string(text));
  }
}

int run(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // A failing command prints one `polydb: error:` line: the warnings on the
  // way there (a retry, a fallback) show with -v or the config's log.level.
  set_log_level("error");
  GlobalArgs global;
  ConnArgs ls_args;
  DescribeArgs describe_args;
  StatementArgs sql_args;
  StatementArgs exec_args;
  CopyArgs copy_args;
  PingArgs ping_args;
  QueryArgs query_args;

  CLI::App app{"polydb: one command line over many databases", "polydb"};
  app.footer(std::string(kEpilog));
  // Global options are accepted after the command too.
  app.fallthrough();
  app.require_subcommand(0, 1);
  app.add_option("--config", global.config, "Config file (default: ./polydb.yaml when present)")
      ->type_name("FILE");
  app.add_option("--format", global.format, "Output format: table|csv|json|ndjson")
      ->type_name("FORMAT");
  app.add_flag("-v,--verbose", global.verbosity,
               "More logging (-v info, -vv debug, -vvv trace) and error details");
  app.add_flag("-q,--quiet", global.quiet, "No progress line and no copy summary");

  auto* ls = app.add_subcommand("ls", "List the tables and views of a connection");
  ls->add_option("CONN", ls_args.conn, "Connection URL or name")->required();

  auto* describe = app.add_subcommand(
      "describe", "Show a table's columns: name, polydb type, native type, nullable, key");
  describe->add_option("CONN", describe_args.conn, "Connection URL or name")->required();
  describe->add_option("TABLE", describe_args.table, "Table name")->required();

  auto* sql = app.add_subcommand("sql", "Run a native query with bound parameters; print rows");
  sql->add_option("CONN", sql_args.conn, "Connection URL or name")->required();
  sql->add_option("QUERY", sql_args.text, "Query in the backend's dialect")->required();
  sql->add_option("-p,--param", sql_args.params, std::string(kParamHelp))
      ->type_name("VALUE")
      ->allow_extra_args(false);

  auto* exec = app.add_subcommand("exec", "Run a statement; print the affected row count");
  exec->add_option("CONN", exec_args.conn, "Connection URL or name")->required();
  exec->add_option("STATEMENT", exec_args.text, "Statement in the backend's dialect")->required();
  exec->add_option("-p,--param", exec_args.params, std::string(kParamHelp))
      ->type_name("VALUE")
      ->allow_extra_args(false);

  auto* copy = app.add_subcommand("copy", "Copy a table into another connection");
  copy->add_option("SRC", copy_args.src, "Source connection URL or name")->required();
  copy->add_option("TABLE", copy_args.table, "Source table")->required();
  copy->add_option("DST", copy_args.dst,
                   "Destination connection URL or name (a new SQLite file is created)")
      ->required();
  copy->add_option("DST_TABLE", copy_args.dst_table,
                   "Destination table, as DST reads table names (default: TABLE's own name, "
                   "without its schema and unquoted: public.orders -> orders)");
  copy->add_option("--mode", copy_args.mode,
                   "create (default; fails if the table exists), append, replace (atomic "
                   "swap), upsert (by --key or the primary key)")
      ->type_name("MODE");
  copy->add_option("--key", copy_args.key, "Key columns for upsert (and create)")
      ->delimiter(',')
      ->type_name("COL[,COL]");
  copy->add_option("--batch-size", copy_args.batch_size,
                   fmt::format("Rows per batch, 1-{} (default: config defaults.batch_size, else "
                               "10000)",
                               kMaxBatchRows))
      ->type_name("N")
      ->check(count_in(1, kMaxBatchRows));
  copy->add_option("--where", copy_args.where,
                   "Filter pushed to the source: col OP literal, AND/OR/NOT, IN (...), "
                   "IS [NOT] NULL; strings in 'single quotes'")
      ->type_name("FILTER");
  copy->add_option("--columns", copy_args.columns, "Columns to copy (default: all)")
      ->delimiter(',')
      ->type_name("COL[,COL]");
  copy->add_option("--limit", copy_args.limit, "Copy at most N rows (N >= 1)")
      ->type_name("N")
      ->check(count_in(1, kMaxCount));
  copy->add_option("--parallel", copy_args.parallel,
                   "Read with N connections (1-64, default 1), each scanning 1/N of the table, "
                   "all in one consistent snapshot of the source (PostgreSQL exported "
                   "snapshot; MySQL/MariaDB FLUSH TABLES WITH READ LOCK, needs RELOAD; "
                   "SQLite files). The target is still written in one transaction; rows "
                   "arrive in no particular order. Not with --limit")
      ->type_name("N")
      ->check(count_in(1, kMaxParallel));
  copy->add_flag("--non-atomic", copy_args.non_atomic,
                 "Allow --mode replace into a target that cannot swap atomically (DynamoDB, "
                 "Cosmos DB, Firestore: the old contents are deleted, then the new ones written)");
  copy->add_flag("--chunked", copy_args.chunked,
                 "Commit chunk by chunk (key ranges or scan segments) and record each in a "
                 "state store, so that an interrupted copy resumes with --resume; with "
                 "--parallel N, N workers claim chunks. Needs a key (the primary key or --key); "
                 "modes create, append, upsert");
  copy->add_option("--state", copy_args.state,
                   "State store of --chunked jobs: a SQLite file or postgresql:// URL shared "
                   "by several workers (default: $POLYDB_STATE, else "
                   "~/.local/state/polydb/state.db)")
      ->type_name("URL");
  copy->add_option("--job", copy_args.job,
                   "Name of the --chunked job: created when new, joined when it exists (run "
                   "the same command on several machines with a shared --state)")
      ->type_name("NAME");
  copy->add_flag("--resume", copy_args.resume,
                 "Continue the newest unfinished --chunked copy of the same table into the same "
                 "target");
  copy->add_option("--chunk-by", copy_args.chunk_by,
                   "Integer or text column to cut --chunked ranges by (default: a one-column "
                   "integer or text primary key, else the source's scan segments)")
      ->type_name("COL");
  copy->add_option("--chunk-rows", copy_args.chunk_rows, "Rows per chunk, roughly (default 100000)")
      ->type_name("N")
      ->check(count_in(1, kMaxCount));
  copy->add_option("--checkpoint-rows", copy_args.checkpoint_rows,
                   "Inside a --chunked chunk, commit and record the position every N rows, so "
                   "that a resumed chunk continues there (0: once per chunk; default 50000)")
      ->type_name("N")
      ->check(count_in(0, kMaxCount));
  copy->add_option("--lease", copy_args.lease_seconds,
                   "Seconds a worker holds a chunk without news before another worker takes it "
                   "over (default 60)")
      ->type_name("SECONDS")
      ->check(count_in(1, 86'400));

  auto* query = app.add_subcommand(
      "query", "Run one SQL statement over the tables of several connections (NAME.table)");
  query->add_option("SQL", query_args.text,
                    "SQLite SQL; a table of an attached connection is NAME.table (or "
                    "NAME.schema.table)")
      ->required();
  query->add_option("--attach", query_args.attach,
                    "Attach CONN as NAME (repeatable); the config's connections are attached "
                    "under their own names")
      ->type_name("NAME=CONN");
  query->add_option("-p,--param", query_args.params, std::string(kParamHelp))
      ->type_name("[TYPE:]VALUE");
  query->add_flag("--explain", query_args.explain,
                  "Print the plan: per remote table, what is pushed down");
  query->add_flag("--analyze", query_args.analyze,
                  "With --explain: run the query and add native calls, rows and times");
  query
      ->add_option("--max-remote-calls", query_args.max_remote_calls,
                   "Stop the query before it makes more remote calls than this (N >= 0)")
      ->type_name("N")
      ->check(count_in(0, kMaxCount));
  query->add_flag("--no-key-batching", query_args.no_key_batching,
                  "Joins copy the probed table instead of sending the other side's keys");

  auto* ping = app.add_subcommand("ping", "Check connections: status, latency, version, role");
  ping->add_option("CONN", ping_args.conns, "Connection URLs or names")->required();

  auto* version = app.add_subcommand("version", "Print the polydb version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e);  // --help
      return kExitOk;
    }
    std::string message = e.what();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && app.get_subcommands().empty() && argc > 1) {
      // The first word that is not an option is the mistyped command.
      for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-') continue;
        message = fmt::format(
            "unknown command '{}' (commands: ls, describe, sql, exec, copy, "
            "query, ping, version;",
            argv[i]);
        break;
      }
    }
    message += message.ends_with(";") ? " see polydb --help)" : " (see polydb --help)";
    print_error(redact_url_text(message), {}, 0);
    return kExitUsage;
  }

  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return kExitUsage;
  }

  try {
    if (version->parsed()) return cmd_version();
    const Context ctx(global, true);
    int status = kExitOk;
    if (ls->parsed())
      status = cmd_ls(ctx, ls_args);
    else if (describe->parsed())
      status = cmd_describe(ctx, describe_args);
    else if (sql->parsed())
      status = cmd_sql(ctx, sql_args);
    else if (exec->parsed())
      status = cmd_exec(ctx, exec_args);
    else if (copy->parsed())
      status = cmd_copy(ctx, copy_args);
    else if (ping->parsed())
      status = cmd_ping(ctx, ping_args);
    else if (query->parsed())
      status = cmd_query(ctx, query_args);
    std::cout.flush();
    if (!std::cout) {
      print_error("cannot write the output (is the disk full, or the reader gone?)", {},
                  global.verbosity);
      return kExitFailure;
    }
    return status;
  } catch (const UsageError& e) {
    print_error(error_text(e), e.detail(), global.verbosity);
    return kExitUsage;
  } catch (const Error& e) {
    print_error(error_text(e), e.detail(), global.verbosity);
    return usage_hint(e.hint()) ? kExitUsage : kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {} (please report it)", e.what()), {},
                global.verbosity);
    return kExitFailure;
  }
}

}  // namespace polydb::cli
