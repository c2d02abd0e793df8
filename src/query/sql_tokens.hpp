#pragma once

// The tokens of a SQL text, as the federation's rewrites see them: words,
// quoted identifiers, single-character symbols and everything else (string
// literals). Whitespace and comments are dropped; every token keeps its
// offsets in the text, so a rewrite copies what it does not change.

#include <string>
#include <string_view>
#include <vector>

namespace polydb::query {

struct Token {
  enum Kind { word, quoted, symbol, other } kind;
  size_t begin;
  size_t end;
};

std::vector<Token> tokenize(std::string_view sql);

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

/// The identifier a word or quoted token names (quotes removed, doubled
/// quotes undone).
std::string ident(std::string_view sql, const Token& t);

bool is_name(const Token& t);  ///< a word or a quoted identifier
bool is_symbol(std::string_view sql, const Token& t, char c);

}  // namespace polydb::query
