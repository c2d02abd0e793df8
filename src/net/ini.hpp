#pragma once

// A small INI reader for the AWS shared config and credentials files
// (private header of polydb_net).

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace polydb::net {

/// Sections of an INI text: section name -> key -> value.
///
/// Follows what the AWS CLI (Python's configparser) accepts: `[section]`
/// headers (names trimmed, case kept); `key = value` or `key: value` lines
/// with keys lowercased and keys and values trimmed; whole-line comments
/// starting with '#' or ';'; CRLF line ends and a UTF-8 byte-order mark.
/// Indented lines continue the previous value (AWS nests `s3 =` settings that
/// way); they are joined with '\n'. Later duplicates of a key or a section
/// override or extend earlier ones. Lines before the first section and lines
/// that are not `key = value` are ignored rather than fatal, so that one odd
/// line does not hide every profile.
using IniSections = std::map<std::string, std::map<std::string, std::string>, std::less<>>;

/// Parses `text` as described above. Never throws except std::bad_alloc.
IniSections parse_ini(std::string_view text);

}  // namespace polydb::net
