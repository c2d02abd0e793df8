#pragma once

// JSON text as polydb hands it out: servers that store JSON in a parsed form
// (PostgreSQL jsonb, MySQL JSON) print it back with spaces of their own.

#include <string>
#include <string_view>

namespace polydb {

/// `text` without the whitespace outside of strings (the JSON value is unchanged).
std::string compact_json(std::string_view text);

}  // namespace polydb
