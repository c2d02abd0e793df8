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

/// `s` with ASCII letters in lower case.
std::string lowered(std::string s);

/// Whether word `w` is SQL the rewrites read as such, never as a name
/// (a column, an alias): AND, NULL, JOIN, WHERE, ... (any case).
bool keyword(std::string_view w);

/// Where the SELECT at token `select` ends, at its own level: the token
/// after its last (a ')' closing its parentheses, a ';', the end), and
/// whether a UNION, EXCEPT or INTERSECT follows it there. The SELECT stops
/// before that word, or with `whole_compound`, runs to the compound's end.
struct SelectExtent {
  size_t end = 0;
  bool compound = false;
};
SelectExtent select_extent(std::string_view sql, const std::vector<Token>& tok, size_t select,
                           bool whole_compound);

/// The tokens of `sql` before `end`, as a rewrite of one SELECT reads them:
/// the lookups answer "no" at and past `end`.
class TokenView {
 public:
  TokenView(std::string_view sql, const std::vector<Token>& tok, size_t end)
      : s_(sql), tok_(tok), end_(end) {}

 protected:
  std::string_view word_at(size_t i) const {
    return i < end_ && tok_[i].kind == Token::word
               ? s_.substr(tok_[i].begin, tok_[i].end - tok_[i].begin)
               : std::string_view{};
  }
  bool is_word(size_t i, std::string_view w) const { return iequals(word_at(i), w); }
  bool sym(size_t i, char c) const { return i < end_ && is_symbol(s_, tok_[i], c); }
  /// The text of tokens [a, b), as written.
  std::string text(size_t a, size_t b) const {
    if (a >= b) return "";
    return std::string(s_.substr(tok_[a].begin, tok_[b - 1].end - tok_[a].begin));
  }

  std::string_view s_;
  const std::vector<Token>& tok_;
  size_t end_;
};

}  // namespace polydb::query
