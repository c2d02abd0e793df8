#pragma once

// Whether a MySQL/MariaDB server offers TLS, read from its greeting before
// any credential is sent (private to the connector).

#include <chrono>
#include <cstdint>
#include <string>

namespace polydb::mysql {

/// Connects to `host`:`port` over TCP, reads the server's initial handshake
/// packet and closes: true when it advertises CLIENT_SSL. libmariadb with
/// ssl-mode=REQUIRED (enforce without verification) goes on without TLS when
/// the server has none; auth=aws-iam asks this first, because its token must
/// never be sent in clear. Throws Error(connection) when the server cannot be
/// reached or does not greet within `timeout`.
bool server_offers_tls(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace polydb::mysql
