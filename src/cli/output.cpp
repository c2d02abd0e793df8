#include "cli/output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "core/encoding.hpp"
#include "polydb/error.hpp"
#include "polydb/value.hpp"

namespace polydb::cli {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kReset = "\x1b[0m";


// Terminal width of one code point, after the usual wcwidth() tables,
// abridged to the ranges that matter in practice.
size_t code_point_width(char32_t cp) {
  if (cp == kInvalidCodePoint) return 1;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
      (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x200B && cp <= 0x200F) ||
      (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
      (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0xFEFF || (cp >= 0xE0100 && cp <= 0xE01EF))
    return 0;
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
    return 2;
  return 1;
}

bool is_numeric(TypeId id) {
  return id == TypeId::int64 || id == TypeId::float64 || id == TypeId::decimal;
}

// Text of a non-NULL cell, as csv and table print it (Value::to_text()
// without materialising a Value). Points into the column or into `scratch`.
std::string_view cell_text(const Column& c, size_t i, std::string& scratch) {
  switch (c.type().id) {
    case TypeId::null:
      return {};
    case TypeId::boolean:
      return c.bool_at(i) ? "true" : "false";
    case TypeId::int64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, c.int64_at(i));
      scratch.assign(buf, r.ptr);
      return scratch;
    }
    case TypeId::float64:
      scratch = format_double(c.float64_at(i));
      return scratch;
    case TypeId::decimal:
    case TypeId::string:
    case TypeId::json:
      return c.var_at(i);
    case TypeId::bytes:
      scratch = format_hex(c.var_at(i));
      return scratch;
    case TypeId::date:
      scratch = format_date(Date{c.int32_at(i)});
      return scratch;
    case TypeId::time:
      scratch = format_time(Time{c.int64_at(i)});
      return scratch;
    case TypeId::timestamp:
      scratch = format_timestamp(Timestamp{c.int64_at(i)});
      return scratch;
    case TypeId::timestamp_tz:
      scratch = format_timestamp_tz(TimestampTz{c.int64_at(i)});
      return scratch;
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), c.fixed_at(i), u.bytes.size());
      scratch = format_uuid(u);
      return scratch;
    }
  }
  return {};
}

// One line per cell in a table: control characters would break the grid.
std::string table_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F)
          out += '?';
        else
          out += ch;
    }
  }
  return out;
}

// ---------------------------------------------------------------- csv

class CsvPrinter final : public ResultPrinter {
 public:
  explicit CsvPrinter(std::ostream& out) : out_(out) {}

  void begin(const Schema& schema) override {
    if (schema.fields.empty()) return;
    std::string line;
    for (size_t c = 0; c < schema.fields.size(); ++c) {
      if (c) line += ',';
      line += csv_field(schema.fields[c].name);
    }
    line += '\n';
    out_ << line;
  }

  // The whole batch goes out in one write: no stream call per row or cell.
  void write(const Batch& batch) override {
    text_.clear();
    std::string scratch;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        if (c) text_ += ',';
        const Column& col = batch.column(c);
        if (!col.is_null(r)) append_csv_field(text_, cell_text(col, r, scratch));
      }
      text_ += '\n';
    }
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    out_.flush();
  }

  void end() override { out_.flush(); }

 private:
  std::ostream& out_;
  std::string text_;  // reused: one allocation for the whole result
};

// ---------------------------------------------------------------- json, ndjson

class JsonPrinter final : public ResultPrinter {
 public:
  JsonPrinter(std::ostream& out, bool lines) : out_(out), lines_(lines) {}

  void begin(const Schema& schema) override {
    for (const auto& f : schema.fields) keys_.push_back(json_quote(f.name) + ":");
    if (!lines_) out_ << "[";
  }

