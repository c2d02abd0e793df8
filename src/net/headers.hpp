#pragma once

// HTTP header fields with case-insensitive lookup (private header of polydb_net).

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace polydb::net {

/// True when `a` and `b` are equal ignoring ASCII case (HTTP field names).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// ASCII lowercase copy of `text`.
std::string ascii_lower(std::string_view text);

/// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view trim_http_space(std::string_view text) noexcept;

/// An ordered list of HTTP header fields. Names keep the spelling they were
/// added with and are matched ASCII case-insensitively (`content-type` ==
/// `Content-Type`); a name may repeat (the order of repeated fields is kept,
/// as HTTP requires). Plain value type, thread-compatible.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;  ///< {name, value}

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  /// Appends a field, keeping any earlier field of the same name.
  void add(std::string name, std::string value);

  /// Replaces the value of the first field named `name` (keeping its position
  /// and removing later repeats) or appends the field when absent.
  void set(std::string_view name, std::string value);

  /// Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  /// The value of the first field named `name`; nullopt when absent. The view
  /// is valid until this object is modified.
  std::optional<std::string_view> get(std::string_view name) const;

  /// True when a field named `name` is present.
  bool contains(std::string_view name) const { return get(name).has_value(); }

  /// Every field in order.
  const std::vector<Field>& fields() const noexcept { return fields_; }
  std::vector<Field>::const_iterator begin() const noexcept { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  void clear() noexcept { fields_.clear(); }

  bool operator==(const Headers&) const = default;

 private:
  std::vector<Field> fields_;
};

}  // namespace polydb::net
