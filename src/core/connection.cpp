// Small helpers declared in connection.hpp that need no backend.

#include <fmt/format.h>

#include "polydb/connection.hpp"
#include "polydb/error.hpp"

namespace polydb {

std::string_view to_string(WriteMode mode) noexcept {
  switch (mode) {
    case WriteMode::create: return "create";
    case WriteMode::append: return "append";
    case WriteMode::replace: return "replace";
    case WriteMode::upsert: return "upsert";
  }
  return "append";
}

WriteMode parse_write_mode(std::string_view text) {
  for (WriteMode m : {WriteMode::create, WriteMode::append, WriteMode::replace, WriteMode::upsert})
    if (text == to_string(m)) return m;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown write mode '{}' (use create, append, replace or upsert)", text));
}

ScanExpr ScanExpr::column(std::string name) {
  ScanExpr e;
  e.kind = Kind::column;
  e.text = std::move(name);
  return e;
}

ScanExpr ScanExpr::number(std::string literal) {
  ScanExpr e;
  e.kind = Kind::number;
  e.text = std::move(literal);
  return e;
}

ScanExpr ScanExpr::binary(Kind kind, ScanExpr a, ScanExpr b) {
  if (kind != Kind::add && kind != Kind::subtract && kind != Kind::multiply)
    throw Error(ErrorCode::internal, "ScanExpr::binary takes add, subtract or multiply");
  ScanExpr e;
  e.kind = kind;
  e.operands.push_back(std::move(a));
  e.operands.push_back(std::move(b));
  return e;
}

ScanExpr ScanExpr::negation(ScanExpr a) {
  ScanExpr e;
  e.kind = Kind::negate;
  e.operands.push_back(std::move(a));
  return e;
}

std::string ScanExpr::to_string() const {
  switch (kind) {
    case Kind::column:
    case Kind::number: return text;
    case Kind::negate: return "-(" + operands.at(0).to_string() + ")";
    case Kind::add:
    case Kind::subtract:
    case Kind::multiply: {
      const char* op = kind == Kind::add ? " + " : kind == Kind::subtract ? " - " : " * ";
      return "(" + operands.at(0).to_string() + op + operands.at(1).to_string() + ")";
    }
  }
  return text;
}

std::string ScanAggregate::to_string() const {
  static constexpr const char* kNames[] = {"count", "count", "sum", "min", "max", "avg"};
  const char* fn_name = kNames[static_cast<int>(fn)];
  if (fn == Fn::count_rows || !argument) return std::string(fn_name) + "(*)";
  std::string arg = argument->to_string();
  if (arg.size() > 2 && arg.front() == '(' && arg.back() == ')') arg = arg.substr(1, arg.size() - 2);
  return std::string(fn_name) + "(" + arg + ")";
}

namespace {

// Whether `e` is integer-valued (only int64 columns and integer literals).
bool integral(const ScanExpr& e, const Schema& table) {
  switch (e.kind) {
    case ScanExpr::Kind::column: {
      const TypeId id = table.field(e.text).type.id;
      if (id == TypeId::int64) return true;
      if (id == TypeId::decimal || id == TypeId::float64) return false;
      throw Error(ErrorCode::unsupported,
                  fmt::format("column '{}' is not a number: it cannot be added or multiplied in "
                              "an aggregate",
                              e.text));
    }
    case ScanExpr::Kind::number: return e.text.find('.') == std::string::npos;
    default: break;
  }
  bool all = true;
  for (const auto& o : e.operands) all = integral(o, table) && all;
  return all;
}

bool has_float(const ScanExpr& e, const Schema& table) {
  if (e.kind == ScanExpr::Kind::column) return table.field(e.text).type.id == TypeId::float64;
  for (const auto& o : e.operands)
    if (has_float(o, table)) return true;
  return false;
}

}  // namespace

Type ScanAggregate::result_type(const Schema& table) const {
  if (fn == Fn::count_rows || fn == Fn::count) {
    if (argument && argument->kind == ScanExpr::Kind::column) (void)table.field(argument->text);
    return Type(TypeId::int64);
  }
  if (!argument)
    throw Error(ErrorCode::invalid_argument, fmt::format("{}() needs an argument", to_string()));
  if ((fn == Fn::min || fn == Fn::max) && argument->kind == ScanExpr::Kind::column) {
    const Field& f = table.field(argument->text);
    if (f.type.id == TypeId::date || f.type.id == TypeId::int64 || f.type.id == TypeId::decimal ||
        f.type.id == TypeId::float64)
      return f.type;
  }
  const bool ints = integral(*argument, table);
  if (fn == Fn::avg) return Type(TypeId::float64);
  if (has_float(*argument, table)) return Type(TypeId::float64);
  return Type(ints ? TypeId::int64 : TypeId::decimal);
}

std::unique_ptr<Snapshot> Connection::snapshot(uint32_t readers) {
  if (readers == 0)
    throw Error(ErrorCode::invalid_argument, "a snapshot is opened for at least one reader",
                std::string(backend()));
  throw Error(ErrorCode::unsupported,
              fmt::format("{} cannot open readers that share one snapshot (read with one "
                          "connection, without parallel workers)",
                          backend()),
              std::string(backend()));
}

std::vector<std::unique_ptr<Connection>> Connection::open_snapshot_readers(uint32_t n) {
  if (n == 0) throw Error(ErrorCode::invalid_argument, "open_snapshot_readers needs n >= 1");
  auto snap = snapshot(n);
  std::vector<std::unique_ptr<Connection>> readers;
  readers.reserve(n);
  for (uint32_t k = 0; k < n; ++k) readers.push_back(snap->open_reader());
  return readers;
}

std::unique_ptr<ChangeWriter> Connection::change_writer(std::string_view table,
                                                        const Schema& schema,
                                                        const ChangeOptions& options) {
  (void)schema;
  (void)options;
  throw Error(ErrorCode::unsupported,
              fmt::format("{} cannot apply change batches (to table '{}')", backend(), table),
              std::string(backend()));
}

std::string_view to_string(ChangeOp op) noexcept {
  switch (op) {
    case ChangeOp::upsert:
      return "upsert";
    case ChangeOp::remove:
      return "remove";
  }
  return "?";
}

}  // namespace polydb
