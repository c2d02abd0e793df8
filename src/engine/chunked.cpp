#include "engine/chunked.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <random>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "engine/chunks.hpp"
#include "engine/content_hash.hpp"
#include "engine/transfer.hpp"
#include "net/retry.hpp"
#include "polydb/error.hpp"
#include "polydb/state.hpp"

namespace polydb::engine {

namespace {

using Clock = std::chrono::steady_clock;

// What a job does, as stored with it: a resumed or joined job must be asked
// for the same copy. Display URLs carry no secrets.
std::string job_spec(const ChunkedCopy& j) {
  nlohmann::json s = nlohmann::json::object();
  s["source"] = j.src.display_url();
  s["table"] = j.options.table;
  s["target"] = j.dst.display_url();
  s["target_table"] = j.dst_table;
  s["columns"] = j.options.columns;
  s["filter"] = j.options.filter ? j.options.filter->to_string() : std::string();
  s["mode"] = std::string(to_string(j.options.mode));
  s["key"] = j.options.key;
  s["chunk_by"] = j.options.chunk_by;
  return s.dump();
}

std::string default_worker() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host[0] ? host : "localhost", getpid());
}

state::Job find_or_create_job(state::StateStore& store, const ChunkedCopy& j,
                              const std::string& spec) {
  const CopyOptions& o = j.options;
  if (!o.job.empty()) {
    if (auto existing = store.find_job(o.job)) {
      if (existing->kind != "copy" || nlohmann::json::parse(existing->spec) != nlohmann::json::parse(spec))
        throw Error(ErrorCode::conflict,
                    fmt::format("job '{}' in {} is another copy ({}); name a new job, or delete "
                                "that one first",
                                o.job, store.display_url(), existing->spec));
      return *existing;
    }
    try {
      return store.create_job(o.job, "copy", spec);
    } catch (const Error& e) {
      // Another worker created it first: join it.
      if (e.code() != ErrorCode::conflict) throw;
      if (auto existing = store.find_job(o.job)) return *existing;
      throw;
    }
  }
  if (o.resume) {
    const auto parsed = nlohmann::json::parse(spec);
    for (const auto& job : store.list_jobs("copy"))  // newest first
      if (job.status != state::JobStatus::done && nlohmann::json::parse(job.spec) == parsed)
        return job;
    throw Error(ErrorCode::not_found,
                fmt::format("no unfinished copy of {} from {} into {} in the state store {}",
                            o.table, j.src.display_url(), j.dst.display_url(),
                            store.display_url()));
  }
  return store.create_job({}, "copy", spec);
}

// Serialises progress from the workers into the one sink.
class SharedProgress {
 public:
  SharedProgress(ProgressSink* sink, Clock::time_point start) : sink_(sink), start_(start) {}
  void set_totals(std::optional<uint64_t> rows, uint64_t chunks, uint64_t chunks_done) {
    std::lock_guard lock(mu_);
    p_.total_rows = rows;
    p_.chunks_total = chunks;
    p_.chunks_done = chunks_done;
  }
  void add(uint64_t rows, uint64_t bytes) {
    std::lock_guard lock(mu_);
    p_.rows += rows;
    p_.bytes += bytes;
    show();
  }
  void chunk_done() {
    std::lock_guard lock(mu_);
    ++p_.chunks_done;
    show();
  }
  void retried() {
    std::lock_guard lock(mu_);
    ++p_.retries;
  }

 private:
  void show() {
    if (!sink_) return;
    p_.elapsed = Clock::now() - start_;
    sink_->update(p_);
  }
  std::mutex mu_;
  ProgressSink* sink_;
  Clock::time_point start_;
  Progress p_;
};

// The lease is gone: another worker took the chunk over.
struct LeaseLost {};

class Worker {
 public:
  Worker(const ChunkedCopy& j, Connection& src, Connection& dst, std::string job, std::string name,
         SharedProgress& progress, std::stop_token stop)
      : j_(j), src_(src), dst_(dst), job_(std::move(job)), name_(std::move(name)),
        progress_(progress), stop_(std::move(stop)) {}

