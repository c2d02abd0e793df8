#include "query/join_pushdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "query/names.hpp"
#include "query/sql_tokens.hpp"

namespace polydb::query {

std::string JoinSpec::key() const {
  std::string out;
  for (const auto& m : members) out += m.table + "\x1f" + m.alias + "\x1e";
  out += "\x1d";
  for (const auto& c : conditions)
    out += fmt::format("{}.{}={}.{}\x1e", c.left, c.left_column, c.right, c.right_column);
  return out;
}

bool joinable(const Field& a, const Field& b) {
  if (a.type.id != b.type.id || a.collation != b.collation ||
      a.collation_name != b.collation_name)
    return false;
  switch (a.type.id) {
    case TypeId::boolean:
    case TypeId::int64:
    case TypeId::date:
    case TypeId::time:
    case TypeId::timestamp:
    case TypeId::timestamp_tz:
    case TypeId::string: return true;
    // SQLite holds decimals of up to 15 significant digits exactly (as
    // REAL): two wider values it could call equal the backend would not.
    case TypeId::decimal:
      return a.type.precision > 0 && a.type.precision <= 15 && b.type.precision > 0 &&
             b.type.precision <= 15;
    default: return false;  // floats (NaN, -0.0), bytes, json, uuid
  }
}

namespace {

// One table or derived table of a FROM list.
struct Item {
  size_t begin = 0, end = 0;       // its tokens (the ON condition not included)
  std::optional<size_t> on_begin;  // tokens of its ON condition
  size_t on_end = 0;
  bool remote = false;             // `attachment.table`
  std::string attachment, table;   // for a remote one
  std::string alias;               // explicit or the table's name ("" for none known)
  JoinHooks::Table info;
};

class Core : TokenView {
 public:
  Core(std::string_view sql, const std::vector<Token>& tok, size_t select, size_t end,
       const JoinHooks& hooks)
      : TokenView(sql, tok, end), select_(select), hooks_(hooks) {}

  std::optional<std::string> rewrite() {
    if (!find_clauses() || !parse_from()) return std::nullopt;
    if (!star_free()) return std::nullopt;
    collect_conditions();
    if (edges_.empty()) return std::nullopt;
    auto groups = components();
    if (groups.empty()) return std::nullopt;
    return build(groups);
  }

 private:

  bool find_clauses() {
    int depth = 0;
    for (size_t j = select_ + 1; j < end_; ++j) {
      if (sym(j, '(')) ++depth;
      if (sym(j, ')')) --depth;
      if (depth != 0) continue;
      if (is_word(j, "FROM")) {
        if (from_) return false;
        from_ = j;
      } else if (!from_) {
        continue;
      } else if (is_word(j, "WHERE")) {
        if (where_) return false;
        where_ = j;
      } else if ((is_word(j, "GROUP") || is_word(j, "ORDER")) && is_word(j + 1, "BY")) {
        if (!from_end_) from_end_ = j;
      } else if (is_word(j, "HAVING") || is_word(j, "LIMIT") || is_word(j, "WINDOW")) {
        if (!from_end_) from_end_ = j;
      }
      if (where_ && !where_end_ && j > *where_ &&
          ((is_word(j, "GROUP") || is_word(j, "ORDER")) || is_word(j, "HAVING") ||
           is_word(j, "LIMIT") || is_word(j, "WINDOW")))
        where_end_ = j;
    }
    if (!from_) return false;
    if (where_) {
      if (from_end_ && *from_end_ < *where_) return false;
      from_end_ = *where_;
      if (!where_end_) where_end_ = end_;
    }
    if (!from_end_) from_end_ = end_;
    return true;
  }

  // The end of a parenthesised group starting at `i` ('('), or nullopt.
  std::optional<size_t> close_of(size_t i, size_t limit) const {
    int depth = 0;
    for (size_t j = i; j < limit; ++j) {
      if (sym(j, '(')) ++depth;
      if (sym(j, ')') && --depth == 0) return j + 1;
    }
    return std::nullopt;
  }

