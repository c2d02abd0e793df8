#include "core/sql_names.hpp"

#include <fmt/format.h>

#include <vector>

#include "polydb/error.hpp"

namespace polydb {

namespace {

bool is_open_quote(char c) { return c == '"' || c == '`' || c == '['; }

char close_quote(char open) { return open == '[' ? ']' : open; }

}  // namespace

std::optional<SqlTableName> parse_quoted_table_name(std::string_view text,
                                                    std::string_view backend) {
  bool quoted = !text.empty() && is_open_quote(text[0]);
  for (size_t i = 0; !quoted && i + 1 < text.size(); ++i)
    quoted = text[i] == '.' && is_open_quote(text[i + 1]);
  if (!quoted) return std::nullopt;
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::invalid_argument,
                 fmt::format("cannot read the table name '{}': {} (write table, schema.table, "
                             "or quote a part that holds a '.' as \"a.b\", doubling a quote "
                             "inside)",
                             text, why),
                 std::string(backend));
  };
  std::vector<std::string> parts;
  size_t i = 0;
  while (true) {
    std::string part;
    if (i < text.size() && is_open_quote(text[i])) {
      const char close = close_quote(text[i]);
      bool closed = false;
      for (++i; i < text.size();) {
        if (text[i] == close) {
          if (i + 1 < text.size() && text[i + 1] == close) {
            part += close;
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        part += text[i++];
      }
      if (!closed) throw bad("a quote is not closed");
      if (i < text.size() && text[i] != '.') throw bad("text after a closing quote");
    } else {
      while (i < text.size() && text[i] != '.') part += text[i++];
    }
    if (part.empty()) throw bad("an empty part");
    parts.push_back(std::move(part));
    if (i == text.size()) break;
    ++i;  // the '.'
    if (i == text.size()) throw bad("an empty part");
  }
  if (parts.size() > 2) throw bad("more than two parts");
  if (parts.size() == 1) return SqlTableName{"", std::move(parts[0])};
  return SqlTableName{std::move(parts[0]), std::move(parts[1])};
}

bool table_name_needs_quotes(std::string_view name) {
  return name.find('.') != std::string_view::npos || (!name.empty() && is_open_quote(name[0]));
}

std::string double_quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string table_reference_text(const SqlTableName& name) {
  if (name.schema.empty())
    return table_name_needs_quotes(name.table) ? double_quoted(name.table) : name.table;
  // Quoted: a plain `s.t` could also mean a table named "s.t".
  return double_quoted(name.schema) + "." + double_quoted(name.table);
}

}  // namespace polydb
