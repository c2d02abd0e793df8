#pragma once

// UTF-8 <-> UTF-16 for the ODBC wide-character API (SQLWCHAR is UTF-16 with
// unixODBC). polydb talks to drivers in UTF-16 only: the narrow API's
// encoding depends on the driver and the process locale.

#include <string>
#include <string_view>

namespace polydb::odbc {

/// Appends `text` (UTF-8) to `out` as UTF-16 code units. Invalid UTF-8
/// becomes U+FFFD.
void append_utf16(std::string_view text, std::u16string& out);
/// Writes `text` as UTF-16 to `out`, which has room for text.size() units
/// (never exceeded: a UTF-8 byte makes at most one unit); returns the units written.
size_t write_utf16(std::string_view text, char16_t* out) noexcept;
std::u16string to_utf16(std::string_view text);

/// Appends `n` UTF-16 code units at `units` to `out` as UTF-8. Unpaired
/// surrogates become U+FFFD.
void append_utf8(const char16_t* units, size_t n, std::string& out);
std::string to_utf8(std::u16string_view text);

}  // namespace polydb::odbc
