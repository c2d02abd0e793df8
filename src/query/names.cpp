#include "query/names.hpp"

#include <cctype>
#include <vector>

namespace polydb::query {

namespace {

struct Token {
  enum Kind { word, quoted, symbol, other } kind;
  size_t begin;
  size_t end;
};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

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

bool is_name(const Token& t) { return t.kind == Token::word || t.kind == Token::quoted; }

bool is_symbol(std::string_view s, const Token& t, char c) {
  return t.kind == Token::symbol && s[t.begin] == c;
}

// Keywords that end a FROM list.
bool ends_from(std::string_view w) {
  for (std::string_view k : {"WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW", "UNION",
                             "EXCEPT", "INTERSECT", "ON", "USING", "SELECT", "VALUES", "RETURNING"})
    if (iequals(w, k)) return true;
  return false;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + '"';
}

std::string rewrite_three_part_names(std::string_view sql,
                                     const std::function<bool(std::string_view)>& is_attached) {
  const std::vector<Token> tok = tokenize(sql);
  std::string out;
  size_t copied = 0;
  bool in_from = false;  // inside a FROM list (after FROM, before a keyword that ends it)
  int depth = 0, from_depth = -1;
  for (size_t i = 0; i < tok.size(); ++i) {
    const Token& t = tok[i];
    const std::string_view text = sql.substr(t.begin, t.end - t.begin);
    if (is_symbol(sql, t, '(')) ++depth;
    if (is_symbol(sql, t, ')')) {
      if (depth == from_depth) in_from = false;
      --depth;
    }
    if (t.kind == Token::word && (iequals(text, "FROM") || iequals(text, "JOIN"))) {
      in_from = true;
      from_depth = depth;
    } else if (t.kind == Token::word && ends_from(text) && depth == from_depth) {
      in_from = false;
    }
    const bool table_position =
        i > 0 && ((tok[i - 1].kind == Token::word &&
                   (iequals(sql.substr(tok[i - 1].begin, tok[i - 1].end - tok[i - 1].begin),
                            "FROM") ||
                    iequals(sql.substr(tok[i - 1].begin, tok[i - 1].end - tok[i - 1].begin),
                            "JOIN"))) ||
                  (in_from && depth == from_depth && is_symbol(sql, tok[i - 1], ',')));
    if (!table_position || !is_name(t) || i + 4 >= tok.size()) continue;
    if (!(is_symbol(sql, tok[i + 1], '.') && is_name(tok[i + 2]) &&
          is_symbol(sql, tok[i + 3], '.') && is_name(tok[i + 4])))
      continue;
    if (!is_attached(ident(sql, t))) continue;
    out.append(sql.substr(copied, t.begin - copied));
    out += quote_identifier(ident(sql, t)) + "." +
           quote_identifier(ident(sql, tok[i + 2]) + "." + ident(sql, tok[i + 4]));
    copied = tok[i + 4].end;
    i += 4;
  }
  out.append(sql.substr(copied));
  return out;
}

std::string rewrite_exists_star(std::string_view sql) {
  const std::vector<Token> tok = tokenize(sql);
  const auto word = [&](size_t i, std::string_view w) {
    return i < tok.size() && tok[i].kind == Token::word &&
           iequals(sql.substr(tok[i].begin, tok[i].end - tok[i].begin), w);
  };
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i + 3 < tok.size(); ++i) {
    if (!word(i, "EXISTS") || !is_symbol(sql, tok[i + 1], '(') || !word(i + 2, "SELECT")) continue;
    size_t star = i + 3;
    if (word(star, "DISTINCT") || word(star, "ALL")) ++star;
    // `*` alone: `SELECT *, x` or `SELECT * FROM` only (not `*` of an
    // expression, which cannot follow SELECT anyway).
    if (star >= tok.size() || !is_symbol(sql, tok[star], '*')) continue;
    // A compound SELECT needs the same columns on both sides: left alone.
    bool compound = false;
    for (size_t j = star + 1, depth = 1; j < tok.size() && depth > 0; ++j) {
      if (is_symbol(sql, tok[j], '(')) ++depth;
      if (is_symbol(sql, tok[j], ')')) --depth;
      compound = compound ||
                 (depth == 1 && (word(j, "UNION") || word(j, "EXCEPT") || word(j, "INTERSECT")));
    }
    if (compound) continue;
    out.append(sql.substr(copied, tok[star].begin - copied));
    out += '1';
    copied = tok[star].end;
    i = star;
  }
  out.append(sql.substr(copied));
  return out;
}

std::optional<MissingTable> parse_missing_table(std::string_view message) {
  constexpr std::string_view kPrefix = "no such table: ";
  const size_t at = message.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view name = message.substr(at + kPrefix.size());
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return MissingTable{std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
}

bool valid_attach_name(std::string_view name) {
  if (name.empty() || iequals(name, "main") || iequals(name, "temp")) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace polydb::query
