#pragma once

// The DynamoDB JSON protocol (API version 2012-08-10) over polydb_net:
// POST / with X-Amz-Target: DynamoDB_20120810.<Operation>, a JSON body,
// SigV4 (service "dynamodb") and retries with backoff.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/http.hpp"
#include "net/retry.hpp"
#include "net/sigv4.hpp"
#include "polydb/uri.hpp"

namespace polydb::dynamodb {

using Json = nlohmann::ordered_json;  // keeps the attribute order of responses

/// Sends one operation and returns the parsed response; the seam that the
/// writer's UnprocessedItems loop is unit-tested through.
using Caller = std::function<Json(std::string_view operation, const Json& body)>;

/// Where and how to reach DynamoDB, from a `dynamodb://REGION?endpoint=URL` URL.
struct Endpoint {
  std::string region;
  std::string url;  ///< "https://dynamodb.us-east-1.amazonaws.com" or the endpoint option
};
/// Reads the region (URL host, else AWS_REGION/AWS_DEFAULT_REGION/profile) and
/// the endpoint. Throws Error(invalid_argument) when there is no region.
Endpoint endpoint_from_uri(const Uri& uri);

/// One signed HTTP client for DynamoDB. Single-threaded (one curl handle).
class Api {
 public:
  Api(Endpoint endpoint, net::AwsCredentials credentials, net::HttpOptions http,
      net::RetryPolicy policy);

  /// Calls `operation` ("Scan", "PutItem", ...) with `body`; `what` names
  /// the call in errors ("DynamoDB Scan on orders"). Retries throttling,
  /// 5xx and transport failures; throws the classified Error otherwise.
  Json call(std::string_view operation, const Json& body, std::string_view what = {});

  /// Another Api to the same endpoint with the same credentials and options
  /// (its own connection), for a second thread.
  std::unique_ptr<Api> clone() const;

  /// A Caller bound to this Api.
  Caller caller() {
    return [this](std::string_view op, const Json& body) { return call(op, body); };
  }

  const Endpoint& endpoint() const noexcept { return endpoint_; }
  const net::RetryPolicy& policy() const noexcept { return policy_; }
  /// The connection's stop token (ConnectOptions::stop): waits between
  /// retries end on it too.
  std::stop_token stop() const noexcept { return http_.stop; }

 private:
  Endpoint endpoint_;
  net::SigV4Signer signer_;
  net::HttpOptions http_;
  net::HttpClient client_;
  net::RetryPolicy policy_;
};

/// The waits of a batch call that leaves work undone (BatchWriteItem's
/// UnprocessedItems, BatchGetItem's UnprocessedKeys: throttling, or a
/// response at its size cap): exponential backoff with full jitter, counted
/// from the calls that made no progress. One per chunk of requests;
/// single-threaded.
class UnprocessedBackoff {
 public:
  /// `what` names the call in errors and logs ("DynamoDB BatchGetItem on
  /// orders"), `unit` what is left ("key(s)"); `pending` is the chunk's size.
  /// `clock` is borrowed (null = the system clock); a stop request on
  /// `stop` ends a wait early.
  UnprocessedBackoff(const net::RetryPolicy& policy, net::RetryClock* clock, std::string what,
                     std::string unit, size_t pending, std::stop_token stop = {});

  /// After the `attempt`-th call (1-based) left `left` (> 0) requests undone:
  /// the wait before resending them. Throws Error(throttled, retryable) when
  /// the policy's attempts passed without progress or its deadline would pass.
  std::chrono::milliseconds delay(size_t left, int attempt);
  /// Waits `delay`; Error(cancelled) when a stop request ends the wait.
  void sleep(std::chrono::milliseconds delay);

 private:
  net::RetryPolicy policy_;
  net::RetryClock& clock_;
  std::stop_token stop_;
  std::string what_, unit_;
  size_t pending_;
  int stalled_ = 0;  // calls in a row without progress
  std::chrono::steady_clock::time_point start_;
  std::mt19937_64 rng_;
};

}  // namespace polydb::dynamodb
