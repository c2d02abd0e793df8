// The state store's versioned schema and its migrations (docs/state.md
// documents the layout). One list of migrations, written once for both
// databases through the Dialect's column types.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "engine/state/session.hpp"
#include "polydb/error.hpp"

namespace polydb::state {

namespace {

// Migration N takes a store from version N-1 to N; migration 1 creates it.
// Append new migrations; never edit a released one (stores in the field were
// built by it).
const std::vector<std::vector<std::string_view>>& migrations() {
  static const std::vector<std::vector<std::string_view>> list = {
      // 1: jobs, their tables, chunks and checkpoints.
      {
          "CREATE TABLE {p}meta ("
          " key TEXT PRIMARY KEY,"
          " value TEXT NOT NULL)",

          "CREATE TABLE {p}jobs ("
          " seq {id},"
          " id TEXT NOT NULL UNIQUE,"
          " kind TEXT NOT NULL,"
          " spec TEXT NOT NULL,"
          " status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),"
          " error TEXT NOT NULL DEFAULT '',"
          " created {ts} NOT NULL,"
          " updated {ts} NOT NULL)",

          "CREATE TABLE {p}job_tables ("
          " job TEXT NOT NULL REFERENCES {p}jobs (id) ON DELETE CASCADE,"
          " name TEXT NOT NULL,"
          " seq {int} NOT NULL,"
          " added {ts} NOT NULL,"
          " PRIMARY KEY (job, name),"
          " UNIQUE (job, seq))",

          "CREATE TABLE {p}chunks ("
          " id {id},"
          " job TEXT NOT NULL,"
          " table_name TEXT NOT NULL,"
          " table_seq {int} NOT NULL,"
          " chunk_index {int} NOT NULL,"
          " bounds TEXT NOT NULL,"
          " estimated_rows {int},"
          " status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),"
          " worker TEXT NOT NULL DEFAULT '',"
          " lease_until {ts},"
          " attempts {int} NOT NULL DEFAULT 0,"
          " max_attempts {int} NOT NULL DEFAULT 0,"
          " retry {int} NOT NULL DEFAULT 1 CHECK (retry IN (0, 1)),"
          " position TEXT NOT NULL DEFAULT '',"
          " row_count {int} NOT NULL DEFAULT 0,"
          " hash TEXT NOT NULL DEFAULT '',"
          " error TEXT NOT NULL DEFAULT '',"
          " updated {ts} NOT NULL,"
          " UNIQUE (job, table_name, chunk_index),"
          " FOREIGN KEY (job, table_name) REFERENCES {p}job_tables (job, name)"
          " ON DELETE CASCADE)",

          // claim_chunk's three searches: by job and status, in planning order.
          "CREATE INDEX chunks_claim ON {p}chunks (job, status, table_seq, chunk_index)",

          "CREATE TABLE {p}checkpoints ("
          " job TEXT NOT NULL REFERENCES {p}jobs (id) ON DELETE CASCADE,"
          " name TEXT NOT NULL,"
          " value TEXT NOT NULL,"
          " updated {ts} NOT NULL,"
          " PRIMARY KEY (job, name))",
      },
  };
  return list;
}

struct Found {
  int version = 0;  ///< 0: no store yet
  std::string written_by;
};

int parse_version(const std::string& text, const std::string& display) {
  int v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size() || v < 1)
    throw Error(ErrorCode::corruption,
                fmt::format("{}: the state store's schema version '{}' is not a positive number "
                            "(the meta table was edited by hand?)",
                            display, text));
  return v;
}

// What the store holds now; throws when it holds something else than a store.
Found inspect(Session& s, const Dialect& d) {
  const std::vector<std::string> tables = s.existing_tables();
  if (std::find(tables.begin(), tables.end(), "meta") == tables.end()) {
    if (!tables.empty()) {
      std::string names;
      for (size_t i = 0; i < tables.size() && i < 5; ++i) names += (i ? ", " : "") + tables[i];
      if (tables.size() > 5) names += ", ...";
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} is not a polydb state store: it holds other tables ({}) and "
                              "no state store meta table (give a new file or schema of its own)",
                              s.display(), names),
                  d.backend);
    }
    return {};
  }
  Found f;
  for (const Row& r : s.query(d.expand("SELECT key, value FROM {p}meta"))) {
    const std::string& key = r.at(0).as<std::string>();
    if (key == "schema_version") f.version = parse_version(r.at(1).as<std::string>(), s.display());
    if (key == "written_by") f.written_by = r.at(1).as<std::string>();
  }
  if (f.version == 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} is not a polydb state store: its meta table has no schema_version "
                            "(give a new file or schema of its own)",
                            s.display()),
                d.backend);
  return f;
}

void refuse_newer(const Found& f, Session& s, const Dialect& d) {
  if (f.version <= current_schema_version()) return;
  throw Error(
      ErrorCode::unsupported,
      fmt::format("{} holds a state store of schema version {}, written by {}; this "
                  "polydb ({}) reads versions up to {} (use that polydb or a newer one)",
                  s.display(), f.version, f.written_by.empty() ? "an unknown polydb" : f.written_by,
                  polydb_release(), current_schema_version()),
      d.backend);
}

}  // namespace

int current_schema_version() noexcept { return static_cast<int>(migrations().size()); }

int open_schema(Session& s, const Dialect& d) {
  // The common case, an up-to-date store, takes no lock and needs no right
  // to create anything.
  const Found before = inspect(s, d);
  refuse_newer(before, s, d);
  if (before.version == current_schema_version()) return before.version;

  WriteTransaction tx(s);
  s.prepare_migration();
  // Another worker may have created or upgraded the store meanwhile.
  const Found now = inspect(s, d);
  refuse_newer(now, s, d);
  for (int v = now.version + 1; v <= current_schema_version(); ++v) {
    for (std::string_view stmt : migrations()[static_cast<size_t>(v - 1)])
      s.execute(d.expand(stmt));
    logger("state")->info("{}: state store schema {} {}", s.display(),
                          v == 1 ? "created at version" : "upgraded to version", v);
  }
  if (now.version < current_schema_version()) {
    const std::string upsert = d.expand(
        "INSERT INTO {p}meta (key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    const Value version[] = {"schema_version", std::to_string(current_schema_version())};
    s.execute(upsert, version);
    const Value by[] = {"written_by", std::string(polydb_release())};
    s.execute(upsert, by);
  }
  tx.commit();
  return now.version;
}

}  // namespace polydb::state
