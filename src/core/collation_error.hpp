// The one refusal of a comparison that only the engine can make: a value of
// a column whose collation is the engine's own (is_case_insensitive) that
// collation_key() cannot fold. polydb says so instead of answering
// differently from the engine.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "polydb/error.hpp"
#include "polydb/type.hpp"

namespace polydb {

inline Error refused_comparison(const Field& field, std::string_view value) {
  std::string shown = "'";
  for (char c : value.substr(0, 64)) shown += c == '\'' ? std::string("''") : std::string(1, c);
  shown += value.size() > 64 ? "...'" : "'";
  const std::string_view collation =
      field.collation_name.empty() ? to_string(field.collation) : field.collation_name;
  return Error(ErrorCode::unsupported,
               fmt::format("cannot compare column '{}' as its engine does: {} is compared under "
                           "the case-insensitive collation {}, whose rules beyond printable "
                           "ASCII (other letters, accents, control characters) are the "
                           "engine's own. Let the backend evaluate the condition (a filter on "
                           "this one table), or compare bytewise (COLLATE BINARY in a federated "
                           "query)",
                           field.name, shown, collation));
}

}  // namespace polydb
