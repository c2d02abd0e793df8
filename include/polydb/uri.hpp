#pragma once

/// polydb::Uri — connection URLs (`postgresql://app@127.0.0.1:55432/shop`,
/// `sqlite:///data/orders.db`, `dynamodb://us-east-1?endpoint=...`, ...) and
/// the helpers that keep credentials in them out of messages and logs.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "polydb/secret.hpp"

namespace polydb {

/// A parsed connection URL. Plain data: every member is public and may be
/// edited before rendering it again. Thread-compatible.
///
/// Two forms are accepted (RFC 3986):
///  - authority form `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`,
///    e.g. `postgresql://app:pw@[::1]:5432/shop?sslmode=require`,
///    `sqlite:///abs/path.db` (empty host), `odbc://?dsn=NAME`;
///  - opaque form `scheme:rest[?query][#fragment]`, e.g. `sqlite:relative/x.db`
///    and `sqlite::memory:`, where the decoded rest becomes `path`.
///
/// Parsing is generic: it does not check that the scheme names a backend
/// (the connector registry does) nor which options a backend understands.
///
/// Printing: `to_string()` shows the password and secret-looking option
/// values as `***` and is what goes into messages and logs;
/// `to_string_with_secrets()` is only for handing to a driver.
struct Uri {
  std::string scheme;                 ///< lowercased, e.g. "postgresql"
  std::string user;                   ///< percent-decoded; "" when absent
  Secret password;                    ///< percent-decoded; empty when absent
  std::string host;                   ///< decoded; IPv6 without brackets ("::1", "fe80::1%eth0")
  std::optional<std::uint16_t> port;  ///< 1-65535 when given
  std::string path;                   ///< decoded; keeps the leading '/' of the authority form
  /// Decoded `key=value` pairs in URL order; repeated keys are kept; a key
  /// without '=' has an empty value. Only %XX is decoded: '+' stays '+'.
  std::vector<std::pair<std::string, std::string>> query;
  std::string fragment;  ///< decoded text after '#'; "" when absent
  bool opaque = false;   ///< true for the `scheme:rest` form (no "//")

  /// Parses `text`. Throws Error(invalid_argument) for an empty text, a text
  /// without a scheme (`orders.db`), a port that is not a number in 1-65535,
  /// an unterminated or invalid IPv6 literal, a bad percent escape, control
  /// characters anywhere, spaces or invalid characters in the authority, and
  /// credentials that look split by an unencoded '/', '?', '#' or '@'. The
  /// message names the problem and quotes the URL through
  /// `redact_url_text`, never the password.
  static Uri parse(std::string_view text);

  /// The value of the first query option whose key matches `key` by
  /// `option_keys_equal` (`ssl-mode` == `SSL_MODE`). nullopt when absent.
  std::optional<std::string> option(std::string_view key) const;

  /// Sets option `key` (matched by `option_keys_equal`): the first matching entry
  /// takes the new key spelling and value, later matches are removed; when
  /// none matches, the option is appended.
  void set_option(std::string_view key, std::string value);

  /// `path` without its leading '/': the database name of server URLs
  /// (`postgresql://h/shop` -> "shop").
  std::string database() const;

  /// The URL re-encoded for messages and logs: the password and the values of
  /// secret options (see `is_secret_option_key`) become `***`; other option
  /// values go through `redact_url_text`, which catches credentials nested in
  /// them (`connection-string=...;PWD=...`, `endpoint=http://u:p@h`).
  std::string to_string() const;

  /// The URL re-encoded with every credential in clear, for handing to a
  /// driver. Never log it. `parse(u.to_string_with_secrets()) == u`.
  std::string to_string_with_secrets() const;

  bool operator==(const Uri&) const = default;
};

/// Decodes `%XX` escapes (either case of hex digit); '+' stays '+'. Throws
/// Error(invalid_argument) when a '%' is not followed by two hex digits; the
/// message does not quote the text, which may be a credential.
std::string percent_decode(std::string_view text);

/// Encodes as `%XX` (uppercase hex) every byte outside RFC 3986's unreserved
/// set (A-Z a-z 0-9 - . _ ~) and outside `keep_extra`.
std::string percent_encode(std::string_view text, std::string_view keep_extra = "");

/// True when two option keys name the same option: ASCII case-insensitive,
/// with '-' and '_' treated as equal (`ssl-mode` == `SSL_MODE`).
bool option_keys_equal(std::string_view a, std::string_view b);

/// True when an option named `key` holds a credential, so that its value is
/// redacted. The key is normalised first (ASCII lowercase, '_' -> '-'); it is
/// secret when it equals one of: password passwd pwd pass key secret token sig
/// signature sas sas-token auth authorization credential credentials api-key
/// apikey x-api-key access-key access-key-id secret-key secret-access-key session-token
/// account-key accountkey master-key masterkey private-key client-secret
/// sharedaccesskey sharedaccesssignature; or when it contains one of:
/// password passwd pwd secret token credential signature. Keys such as
/// `partition-key` or `sslkey` (a file path) are not secret.
bool is_secret_option_key(std::string_view key);

/// Best-effort redaction of text that holds URLs that may not parse, for
/// error messages and logs. It
///  - replaces the password of `scheme://user:password@host` with `***`,
///    taking the last '@' before the next "://" (or a newline) so that
///    passwords with unencoded '/', '?', '#', '@' or spaces are hidden too;
///    text without any "://" is treated as one `user:password@host` candidate;
///  - replaces the value of every `key=value` whose key is secret by
///    `is_secret_option_key`, after '?', '&', ';', ',', whitespace or the
///    start of the text (also their %-encoded forms, so a percent-encoded
///    ODBC connection string is covered), up to the next such separator, or
///    a whole `{...}` / quoted value.
/// It errs on the side of hiding: prose containing ':' and '@' may lose a
/// few characters to `***`.
std::string redact_url_text(std::string_view text);

}  // namespace polydb