  bool parse_from() {
    size_t i = *from_ + 1;
    const size_t e = *from_end_;
    bool first = true;
    while (i < e) {
      bool joined = false;
      if (!first) {
        if (sym(i, ',')) {
          ++i;
        } else {
          if (is_word(i, "INNER")) ++i;
          if (!is_word(i, "JOIN")) return false;  // LEFT, CROSS, NATURAL, ...
          ++i;
          joined = true;
        }
      }
      first = false;
      Item item;
      item.begin = i;
      if (sym(i, '(')) {
        auto close = close_of(i, e);
        if (!close) return false;
        i = *close;
      } else if (i < e && is_name(tok_[i])) {
        if (sym(i + 1, '.')) {
          if (i + 2 >= e || !is_name(tok_[i + 2]) || sym(i + 3, '.') || sym(i + 3, '('))
            return false;
          item.remote = true;
          item.attachment = ident(s_, tok_[i]);
          item.table = ident(s_, tok_[i + 2]);
          item.alias = item.table;
          i += 3;
        } else {
          if (sym(i + 1, '(')) return false;  // a table-valued function
          item.alias = ident(s_, tok_[i]);
          i += 1;
        }
      } else {
        return false;
      }
      if (is_word(i, "AS")) ++i;
      if (i < e && is_name(tok_[i]) && !(tok_[i].kind == Token::word && keyword(word_at(i)))) {
        item.alias = ident(s_, tok_[i]);
        ++i;
      } else if (sym(item.begin, '(')) {
        item.alias.clear();
      }
      if (is_word(i, "INDEXED") || is_word(i, "NOT") || is_word(i, "USING")) return false;
      item.end = i;
      if (is_word(i, "ON")) {
        if (!joined) return false;
        ++i;
        item.on_begin = i;
        int depth = 0;
        while (i < e) {
          if (sym(i, '(')) ++depth;
          if (sym(i, ')')) --depth;
          if (depth == 0 && (sym(i, ',') || is_word(i, "JOIN") || is_word(i, "INNER") ||
                             is_word(i, "LEFT") || is_word(i, "CROSS") || is_word(i, "NATURAL") ||
                             is_word(i, "RIGHT") || is_word(i, "FULL")))
            break;
          ++i;
        }
        item.on_end = i;
        if (item.on_end == *item.on_begin) return false;
      }
      if (item.remote) {
        item.info = hooks_.table(item.attachment, item.table);
        if (!item.info.schema) item.remote = false;
      }
      items_.push_back(std::move(item));
    }
    if (items_.size() < 2) return false;
    // Two items with one alias: SQLite would refuse or shadow; leave it.
    std::set<std::string> seen;
    for (const auto& it : items_)
      if (!it.alias.empty() && !seen.insert(lowered(it.alias)).second) return false;
    return true;
  }

  // No `*` or `t.*` in the select list: SQLite would expand it to the view's
  // columns, not the tables' in their order.
  bool star_free() const {
    int depth = 0;
    for (size_t i = select_ + 1; i < *from_; ++i) {
      if (sym(i, '(')) ++depth;
      if (sym(i, ')')) --depth;
      if (depth == 0 && sym(i, '*') &&
          (i == select_ + 1 || sym(i - 1, ',') || sym(i - 1, '.') || is_word(i - 1, "DISTINCT") ||
           is_word(i - 1, "ALL")))
        return false;
    }
    return true;
  }

