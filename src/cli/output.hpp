#pragma once

// Result formatters of the polydb executable: table, csv, json, ndjson.
//
// Every formatter streams: it prints each batch as it arrives and keeps at
// most one batch (the table format, to size its columns). Private to src/cli.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/type.hpp"

namespace polydb::cli {

/// How results are printed on standard output.
enum class OutputFormat { table, csv, json, ndjson };

/// "table"|"csv"|"json"|"ndjson" (exact, lowercase). Throws
/// Error(invalid_argument) naming the accepted words.
OutputFormat parse_output_format(std::string_view text);
/// The word parse_output_format() accepts for `format`.
std::string_view to_string(OutputFormat format) noexcept;

/// How printers lay out their output.
struct PrinterOptions {
  /// table: cells wider than this many display columns are cut with "…".
  size_t max_cell_width = 40;
  /// table: print NULL dimmed (ANSI SGR); only for a terminal.
  bool color = false;
  /// table: print the "(N rows)" footer.
  bool footer = true;
};

/// Prints one result (a schema, then batches of it) in one format.
/// Single-threaded; borrows the stream, which must outlive the printer.
/// Stream errors are the stream's business (no exceptions are enabled on it).
class ResultPrinter {
 public:
  virtual ~ResultPrinter() = default;
  /// Starts the result; called once, before write().
  virtual void begin(const Schema& schema) = 0;
  /// Prints the rows of `batch` (whose schema is the one given to begin())
  /// and flushes the stream, so output appears as the rows arrive.
  virtual void write(const Batch& batch) = 0;
  /// Ends the result (closing bracket, footer). Not called after a failure,
  /// so a broken result is visibly unterminated.
  virtual void end() = 0;
};

/// A printer of `format` writing to `out`.
std::unique_ptr<ResultPrinter> make_printer(OutputFormat format, std::ostream& out,
                                            const PrinterOptions& options = {});

/// Prints every batch of `reader` through `printer` (begin, write..., end) and
/// returns the number of rows. Throws what the reader throws.
uint64_t print_all(BatchReader& reader, ResultPrinter& printer);

// Building blocks, public for the unit tests.

/// One CSV field (RFC 4180): quoted when it is empty or holds ',', '"', CR or
/// LF, or starts or ends with a space or tab; quotes doubled. NULL is not a
/// field: the printers write nothing for it.
std::string csv_field(std::string_view text);
/// Appends csv_field(text) to `out` without a temporary string.
void append_csv_field(std::string& out, std::string_view text);

/// A JSON document without insignificant whitespace, numbers kept digit for
/// digit; std::nullopt when `text` is not valid JSON.
std::optional<std::string> minify_json(std::string_view text);

/// Cell `row` of `column` as JSON: numbers for int64/float64 (NaN and the
/// infinities as the strings "NaN", "Infinity", "-Infinity"), strings for
/// decimals (exact), booleans, null, json columns embedded (a string when they
/// do not parse), base64 strings for bytes, text for dates, times and uuids.
std::string json_cell(const Column& column, size_t row);

/// Terminal columns `text` occupies: code points, East Asian wide and emoji
/// as 2, combining marks and zero-width characters as 0, invalid bytes as 1.
size_t display_width(std::string_view text);

/// `text` cut to at most `width` display columns, ending with "…" when cut.
std::string truncate_to_width(std::string_view text, size_t width);

}  // namespace polydb::cli