  CopyStats run() {
    state::OpenStateOptions so;
    so.stop = stop_;
    store_ = state::open_state_store(state_url(), so);
    const auto wait = std::clamp<std::chrono::milliseconds>(j_.options.lease / 4,
                                                            std::chrono::milliseconds(200),
                                                            std::chrono::milliseconds(2'000));
    while (true) {
      if (stop_.stop_requested()) throw interrupted_error();
      auto chunk = store_->claim_chunk(job_, name_, j_.options.lease, j_.options.max_attempts);
      if (!chunk) {
        const state::Progress p = store_->progress(job_);
        if (p.pending == 0 && p.running == 0) break;
        // Chunks held by other workers: wait, and take them over if their
        // lease runs out.
        if (!sleep_unless_stopped(wait, stop_)) throw interrupted_error();
        continue;
      }
      work(*chunk);
    }
    return stats_;
  }

 private:
  std::string state_url() const {
    return j_.options.state.empty() ? state::default_state_url() : j_.options.state;
  }

  Error interrupted_error() const {
    return Error(ErrorCode::cancelled,
                 fmt::format("interrupted: every committed chunk stays in table '{}' of {}; "
                             "resume the job '{}' to finish it",
                             j_.dst_table, dst_.display_url(), job_));
  }

  // How a chunk is read, and so where it can stop and continue.
  enum class ReadKind {
    by_key,     // a key range read in key order: continues after the last key
    by_reader,  // the source's resume points (ScanSpec::resume_from)
    whole,      // neither: an interrupted chunk restarts
  };

  ReadKind read_kind(const ChunkBounds& bounds) const {
    if (bounds.is_range()) {
      // The key is read from the batches: it must be a copied column. And it
      // must be unique: rows sharing the last key written could straddle a
      // commit, and "after that key" would skip the rest of them.
      const auto& cols = j_.scan.columns;
      const bool copied =
          cols.empty() || std::find(cols.begin(), cols.end(), bounds.column) != cols.end();
      const auto& pk = j_.source.primary_key;
      const bool unique = pk.size() == 1 && pk[0] == bounds.column;
      return copied && unique ? ReadKind::by_key : ReadKind::whole;
    }
    return src_.capabilities().resume_points ? ReadKind::by_reader : ReadKind::whole;
  }

  struct ChunkRead {
    ScanSpec scan;
    bool nulls = false;  // the NULL keys of a first range: unordered, no position inside
  };

  // The scan that continues the chunk at `pos`.
  ChunkRead continuation(const ChunkBounds& bounds, ReadKind kind, const ChunkPosition& pos) const {
    ChunkRead read;
    if (kind == ReadKind::by_key) {
      // The NULL keys are read even where the schema says there are none: a
      // declaration may not hold (SQLite lets a primary key that is not the
      // rowid hold NULLs), and reading none costs one indexed lookup.
      read.nulls = !bounds.from && !pos.nulls_done;
      read.scan = read.nulls ? chunk_null_scan(j_.scan, bounds)
                             : chunk_key_scan(j_.scan, bounds, pos.after);
    } else {
      read.scan = chunk_scan(j_.scan, bounds);
      if (kind == ReadKind::by_reader) read.scan.resume_from = pos.reader;
    }
    read.scan.exclusive = true;
    return read;
  }

  void work(const state::Chunk& chunk) {
    const ChunkBounds bounds = decode_bounds(chunk.bounds);
    const ReadKind kind = read_kind(bounds);
    ChunkPosition pos = decode_position(chunk.position);
    // Rows of the chunk written up to `pos` (by earlier attempts too).
    uint64_t chunk_rows = chunk.position.empty() ? 0 : chunk.rows;
    const bool usable = kind == ReadKind::by_key ? pos.reader.empty()
                        : kind == ReadKind::by_reader
                            ? !pos.nulls_done && !pos.after
                            : pos == ChunkPosition{};
    if (!usable) {
      // Recorded by a copy that read the chunk another way (another source):
      // start over; the rows written then are upserted again.
      logger("copy")->warn("chunk {} of job {}: its saved position {} does not fit how it is "
                           "read now; reading it from its start",
                           chunk.index, job_, chunk.position);
      pos = ChunkPosition{};
      chunk_rows = 0;
    } else if (!chunk.position.empty()) {
      logger("copy")->debug("chunk {} of job {}: continuing after {} rows at {}", chunk.index,
                            job_, chunk_rows, chunk.position);
    }
    ContentHash hash(pos.hash);
    WriteOptions write = j_.write;
    // A later attempt may find the rows of a commit whose worker died before
    // recording it: upsert them so that nothing is written twice.
    write.mode = write.mode != WriteMode::upsert && chunk.attempts <= 1 ? WriteMode::append
                                                                         : WriteMode::upsert;
    const uint64_t checkpoint_rows = j_.options.checkpoint_rows;
    std::unique_ptr<BatchWriter> writer;
    uint64_t rows = 0, bytes = 0, batches = 0;  // read since the last commit
    auto renewed = Clock::now();
    const auto renew_every = j_.options.lease / 3;
    // Commits what was written since the last commit and records `pos`.
    // The reader is closed first: the source may be the target's own
    // connection (SQLite), where a commit must not run under an open read.
    auto commit = [&] {
      // Still ours? Committing after another worker took the chunk over is
      // harmless (its attempt upserts), but wasted.
      if (!store_->renew_lease(chunk.id, name_, j_.options.lease)) throw LeaseLost{};
      renewed = Clock::now();
      if (writer) writer->commit();
      writer.reset();
      chunk_rows += rows;
      stats_.rows += rows;
      stats_.bytes += bytes;
      stats_.batches += batches;
      rows = bytes = batches = 0;
    };
    try {
      bool finished = false;
      while (!finished) {
        const ChunkRead read = continuation(bounds, kind, pos);
        const bool nulls = read.nulls;
        auto reader = src_.scan(read.scan);
        const auto key = kind == ReadKind::by_key && !nulls
                             ? reader->schema().index_of(bounds.column)
                             : std::nullopt;
        bool checkpoint = false;
        while (auto batch = reader->next()) {
          if (stop_.stop_requested()) throw interrupted_error();
          if (!writer) writer = dst_.writer(j_.dst_table, reader->schema(), write);
          writer->write(*batch);
          hash.add(*batch);
          rows += batch->num_rows();
          bytes += batch->byte_size();
          ++batches;
          progress_.add(batch->num_rows(), batch->byte_size());
          if (Clock::now() - renewed >= renew_every) {
            if (!store_->renew_lease(chunk.id, name_, j_.options.lease)) throw LeaseLost{};
            renewed = Clock::now();
          }
          // Where the chunk stands now, when that can be said here.
          bool placed = false;
          if (key) {
            pos.after = batch->column(*key).value_at(batch->num_rows() - 1);
            placed = true;
          } else if (kind == ReadKind::by_reader) {
            if (auto point = reader->resume_point()) {
              pos.reader = std::move(*point);
              placed = true;
            }
          }
          if (placed && checkpoint_rows > 0 && rows >= checkpoint_rows) {
            checkpoint = true;
            break;
          }
        }
        reader.reset();
        if (!checkpoint) {
          if (!nulls) {
            finished = true;
            break;
          }
          // The NULL keys are written: the ordered keys come next.
          pos.nulls_done = true;
          if (checkpoint_rows == 0 || rows < checkpoint_rows) continue;
        }
        commit();
        pos.hash = hash.value();
        if (!store_->save_position(chunk.id, name_, encode(pos), chunk_rows)) throw LeaseLost{};
        logger("copy")->trace("chunk {} of job {}: {} rows committed, at {}", chunk.index, job_,
                              chunk_rows, encode(pos));
      }
      commit();
    } catch (const LeaseLost&) {
      if (writer) writer->abort();
      logger("copy")->warn("chunk {} of job {}: the lease expired and another worker took it over",
                           chunk.index, job_);
      return;
    } catch (const Error& e) {
      if (writer) writer->abort();
      const bool cancelled = stop_.stop_requested() || e.code() == ErrorCode::cancelled;
      const bool retry = cancelled || e.retryable();
      try {
        store_->release_chunk(chunk.id, name_, e.message(), retry);
      } catch (const Error& release) {
        logger("copy")->warn("cannot give chunk {} back: {}", chunk.index, release.message());
      }
      if (cancelled) throw interrupted_error();
      if (!retry) throw;
      progress_.retried();
      ++stats_.retries;
      // Back off before claiming again (net/retry's policy: exponential with
      // full jitter), so that a throttled or restarting server is not
      // hammered by every worker at once.
      const auto delay = net::backoff_delay(net::RetryPolicy{}, std::max(1, static_cast<int>(chunk.attempts)),
                                            std::uniform_real_distribution<double>(0, 1)(rng_));
      logger("copy")->warn("chunk {} of job {} failed (attempt {} of {}), retrying in {} ms: {}",
                           chunk.index, job_, chunk.attempts, j_.options.max_attempts,
                           delay.count(), e.message());
      if (!sleep_unless_stopped(delay, stop_)) throw interrupted_error();
      return;
    }
    if (!store_->complete_chunk(chunk.id, name_, chunk_rows, hash.hex()))
      logger("copy")->warn("chunk {} of job {} was committed after another worker took it over "
                           "(that worker's attempt upserts the same rows)",
                           chunk.index, job_);
    ++stats_.chunks;
    progress_.chunk_done();
    logger("copy")->debug("chunk {} of job {}: {} rows, hash {}", chunk.index, job_, chunk_rows,
                          hash.hex());
  }

  const ChunkedCopy& j_;
  Connection& src_;
  Connection& dst_;
  std::string job_;
  std::string name_;
  SharedProgress& progress_;
  std::mt19937_64 rng_{std::random_device{}()};  // backoff jitter
  std::stop_token stop_;
  std::unique_ptr<state::StateStore> store_;
  CopyStats stats_;
};

// Creates the target table (create mode) or makes sure it exists (append,
// upsert: created when missing) once per job, by committing an empty writer:
// the same DDL as a one-transaction copy. One worker creates it (the one
// that moves the job's "target" checkpoint from nothing to "creating");
// the others wait for "ready", and take over when that takes longer than a
// lease (the creator died).
void prepare_target(const ChunkedCopy& j, state::StateStore& store, const std::string& job,
                    std::stop_token stop) {
  auto create = [&](bool may_exist) {
    WriteOptions write = j.write;
    if (write.mode != WriteMode::create) write.mode = WriteMode::append;
    if (may_exist && write.mode == WriteMode::create) {
      try {
        (void)j.dst.describe(j.dst_table);
        return;  // created by the worker that died before saying so
      } catch (const Error& e) {
        if (e.code() != ErrorCode::not_found) throw;
      }
    }
    Schema schema = j.source;
    if (!j.options.columns.empty()) {
      Schema narrowed;
      for (const auto& c : j.options.columns) narrowed.fields.push_back(j.source.field(c));
      for (const auto& k : j.source.primary_key)
        if (narrowed.index_of(k)) narrowed.primary_key.push_back(k);
      schema = std::move(narrowed);
    }
    auto writer = j.dst.writer(j.dst_table, schema, write);
    writer->commit();
  };
  auto current = store.get_checkpoint(job, "target");
  if (current && *current == "ready") return;
  if (!current || current->empty()) {
    const std::optional<std::string_view> expected =
        current ? std::optional<std::string_view>(*current) : std::nullopt;
    if (store.compare_and_put_checkpoint(job, "target", expected, "creating")) {
      try {
        create(false);
      } catch (...) {
        store.put_checkpoint(job, "target", "");  // nobody is creating it now
        throw;
      }
      store.put_checkpoint(job, "target", "ready");
      return;
    }
  }
  const auto deadline = Clock::now() + j.options.lease;
  while (Clock::now() < deadline) {
    if (!sleep_unless_stopped(std::chrono::milliseconds(200), stop))
      throw Error(ErrorCode::cancelled, "interrupted while waiting for the target table");
    current = store.get_checkpoint(job, "target");
    if (current && *current == "ready") return;
    if (!current || current->empty()) return prepare_target(j, store, job, stop);
  }
  create(true);
  store.put_checkpoint(job, "target", "ready");
}

}  // namespace

CopyStats run_chunked(const ChunkedCopy& j) {
  const auto start = Clock::now();
  const CopyOptions& o = j.options;
  if (j.write.key.empty() && j.source.primary_key.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("a chunked copy needs a key to rewrite a chunk without duplicates, "
                            "and {} has no primary key: name the key columns",
                            o.table));
  if (o.parallel > 1 && (!j.open_src || !j.open_dst))
    throw Error(ErrorCode::invalid_argument,
                "parallel chunked workers need connection factories for the source and target");

  state::OpenStateOptions so;
  so.stop = o.stop;
  const std::string url = o.state.empty() ? state::default_state_url() : o.state;
  auto store = state::open_state_store(url, so);
  const std::string spec = job_spec(j);
  const state::Job job = find_or_create_job(*store, j, spec);

  CopyStats total;
  total.job = job.id;
  total.dst_table = j.dst_table;
  if (job.status == state::JobStatus::done) {
    const state::Progress p = store->progress(job.id);
    total.job_chunks = p.total();
    total.job_rows = p.rows_done;
    logger("copy")->info("job {} is already complete", job.id);
    return total;
  }
  // A job resumed by the user tries its failed chunks again.
  if (job.status != state::JobStatus::running || o.resume) store->retry_failed(job.id);
  if (job.status != state::JobStatus::running)
    store->set_job_status(job.id, state::JobStatus::running);

  prepare_target(j, *store, job.id, o.stop);
  if (store->tables(job.id).empty()) {
    const ChunkPlan plan = plan_chunks(j.src, j.scan, j.source, o.chunk_by, o.chunk_rows);
    std::vector<state::ChunkSpec> specs;
    specs.reserve(plan.chunks.size());
    for (const auto& b : plan.chunks)
      specs.push_back({encode(b), plan.estimated_rows ? std::optional<uint64_t>(
                                                            *plan.estimated_rows / plan.chunks.size())
                                                      : std::nullopt});
    if (store->add_chunks(job.id, o.table, specs))
      logger("copy")->info("job {}: {} ({} rows estimated)", job.id, plan.how,
                           plan.estimated_rows ? fmt::format("{}", *plan.estimated_rows) : "?");
  }
  {
    const state::Progress p = store->progress(job.id);
    SharedProgress progress(o.progress, start);
    progress.set_totals(p.estimated_rows, p.total(), p.done);

    // The workers stop together: on a stop request, or when one fails.
    std::stop_source stop_all;
    std::stop_callback forward(o.stop, [&] { stop_all.request_stop(); });
    const std::string base = o.worker.empty() ? default_worker() : o.worker;
    std::mutex mu;
    std::exception_ptr first_error;
    auto fail = [&](std::exception_ptr e) {
      std::lock_guard lock(mu);
      if (!first_error) first_error = e;
      stop_all.request_stop();
    };
    std::vector<CopyStats> results(o.parallel);
    auto run_worker = [&](uint32_t k, Connection& src, Connection& dst) {
      Worker w(j, src, dst, job.id, o.parallel == 1 ? base : fmt::format("{}#{}", base, k),
               progress, stop_all.get_token());
      results[k] = w.run();
    };
    {
      std::vector<std::jthread> threads;
      for (uint32_t k = 1; k < o.parallel; ++k)
        threads.emplace_back([&, k]() noexcept {
          try {
            auto src = j.open_src();
            auto dst = j.open_dst();
            run_worker(k, *src, *dst);
          } catch (...) {
            fail(std::current_exception());
          }
        });
      try {
        run_worker(0, j.src, j.dst);
      } catch (...) {
        fail(std::current_exception());
      }
    }  // joined
    for (const auto& r : results) {
      total.rows += r.rows;
      total.bytes += r.bytes;
      total.batches += r.batches;
      total.retries += r.retries;
      total.chunks += r.chunks;
    }
    if (first_error) {
      try {
        std::rethrow_exception(first_error);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::cancelled || o.stop.stop_requested()) {
          store->set_job_status(job.id, state::JobStatus::cancelled, e.message());
          if (e.code() == ErrorCode::cancelled) throw;
          throw Error(ErrorCode::cancelled,
                      fmt::format("interrupted: every committed chunk stays in table '{}' of {}; "
                                  "resume the job '{}' to finish it",
                                  j.dst_table, j.dst.display_url(), job.id));
        }
        store->set_job_status(job.id, state::JobStatus::failed, e.message());
        throw e.with_message(fmt::format("{} (job '{}' stopped; its committed chunks stay in "
                                         "table '{}' of {}: fix the cause and resume the job)",
                                         e.message(), job.id, j.dst_table, j.dst.display_url()));
      }
    }
  }
  const state::Progress p = store->progress(job.id);
  total.job_chunks = p.total();
  total.job_rows = p.rows_done;
  if (p.failed > 0) {
    std::string last;
    for (const auto& c : store->chunks(job.id))
      if (c.status == state::ChunkStatus::failed) last = c.error;
    store->set_job_status(job.id, state::JobStatus::failed, last);
    throw Error(ErrorCode::io,
                fmt::format("{} of {} chunks of job '{}' failed after {} attempts each (last "
                            "error: {}); their rows are missing from table '{}' of {}: fix the "
                            "cause and resume the job",
                            p.failed, p.total(), job.id, o.max_attempts, last, j.dst_table,
                            j.dst.display_url()));
  }
  store->set_job_status(job.id, state::JobStatus::done);
  total.elapsed = Clock::now() - start;
  logger("copy")->info("job {}: {} chunks, {} rows (this worker: {} chunks, {} rows) in {:.3f} s",
                       job.id, p.total(), p.rows_done, total.chunks, total.rows,
                       total.elapsed.count());
  return total;
}

}  // namespace polydb::engine