  // A column reference at [b, e): the item and field it names, or nullopt.
  struct Ref {
    size_t item = 0;
    size_t field = 0;
  };
  std::optional<Ref> resolve(size_t b, size_t e) const {
    if (e == b + 3 && is_name(tok_[b]) && sym(b + 1, '.') && is_name(tok_[b + 2])) {
      const std::string alias = ident(s_, tok_[b]);
      for (size_t k = 0; k < items_.size(); ++k) {
        if (!iequals(items_[k].alias, alias)) continue;
        if (!items_[k].remote) return std::nullopt;
        auto f = items_[k].info.schema->index_of(ident(s_, tok_[b + 2]));
        if (!f) return std::nullopt;
        return Ref{k, *f};
      }
      return std::nullopt;
    }
    if (e == b + 1 && is_name(tok_[b])) {
      if (tok_[b].kind == Token::word &&
          (keyword(word_at(b)) || std::isdigit(static_cast<unsigned char>(s_[tok_[b].begin]))))
        return std::nullopt;
      const std::string name = ident(s_, tok_[b]);
      std::optional<Ref> found;
      for (size_t k = 0; k < items_.size(); ++k) {
        if (!items_[k].remote) {
          // A derived table or local table whose columns are unknown: the
          // name may be one of them.
          if (!items_[k].info.schema) return std::nullopt;
          continue;
        }
        if (auto f = items_[k].info.schema->index_of(name)) {
          if (found) return std::nullopt;  // ambiguous
          found = Ref{k, *f};
        }
      }
      return found;
    }
    return std::nullopt;
  }

  // The conjuncts of [b, e) joined by AND at the top (none with OR there).
  std::vector<std::pair<size_t, size_t>> conjuncts(size_t b, size_t e) const {
    std::vector<std::pair<size_t, size_t>> out;
    int depth = 0;
    bool between = false;
    size_t start = b;
    for (size_t i = b; i <= e; ++i) {
      if (i < e) {
        if (sym(i, '(')) ++depth;
        if (sym(i, ')')) --depth;
        if (depth != 0) continue;
        if (is_word(i, "OR")) return {};
        if (is_word(i, "BETWEEN")) between = true;
        if (!is_word(i, "AND")) continue;
        if (between) {
          between = false;
          continue;
        }
      }
      if (i > start) out.emplace_back(start, i);
      start = i + 1;
    }
    return out;
  }

  void collect_conditions() {
    std::vector<std::pair<size_t, size_t>> all;
    if (where_) {
      auto c = conjuncts(*where_ + 1, *where_end_);
      all.insert(all.end(), c.begin(), c.end());
    }
    for (const auto& it : items_)
      if (it.on_begin) {
        auto c = conjuncts(*it.on_begin, it.on_end);
        all.insert(all.end(), c.begin(), c.end());
      }
    for (const auto& [b, e] : all) {
      size_t eq = b;
      while (eq < e && !sym(eq, '=')) ++eq;
      if (eq == e) continue;
      const size_t rhs = sym(eq + 1, '=') ? eq + 2 : eq + 1;
      auto l = resolve(b, eq), r = resolve(rhs, e);
      if (!l || !r || l->item == r->item) continue;
      const Item &li = items_[l->item], &ri = items_[r->item];
      if (!li.info.joins || !ri.info.joins || !iequals(li.attachment, ri.attachment)) continue;
      const Field& lf = li.info.schema->fields[l->field];
      if (!joinable(lf, ri.info.schema->fields[r->field])) continue;
      const bool temporal = lf.type.id == TypeId::date || lf.type.id == TypeId::time ||
                            lf.type.id == TypeId::timestamp || lf.type.id == TypeId::timestamp_tz;
      if (li.info.sqlite_file && (temporal || lf.collation == Collation::pad_space)) continue;
      edges_.push_back({*l, *r});
    }
  }

