#include "query/aggregate_pushdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "query/names.hpp"
#include "query/sql_tokens.hpp"

namespace polydb::query {

bool groupable(const Field& f) {
  switch (f.type.id) {
    case TypeId::boolean:
    case TypeId::int64:
    case TypeId::decimal:
    case TypeId::date: return true;
    case TypeId::string:
      return f.collation == Collation::binary || f.collation == Collation::pad_space;
    default: return false;
  }
}

namespace {

// One SELECT core and what the rewrite learned of it.
class Core : TokenView {
 public:
  Core(std::string_view sql, const std::vector<Token>& tok, size_t select, size_t end,
       const AggregateHooks& hooks)
      : TokenView(sql, tok, end), select_(select), hooks_(hooks) {}

  // The replacement text of tokens [select_, end_), or nullopt.
  std::optional<std::string> rewrite() {
    if (!find_clauses()) return std::nullopt;
    if (!parse_from()) return std::nullopt;
    if (group_ && !parse_group_by()) return std::nullopt;
    std::string items, having, order;
    if (!replace_items(items_begin_, from_, items)) return std::nullopt;
    if (aggregates_.empty()) return std::nullopt;
    if (having_ && !replace_aggregates(*having_ + 1, clause_end(*having_), having, Context::having))
      return std::nullopt;
    if (order_ && !replace_aggregates(*order_ + 2, clause_end(*order_), order, Context::order))
      return std::nullopt;
    if (where_ && !check_where(*where_ + 1, clause_end(*where_))) return std::nullopt;
    for (const auto& g : group_by_)
      if (!groupable(schema_->field(g))) return std::nullopt;
    if (!correlated_.empty() && !correlated_subquery()) return std::nullopt;

    const std::string view = hooks_.view(attachment_, table_, group_by_, aggregates_);
    std::string out = "SELECT ";
    if (items_begin_ > select_ + 1) out += text(select_ + 1, items_begin_) + " ";
    out += items + " FROM " + view + " AS " + quote_identifier(alias_);
    std::string where = where_ ? text(*where_ + 1, clause_end(*where_)) : "";
    if (!where.empty() && having_) out += " WHERE (" + where + ") AND (" + having + ")";
    else if (!where.empty()) out += " WHERE " + where;
    else if (having_) out += " WHERE " + having;
    if (order_) out += " ORDER BY " + order;
    if (limit_) out += " " + text(*limit_, end_);
    return out;
  }

 private:
  enum class Context { items, having, order };


  // The clauses at depth 0 of the core; false for shapes left alone.
  bool find_clauses() {
    size_t i = select_ + 1;
    if (is_word(i, "DISTINCT") || is_word(i, "ALL")) ++i;
    items_begin_ = i;
    int depth = 0;
    for (size_t j = select_ + 1; j < end_; ++j) {
      if (sym(j, '(')) ++depth;
      if (sym(j, ')')) --depth;
      if (is_word(j, "SELECT") || is_word(j, "WINDOW") || is_word(j, "OVER") ||
          is_word(j, "FILTER") || is_word(j, "UNION") || is_word(j, "EXCEPT") ||
          is_word(j, "INTERSECT") || is_word(j, "VALUES"))
        return false;
      if (depth != 0) continue;
      auto mark = [&](std::optional<size_t>& at) {
        if (at) return false;
        at = j;
        return true;
      };
      if (is_word(j, "FROM") && !mark(from_opt_)) return false;
      if (is_word(j, "WHERE") && !mark(where_)) return false;
      if (is_word(j, "GROUP")) {
        if (!is_word(j + 1, "BY") || !mark(group_)) return false;
      }
      if (is_word(j, "HAVING") && !mark(having_)) return false;
      if (is_word(j, "ORDER")) {
        if (!is_word(j + 1, "BY") || !mark(order_)) return false;
      }
      if (is_word(j, "LIMIT") && !mark(limit_)) return false;
    }
    if (!from_opt_) return false;
    from_ = *from_opt_;
    // Clauses in SQL's order.
    size_t last = from_;
    for (const auto* c : {&where_, &group_, &having_, &order_, &limit_}) {
      if (!*c) continue;
      if (**c < last) return false;
      last = **c;
    }
    return true;
  }

