#pragma once

// Keeping credentials out of HTTP logs (private header of polydb_net).

#include <string>
#include <string_view>

#include "net/headers.hpp"

namespace polydb::net {

/// True when a header named `name` carries a credential, so that its value is
/// never logged: Authorization, Proxy-Authorization, Cookie, Set-Cookie,
/// X-Amz-Security-Token, and any name (ASCII case-insensitive) that contains
/// "auth", "key", "token", "secret", "signature", "credential", "password" or
/// "sas" after an "x-ms-" prefix — e.g. x-ms-authorization-auxiliary,
/// x-ms-encryption-key, x-goog-api-key. Errs on the side of hiding.
bool is_secret_header(std::string_view name);

/// `value`, or "***" when `name` is a secret header.
std::string redact_header_value(std::string_view name, std::string_view value);

/// A URL for logs and messages: its userinfo password and the values of
/// credential query parameters (X-Amz-Signature, X-Amz-Credential,
/// X-Amz-Security-Token, sig, ...; see polydb::is_secret_option_key) become "***".
std::string redact_url_for_log(std::string_view url);

/// "Name: value" lines (one per field, "\n"-separated) with secret values redacted.
std::string format_headers_for_log(const Headers& headers);

}  // namespace polydb::net