  void write(const Batch& batch) override {
    std::string line;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      line.clear();
      if (!lines_) line += rows_ ? ",\n" : "\n";
      line += '{';
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        if (c) line += ',';
        line += keys_[c];
        line += json_cell(batch.column(c), r);
      }
      line += '}';
      if (lines_) line += '\n';
      out_ << line;
      ++rows_;
    }
    out_.flush();
  }

  void end() override {
    if (!lines_) out_ << (rows_ ? "\n]\n" : "]\n");
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool lines_;
  std::vector<std::string> keys_;
  uint64_t rows_ = 0;
};

// ---------------------------------------------------------------- table

// Aligned columns. The first batch sizes the columns; later batches are cut
// and padded to those widths, so memory stays bounded by one batch.
class TablePrinter final : public ResultPrinter {
 public:
  TablePrinter(std::ostream& out, const PrinterOptions& options) : out_(out), options_(options) {}

  void begin(const Schema& schema) override {
    for (const auto& f : schema.fields) {
      headers_.push_back(truncate_to_width(table_text(f.name), options_.max_cell_width));
      right_.push_back(is_numeric(f.type.id));
    }
  }

  void write(const Batch& batch) override {
    std::vector<std::vector<Cell>> rows(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) rows[r] = render(batch, r);
    if (!started_) {
      widths_.resize(headers_.size());
      for (size_t c = 0; c < headers_.size(); ++c) {
        widths_[c] = display_width(headers_[c]);
        for (const auto& row : rows) widths_[c] = std::max(widths_[c], row[c].width);
      }
      print_header();
    }
    std::string line;
    for (auto& row : rows) {
      line.clear();
      for (size_t c = 0; c < row.size(); ++c) {
        if (row[c].width > widths_[c]) {
          row[c].text = truncate_to_width(row[c].text, widths_[c]);
          row[c].width = display_width(row[c].text);
        }
        append_cell(line, c, row[c]);
      }
      line += '\n';
      out_ << line;
    }
    rows_ += batch.num_rows();
    out_.flush();
  }

  void end() override {
    if (!started_) {
      widths_.resize(headers_.size());
      for (size_t c = 0; c < headers_.size(); ++c) widths_[c] = display_width(headers_[c]);
      print_header();
    }
    if (options_.footer) out_ << fmt::format("({} row{})\n", rows_, rows_ == 1 ? "" : "s");
    out_.flush();
  }

 private:
  struct Cell {
    std::string text;
    size_t width = 0;
    bool null = false;
  };

  std::vector<Cell> render(const Batch& batch, size_t r) const {
    std::vector<Cell> row(batch.num_columns());
    std::string scratch;
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      const Column& col = batch.column(c);
      Cell& cell = row[c];
      if (col.is_null(r)) {
        cell.text = "NULL";
        cell.null = true;
      } else {
        cell.text =
            truncate_to_width(table_text(cell_text(col, r, scratch)), options_.max_cell_width);
      }
      cell.width = display_width(cell.text);
    }
    return row;
  }

  void print_header() {
    started_ = true;
    if (headers_.empty()) return;
    std::string line;
    for (size_t c = 0; c < headers_.size(); ++c)
      append_cell(line, c, Cell{headers_[c], display_width(headers_[c]), false});
    line += '\n';
    for (size_t c = 0; c < headers_.size(); ++c) {
      if (c) line += "  ";
      line.append(widths_[c], '-');
    }
    line += '\n';
    out_ << line;
  }

  void append_cell(std::string& line, size_t c, const Cell& cell) const {
    if (c) line += "  ";
    const size_t pad = widths_[c] > cell.width ? widths_[c] - cell.width : 0;
    const bool last = c + 1 == widths_.size();
    if (right_[c]) line.append(pad, ' ');
    if (cell.null && options_.color) {
      line += kDim;
      line += cell.text;
      line += kReset;
    } else {
      line += cell.text;
    }
    // No trailing blanks after the last column.
    if (!right_[c] && !last) line.append(pad, ' ');
  }

  std::ostream& out_;
  PrinterOptions options_;
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<size_t> widths_;
  bool started_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

