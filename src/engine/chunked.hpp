#pragma once

// Chunked copies (private to src/engine): the table is cut into chunks kept
// in a state store; workers claim them with a lease and commit each chunk on
// its own, so that a killed copy resumes where it stopped.

#include <string>

#include "polydb/connection.hpp"
#include "polydb/engine.hpp"

namespace polydb::engine {

/// What engine::copy() checked and worked out, handed to run_chunked().
struct ChunkedCopy {
  Connection& src;
  Connection& dst;
  const CopyOptions& options;
  const ScanSpec& scan;    ///< the whole copy's scan; chunks narrow it
  const Schema& source;    ///< the source table's schema (describe)
  const WriteOptions& write;
  const std::string& dst_table;
  const ConnectionFactory& open_src;
  const ConnectionFactory& open_dst;
};

/// Runs (or joins, or resumes) the chunked copy job: prepares the target
/// table once per job, plans the chunks once per job, then works chunks
/// until every chunk of the job is done (waiting for chunks other workers
/// hold, and taking them over when their lease expires).
///
/// Exactness: a chunk's first attempt appends its rows; any later attempt
/// upserts them by the key (the source's primary key or WriteOptions::key),
/// so a chunk committed by a worker that died before recording it is
/// rewritten, never duplicated. A chunked copy therefore needs a key.
CopyStats run_chunked(const ChunkedCopy& job);

}  // namespace polydb::engine
