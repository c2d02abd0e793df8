#include "query/join_view.hpp"

#include <fmt/format.h>

#include <cctype>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "connectors/common/local_rows.hpp"
#include "connectors/common/pushdown.hpp"
#include "connectors/sqlite/connection.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"
#include "polydb/filter.hpp"
#include "query/names.hpp"
#if POLYDB_WITH_POSTGRES
#include "connectors/postgres/connection.hpp"
#endif
#if POLYDB_WITH_MYSQL
#include "connectors/mysql/connection.hpp"
#include "connectors/mysql/sql.hpp"
#endif

namespace polydb::query {

namespace {

// How one backend writes a join view's statement.
struct Dialect {
  std::function<std::string(std::string_view)> quote;  ///< an identifier
  /// The reference to member table `table` and the renderer of comparisons
  /// on its columns, which appends its literals to `params` (placeholders
  /// in text order).
  std::function<std::pair<std::string, LeafToSql>(const std::string& table,
                                                 std::vector<Value>& params)>
      member;
  /// A condition that keeps every row whose text column `column` is LIKE
  /// `pattern` as SQLite means it (and maybe more); unset or nullopt: none.
  std::function<std::optional<std::string>(const std::string& column, const std::string& pattern)>
      like;
};

constexpr std::string_view kLikeMarker = "\x01like:";

// SQLite's `col LIKE pattern` (ASCII letters in either case; `%` any text;
// no ESCAPE) as a PostgreSQL regular expression over the same characters:
// `^.*[gG][rR][eE][eE][nN].*$`. `_` (one character) is not translated: in a
// database whose encoding is not UTF-8 a regex `.` is one byte, so the
// superset would not hold.
std::optional<std::string> like_regex(std::string_view pattern) {
  std::string out = "^";
  for (char ch : pattern) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '%') out += ".*";
    else if (ch == '_' || ch == '\\' || c == 0) return std::nullopt;
    else if (std::isalpha(c) && c < 0x80)
      out += fmt::format("[{}{}]", static_cast<char>(std::tolower(c)), static_cast<char>(std::toupper(c)));
    else if (c < 0x80 && !std::isalnum(c)) out += std::string("\\") + ch;
    else out += ch;
  }
  return out + "$";
}

std::optional<Dialect> dialect_of(Connection& conn) {
#if POLYDB_WITH_POSTGRES
  if (auto* pg = dynamic_cast<postgres::PgConnection*>(&conn)) {
    return Dialect{[](std::string_view n) { return postgres::quote_ident(n); },
                   [pg](const std::string& table, std::vector<Value>&) {
                     auto desc = std::make_shared<postgres::TableDesc>(pg->describe_table(table));
                     auto quote = pg->quoter();
                     LeafToSql leaf = [desc, quote](const Filter& f) {
                       return postgres::filter_to_sql(f, *desc, quote);
                     };
                     return std::make_pair(desc->name.quoted(), std::move(leaf));
                   },
                   [pg](const std::string& column, const std::string& pattern)
                       -> std::optional<std::string> {
                     auto regex = like_regex(pattern);
                     if (!regex) return std::nullopt;
                     return postgres::quote_ident(column) + " ~ " + pg->quoter()(*regex);
                   }};
  }
#endif
#if POLYDB_WITH_MYSQL
  if (auto* my = dynamic_cast<mysql::MysqlConnection*>(&conn)) {
    return Dialect{[](std::string_view n) { return mysql::quote_ident(n); },
                   [my](const std::string& table, std::vector<Value>& params) {
                     auto d = std::make_shared<mysql::TableDescription>(
                         my->describe_table(my->resolve(table), table));
                     LeafToSql leaf = [d, my, &params](const Filter& f) {
                       return mysql::filter_to_sql(f, *d, my->type_options(), params);
                     };
                     return std::make_pair(d->name.quoted(), std::move(leaf));
                   }};
  }
#endif
  if (auto* lite = dynamic_cast<sqlite::SqliteConnection*>(&conn)) {
    return Dialect{[](std::string_view n) { return sqlite::quote_ident(n); },
                   [lite](const std::string& table, std::vector<Value>& params) {
                     auto schema = std::make_shared<Schema>(lite->describe(table));
                     LeafToSql leaf = [schema, &params](const Filter& f) {
                       return sqlite::compare_to_sql(f, *schema, params);
                     };
                     return std::make_pair(sqlite::quote_ident(table), std::move(leaf));
                   }};
  }
  return std::nullopt;
}

