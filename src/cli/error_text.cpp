#include "cli/error_text.hpp"

namespace polydb::cli {

std::string_view flag_hint(Hint hint) noexcept {
  switch (hint) {
    case Hint::none:
      return "";
    case Hint::write_mode:
      return "use --mode append, replace or upsert";
    case Hint::upsert_mode:
      return "use --mode upsert";
    case Hint::replace_mode:
      return "use --mode replace";
    case Hint::key_columns:
      return "pass --key COL[,COL]";
    case Hint::non_atomic:
      return "add --non-atomic";
    case Hint::list_tables:
      return "`polydb ls CONN` lists them";
    case Hint::describe_table:
      return "`polydb describe CONN TABLE` lists the columns";
    case Hint::list_or_describe:
      return "`polydb ls` and `polydb describe` show what exists";
    case Hint::bind_params:
      return "pass one -p VALUE per placeholder (-p @NAME=VALUE by name)";
    case Hint::typed_param:
      return "give the -p value a type, e.g. -p text:VALUE";
    case Hint::copy:
      return "`polydb copy` copies tables";
    case Hint::read_and_write:
      return "query with `polydb sql`, write with `polydb copy`";
    case Hint::create_if_missing:
      return "`polydb copy` into it creates it";
    case Hint::max_remote_calls:
      return "raise --max-remote-calls";
    case Hint::attach:
      return "attach one with --attach NAME=CONN";
    case Hint::drop_limit_or_parallel:
      return "drop --limit or --parallel";
    case Hint::drop_limit_or_chunks:
      return "drop --limit or --chunked";
    case Hint::create_or_unchunked:
      return "drop the table and use --mode create, or drop --chunked";
    case Hint::chunked_copy:
      return "add --chunked, or drop --resume, --job, --state and --chunk-by";
    case Hint::one_reader_or_chunks:
      return "drop --parallel, or add --chunked";
  }
  return "";
}

bool usage_hint(Hint hint) noexcept {
  switch (hint) {
    case Hint::non_atomic:
    case Hint::drop_limit_or_parallel:
    case Hint::drop_limit_or_chunks:
    case Hint::create_or_unchunked:
    case Hint::chunked_copy:
    case Hint::one_reader_or_chunks:
      return true;
    default:
      return false;
  }
}

std::string error_text(const Error& e) {
  const std::string_view flags = flag_hint(e.hint());
  if (flags.empty()) return e.message();
  return e.message() + "; " + std::string(flags);
}

}  // namespace polydb::cli
