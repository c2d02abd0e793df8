#include "cli/options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

#include "polydb/error.hpp"

namespace polydb::cli {

std::string group_digits(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

uint64_t parse_count(std::string_view text, uint64_t min, uint64_t max) {
  auto fail = [&]() -> Error {
    // The value is what the user typed: shown in full unless it is huge.
    const std::string shown =
        text.size() > 40 ? std::string(text.substr(0, 40)) + "..." : std::string(text);
    return Error(ErrorCode::invalid_argument,
                 fmt::format("'{}' is not a whole number from {} to {}", shown, group_digits(min),
                             group_digits(max)));
  };
  // from_chars alone would accept a leading '-' and stop at the first
  // non-digit: insist on digits only.
  if (text.empty()) throw fail();
  for (char c : text)
    if (c < '0' || c > '9') throw fail();
  uint64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size()) throw fail();  // out of range
  if (value < min || value > max) throw fail();
  return value;
}

}  // namespace polydb::cli