  // The first token after clause `at` that starts another clause.
  size_t clause_end(size_t at) const {
    size_t e = end_;
    for (const auto* c : {&from_opt_, &where_, &group_, &having_, &order_, &limit_})
      if (*c && **c > at) e = std::min(e, **c);
    return e;
  }

  bool parse_from() {
    const size_t b = from_ + 1, e = clause_end(from_);
    if (e < b + 3 || !is_name(tok_[b]) || !sym(b + 1, '.') || !is_name(tok_[b + 2])) return false;
    attachment_ = ident(s_, tok_[b]);
    table_ = ident(s_, tok_[b + 2]);
    size_t i = b + 3;
    if (is_word(i, "AS")) ++i;
    if (i < e) {
      if (!is_name(tok_[i]) || (tok_[i].kind == Token::word && keyword(word_at(i)))) return false;
      alias_ = ident(s_, tok_[i]);
      ++i;
    } else {
      alias_ = table_;
    }
    if (i != e) return false;
    schema_ = hooks_.table(attachment_, table_);
    if (!schema_) return false;
    for (size_t k = 0; k < schema_->fields.size(); ++k)
      columns_[lowered(schema_->fields[k].name)] = k;
    return true;
  }

  // A reference to a column of the table at token i: its field index and
  // the tokens it spans. `foreign` is set for a name that is not one.
  struct Ref {
    size_t field = 0;
    size_t next = 0;  ///< the token after the reference
  };
  std::optional<Ref> ref_at(size_t i, bool& foreign) const {
    foreign = false;
    if (i >= end_ || !is_name(tok_[i])) return std::nullopt;
    if (tok_[i].kind == Token::word && std::isdigit(static_cast<unsigned char>(s_[tok_[i].begin])))
      return std::nullopt;  // a number
    if (i > select_ && tok_[i - 1].end == tok_[i].begin &&
        (sym(i - 1, ':') || sym(i - 1, '@') || sym(i - 1, '$') || sym(i - 1, '?')))
      return std::nullopt;  // a parameter's name
    if (i > select_ && sym(i - 1, '.')) {
      foreign = true;  // the last part of a longer name
      return std::nullopt;
    }
    if (sym(i + 1, '(')) return std::nullopt;  // a function
    if (sym(i + 1, '.')) {
      if (i + 2 >= end_ || !is_name(tok_[i + 2]) || sym(i + 3, '.') ||
          !iequals(ident(s_, tok_[i]), alias_)) {
        foreign = true;
        return std::nullopt;
      }
      auto it = columns_.find(lowered(ident(s_, tok_[i + 2])));
      if (it == columns_.end()) {
        foreign = true;
        return std::nullopt;
      }
      return Ref{it->second, i + 3};
    }
    const std::string name = ident(s_, tok_[i]);
    auto it = columns_.find(lowered(name));
    if (tok_[i].kind == Token::word && keyword(name)) {
      if (it != columns_.end()) foreign = true;  // a keyword that is also a column: ambiguous
      return std::nullopt;
    }
    if (it == columns_.end()) {
      foreign = true;
      return std::nullopt;
    }
    return Ref{it->second, i + 1};
  }

  bool parse_group_by() {
    const size_t b = *group_ + 2, e = clause_end(*group_);
    size_t i = b;
    while (i < e) {
      bool foreign = false;
      auto r = ref_at(i, foreign);
      if (!r) return false;
      const std::string& name = schema_->fields[r->field].name;
      if (std::find(group_by_.begin(), group_by_.end(), name) == group_by_.end())
        group_by_.push_back(name);
      i = r->next;
      if (i == e) break;
      if (!sym(i, ',')) return false;
      ++i;
    }
    return !group_by_.empty();
  }

