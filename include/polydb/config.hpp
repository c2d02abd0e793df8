#pragma once

/// polydb::Config — the `polydb.yaml` file: named connections and a few
/// defaults.
///
/// ```yaml
/// connections:
///   shop: postgresql://app@127.0.0.1:55432/shop     # short form: a URL
///   orders:                                         # long form
///     url: sqlite:///data/orders.db
///     password: ${SHOP_DB_PASSWORD}                 # optional, overrides the URL's
///     options:                                      # optional, merged into the query
///       sslmode: require
/// defaults:
///   format: table                                   # table|csv|json|ndjson
///   batch_size: 10000                               # a positive integer
/// log:
///   level: info                                     # trace|debug|info|warn|error|off
/// ```
///
/// Every scalar value (never a key) goes through environment substitution
/// after YAML parsing: `${NAME}` is the variable's value, `${NAME:-default}`
/// is the default when NAME is unset or empty (the default may itself hold
/// `${...}`), and `$$` is a literal `$`; any other `$` is kept as is.
///
/// Loading is strict: unknown keys, wrong types, bad values, duplicate keys,
/// unset variables and malformed connection URLs are all
/// Error(invalid_argument) with a `file:line: ` prefix (1-based) that says
/// what is wrong and what is expected. No message ever contains a password
/// or a secret option value.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/secret.hpp"
#include "polydb/uri.hpp"

namespace polydb {

/// One named connection of the config file.
struct ConnectionConfig {
  std::string name;  ///< `[A-Za-z_][A-Za-z0-9_-]*`, unique in the file
  /// The URL after substitution. It may contain a password: to show it, use
  /// `uri().to_string()`, never this.
  std::string url;
  Secret password;  ///< from `password:`; empty when not given
  /// From `options:`, after substitution, in file order. Values of secret
  /// keys (see is_secret_option_key) are credentials: do not print them.
  std::vector<std::pair<std::string, std::string>> options;
  std::string source;  ///< the config file name, for messages
  int line = 0;        ///< 1-based line of the connection's name in `source`

  /// Parses `url`, then applies `password` (when not empty, it replaces the
  /// URL's) and `options` (each replaces the same key in the query, matched
  /// as by Uri::option, or is appended). Throws Error(invalid_argument)
  /// "`source`:`line`: connection 'NAME': malformed URL '...': ..." when the
  /// URL does not parse. Config::parse has already checked that it does.
  Uri uri() const;
};

/// A loaded config file. Immutable after loading; safe to share between
/// threads for reading.
class Config {
 public:
  /// An empty config: no connections, no defaults.
  Config() = default;

  /// Reads and parses the file at `path` (see parse). Throws
  /// Error(not_found) "config file 'X' not found" when it does not exist,
  /// Error(io) when it cannot be read, and what parse throws; messages name
  /// the file as `path` was given.
  static Config load_file(const std::filesystem::path& path);

  /// Parses YAML text; `source_name` is the file name used in messages.
  /// Reads environment variables for `${...}` substitution (getenv; do not
  /// call concurrently with setenv). Throws Error(invalid_argument) as
  /// described at the top of this header.
  static Config parse(std::string_view yaml_text, std::string_view source_name = "polydb.yaml");

  /// The connection called `name` (case-sensitive), or nullptr. The pointer
  /// borrows from this Config.
  const ConnectionConfig* find(std::string_view name) const;

  /// Connection names in file order.
  std::vector<std::string> connection_names() const;

  /// All connections in file order.
  const std::vector<ConnectionConfig>& connections() const noexcept { return connections_; }

  /// `defaults.format`: one of table, csv, json, ndjson (lowercased).
  std::optional<std::string> default_format() const { return default_format_; }

  /// `defaults.batch_size`: a positive integer.
  std::optional<std::size_t> default_batch_size() const { return default_batch_size_; }

  /// `log.level`: one of trace, debug, info, warn, error, off (lowercased).
  std::optional<std::string> log_level() const { return log_level_; }

 private:
  std::vector<ConnectionConfig> connections_;
  std::optional<std::string> default_format_;
  std::optional<std::size_t> default_batch_size_;
  std::optional<std::string> log_level_;
};

}  // namespace polydb
