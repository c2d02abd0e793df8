#include "query/sql_tokens.hpp"

#include <cctype>
#include <set>

namespace polydb::query {

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

}  // namespace

// Splits SQL into the tokens the rewrite looks at; whitespace and comments
// are dropped, string literals become `other`.
std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t e = s.find("*/", i + 2);
      i = e == std::string_view::npos ? s.size() : e + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == close) {
          if (close != ']' && j + 1 < s.size() && s[j + 1] == close) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t end = j < s.size() ? j + 1 : s.size();
      out.push_back({c == '\'' ? Token::other : Token::quoted, i, end});
      i = end;
    } else if (word_char(c)) {
      size_t j = i;
      while (j < s.size() && word_char(s[j])) ++j;
      out.push_back({Token::word, i, j});
      i = j;
    } else {
      out.push_back({Token::symbol, i, i + 1});
      ++i;
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The identifier a word or quoted token names.
std::string ident(std::string_view s, const Token& t) {
  std::string_view text = s.substr(t.begin, t.end - t.begin);
  if (t.kind != Token::quoted) return std::string(text);
  const char close = text[0] == '[' ? ']' : text[0];
  text = text.substr(1, text.size() >= 2 ? text.size() - 2 : 0);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == close && close != ']' && i + 1 < text.size() && text[i + 1] == close) ++i;
  }
  return out;
}

std::string lowered(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool keyword(std::string_view w) {
  static const std::set<std::string> kWords = {
      "and",     "or",    "not",     "null",   "is",     "in",       "between", "like",
      "glob",    "regexp", "match",  "escape", "case",   "when",     "then",    "else",
      "end",     "as",    "distinct", "all",   "cast",   "collate",  "asc",     "desc",
      "nulls",   "first", "last",    "true",   "false",  "exists",   "select",  "from",
      "where",   "group", "by",      "having", "order",  "limit",    "offset",  "window",
      "over",    "filter", "union",  "except", "intersect", "join",  "on",      "using",
      "inner",   "left",  "right",   "full",   "outer",  "cross",    "natural", "indexed",
      "current_date", "current_time", "current_timestamp", "isnull", "notnull", "values"};
  return kWords.count(lowered(std::string(w))) > 0;
}

SelectExtent select_extent(std::string_view sql, const std::vector<Token>& tok, size_t select,
                           bool whole_compound) {
  SelectExtent out;
  size_t end = select + 1;
  int depth = 0;
  for (; end < tok.size(); ++end) {
    if (is_symbol(sql, tok[end], '(')) ++depth;
    if (is_symbol(sql, tok[end], ')') && depth-- == 0) break;
    if (depth == 0 && is_symbol(sql, tok[end], ';')) break;
    if (depth == 0 && tok[end].kind == Token::word) {
      const auto w = sql.substr(tok[end].begin, tok[end].end - tok[end].begin);
      if (iequals(w, "UNION") || iequals(w, "EXCEPT") || iequals(w, "INTERSECT")) {
        out.compound = true;
        if (!whole_compound) break;
      }
    }
  }
  out.end = end;
  return out;
}

bool is_name(const Token& t) { return t.kind == Token::word || t.kind == Token::quoted; }

bool is_symbol(std::string_view s, const Token& t, char c) {
  return t.kind == Token::symbol && s[t.begin] == c;
}

}  // namespace polydb::query
