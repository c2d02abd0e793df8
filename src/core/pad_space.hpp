// The one rule of Collation::pad_space (include/polydb/type.hpp): trailing
// blanks (U+0020) are not part of a value when it is compared.
#pragma once

#include <string_view>

namespace polydb {

/// `s` without its trailing blanks; tabs and other white space stay.
inline std::string_view without_trailing_blanks(std::string_view s) noexcept {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace polydb
