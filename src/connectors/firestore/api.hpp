#pragma once

// Firestore REST v1 (JSON over HTTP) through polydb_net: one HttpClient, an
// OAuth2 token from a service account (or the emulator's "owner" token), and
// retries with backoff for UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED, 5xx and
// transport failures.

#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/google_auth.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "polydb/uri.hpp"

namespace polydb::firestore {

using Json = nlohmann::ordered_json;

/// Where a `firestore://PROJECT[/DATABASE][?emulator=HOST:PORT]` URL points.
struct Endpoint {
  std::string project;
  std::string database = "(default)";
  std::string base_url;   ///< "https://firestore.googleapis.com/v1" or "http://HOST:PORT/v1"
  std::string emulator;   ///< HOST:PORT of the emulator; "" for the real service
  std::string credentials_file;  ///< service-account JSON (real service only)

  /// "projects/P/databases/D/documents": the parent of root collections.
  std::string root() const;
  /// The full resource name of `path` ("users/u1" -> "projects/.../documents/users/u1").
  std::string name(std::string_view path) const;
};

/// Reads the URL: project (host), database (path, default "(default)"), the
/// `emulator` option, else FIRESTORE_EMULATOR_HOST, the `endpoint` option
/// (another base URL for the real API) and `credentials` (a key file path;
/// default GOOGLE_APPLICATION_CREDENTIALS). Throws Error(invalid_argument)
/// for a URL without project and Error(auth) for the real service without a key.
Endpoint endpoint_from_uri(const Uri& uri);

/// One HTTP client for one Firestore database. Single-threaded.
class Api {
 public:
  Api(Endpoint endpoint, net::HttpOptions http, net::RetryPolicy policy);

  /// Sends `method` to `path` (relative to the API base, e.g.
  /// "projects/p/databases/(default)/documents:runQuery") with an optional
  /// JSON body; returns the parsed answer. `what` names the call in errors;
  /// `response_bytes`, when given, receives the size of the answer.
  Json call(std::string_view method, std::string_view path, const Json* body,
            std::string_view what, size_t* response_bytes = nullptr);

  /// One page of a query: the documents in order and the size of the answer.
  struct QueryPage {
    std::vector<Json> documents;
    size_t bytes = 0;
  };
  /// runQuery under `parent` (a document path, "" for root collections).
  /// Throws the classified error, also one the server streams after some results.
  QueryPage run_query(std::string_view parent, const Json& structured_query,
                      std::string_view what);

  /// The documents' own operations (paths like "users/u1"). get: nullopt when
  /// it does not exist. create: Error(conflict) when it exists. set: replaces
  /// the document, or with `merge_fields` changes only those fields (updateMask).
  /// update: like set with a merge but Error(not_found) when it does not exist.
  std::optional<Json> get_document(std::string_view path);
  Json create_document(std::string_view collection, std::string_view id, const Json& fields);
  Json set_document(std::string_view path, const Json& fields,
                    const std::vector<std::string>* merge_fields = nullptr);
  Json update_document(std::string_view path, const Json& fields);
  void delete_document(std::string_view path);

  /// The documents runQuery returned so far through this Api (Firestore
  /// bills a read for each): what a scan cost, for tests and logs.
  uint64_t documents_read() const noexcept { return documents_read_; }

  const Endpoint& endpoint() const noexcept { return endpoint_; }
  const net::RetryPolicy& policy() const noexcept { return policy_; }
  /// The connection's stop token (ConnectOptions::stop): waits between
  /// retries end on it too.
  std::stop_token stop() const noexcept { return client_.options().stop; }

 private:
  Json patch(std::string_view path, const Json& fields, const std::vector<std::string>* mask,
             bool must_exist);

  Endpoint endpoint_;
  net::HttpClient client_;
  net::RetryPolicy policy_;
  std::unique_ptr<net::GoogleTokenSource> tokens_;  ///< null for the emulator
  uint64_t documents_read_ = 0;
};

/// Percent-encodes each segment of a slash-separated path for a URL.
std::string encode_path(std::string_view path);

/// A field path for one top-level field: `name` as is when it is a simple
/// identifier ([A-Za-z_][A-Za-z0-9_]*), else quoted in backticks with ` and \ escaped.
std::string field_path(std::string_view name);

}  // namespace polydb::firestore