// `f` over member `member`'s own column names; nullopt when it reads a
// column of another member.
std::optional<Filter> for_member(const Filter& f, const JoinSpec& join, const Schema& view,
                                 size_t member) {
  Filter out = f;
  if (f.kind == Filter::Kind::compare) {
    const auto i = view.index_of(liked_column(f.column).value_or(f.column));
    if (!i || join.columns[*i].member != member) return std::nullopt;
    out.column = join.columns[*i].column;
    return out;
  }
  for (auto& child : out.children) {
    auto c = for_member(child, join, view, member);
    if (!c) return std::nullopt;
    child = std::move(*c);
  }
  return out;
}

// The member whose columns `f` reads (the first column's); nullopt for none.
std::optional<size_t> member_of(const Filter& f, const JoinSpec& join, const Schema& view) {
  const auto cols = f.columns();
  if (cols.empty()) return std::nullopt;
  const auto i = view.index_of(liked_column(cols.front()).value_or(cols.front()));
  if (!i) return std::nullopt;
  return join.columns[*i].member;
}

// The query's batches in the view's types and names, filtered by what the
// backend did not evaluate, cut to the requested columns.
class JoinReader final : public BatchReader {
 public:
  JoinReader(std::unique_ptr<BatchReader> inner, std::shared_ptr<const Schema> fetched,
             std::shared_ptr<const Schema> output, std::optional<Filter> residual,
             std::optional<uint64_t> limit, std::string backend, std::string sql)
      : inner_(std::move(inner)),
        fetched_(std::move(fetched)),
        output_(std::move(output)),
        residual_(std::move(residual)),
        limit_(limit),
        backend_(std::move(backend)),
        sql_(std::move(sql)) {
    for (const auto& f : fetched_->fields) types_.push_back(f.type);
  }
  const Schema& schema() const override { return *output_; }
  ScanPlan plan() const override {
    ScanPlan p = inner_->plan();
    p.native = sql_;
    p.columns_pushed = true;
    p.filter_pushed = !residual_;
    p.limit_pushed = limit_ && !residual_;
    return p;
  }
  std::optional<Batch> next() override {
    while (!(limit_ && returned_ >= *limit_)) {
      auto in = inner_->next();
      if (!in) return std::nullopt;
      if (in->num_columns() != fetched_->fields.size())
        throw Error(ErrorCode::internal,
                    fmt::format("a join view's query returned {} columns where {} were asked",
                                in->num_columns(), fetched_->fields.size()),
                    backend_);
      std::vector<Column> storage;
      const auto cols = columns_as(*in, types_, rows_in_, backend_, storage);
      rows_in_ += in->num_rows();
      Batch typed(fetched_);
      for (size_t c = 0; c < cols.size(); ++c)
        typed.column(c) = cols[c] == &in->column(c) ? std::move(in->column(c)) : std::move(storage[c]);
      for (size_t r = 0; r < in->num_rows(); ++r) typed.commit_row();
      Batch out = fetched_->fields.size() == output_->fields.size() && !residual_
                      ? std::move(typed)
                      : filter_and_project(std::move(typed), residual_, output_);
      if (limit_ && returned_ + out.num_rows() > *limit_) out.truncate(*limit_ - returned_);
      returned_ += out.num_rows();
      if (out.num_rows() > 0) return out;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<BatchReader> inner_;
  std::shared_ptr<const Schema> fetched_, output_;
  std::optional<Filter> residual_;
  std::optional<uint64_t> limit_;
  std::string backend_;
  std::string sql_;
  std::vector<Type> types_;
  uint64_t rows_in_ = 0, returned_ = 0;
};

}  // namespace

std::string like_column(std::string_view column) {
  return std::string(kLikeMarker) + std::string(column);
}

std::optional<std::string> liked_column(std::string_view name) {
  if (!name.starts_with(kLikeMarker)) return std::nullopt;
  return std::string(name.substr(kLikeMarker.size()));
}

bool runs_join_views(const Connection& conn) {
#if POLYDB_WITH_POSTGRES
  if (dynamic_cast<const postgres::PgConnection*>(&conn)) return true;
#endif
#if POLYDB_WITH_MYSQL
  if (dynamic_cast<const mysql::MysqlConnection*>(&conn)) return true;
#endif
  return dynamic_cast<const sqlite::SqliteConnection*>(&conn) != nullptr;
}

std::unique_ptr<BatchReader> scan_join(Connection& conn, const JoinSpec& join, const Schema& view,
                                       const ScanSpec& spec) {
  auto dialect = dialect_of(conn);
  if (!dialect)
    throw Error(ErrorCode::unsupported,
                fmt::format("{} does not run joins for polydb (join pushdown is for PostgreSQL, "
                            "MariaDB/MySQL and SQLite)",
                            conn.backend()),
                std::string(conn.backend()));
  if (!spec.order_by.empty() || !spec.aggregates.empty() || spec.partition.count > 1)
    throw Error(ErrorCode::unsupported,
                "a join view reads no order, aggregates or partitions", std::string(conn.backend()));

  // Each conjunct of the filter goes to the member whose columns it reads.
  std::vector<Filter> conjuncts;
  if (spec.filter) {
    if (spec.filter->kind == Filter::Kind::all_of) conjuncts = spec.filter->children;
    else conjuncts.push_back(*spec.filter);
  }
  std::vector<Value> params;
  std::vector<Filter> residual;
  std::string from;
  for (size_t m = 0; m < join.members.size(); ++m) {
    auto [table, leaf] = dialect->member(join.members[m].table, params);
    std::vector<std::string> where;
    for (const auto& c : conjuncts) {
      if (member_of(c, join, view) != m) continue;
      if (c.kind == Filter::Kind::compare && liked_column(c.column)) {
        // Only narrows what comes back: SQLite checks LIKE itself.
        const auto i = view.index_of(*liked_column(c.column));
        if (dialect->like && c.values.size() == 1 && c.values[0].type_id() == TypeId::string)
          if (auto sql = dialect->like(join.columns[*i].column, c.values[0].as<std::string>()))
            where.push_back(*sql);
        continue;
      }
      auto own = for_member(c, join, view, m);
      const size_t mark = params.size();
      auto sql = own ? filter_to_sql(*own, leaf) : std::nullopt;
      if (sql) {
        where.push_back(*sql);
      } else {
        params.resize(mark);
        residual.push_back(c);
      }
    }
    const std::string alias = dialect->quote(fmt::format("t{}", m));
    std::string item = table;
    if (!where.empty()) {
      item = "(SELECT * FROM " + table + " WHERE ";
      for (size_t i = 0; i < where.size(); ++i) item += (i ? " AND " : "") + where[i];
      item += ")";
    }
    from += (m ? ", " : "") + item + " AS " + alias;
  }
  for (const auto& c : conjuncts)
    if (!member_of(c, join, view)) residual.push_back(c);

  // Columns: those asked for, then those only the residual filter reads.
  std::vector<std::string> names = spec.columns;
  if (names.empty())
    for (const auto& f : view.fields) names.push_back(f.name);
  auto output = std::make_shared<Schema>();
  for (const auto& n : names) output->fields.push_back(view.field(n));
  auto fetched = std::make_shared<Schema>(*output);
  for (const auto& r : residual)
    for (const auto& c : r.columns())
      if (!fetched->index_of(c)) fetched->fields.push_back(view.field(c));
  std::string select;
  for (const auto& f : fetched->fields) {
    const auto& col = join.columns[*view.index_of(f.name)];
    select += fmt::format("{}{}.{} AS {}", select.empty() ? "" : ", ",
                          dialect->quote(fmt::format("t{}", col.member)), dialect->quote(col.column),
                          dialect->quote(f.name));
  }
  std::string sql = "SELECT " + select + " FROM " + from;
  for (size_t i = 0; i < join.conditions.size(); ++i) {
    const auto& c = join.conditions[i];
    sql += fmt::format("{}{}.{} = {}.{}", i ? " AND " : " WHERE ",
                       dialect->quote(fmt::format("t{}", c.left)), dialect->quote(c.left_column),
                       dialect->quote(fmt::format("t{}", c.right)), dialect->quote(c.right_column));
  }
  std::optional<Filter> rest;
  if (!residual.empty()) rest = residual.size() == 1 ? residual[0] : Filter::all_of(residual);
  if (spec.limit && !rest) sql += fmt::format(" LIMIT {}", *spec.limit);

  QueryOptions options;
  options.batch_rows = spec.batch_rows;
  options.batch_bytes = spec.batch_bytes;
  options.exclusive = true;  // the federation leases the connection to this read
  logger("query")->debug("join view: {}", sql);
  auto inner = conn.query(sql, params, options);
  return std::make_unique<JoinReader>(std::move(inner), std::move(fetched), std::move(output),
                                      std::move(rest), spec.limit, std::string(conn.backend()),
                                      sql);
}

}  // namespace polydb::query
