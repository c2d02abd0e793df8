#include "connectors/odbc/text.hpp"

#include "core/encoding.hpp"

namespace polydb::odbc {

size_t write_utf16(std::string_view text, char16_t* out) noexcept {
  char16_t* p = out;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {  // ASCII fast path
      *p++ = static_cast<char16_t>(c);
      ++i;
      continue;
    }
    char32_t cp = next_code_point(text, i);
    if (cp == kInvalidCodePoint) cp = 0xFFFD;
    if (cp >= 0x10000) {  // 4 UTF-8 bytes -> 2 units
      cp -= 0x10000;
      *p++ = static_cast<char16_t>(0xD800 + (cp >> 10));
      *p++ = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else {
      *p++ = static_cast<char16_t>(cp);
    }
  }
  return static_cast<size_t>(p - out);
}

void append_utf16(std::string_view text, std::u16string& out) {
  const size_t old = out.size();
  out.resize(old + text.size());
  out.resize(old + write_utf16(text, out.data() + old));
}

std::u16string to_utf16(std::string_view text) {
  std::u16string out;
  append_utf16(text, out);
  return out;
}

namespace {

// Appends the ASCII run at units[i..] to `out` in one resize (push_back per
// character showed in profiles of wide-text reads); returns where it ends.
size_t append_ascii_run(const char16_t* units, size_t i, size_t n, std::string& out) {
  size_t j = i;
  while (j < n && units[j] < 0x80) ++j;
  const size_t old = out.size();
  out.resize(old + (j - i));
  char* dst = out.data() + old;
  for (size_t k = i; k < j; ++k) *dst++ = static_cast<char>(units[k]);
  return j;
}

}  // namespace

void append_utf8(const char16_t* units, size_t n, std::string& out) {
  out.reserve(out.size() + n);
  for (size_t i = 0; i < n; ++i) {
    i = append_ascii_run(units, i, n, out);
    if (i == n) break;
    char32_t cp = units[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    }
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(std::u16string_view text) {
  std::string out;
  append_utf8(text.data(), text.size(), out);
  return out;
}

}  // namespace polydb::odbc
