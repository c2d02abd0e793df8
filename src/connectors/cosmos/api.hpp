#pragma once

// The Cosmos DB REST API (x-ms-version 2020-07-15) over polydb_net: one
// HttpClient, master-key or resource-token authorization per request,
// retries of 408/429/449/5xx honouring x-ms-retry-after-ms, and the request
// charge (x-ms-request-charge) of every response summed in a CostMeter.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/cosmos/types.hpp"
#include "net/cosmos_auth.hpp"
#include "net/headers.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "polydb/uri.hpp"

namespace polydb::cosmos {

inline constexpr std::string_view kApiVersion = "2020-07-15";

/// Where and how to reach an account, from
/// `cosmos://ACCOUNT-HOST[:PORT]/DATABASE[/CONTAINER]?key=...&endpoint=URL`.
struct Endpoint {
  std::string url;        ///< "https://acct.documents.azure.com:443", no trailing '/'
  std::string database;   ///< from the URL path; required
  std::string container;  ///< optional second path segment (default container of queries)
  net::CosmosSigner::Kind kind = net::CosmosSigner::Kind::master_key;
  Secret credential;       ///< the key (key=, the URL password, COSMOS_KEY) or resource-token=
  bool insecure_skip_tls_verify = false;
  bool system_properties = false;  ///< system-properties=true: scans show _etag and _ts
  unsigned concurrency = 8;        ///< concurrency=N: parallel requests of a writer
};

/// Reads the endpoint and credentials. Throws Error(invalid_argument) for a
/// URL without database, a bad option value, the unsupported `tls-verify`
/// option (with the name to use instead), and Error(auth) without any key.
Endpoint endpoint_from_uri(const Uri& uri);

/// Sum of the request charges of a connection, shared by every Api it uses
/// (writer workers included). Thread-safe.
struct CostMeter {
  std::atomic<uint64_t> milli_ru{0};
  std::atomic<uint64_t> requests{0};
  void add(double ru) {
    milli_ru.fetch_add(static_cast<uint64_t>(ru * 1000 + 0.5), std::memory_order_relaxed);
    requests.fetch_add(1, std::memory_order_relaxed);
  }
  double total() const { return static_cast<double>(milli_ru.load()) / 1000; }
};

/// One REST call. `path` is what goes on the wire (percent-encoded segments);
/// `resource_type` and `resource_link` (decoded, without leading '/') are what
/// the signature covers.
struct Request {
  std::string method = "GET";
  std::string path;
  std::string resource_type;
  std::string resource_link;
  net::Headers headers;
  std::string body;
};

/// `segments` joined as "/a/b", each percent-encoded.
std::string encode_path(std::initializer_list<std::string_view> segments);

/// One HTTP client for Cosmos DB. Single-threaded (one curl handle); the
/// CostMeter may be shared between threads.
class Api {
 public:
  Api(const Endpoint& endpoint, net::HttpOptions http, std::shared_ptr<CostMeter> meter);

  /// Sends `request`, retrying 408/429/449/5xx and transport failures. A
  /// response whose status is in `accept` (e.g. 404 for an existence probe)
  /// is returned; other non-2xx statuses throw the classified Error, with
  /// `what` naming the call.
  net::HttpResponse call(const Request& request, std::string_view what,
                         std::initializer_list<long> accept = {});

  /// call() and parse the body as JSON (Error(connection) when it is not).
  Json call_json(const Request& request, std::string_view what);

  const std::string& url() const noexcept { return url_; }
  CostMeter& meter() noexcept { return *meter_; }

 private:
  std::string url_;
  net::CosmosSigner signer_;
  net::HttpClient client_;
  net::RetryPolicy policy_;
  std::shared_ptr<CostMeter> meter_;
};

}  // namespace polydb::cosmos
