#pragma once

// Text encodings shared by output and connectors: UTF-8 decoding, JSON string
// quoting, base64 (RFC 4648) and ASCII case folding (keywords, type names,
// option keys). Private to polydb (not part of the public API).

#include <string>
#include <string_view>

namespace polydb {

/// Returned by next_code_point() for a malformed sequence.
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;
/// U+FFFD, what invalid UTF-8 becomes in JSON output.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// Decodes the UTF-8 sequence at s[i] and advances i past it. Returns
/// kInvalidCodePoint (advancing one byte) for a malformed, overlong or
/// surrogate sequence.
char32_t next_code_point(std::string_view s, size_t& i);

/// Appends `text` as a JSON string literal (quotes included) to `out`;
/// invalid UTF-8 becomes U+FFFD, control characters are escaped.
void append_json_quoted(std::string_view text, std::string& out);
/// `text` as a JSON string literal.
std::string json_quote(std::string_view text);

/// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64 (padding and line breaks ignored). Throws
/// Error(corruption) for any other character.
std::string base64_decode(std::string_view text);

/// `text` with ASCII letters lowercased (other bytes, UTF-8 included, kept).
std::string ascii_lower(std::string_view text);
/// `text` with ASCII letters uppercased (other bytes, UTF-8 included, kept).
std::string ascii_upper(std::string_view text);

}  // namespace polydb