  // Items linked by equalities, by attachment: each group of two or more.
  std::vector<std::vector<size_t>> components() const {
    std::vector<size_t> parent(items_.size());
    std::iota(parent.begin(), parent.end(), 0);
    const auto root = [&](size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (const auto& [l, r] : edges_) parent[root(l.item)] = root(r.item);
    std::map<size_t, std::vector<size_t>> by_root;
    for (size_t k = 0; k < items_.size(); ++k)
      if (items_[k].remote && items_[k].info.joins) by_root[root(k)].push_back(k);
    std::vector<std::vector<size_t>> out;
    for (auto& [r, members] : by_root)
      if (members.size() >= 2 && aliases_private(members)) out.push_back(members);
    return out;
  }

  // The aliases of `members` can be rewritten: `alias.column` inside this
  // SELECT means the member, unless a nested query (or a derived table)
  // defines the alias again. Then any such qualified name leaves the
  // statement alone; unqualified names need no rewrite (the view has the
  // columns under their own names, and inner scopes still come first).
  // Uses outside this SELECT are other scopes and stay as they are.
  bool aliases_private(const std::vector<size_t>& members) const {
    for (size_t m : members) {
      const std::string& alias = items_[m].alias;
      if (alias.empty()) return false;
      bool redefined = false, qualified = false;
      for (size_t i = select_; i < end_; ++i) {
        if (!is_name(tok_[i]) || !iequals(ident(s_, tok_[i]), alias)) continue;
        // Its definition, another table of this FROM list (`pg.x b` beside
        // `pg.x`), or a derived table's own scope: nothing is rewritten there.
        if (in_from_items(i)) continue;
        // `pg.orders.o_id`: a name of the table itself, which goes away.
        if (sym(i + 1, '.') && sym(i - 1, '.')) return false;
        const bool qualifier = sym(i + 1, '.') && !sym(i - 1, '.');
        if (qualifier) qualified = true;
        else redefined = true;
      }
      if (redefined && qualified) return false;
    }
    return true;
  }

  // Whether token i lies in the table part of an item of this FROM (derived
  // tables included: they cannot see this FROM's aliases).
  bool in_from_items(size_t i) const {
    for (const auto& it : items_)
      if (i >= it.begin && i < it.end) return true;
    return false;
  }

  std::string build(const std::vector<std::vector<size_t>>& groups) {
    // Per member item: its group, and the view's name for each column.
    struct Membership {
      size_t group = 0;
      size_t index = 0;  // in the group
    };
    std::map<size_t, Membership> member_of;
    std::vector<std::string> view_names;
    std::vector<std::map<std::string, std::string>> column_names(items_.size());  // lower col -> view col
    for (size_t g = 0; g < groups.size(); ++g) {
      JoinSpec spec;
      std::map<std::string, int> count;  // lower column name -> members having it
      for (size_t k = 0; k < groups[g].size(); ++k) {
        const Item& it = items_[groups[g][k]];
        member_of[groups[g][k]] = {g, k};
        spec.members.push_back({it.table, it.alias});
        for (const auto& f : it.info.schema->fields) ++count[lowered(f.name)];
      }
      for (size_t k = 0; k < groups[g].size(); ++k) {
        const size_t item = groups[g][k];
        for (const auto& f : items_[item].info.schema->fields) {
          const std::string name =
              count[lowered(f.name)] == 1 ? f.name : items_[item].alias + "." + f.name;
          spec.columns.push_back({k, f.name, name});
          column_names[item][lowered(f.name)] = name;
        }
      }
      for (const auto& [l, r] : edges_) {
        auto lm = member_of.find(l.item), rm = member_of.find(r.item);
        if (lm == member_of.end() || rm == member_of.end() || lm->second.group != g ||
            rm->second.group != g)
          continue;
        spec.conditions.push_back({lm->second.index, items_[l.item].info.schema->fields[l.field].name,
                                   rm->second.index, items_[r.item].info.schema->fields[r.field].name});
      }
      view_names.push_back(hooks_.view(items_[groups[g][0]].attachment, spec));
    }

    // `alias.column` of a member -> `"view"."name"`, over [b, e).
    const auto rewrite_refs = [&](size_t b, size_t e, bool items_list) {
      std::string out;
      if (b >= e) return out;
      size_t copied = tok_[b].begin;
      int depth = 0;
      for (size_t i = b; i < e; ++i) {
        if (sym(i, '(')) ++depth;
        if (sym(i, ')')) --depth;
        if (!is_name(tok_[i]) || !sym(i + 1, '.') || i + 2 >= e || !is_name(tok_[i + 2]) ||
            (i > b && sym(i - 1, '.')) || sym(i + 3, '.') || in_from_items(i))
          continue;
        const std::string alias = ident(s_, tok_[i]);
        size_t item = items_.size();
        for (size_t k = 0; k < items_.size(); ++k)
          if (member_of.count(k) && iequals(items_[k].alias, alias)) item = k;
        if (item == items_.size()) continue;
        const std::string col = ident(s_, tok_[i + 2]);
        auto it = column_names[item].find(lowered(col));
        if (it == column_names[item].end()) continue;  // SQLite will say "no such column"
        out += std::string(s_.substr(copied, tok_[i].begin - copied));
        out += quote_identifier(view_names[member_of[item].group]) + "." +
               quote_identifier(it->second);
        // A select item that is just the reference keeps its name.
        if (items_list && depth == 0 &&
            (i == b || sym(i - 1, ',') || is_word(i - 1, "DISTINCT") || is_word(i - 1, "ALL")) &&
            (i + 3 == e || sym(i + 3, ',')))
          out += " AS " + quote_identifier(col);
        copied = tok_[i + 2].end;
        i += 2;
      }
      out += std::string(s_.substr(copied, tok_[e - 1].end - copied));
      return out;
    };

    std::string out = "SELECT " + rewrite_refs(select_ + 1, *from_, true) + " FROM ";
    std::set<size_t> placed;
    bool first = true;
    for (size_t k = 0; k < items_.size(); ++k) {
      auto m = member_of.find(k);
      std::string piece;
      if (m != member_of.end()) {
        if (!placed.insert(m->second.group).second) continue;
        const std::string& view = view_names[m->second.group];
        piece = quote_identifier(items_[k].attachment) + "." + quote_identifier(view) + " AS " +
                quote_identifier(view);
      } else {
        piece = text(items_[k].begin, items_[k].end);
      }
      out += (first ? "" : ", ") + piece;
      first = false;
    }
    std::vector<std::string> conditions;
    for (const auto& it : items_)
      if (it.on_begin) conditions.push_back("(" + rewrite_refs(*it.on_begin, it.on_end, false) + ")");
    if (where_) conditions.push_back("(" + rewrite_refs(*where_ + 1, *where_end_, false) + ")");
    for (size_t c = 0; c < conditions.size(); ++c) out += (c ? " AND " : " WHERE ") + conditions[c];
    const size_t rest = where_ ? *where_end_ : *from_end_;
    if (rest < end_) out += " " + rewrite_refs(rest, end_, false);
    return out;
  }

  size_t select_;
  const JoinHooks& hooks_;
  std::optional<size_t> from_, from_end_, where_, where_end_;
  std::vector<Item> items_;
  std::vector<std::pair<Ref, Ref>> edges_;
};

// The SELECT cores of `tok`: [select, end) each.
std::vector<std::pair<size_t, size_t>> cores(std::string_view sql, const std::vector<Token>& tok) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < tok.size(); ++i) {
    if (!(tok[i].kind == Token::word &&
          iequals(sql.substr(tok[i].begin, tok[i].end - tok[i].begin), "SELECT")))
      continue;
    out.emplace_back(i, select_extent(sql, tok, i, false).end);
  }
  return out;
}

}  // namespace

std::string push_joins(std::string_view sql, const JoinHooks& hooks) {
  std::string text(sql);
  // One SELECT at a time, then the text again: a rewritten SELECT's tables
  // are views, which no later pass takes for members. Each pass rewrites
  // one SELECT or ends, and there are no more passes than SELECTs.
  std::set<size_t> tried;  // SELECTs (by their offset in the current text) left as they are
  for (int pass = 0; pass < 64; ++pass) {
    const std::vector<Token> tok = tokenize(text);
    bool changed = false;
    for (const auto& [select, end] : cores(text, tok)) {
      if (tried.count(tok[select].begin)) continue;
      Core core(text, tok, select, end, hooks);
      auto replacement = core.rewrite();
      if (!replacement) {
        tried.insert(tok[select].begin);
        continue;
      }
      const size_t b = tok[select].begin, e = tok[end - 1].end;
      const std::string before = text.substr(0, b), after = text.substr(e);
      // Offsets after the rewritten text move: forget what was tried there.
      std::set<size_t> kept;
      for (size_t t : tried)
        if (t < b) kept.insert(t);
      tried = std::move(kept);
      text = before + *replacement + after;
      changed = true;
      break;
    }
    if (!changed) break;
  }
  return text;
}

}  // namespace polydb::query