OutputFormat parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::table;
  if (text == "csv") return OutputFormat::csv;
  if (text == "json") return OutputFormat::json;
  if (text == "ndjson") return OutputFormat::ndjson;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown output format '{}' (use table, csv, json or ndjson)", text));
}

std::string_view to_string(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::table:
      return "table";
    case OutputFormat::csv:
      return "csv";
    case OutputFormat::json:
      return "json";
    case OutputFormat::ndjson:
      return "ndjson";
  }
  return "table";
}

std::unique_ptr<ResultPrinter> make_printer(OutputFormat format, std::ostream& out,
                                            const PrinterOptions& options) {
  switch (format) {
    case OutputFormat::csv:
      return std::make_unique<CsvPrinter>(out);
    case OutputFormat::json:
      return std::make_unique<JsonPrinter>(out, false);
    case OutputFormat::ndjson:
      return std::make_unique<JsonPrinter>(out, true);
    case OutputFormat::table:
      break;
  }
  return std::make_unique<TablePrinter>(out, options);
}

uint64_t print_all(BatchReader& reader, ResultPrinter& printer) {
  uint64_t rows = 0;
  printer.begin(reader.schema());
  while (auto batch = reader.next()) {
    printer.write(*batch);
    rows += batch->num_rows();
  }
  printer.end();
  return rows;
}

void append_csv_field(std::string& out, std::string_view text) {
  // One pass: most fields need no quotes and are appended as they are.
  bool quote = text.empty() || text.front() == ' ' || text.front() == '\t' ||
               text.back() == ' ' || text.back() == '\t';
  for (size_t i = 0; !quote && i < text.size(); ++i) {
    const char c = text[i];
    quote = c == ',' || c == '"' || c == '\n' || c == '\r';
  }
  if (!quote) {
    out.append(text);
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string csv_field(std::string_view text) {
  std::string out;
  append_csv_field(out, text);
  return out;
}



std::optional<std::string> minify_json(std::string_view text) {
  if (!nlohmann::json::accept(text)) return std::nullopt;
  // Valid JSON: dropping whitespace outside strings is all it takes, and it
  // keeps numbers exactly as written (a parse + dump would round big ones).
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      out += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out += c;
    }
  }
  return out;
}

std::string json_cell(const Column& c, size_t i) {
  if (c.is_null(i)) return "null";
  std::string scratch;
  switch (c.type().id) {
    case TypeId::null:
      return "null";
    case TypeId::boolean:
      return c.bool_at(i) ? "true" : "false";
    case TypeId::int64:
      return std::string(cell_text(c, i, scratch));
    case TypeId::float64: {
      const double d = c.float64_at(i);
      // JSON has no NaN or infinities: spell them as strings.
      if (!std::isfinite(d)) return json_quote(format_double(d));
      return format_double(d);
    }
    case TypeId::json: {
      if (auto doc = minify_json(c.var_at(i))) return std::move(*doc);
      return json_quote(c.var_at(i));
    }
    case TypeId::bytes:
      return "\"" + base64_encode(c.var_at(i)) + "\"";
    default:
      return json_quote(cell_text(c, i, scratch));
  }
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  size_t i = 0;
  while (i < text.size()) width += code_point_width(next_code_point(text, i));
  return width;
}

std::string truncate_to_width(std::string_view text, size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  // Keep whole code points up to width - 1 columns, then the ellipsis.
  const size_t budget = width - 1;
  size_t used = 0;
  size_t i = 0;
  size_t cut = 0;
  while (i < text.size()) {
    size_t next = i;
    const size_t w = code_point_width(next_code_point(text, next));
    if (used + w > budget) break;
    used += w;
    i = next;
    cut = i;
  }
  std::string out(text.substr(0, cut));
  out += kEllipsis;
  return out;
}

}  // namespace polydb::cli
