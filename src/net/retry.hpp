#pragma once

// Retries with exponential backoff and full jitter, shared by every cloud
// connector (private header of polydb_net).
//
//   auto page = net::retry(policy, net::retry_if_retryable, [&] { return fetch(); });
//
//   HttpResponse r = net::send_with_retry(client, policy,
//       [&] { return signer.signed_copy(request); },       // re-signed per attempt
//       [&](const HttpResponse& resp) { return classify_dynamodb(resp); });

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "net/headers.hpp"
#include "net/http.hpp"
#include "polydb/error.hpp"

namespace polydb::net {

/// How long and how often to retry. Plain data.
struct RetryPolicy {
  /// Attempts in total, the first included; 1 disables retrying.
  int max_attempts = 5;
  /// Backoff before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2^(n-1))]
  /// ("full jitter": spreads retrying clients out instead of synchronising them).
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20'000};
  /// No retry starts once it would end later than this after the first
  /// attempt began; zero = no deadline.
  std::chrono::milliseconds deadline{120'000};
  /// Upper bound on a server's hint (Retry-After, x-ms-retry-after-ms).
  std::chrono::milliseconds max_server_delay{60'000};
};

/// A classifier's verdict on one failed attempt.
struct RetryAdvice {
  bool retry = false;  ///< worth trying again
  /// The server's requested wait; when set it replaces the backoff delay.
  std::optional<std::chrono::milliseconds> server_delay;
};

/// Decides whether an Error thrown by an attempt is worth retrying. The retry
/// loop never retries `auth`, `invalid_argument`, `type_mismatch` or
/// `cancelled` errors, whatever the classifier says.
using RetryClassifier = std::function<RetryAdvice(const Error&)>;

/// The default classifier: retry exactly when `error.retryable()` (throttled,
/// timeout, connection errors — unless their thrower said otherwise).
RetryAdvice retry_if_retryable(const Error& error);

/// Time and waiting for the retry loop; replace it in tests so that they run
/// instantly and deterministically.
class RetryClock {
 public:
  virtual ~RetryClock() = default;
  /// Monotonic time, for the deadline.
  virtual std::chrono::steady_clock::time_point now() = 0;
  /// Wall-clock time, to turn a Retry-After HTTP date into a delay.
  virtual std::chrono::system_clock::time_point wall_now() = 0;
  /// Waits `delay`, or less when `stop` is requested; returns false when
  /// `stop` was requested.
  virtual bool sleep_for(std::chrono::milliseconds delay, std::stop_token stop) = 0;
};

/// The real clock (steady_clock, system_clock, an interruptible sleep). Thread-safe.
RetryClock& system_retry_clock();

/// Where a retry loop runs: injectable clock and random source, a stop token,
/// and what to call the operation in log lines.
struct RetryContext {
  std::string what = "request";  ///< e.g. "DynamoDB PutItem on orders"; no secrets
  RetryClock* clock = nullptr;   ///< borrowed; null = system_retry_clock()
  /// Uniform numbers in [0, 1) for the jitter; empty = a thread-local PRNG.
  std::function<double()> random;
  /// A stop request ends the wait between attempts with Error(cancelled).
  std::stop_token stop;
  std::string log_name = "retry";  ///< warn lines per retry go to this logger
};

/// The backoff before retry `retry_number` (1 = the first retry) for a
/// jitter sample `unit_random` in [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_number,
                                        double unit_random);

namespace detail {
/// The loop behind `retry`: calls `attempt` until it returns without
/// throwing, a failure is not retryable, attempts run out or the deadline
/// would pass. Throws the last Error; when it gave up on a retryable error,
/// the message says after how many attempts and how long.
void run_with_retry(const RetryPolicy& policy, const RetryClassifier& classify,
                    const std::function<void()>& attempt, const RetryContext& context);
}  // namespace detail

/// Calls `fn()` until it returns a value, retrying failures (polydb::Error)
/// that `classify` calls retryable, waiting the backoff (or the server's
/// hint) in between, and logging each retry at `warn`. Rethrows a
/// non-retryable error at once and the last error when attempts or the
/// deadline run out; throws Error(cancelled) when `context.stop` is requested
/// during a wait. Other exception types pass through untouched.
template <class Fn>
std::invoke_result_t<Fn&> retry(const RetryPolicy& policy, const RetryClassifier& classify, Fn&& fn,
                                const RetryContext& context = {}) {
  using Result = std::invoke_result_t<Fn&>;
  if constexpr (std::is_void_v<Result>) {
    detail::run_with_retry(
        policy, classify, [&] { fn(); }, context);
  } else {
    std::optional<Result> result;
    detail::run_with_retry(
        policy, classify, [&] { result.emplace(fn()); }, context);
    return std::move(*result);
  }
}

/// Parses an HTTP date (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the
/// obsolete RFC 850 and asctime forms). nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

/// The wait a response asks for: `x-ms-retry-after-ms` or `retry-after-ms`
/// (milliseconds, Azure), else `Retry-After` (seconds or an HTTP date, taken
/// relative to `now`; a past date is zero). nullopt without a usable hint.
std::optional<std::chrono::milliseconds> retry_after_hint(
    const Headers& headers, std::chrono::system_clock::time_point now);

/// The ErrorCode an HTTP status maps to: 400/413/other 4xx invalid_argument,
/// 401/403 auth, 404 not_found, 405/501 unsupported, 408/504 timeout,
/// 409/412 conflict, 429/503 throttled, other 5xx connection (retryable).
ErrorCode error_code_for_status(long status);

/// An Error for a failed response: the code from `error_code_for_status`,
/// or `throttled` when `service_code` is one of `throttling_codes` (e.g.
/// DynamoDB's ProvisionedThroughputExceededException arrives as a 400). The
/// message names the status, the service's code and message and what to do;
/// the detail holds the start of the body, redacted; the native code is
/// http_native_code(status, service_code).
Error http_status_error(const HttpResponse& response, std::string_view backend,
                        std::string_view service_code = {}, std::string_view service_message = {},
                        std::span<const std::string_view> throttling_codes = {});

/// Error::native_code() of an HTTP service's error: "HTTP 429", or with the
/// service's own code "HTTP 400 ResourceNotFoundException".
std::string http_native_code(long status, std::string_view service_code = {});

/// Turns a response into nullopt (a success, or an answer the caller handles
/// itself, such as a 404 on a probe) or the Error it means.
using ResponseClassifier = std::function<std::optional<Error>(const HttpResponse&)>;

/// Sends `make_request()` with `client` until `classify` accepts the
/// response, retrying transport errors and response errors that are
/// retryable, honouring the response's retry hints (`retry_after_hint`).
/// `make_request` runs before every attempt so that signatures, dates and
/// streamed bodies are fresh. Throws like `retry`.
HttpResponse send_with_retry(HttpClient& client, const RetryPolicy& policy,
                             const std::function<HttpRequest()>& make_request,
                             const ResponseClassifier& classify, const RetryContext& context = {});

}  // namespace polydb::net
