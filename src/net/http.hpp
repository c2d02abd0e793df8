#pragma once

// polydb::net::HttpClient — HTTP/1.1 and HTTP/2 over libcurl for the cloud
// connectors (private header of polydb_net; libcurl's types stay in http.cpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <stop_token>
#include <string_view>

#include "net/headers.hpp"
#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

/// Supplies a streamed request body: fills the front of `buffer` and returns
/// how many bytes it wrote; 0 means the body is complete. It may throw
/// polydb::Error: the client stops the transfer and rethrows it from `send`
/// (any other exception comes out as Error(internal) with its text).
using BodyReader = std::function<std::size_t(std::span<char> buffer)>;

/// Receives a streamed response body chunk by chunk, in order. It may throw
/// polydb::Error: the client stops the transfer and rethrows it.
using BodySink = std::function<void(std::string_view chunk)>;

/// One HTTP request. Plain data; the client never modifies it.
struct HttpRequest {
  std::string method = "GET";  ///< GET, HEAD, PUT, POST, DELETE, PATCH, ...
  /// Absolute http:// or https:// URL, sent as written (build paths and
  /// queries already percent-encoded; the SigV4 signer signs these bytes).
  std::string url;
  /// Sent in order. A `Host` field replaces the one curl would derive from
  /// the URL (signers set it). Content-Length is set by the client.
  Headers headers;
  /// The body when `body_reader` is empty. POST, PUT and PATCH always send
  /// one (possibly empty, with Content-Length: 0).
  std::string body;
  /// A streamed body instead of `body`. With `body_size` the length is sent
  /// as Content-Length; without it HTTP/1.1 uses chunked encoding (which S3
  /// rejects: give the size there). A reader cannot be rewound, so a request
  /// with a reader is sent at most once per `send`.
  BodyReader body_reader;
  std::optional<std::uint64_t> body_size;
  /// Total time allowed for this request; nullopt = HttpOptions::timeout;
  /// zero = no total limit (the low-speed limit still applies).
  std::optional<std::chrono::milliseconds> timeout;
};

/// One HTTP response. Any status is a response (a 404 or 503 is not thrown):
/// callers classify statuses with their service's error codes (see retry.hpp).
struct HttpResponse {
  long status = 0;  ///< e.g. 200; the final status after any 100 Continue
  Headers headers;  ///< the final response's fields; case-insensitive lookup
  /// The body, already decompressed (gzip, deflate, br, zstd). With
  /// `HttpClient::send_streaming` it holds only a non-2xx response's body
  /// (capped at HttpOptions::max_error_body bytes) and 2xx bodies go to the sink.
  std::string body;

  bool ok() const noexcept { return status >= 200 && status < 300; }
};

/// Connection settings of one HttpClient. Defaults suit cloud services.
struct HttpOptions {
  /// Limit for DNS resolution plus TCP and TLS handshakes.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Default total time per request (HttpRequest::timeout overrides it);
  /// zero = no total limit.
  std::chrono::milliseconds timeout{120'000};
  /// A transfer slower than `low_speed_bytes` per second for `low_speed_time`
  /// fails with a timeout: catches a stalled connection without limiting the
  /// length of a big download.
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{60};
  /// PEM file of trusted CA certificates; "" = the system's bundle.
  std::string ca_bundle;
  /// DANGER: turns off TLS certificate and host name verification, making
  /// the connection open to interception. Only for local emulators with
  /// self-signed certificates (the Cosmos emulator); never for a cloud host.
  bool insecure_skip_tls_verify = false;
  /// Offer HTTP/2 over TLS (ALPN); plain http:// always uses HTTP/1.1.
  bool http2 = true;
  std::string user_agent = "polydb/0.1";
  /// Backend name for errors ("dynamodb", "s3"; "" for polydb itself).
  std::string backend;
  /// Logger name: trace lines per request go to polydb::logger(log_name).
  std::string log_name = "http";
  /// Cap on a non-2xx body kept by send_streaming (error documents are small).
  std::size_t max_error_body = 64 * 1024;
  /// A stop request aborts a transfer in progress (connect included) within
  /// about a second with Error(cancelled); retry loops given this token stop
  /// waiting too.
  std::stop_token stop;
};

/// The HttpOptions of a cloud connector's connection: ConnectOptions::timeout
/// for connects, the idle timeout (`read-timeout` URL option, else
/// ConnectOptions::read_timeout) as the low-speed limit, the stop token.
/// Throws Error(invalid_argument) for a malformed `read-timeout`.
HttpOptions connection_http_options(const Uri& uri, const ConnectOptions& options,
                                    std::string backend);

/// An HTTP client over one libcurl easy handle. Reusing the client reuses its
/// connections (keep-alive, TLS sessions, DNS cache), so keep one per worker.
///
/// Proxies come from the environment as curl reads them: `http_proxy` (lower
/// case only, for plain http), `HTTPS_PROXY`/`https_proxy`, `ALL_PROXY` and
/// `NO_PROXY`/`no_proxy` (host names, domains and IPs that bypass the proxy).
/// Redirects are not followed (a signed request must not move). Only http and
/// https URLs are accepted.
///
/// Not thread-safe: one thread at a time (like a curl easy handle). Move-only.
class HttpClient {
 public:
  /// Throws Error(internal) when libcurl cannot be initialised.
  explicit HttpClient(HttpOptions options = {});
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  /// Sends `request` and returns the response with its whole body.
  /// Throws Error for a transport failure, with the URL redacted in the
  /// message and curl's words in the detail:
  ///  - `timeout` (retryable) when the connect, total or low-speed limit ran out;
  ///  - `connection` (retryable) when the host does not resolve, refuses or
  ///    resets the connection, or the TLS handshake fails; TLS verification
  ///    failures are `connection` too but not retryable;
  ///  - `invalid_argument` for a malformed URL or an unsupported scheme;
  ///  - whatever a BodyReader threw (a std::exception other than Error as
///    Error(internal) with its what() text).
  HttpResponse send(const HttpRequest& request);

  /// Like `send`, but a 2xx response's body goes to `sink` chunk by chunk as
  /// it arrives (constant memory for big objects); other statuses keep their
  /// (capped) body in the response. Also rethrows what `sink` threw. When the
  /// transfer fails midway, `sink` has already seen a prefix of the body.
  HttpResponse send_streaming(const HttpRequest& request, const BodySink& sink);

  const HttpOptions& options() const noexcept { return options_; }

 private:
  HttpResponse perform(const HttpRequest& request, const BodySink* sink);

  struct State;
  HttpOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace polydb::net
