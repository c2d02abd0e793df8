#include "query/names.hpp"

#include "query/sql_tokens.hpp"

#include <cctype>
#include <vector>

namespace polydb::query {

namespace {

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
