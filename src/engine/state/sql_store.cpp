// The state store's logic, written once over a Session and its Dialect
// (SQLite file or PostgreSQL database); docs/state.md describes the tables.

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "engine/state/session.hpp"
#include "polydb/error.hpp"

namespace polydb::state {

namespace {

constexpr std::string_view kJobColumns = "id, kind, spec, status, error, created, updated";
constexpr std::string_view kChunkColumns =
    "id, job, table_name, chunk_index, bounds, estimated_rows, status, worker, lease_until, "
    "attempts, position, row_count, hash, error";

// How many chunks one INSERT stores: 4 parameters each stays far below
// either database's parameter limit.
constexpr size_t kChunksPerInsert = 200;

JobStatus parse_job_status(std::string_view s) {
  if (s == "running") return JobStatus::running;
  if (s == "done") return JobStatus::done;
  if (s == "failed") return JobStatus::failed;
  if (s == "cancelled") return JobStatus::cancelled;
  throw Error(ErrorCode::corruption, fmt::format("unknown job status '{}' in the state store", s));
}

ChunkStatus parse_chunk_status(std::string_view s) {
  if (s == "pending") return ChunkStatus::pending;
  if (s == "running") return ChunkStatus::running;
  if (s == "done") return ChunkStatus::done;
  if (s == "failed") return ChunkStatus::failed;
  throw Error(ErrorCode::corruption,
              fmt::format("unknown chunk status '{}' in the state store", s));
}

// A count the caller gives, as the signed 64-bit integer both databases store.
Value count_value(uint64_t n, std::string_view what) {
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} {} is larger than the state store can hold (2^63-1)", what, n));
  return Value(static_cast<int64_t>(n));
}

// Milliseconds of a lease; a lease must last.
Value lease_value(std::chrono::milliseconds lease) {
  if (lease.count() <= 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a lease must last longer than 0 ms (got {} ms)", lease.count()));
  return Value(static_cast<int64_t>(lease.count()));
}

void require(std::string_view value, std::string_view what) {
  if (value.empty()) throw Error(ErrorCode::invalid_argument, fmt::format("{} is empty", what));
}

uint64_t as_count(const Value& v) {
  if (v.is_null()) return 0;
  const int64_t n = v.as<int64_t>();
  return n < 0 ? 0 : static_cast<uint64_t>(n);
}

class SqlStateStore final : public StateStore {
 public:
  SqlStateStore(std::unique_ptr<Session> session, Dialect dialect)
      : s_(std::move(session)), d_(std::move(dialect)) {
    job_columns_ = std::string(kJobColumns);
    chunk_columns_ = std::string(kChunkColumns);
  }

  std::string_view backend() const noexcept override { return d_.backend; }
  std::string display_url() const override { return s_->display(); }

  int schema_version() override {
    const auto rows = s_->query(sql("SELECT value FROM {p}meta WHERE key = 'schema_version'"));
    if (rows.empty())
      throw Error(
          ErrorCode::corruption,
          fmt::format("{}: the state store's meta table lost its schema_version", s_->display()));
    return std::stoi(rows.at(0).at(0).as<std::string>());
  }

  // ---- jobs ----

  Job create_job(std::string_view id, std::string_view kind, std::string_view spec) override {
    require(kind, "the job's kind");
    const std::string job_id = id.empty() ? generate_job_id(kind, Clock::now()) : std::string(id);
    const Value params[] = {job_id, kind, spec};
    WriteTransaction tx(*s_);
    const auto rows = s_->query(
        sql(fmt::format("INSERT INTO {{p}}jobs (id, kind, spec, status, error, created, updated) "
                        "VALUES ($1, $2, $3, 'running', '', {{now}}, {{now}}) "
                        "ON CONFLICT (id) DO NOTHING RETURNING {}",
                        job_columns_)),
        params);
    if (rows.empty())
      throw Error(ErrorCode::conflict,
                  fmt::format("a job with id '{}' already exists in {} (choose another id, or "
                              "resume that job)",
                              job_id, s_->display()));
    tx.commit();
    logger("state")->info("{}: created {} job '{}'", s_->display(), kind, job_id);
    return to_job(rows[0]);
  }

  std::optional<Job> find_job(std::string_view id) override {
    const Value params[] = {id};
    const auto rows =
        s_->query(sql(fmt::format("SELECT {} FROM {{p}}jobs WHERE id = $1", job_columns_)), params);
    if (rows.empty()) return std::nullopt;
    return to_job(rows[0]);
  }

  std::vector<Job> list_jobs(std::string_view kind) override {
    std::vector<Row> rows;
    if (kind.empty()) {
      rows =
          s_->query(sql(fmt::format("SELECT {} FROM {{p}}jobs ORDER BY seq DESC", job_columns_)));
    } else {
      const Value params[] = {kind};
      rows = s_->query(sql(fmt::format("SELECT {} FROM {{p}}jobs WHERE kind = $1 ORDER BY seq DESC",
                                       job_columns_)),
                       params);
    }
    std::vector<Job> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(to_job(r));
    return out;
  }

  void set_job_status(std::string_view id, JobStatus status, std::string_view error) override {
    const Value params[] = {id, to_string(status), error};
    WriteTransaction tx(*s_);
    const uint64_t n = s_->execute(
        sql("UPDATE {p}jobs SET status = $2, error = $3, updated = {now} WHERE id = $1"), params);
    if (n == 0) throw unknown_job(id);
    tx.commit();
  }

  bool delete_job(std::string_view id) override {
    const Value params[] = {id};
    WriteTransaction tx(*s_);
    // Children first: the foreign keys cascade too, but SQLite only enforces
    // them with PRAGMA foreign_keys, and the order is then plain to see.
    s_->execute(sql("DELETE FROM {p}chunks WHERE job = $1"), params);
    s_->execute(sql("DELETE FROM {p}job_tables WHERE job = $1"), params);
    s_->execute(sql("DELETE FROM {p}checkpoints WHERE job = $1"), params);
    const uint64_t n = s_->execute(sql("DELETE FROM {p}jobs WHERE id = $1"), params);
    tx.commit();
    if (n > 0) logger("state")->info("{}: deleted job '{}'", s_->display(), id);
    return n > 0;
  }

  // ---- chunks ----

  bool add_chunks(std::string_view job, std::string_view table,
                  std::span<const ChunkSpec> chunks) override {
    require(table, "the table name of a chunk plan");
    if (chunks.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("no chunks to store for table '{}' of job '{}' (plan at least one "
                              "chunk per table: an empty table is one chunk)",
                              table, job));
    WriteTransaction tx(*s_);
    // Locks the job row (PostgreSQL) so that two planners of one job number
    // its tables one after the other.
    const Value job_param[] = {job};
    if (s_->query(sql("SELECT id FROM {p}jobs WHERE id = $1{lock_row}"), job_param).empty())
      throw unknown_job(job);
    const Value table_params[] = {job, table};
    const auto added = s_->query(
        sql("INSERT INTO {p}job_tables (job, name, seq, added) "
            "SELECT $1, $2, COALESCE(MAX(seq) + 1, 0), {now} FROM {p}job_tables WHERE job = $1 "
            "ON CONFLICT (job, name) DO NOTHING RETURNING seq"),
        table_params);
    if (added.empty()) return false;  // planned before: the first plan stays
    const Value seq = added[0].at(0);
    for (size_t start = 0; start < chunks.size(); start += kChunksPerInsert) {
      const size_t end = std::min(chunks.size(), start + kChunksPerInsert);
      std::vector<Value> params{Value(job), Value(table), seq};
      std::string text =
          "INSERT INTO {p}chunks (job, table_name, table_seq, chunk_index, bounds, "
          "estimated_rows, status, updated) VALUES ";
      for (size_t i = start; i < end; ++i) {
        const size_t base = params.size();
        text += fmt::format("{}($1, $2, $3, ${}, ${}, ${}, 'pending', {{now}})",
                            i == start ? "" : ", ", base + 1, base + 2, base + 3);
        params.emplace_back(static_cast<int64_t>(i));
        params.emplace_back(chunks[i].bounds);
        params.push_back(chunks[i].estimated_rows
                             ? count_value(*chunks[i].estimated_rows, "an estimated row count")
                             : Value());
      }
      s_->execute(sql(text), params);
    }
    tx.commit();
    logger("state")->info("{}: job '{}': planned {} chunk(s) of table '{}'", s_->display(), job,
                          chunks.size(), table);
    return true;
  }

  std::optional<Chunk> claim_chunk(std::string_view job, std::string_view worker,
                                   std::chrono::milliseconds lease,
                                   uint32_t max_attempts) override {
    require(worker, "the worker name");
    const Value lease_ms = lease_value(lease);
    WriteTransaction tx(*s_);
    const std::string order = " ORDER BY table_seq, chunk_index LIMIT 1";
    std::optional<int64_t> id;
    std::string previous;  // the worker whose lease expired
    {
      const Value params[] = {job};
      const auto rows =
          s_->query(sql("SELECT id FROM {p}chunks WHERE job = $1 AND status = 'pending'" + order +
                        "{skip_locked}"),
                    params);
      if (!rows.empty()) id = rows[0].at(0).as<int64_t>();
    }
    if (!id) {
      const Value params[] = {job};
      const auto rows =
          s_->query(sql("SELECT id, worker FROM {p}chunks WHERE job = $1 AND status = 'running' "
                        "AND lease_until < {now}" +
                        order + "{skip_locked}"),
                    params);
      if (!rows.empty()) {
        id = rows[0].at(0).as<int64_t>();
        previous = rows[0].at(1).as<std::string>();
      }
    }
    if (!id) {
      const Value params[] = {job, static_cast<int64_t>(max_attempts)};
      const auto rows = s_->query(
          sql("SELECT id FROM {p}chunks WHERE job = $1 AND status = 'failed' AND retry = 1 "
              "AND attempts < $2" +
              order + "{skip_locked}"),
          params);
      if (!rows.empty()) id = rows[0].at(0).as<int64_t>();
    }
    if (!id) {
      const Value params[] = {job};
      if (s_->query(sql("SELECT id FROM {p}jobs WHERE id = $1"), params).empty())
        throw unknown_job(job);
      return std::nullopt;  // the transaction rolls back: it changed nothing
    }
    const Value params[] = {*id, worker, lease_ms, static_cast<int64_t>(max_attempts)};
    const auto rows = s_->query(
        sql(fmt::format("UPDATE {{p}}chunks SET status = 'running', worker = $2, lease_until = {}, "
                        "attempts = attempts + 1, max_attempts = $4, retry = 1, updated = {{now}} "
                        "WHERE id = $1 RETURNING {}",
                        d_.now_plus_ms("$3"), chunk_columns_)),
        params);
    tx.commit();
    Chunk c = to_chunk(rows.at(0));
    if (!previous.empty())
      logger("state")->warn(
          "{}: job '{}': worker '{}' takes over chunk {} of table '{}' from '{}', whose lease "
          "expired (attempt {})",
          s_->display(), job, worker, c.id, c.table, previous, c.attempts);
    else
      logger("state")->debug("{}: job '{}': worker '{}' claimed chunk {} (attempt {})",
                             s_->display(), job, worker, c.id, c.attempts);
    return c;
  }

  bool renew_lease(int64_t chunk, std::string_view worker,
                   std::chrono::milliseconds lease) override {
    const Value params[] = {chunk, worker, lease_value(lease)};
    return held_update(fmt::format("lease_until = {}", d_.now_plus_ms("$3")), params);
  }

  bool save_position(int64_t chunk, std::string_view worker, std::string_view position,
                     uint64_t rows) override {
    const Value params[] = {chunk, worker, position, count_value(rows, "a row count")};
    return held_update("position = $3, row_count = $4", params);
  }

  bool complete_chunk(int64_t chunk, std::string_view worker, uint64_t rows,
                      std::string_view hash) override {
    const Value params[] = {chunk, worker, count_value(rows, "a row count"), hash};
    return held_update("status = 'done', row_count = $3, hash = $4, lease_until = NULL", params);
  }

  bool release_chunk(int64_t chunk, std::string_view worker, std::string_view error,
                     bool retry) override {
    const Value params[] = {chunk, worker, error, static_cast<int64_t>(retry ? 1 : 0)};
    const bool held = held_update(
        "status = CASE WHEN $4 = 1 AND attempts < max_attempts THEN 'pending' ELSE 'failed' END, "
        "retry = $4, error = $3, lease_until = NULL",
        params);
    if (held)
      logger("state")->info("{}: worker '{}' gave chunk {} back ({}): {}", s_->display(), worker,
                            chunk, retry ? "to retry" : "not to retry", error);
    return held;
  }

  std::vector<Chunk> chunks(std::string_view job, std::string_view table) override {
    std::vector<Row> rows;
    if (table.empty()) {
      const Value params[] = {job};
      rows = s_->query(sql(fmt::format("SELECT {} FROM {{p}}chunks WHERE job = $1 "
                                       "ORDER BY table_seq, chunk_index",
                                       chunk_columns_)),
                       params);
    } else {
      const Value params[] = {job, table};
      rows = s_->query(sql(fmt::format("SELECT {} FROM {{p}}chunks WHERE job = $1 AND "
                                       "table_name = $2 ORDER BY chunk_index",
                                       chunk_columns_)),
                       params);
    }
    std::vector<Chunk> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(to_chunk(r));
    return out;
  }

  std::vector<std::string> tables(std::string_view job) override {
    const Value params[] = {job};
    std::vector<std::string> out;
    for (const Row& r :
         s_->query(sql("SELECT name FROM {p}job_tables WHERE job = $1 ORDER BY seq"), params))
      out.push_back(r.at(0).as<std::string>());
    return out;
  }

  Progress progress(std::string_view job, std::string_view table) override {
    const std::string select =
        "SELECT status, COUNT(*), CAST(COALESCE(SUM(row_count), 0) AS BIGINT), "
        "COUNT(estimated_rows), CAST(COALESCE(SUM(estimated_rows), 0) AS BIGINT) "
        "FROM {p}chunks WHERE job = $1";
    std::vector<Row> rows;
    if (table.empty()) {
      const Value params[] = {job};
      rows = s_->query(sql(select + " GROUP BY status"), params);
    } else {
      const Value params[] = {job, table};
      rows = s_->query(sql(select + " AND table_name = $2 GROUP BY status"), params);
    }
    Progress p;
    uint64_t known = 0, estimated = 0;
    for (const Row& r : rows) {
      const uint64_t n = as_count(r.at(1));
      switch (parse_chunk_status(r.at(0).as<std::string>())) {
        case ChunkStatus::pending:
          p.pending = n;
          break;
        case ChunkStatus::running:
          p.running = n;
          break;
        case ChunkStatus::done:
          p.done = n;
          p.rows_done = as_count(r.at(2));
          break;
        case ChunkStatus::failed:
          p.failed = n;
          break;
      }
      known += as_count(r.at(3));
      estimated += as_count(r.at(4));
    }
    if (p.total() > 0 && known == p.total()) p.estimated_rows = estimated;
    return p;
  }

  uint64_t retry_failed(std::string_view job) override {
    const Value params[] = {job};
    WriteTransaction tx(*s_);
    const uint64_t n =
        s_->execute(sql("UPDATE {p}chunks SET status = 'pending', attempts = 0, retry = 1, "
                        "updated = {now} WHERE job = $1 AND status = 'failed'"),
                    params);
    tx.commit();
    if (n > 0)
      logger("state")->info("{}: job '{}': {} failed chunk(s) pending again", s_->display(), job,
                            n);
    return n;
  }

  // ---- checkpoints ----

  void put_checkpoint(std::string_view job, std::string_view name,
                      std::string_view value) override {
    require(name, "the checkpoint name");
    const Value params[] = {job, name, value};
    WriteTransaction tx(*s_);
    require_job(job);
    s_->execute(sql("INSERT INTO {p}checkpoints (job, name, value, updated) "
                    "VALUES ($1, $2, $3, {now}) ON CONFLICT (job, name) "
                    "DO UPDATE SET value = excluded.value, updated = excluded.updated"),
                params);
    tx.commit();
  }

  std::optional<std::string> get_checkpoint(std::string_view job, std::string_view name) override {
    const Value params[] = {job, name};
    const auto rows =
        s_->query(sql("SELECT value FROM {p}checkpoints WHERE job = $1 AND name = $2"), params);
    if (rows.empty()) return std::nullopt;
    return rows[0].at(0).as<std::string>();
  }

  bool compare_and_put_checkpoint(std::string_view job, std::string_view name,
                                  std::optional<std::string_view> expected,
                                  std::string_view value) override {
    require(name, "the checkpoint name");
    WriteTransaction tx(*s_);
    require_job(job);
    uint64_t n = 0;
    if (!expected) {
      const Value params[] = {job, name, value};
      n = s_->execute(sql("INSERT INTO {p}checkpoints (job, name, value, updated) "
                          "VALUES ($1, $2, $3, {now}) ON CONFLICT (job, name) DO NOTHING"),
                      params);
    } else {
      const Value params[] = {job, name, value, *expected};
      n = s_->execute(sql("UPDATE {p}checkpoints SET value = $3, updated = {now} "
                          "WHERE job = $1 AND name = $2 AND value = $4"),
                      params);
    }
    if (n == 0) return false;
    tx.commit();
    return true;
  }

 private:
  std::string sql(std::string_view text) const { return d_.expand(text); }

  Error unknown_job(std::string_view id) const {
    return Error(ErrorCode::not_found,
                 fmt::format("no job '{}' in {} (list the jobs it holds to find the id)", id,
                             s_->display()));
  }

  void require_job(std::string_view job) {
    const Value params[] = {job};
    if (s_->query(sql("SELECT id FROM {p}jobs WHERE id = $1"), params).empty())
      throw unknown_job(job);
  }

  // Changes a chunk that `worker` holds (params $1 = chunk id, $2 = worker);
  // false, changing nothing, when it does not hold it any more.
  bool held_update(std::string_view assignments, std::span<const Value> params) {
    WriteTransaction tx(*s_);
    const uint64_t n =
        s_->execute(sql(fmt::format("UPDATE {{p}}chunks SET {}, updated = {{now}} "
                                    "WHERE id = $1 AND status = 'running' AND worker = $2",
                                    assignments)),
                    params);
    if (n == 0) return false;
    tx.commit();
    return true;
  }

  Job to_job(const Row& r) const {
    Job j;
    j.id = r.at(0).as<std::string>();
    j.kind = r.at(1).as<std::string>();
    j.spec = r.at(2).as<std::string>();
    j.status = parse_job_status(r.at(3).as<std::string>());
    j.error = r.at(4).as<std::string>();
    j.created = d_.read_time(r.at(5));
    j.updated = d_.read_time(r.at(6));
    return j;
  }

  Chunk to_chunk(const Row& r) const {
    Chunk c;
    c.id = r.at(0).as<int64_t>();
    c.job = r.at(1).as<std::string>();
    c.table = r.at(2).as<std::string>();
    c.index = r.at(3).as<int64_t>();
    c.bounds = r.at(4).as<std::string>();
    if (!r.at(5).is_null()) c.estimated_rows = as_count(r.at(5));
    c.status = parse_chunk_status(r.at(6).as<std::string>());
    c.worker = r.at(7).as<std::string>();
    if (!r.at(8).is_null()) c.lease_until = d_.read_time(r.at(8));
    c.attempts = static_cast<uint32_t>(as_count(r.at(9)));
    c.position = r.at(10).as<std::string>();
    c.rows = as_count(r.at(11));
    c.hash = r.at(12).as<std::string>();
    c.error = r.at(13).as<std::string>();
    return c;
  }

  std::unique_ptr<Session> s_;
  Dialect d_;
  std::string job_columns_;
  std::string chunk_columns_;
};

}  // namespace

std::string Dialect::expand(std::string_view text) const {
  std::string out;
  out.reserve(text.size() + 64);
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      const size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view token = text.substr(i + 1, close - i - 1);
        const std::string* with = token == "p"             ? &prefix
                                  : token == "now"         ? &now
                                  : token == "skip_locked" ? &skip_locked
                                  : token == "lock_row"    ? &lock_row
                                  : token == "id"          ? &id_column
                                  : token == "int"         ? &integer
                                  : token == "ts"          ? &timestamp
                                                           : nullptr;
        if (with) {
          out += *with;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::unique_ptr<StateStore> make_sql_store(std::unique_ptr<Session> session, Dialect dialect) {
  open_schema(*session, dialect);
  return std::make_unique<SqlStateStore>(std::move(session), std::move(dialect));
}

}  // namespace polydb::state
