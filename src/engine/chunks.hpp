#pragma once

// Chunk planning for resumable copies (private to src/engine): a table is cut
// into chunks, each a key range of one ordered column (an integer or a text
// key) or one segment of the source's own parallel scan, and every chunk
// becomes a scan of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"

namespace polydb::engine {

/// One chunk's bounds. A key range reads `column` in [from, to) (nullopt =
/// unbounded on that side; the first range also holds the column's NULLs),
/// compared by the source itself (its collation for text keys); a segment
/// reads ScanSpec::partition {segment, of}; neither = the whole table.
struct ChunkBounds {
  std::string column;
  std::optional<Value> from;  ///< int64 or string
  std::optional<Value> to;
  uint32_t segment = 0;
  uint32_t of = 0;  ///< > 0: a segment

  bool is_range() const noexcept { return !column.empty(); }
  bool is_segment() const noexcept { return of > 0; }
  bool operator==(const ChunkBounds&) const = default;
};

/// The JSON text stored in the state store, and back. decode() throws
/// Error(corruption) for text it did not write.
std::string encode(const ChunkBounds& bounds);
ChunkBounds decode_bounds(std::string_view text);

/// `base` restricted to the chunk: its filter gains the key range, or its
/// partition becomes the segment.
ScanSpec chunk_scan(const ScanSpec& base, const ChunkBounds& bounds);

/// Where a copy stands inside a chunk: what StateStore::save_position()
/// records after each intermediate commit (JSON text), and where a later
/// attempt continues. A default position is the chunk's start.
struct ChunkPosition {
  /// Key ranges: the rows whose key is NULL (first range only) are written.
  bool nulls_done = false;
  /// Key ranges: the last key written (rows are read in ascending key order;
  /// only for a unique key, where no later row can share it).
  std::optional<Value> after;
  /// Segments and whole tables: the source reader's resume point
  /// (BatchReader::resume_point), for ScanSpec::resume_from.
  std::string reader;
  /// ContentHash of the rows written up to here (engine/content_hash.hpp).
  uint64_t hash = 0;

  bool operator==(const ChunkPosition&) const = default;
};

/// The JSON text of a position, and back; an empty text decodes to the
/// chunk's start. decode_position() throws Error(corruption) for text it did
/// not write.
std::string encode(const ChunkPosition& position);
ChunkPosition decode_position(std::string_view text);

/// The rows of a key-range chunk whose key is NULL (the first range holds
/// them): `base` narrowed to `column IS NULL`.
ScanSpec chunk_null_scan(const ScanSpec& base, const ChunkBounds& bounds);

/// The non-NULL keys of a key-range chunk after `after` (nullopt = from the
/// chunk's lower bound), in ascending key order: resumable at any row.
ScanSpec chunk_key_scan(const ScanSpec& base, const ChunkBounds& bounds,
                        const std::optional<Value>& after);

/// Whether a column of this type can cut key ranges: int64 (ranges from the
/// minimum and maximum) and string (boundaries sampled from the keys in the
/// source's order).
bool chunkable_key(TypeId type) noexcept;

struct ChunkPlan {
  std::vector<ChunkBounds> chunks;
  std::optional<uint64_t> estimated_rows;  ///< of the whole table, when known
  std::string how;                         ///< e.g. "12 ranges of id" (for logs)
};

/// Cuts the rows `base` selects into chunks of about `chunk_rows` rows:
/// ranges of `chunk_by` (an integer or text column; empty = the single-column
/// primary key of `schema` when it is one) when the source pushes filters and
/// orders down: an integer key is cut into equal spans between its minimum
/// and maximum, a text key at boundaries taken from one ordered read of the
/// keys (every n-th key, so chunks hold about equal rows whatever the
/// distribution). Else segments of the source's parallel scan; else one
/// chunk. Error(invalid_argument) when `chunk_by` names a column of another
/// type, or a source that cannot filter and sort on it.
ChunkPlan plan_chunks(Connection& src, const ScanSpec& base, const Schema& schema,
                      std::string_view chunk_by, uint64_t chunk_rows);

}  // namespace polydb::engine