  // Whether the name at `i` names a select item: after AS, or last in an
  // item [b, e) after the end of an expression.
  bool alias_position(size_t i, size_t b, size_t e) const {
    if (i > b && is_word(i - 1, "AS")) return true;
    const bool last = i + 1 == e || sym(i + 1, ',');
    return last && i > b && !sym(i - 1, ',') && !sym(i - 1, '.') &&
           (sym(i - 1, ')') || tok_[i - 1].kind == Token::other || is_name(tok_[i - 1]));
  }

  // A correlated subquery (`(SELECT 0.2 * avg(q) FROM t WHERE t.k = o.k)`)
  // is pushed grouped by its correlated columns, which SQLite then looks up
  // (key batching: the keys of many outer rows go as one IN list). A key
  // without rows then has no group, where the aggregate had one row: the
  // same answer only for a scalar subquery (not EXISTS or IN) whose value is
  // NULL over no rows: sum, avg, min, max in arithmetic, no count, no
  // GROUP BY, HAVING, ORDER BY, LIMIT or DISTINCT.
  bool correlated_subquery() {
    if (group_ || having_ || order_ || limit_ || items_begin_ != select_ + 1) return false;
    if (select_ == 0 || !sym(select_ - 1, '(') || end_ >= tok_.size() ||
        !is_symbol(s_, tok_[end_], ')'))
      return false;
    if (select_ >= 2) {
      const Token& before = tok_[select_ - 2];
      if (before.kind == Token::word) {
        const auto w = s_.substr(before.begin, before.end - before.begin);
        if (iequals(w, "IN") || iequals(w, "EXISTS") || iequals(w, "FROM") || iequals(w, "JOIN"))
          return false;
      }
    }
    for (const auto& a : aggregates_)
      if (a.fn == ScanAggregate::Fn::count || a.fn == ScanAggregate::Fn::count_rows) return false;
    // One item of aggregates, numbers and arithmetic (NULL in, NULL out).
    for (size_t i = items_begin_; i < from_; ++i) {
      if (tok_[i].kind == Token::word && aggregate_name(word_at(i)) && sym(i + 1, '(')) {
        int depth = 0;
        for (++i; i < from_; ++i) {
          if (sym(i, '(')) ++depth;
          if (sym(i, ')') && --depth == 0) break;
        }
        continue;
      }
      if (is_word(i, "AS") && i + 2 == from_ && is_name(tok_[i + 1])) break;
      const std::string_view w = word_at(i);
      if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0]))) continue;
      if (sym(i, '+') || sym(i, '-') || sym(i, '*') || sym(i, '/') || sym(i, '.') ||
          sym(i, '(') || sym(i, ')'))
        continue;
      return false;
    }
    for (size_t f : correlated_) {
      if (!groupable(schema_->fields[f])) return false;
      const std::string& name = schema_->fields[f].name;
      if (std::find(group_by_.begin(), group_by_.end(), name) == group_by_.end())
        group_by_.push_back(name);
    }
    return true;
  }

  bool is_group_column(size_t field) const {
    return std::find(group_by_.begin(), group_by_.end(), schema_->fields[field].name) !=
           group_by_.end();
  }

  // expr := term (('+'|'-') term)* ; term := factor ('*' factor)* ;
  // factor := ('-'|'+') factor | '(' expr ')' | number | column
  std::optional<ScanExpr> parse_expr(size_t& i, size_t e) const {
    auto left = parse_term(i, e);
    while (left && i < e && (sym(i, '+') || sym(i, '-'))) {
      const auto kind = sym(i, '+') ? ScanExpr::Kind::add : ScanExpr::Kind::subtract;
      ++i;
      auto right = parse_term(i, e);
      if (!right) return std::nullopt;
      left = ScanExpr::binary(kind, std::move(*left), std::move(*right));
    }
    return left;
  }
  std::optional<ScanExpr> parse_term(size_t& i, size_t e) const {
    auto left = parse_factor(i, e);
    while (left && i < e && sym(i, '*')) {
      ++i;
      auto right = parse_factor(i, e);
      if (!right) return std::nullopt;
      left = ScanExpr::binary(ScanExpr::Kind::multiply, std::move(*left), std::move(*right));
    }
    return left;
  }
  std::optional<ScanExpr> parse_factor(size_t& i, size_t e) const {
    if (i >= e) return std::nullopt;
    if (sym(i, '-') || sym(i, '+')) {
      const bool minus = sym(i, '-');
      ++i;
      auto inner = parse_factor(i, e);
      if (!inner) return std::nullopt;
      return minus ? ScanExpr::negation(std::move(*inner)) : std::move(*inner);
    }
    if (sym(i, '(')) {
      ++i;
      auto inner = parse_expr(i, e);
      if (!inner || !sym(i, ')')) return std::nullopt;
      ++i;
      return inner;
    }
    const std::string_view w = word_at(i);
    if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0]))) {
      for (char c : w)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;  // 1e5, 0x1F
      std::string number(w);
      ++i;
      // `0.05` is three tokens; the text must have no blank between them.
      if (sym(i, '.') && tok_[i].begin == tok_[i - 1].end && i + 1 < e &&
          tok_[i + 1].begin == tok_[i].end) {
        const std::string_view frac = word_at(i + 1);
        if (frac.empty()) return std::nullopt;
        for (char c : frac)
          if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        number += "." + std::string(frac);
        i += 2;
      } else if (sym(i, '.')) {
        return std::nullopt;
      }
      return ScanExpr::number(std::move(number));
    }
    bool foreign = false;
    auto r = ref_at(i, foreign);
    if (!r) return std::nullopt;
    const TypeId id = schema_->fields[r->field].type.id;
    if (id != TypeId::int64 && id != TypeId::decimal) return std::nullopt;
    i = r->next;
    return ScanExpr::column(schema_->fields[r->field].name);
  }

  // The aggregate call at `i` (a function word followed by '('), added to
  // the list; `i` moves past its ')'. nullopt: not an aggregate polydb
  // pushes (the caller leaves the statement alone); the flag `scalar` says
  // it is the scalar min/max of several arguments instead.
  std::optional<size_t> parse_aggregate(size_t& i, size_t e, bool& scalar) {
    scalar = false;
    const std::string fn = lowered(std::string(word_at(i)));
    const size_t open = i + 1;
    size_t close = open;
    int depth = 0;
    bool comma = false;
    for (; close < e; ++close) {
      if (sym(close, '(')) ++depth;
      if (sym(close, ')') && --depth == 0) break;
      if (depth == 1 && sym(close, ',')) comma = true;
    }
    if (close >= e) return std::nullopt;
    if (comma && (fn == "min" || fn == "max")) {
      scalar = true;
      return std::nullopt;
    }
    if (comma) return std::nullopt;
    ScanAggregate a;
    size_t j = open + 1;
    if (fn == "count" && sym(j, '*') && j + 1 == close) {
      a.fn = ScanAggregate::Fn::count_rows;
    } else if (fn == "count") {
      bool foreign = false;
      auto r = ref_at(j, foreign);
      if (!r || r->next != close) return std::nullopt;
      const TypeId id = schema_->fields[r->field].type.id;
      if (id == TypeId::float64 || id == TypeId::json || id == TypeId::null) return std::nullopt;
      a.fn = ScanAggregate::Fn::count;
      a.argument = ScanExpr::column(schema_->fields[r->field].name);
    } else {
      a.fn = fn == "sum"   ? ScanAggregate::Fn::sum
             : fn == "avg" ? ScanAggregate::Fn::avg
             : fn == "min" ? ScanAggregate::Fn::min
                           : ScanAggregate::Fn::max;
      bool foreign = false;
      auto r = ref_at(j, foreign);
      if ((a.fn == ScanAggregate::Fn::min || a.fn == ScanAggregate::Fn::max) && r &&
          r->next == close && schema_->fields[r->field].type.id == TypeId::date) {
        a.argument = ScanExpr::column(schema_->fields[r->field].name);
      } else {
        auto expr = parse_expr(j, close);
        if (!expr || j != close) return std::nullopt;
        a.argument = std::move(*expr);
      }
    }
    if (is_word(close + 1, "FILTER") || is_word(close + 1, "OVER")) return std::nullopt;
    i = close + 1;
    const std::string shown = a.to_string();
    for (size_t k = 0; k < aggregates_.size(); ++k)
      if (aggregates_[k].to_string() == shown) return k;
    a.name = "polydb_agg_" + std::to_string(aggregates_.size());
    aggregates_.push_back(std::move(a));
    return aggregates_.size() - 1;
  }

  static bool aggregate_name(std::string_view w) {
    return iequals(w, "sum") || iequals(w, "count") || iequals(w, "avg") || iequals(w, "min") ||
           iequals(w, "max");
  }

  // Copies tokens [b, e) into `out` with each aggregate call replaced by its
  // column of the view. Other references to the table's columns must be group
  // columns; false leaves the statement alone.
  bool replace_aggregates(size_t b, size_t e, std::string& out, Context ctx) {
    if (b >= e) return false;
    size_t copied = tok_[b].begin;
    const size_t stop = tok_[e - 1].end;
    std::set<std::string> aliases;
    if (ctx != Context::items) aliases = aliases_;
    for (size_t i = b; i < e;) {
      if (sym(i, '*') && ctx == Context::items &&
          (i == b || sym(i - 1, ',') || sym(i - 1, '.')))
        return false;  // SELECT * or t.*
      if (tok_[i].kind == Token::word && aggregate_name(word_at(i)) && sym(i + 1, '(')) {
        const size_t start = i;
        bool scalar = false;
        auto k = parse_aggregate(i, e, scalar);
        if (scalar) {
          i += 2;  // min(a, b): walk into its arguments
          continue;
        }
        if (!k) return false;
        out += std::string(s_.substr(copied, tok_[start].begin - copied));
        out += quote_identifier(alias_) + "." + quote_identifier(aggregates_[*k].name);
        copied = tok_[i - 1].end;
        continue;
      }
      if (is_name(tok_[i])) {
        bool foreign = false;
        auto r = ref_at(i, foreign);
        if (r) {
          if (!is_group_column(r->field)) return false;
          i = r->next;
          continue;
        }
        if (foreign && !alias_position(i, b, e)) {
          // Else only an alias of the select list, named in ORDER BY or HAVING.
          const bool qualified = i > b && sym(i - 1, '.');
          if (ctx == Context::items || qualified || !aliases.count(lowered(ident(s_, tok_[i]))))
            return false;
        }
      }
      ++i;
    }
    out += std::string(s_.substr(copied, stop - copied));
    return true;
  }

  // The select list [b, e), each item through replace_aggregates(); an item
  // that held an aggregate and had no alias keeps the name SQLite gave it
  // (its text). Notes the aliases for HAVING and ORDER BY.
  bool replace_items(size_t b, size_t e, std::string& out) {
    size_t start = b;
    int depth = 0;
    for (size_t i = b; i <= e; ++i) {
      if (i < e && sym(i, '(')) ++depth;
      if (i < e && sym(i, ')')) --depth;
      if (i < e && !(depth == 0 && sym(i, ','))) continue;
      // Item [start, i).
      bool has_alias = false;
      if (i >= start + 2 && is_word(i - 2, "AS") && is_name(tok_[i - 1])) has_alias = true;
      else if (i >= start + 2 && is_name(tok_[i - 1]) &&
               (sym(i - 2, ')') || tok_[i - 2].kind == Token::other ||
                (is_name(tok_[i - 2]) && !keyword(word_at(i - 2)))) &&
               !(tok_[i - 1].kind == Token::word && keyword(word_at(i - 1))) &&
               !sym(i - 2, '.'))
        has_alias = true;
      std::string piece;
      if (!replace_aggregates(start, i, piece, Context::items)) return false;
      if (has_alias) aliases_.insert(lowered(ident(s_, tok_[i - 1])));
      const bool holds_aggregate = piece != text(start, i);  // an aggregate was replaced
      if (holds_aggregate && !has_alias) piece += " AS " + quote_identifier(text(start, i));
      out += (out.empty() ? "" : ", ") + piece;
      start = i + 1;
    }
    return true;
  }

  // A literal side of a comparison: strings, numbers, parameters, signs and
  // arithmetic of those; never a column.
  bool constant(size_t b, size_t e) const {
    if (b >= e) return false;
    for (size_t i = b; i < e; ++i) {
      const Token& t = tok_[i];
      if (t.kind == Token::other) continue;
      if (t.kind == Token::quoted) return false;  // "x": SQLite may read it as a column
      if (t.kind == Token::symbol) {
        const char c = s_[t.begin];
        if (c == '?' || c == ':' || c == '@' || c == '$') {
          if (i + 1 < e && tok_[i + 1].kind == Token::word && tok_[i + 1].begin == t.end) ++i;
          continue;
        }
        if (c == '+' || c == '-' || c == '*' || c == '/' || c == '.' || c == '(' || c == ')' ||
            c == ',')
          continue;
        return false;
      }
      const std::string_view w = word_at(i);
      if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0]))) continue;
      return false;  // a name, or NULL (a comparison SQLite may fold to false itself)
    }
    return true;
  }

  // A column of the table and a comparison at `i`: the operator's end.
  std::optional<size_t> comparison_op(size_t i) const {
    if (sym(i, '=')) return sym(i + 1, '=') ? i + 2 : i + 1;
    if (sym(i, '<')) return sym(i + 1, '=') || sym(i + 1, '>') ? i + 2 : i + 1;
    if (sym(i, '>')) return sym(i + 1, '=') ? i + 2 : i + 1;
    if (sym(i, '!') && sym(i + 1, '=')) return i + 2;
    return std::nullopt;
  }

  // One condition: column op constant, constant op column, column BETWEEN
  // constant AND constant, column IN (constants), column IS [NOT] NULL. The
  // column's field, and whether the condition is an equality.
  struct Condition {
    size_t field = 0;
    bool equality = false;
    bool correlated = false;  ///< column = a column of an outer query
  };

  // Whether tokens [b, e) are one column of an outer query: `name` or
  // `alias.name` that is not this table's.
  bool outer_column(size_t b, size_t e) const {
    if (b >= e || !is_name(tok_[b])) return false;
    if (tok_[b].kind == Token::word &&
        (keyword(word_at(b)) || std::isdigit(static_cast<unsigned char>(s_[tok_[b].begin]))))
      return false;
    bool foreign = false;
    if (ref_at(b, foreign) || !foreign) return false;
    if (e == b + 1) return true;
    return e == b + 3 && sym(b + 1, '.') && is_name(tok_[b + 2]) &&
           !iequals(ident(s_, tok_[b]), alias_);
  }
  std::optional<Condition> simple_condition(size_t b, size_t e) const {
    bool foreign = false;
    if (auto r = ref_at(b, foreign)) {
      const TypeId id = schema_->fields[r->field].type.id;
      if (id == TypeId::json || id == TypeId::null) return std::nullopt;
      const size_t i = r->next;
      Condition c{r->field, false, false};
      bool ok = false;
      if (auto op_end = comparison_op(i)) {
        c.equality = sym(i, '=');
        ok = constant(*op_end, e);
        if (!ok && c.equality && *op_end == i + 1 && outer_column(*op_end, e)) {
          c.correlated = true;  // col = outer.col
          ok = true;
        }
      } else if (is_word(i, "IS")) {
        // SQLite checks IS [NOT] NULL itself whatever the table says (it
        // would ask a hidden column for its value): group columns only.
        ok = is_group_column(r->field) &&
             ((is_word(i + 1, "NULL") && i + 2 == e) ||
              (is_word(i + 1, "NOT") && is_word(i + 2, "NULL") && i + 3 == e));
      } else if (is_word(i, "BETWEEN")) {
        for (size_t k = i + 1; k < e && !ok; ++k)
          if (is_word(k, "AND")) ok = constant(i + 1, k) && constant(k + 1, e);
      } else if (is_word(i, "IN")) {
        c.equality = true;  // IN of one value is an equality to SQLite
        ok = sym(i + 1, '(') && sym(e - 1, ')') && constant(i + 2, e - 1);
      }
      return ok ? std::optional<Condition>(c) : std::nullopt;
    }
    // constant op column, outer.col = column
    for (size_t i = b; i < e; ++i) {
      if (auto op_end = comparison_op(i)) {
        auto r = ref_at(*op_end, foreign);
        if (!r || r->next != e || schema_->fields[r->field].type.id == TypeId::json)
          return std::nullopt;
        if (constant(b, i)) return Condition{r->field, sym(i, '='), false};
        if (sym(i, '=') && *op_end == i + 1 && outer_column(b, i))
          return Condition{r->field, true, true};
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  // WHERE: conditions joined by AND that SQLite hands to the virtual table.
  bool check_where(size_t b, size_t e) {
    if (b >= e) return false;
    int depth = 0;
    bool between = false;
    size_t start = b;
    std::map<size_t, std::pair<int, bool>> per_column;  // field -> (conditions, an equality)
    for (size_t i = b; i <= e; ++i) {
      if (i < e) {
        if (sym(i, '(')) ++depth;
        if (sym(i, ')')) --depth;
        if (depth == 0 && (is_word(i, "OR") || (is_word(i, "NOT") && !is_word(i - 1, "IS"))))
          return false;
        if (depth == 0 && is_word(i, "BETWEEN")) between = true;
        if (!(depth == 0 && is_word(i, "AND"))) continue;
        if (between) {
          between = false;
          continue;
        }
      }
      const auto c = simple_condition(start, i);
      if (!c) return false;
      if (c->correlated) {
        correlated_.push_back(c->field);
        start = i + 1;
        continue;
      }
      auto& [count, equality] = per_column[c->field];
      ++count;
      equality = equality || c->equality;
      start = i + 1;
    }
    // `col = x AND col < y`: SQLite substitutes x for col and may find the
    // WHERE false without asking the table, which drops the one row an
    // aggregate without GROUP BY always has (count 0). With groups, no row
    // is the right answer then.
    if (group_by_.empty())
      for (const auto& [field, seen] : per_column)
        if (seen.second && seen.first > 1) return false;
    return true;
  }

  size_t select_;
  const AggregateHooks& hooks_;
  size_t items_begin_ = 0;
  size_t from_ = 0;
  std::optional<size_t> from_opt_, where_, group_, having_, order_, limit_;
  std::string attachment_, table_, alias_;
  const Schema* schema_ = nullptr;
  std::map<std::string, size_t> columns_;  // lower-case name -> field
  std::vector<std::string> group_by_;
  std::vector<size_t> correlated_;  ///< fields compared with an outer query's columns
  std::vector<ScanAggregate> aggregates_;
  std::set<std::string> aliases_;
};

}  // namespace

std::string push_aggregates(std::string_view sql, const AggregateHooks& hooks) {
  const std::vector<Token> tok = tokenize(sql);
  struct Replacement {
    size_t begin, end;  // offsets in sql
    std::string text;
  };
  std::vector<Replacement> done;
  for (size_t i = 0; i < tok.size(); ++i) {
    if (!(tok[i].kind == Token::word && iequals(sql.substr(tok[i].begin, tok[i].end - tok[i].begin), "SELECT")))
      continue;
    // A compound's member: left alone.
    if (i > 0 && tok[i - 1].kind == Token::word) {
      const auto prev = sql.substr(tok[i - 1].begin, tok[i - 1].end - tok[i - 1].begin);
      if (iequals(prev, "UNION") || iequals(prev, "ALL") || iequals(prev, "EXCEPT") ||
          iequals(prev, "INTERSECT"))
        continue;
    }
    const auto [end, compound] = select_extent(sql, tok, i, true);
    if (compound) continue;
    Core core(sql, tok, i, end, hooks);
    auto text = core.rewrite();
    if (!text) continue;
    done.push_back({tok[i].begin, tok[end - 1].end, std::move(*text)});
    i = end - 1;
  }
  if (done.empty()) return std::string(sql);
  std::string out;
  size_t copied = 0;
  for (const auto& r : done) {
    out.append(sql.substr(copied, r.begin - copied));
    out += r.text;
    copied = r.end;
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace polydb::query
