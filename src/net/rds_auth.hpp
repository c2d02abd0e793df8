#pragma once

// Amazon RDS IAM database authentication (private header of polydb_net): the
// short-lived token that replaces the password of a PostgreSQL or MySQL user,
// and the `auth=aws-iam` URL option of the SQL connectors.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/aws_credentials.hpp"
#include "polydb/error.hpp"
#include "polydb/secret.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

/// How long an RDS auth token is accepted for connecting (RDS's fixed 15 minutes).
inline constexpr std::chrono::seconds kRdsTokenLifetime{900};

/// An RDS auth token: the SigV4 presigned URL (service `rds-db`, 900 s) of
/// `GET https://HOST:PORT/?Action=connect&DBUser=USER`, without `https://`.
/// The same bytes as botocore's `generate_db_auth_token` for the same
/// credentials and time. Pure: reads nothing but its arguments. Throws
/// Error(invalid_argument) for an empty host, user or region.
Secret rds_auth_token(
    const AwsCredentials& credentials, std::string_view host, uint16_t port, std::string_view user,
    std::string_view region,
    std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

/// What a connection URL with `auth=aws-iam` asks for; everything needed to
/// make a fresh token at each (re)connect.
struct RdsIamAuth {
  std::string host;
  uint16_t port = 0;
  std::string user;
  std::string region;
  AwsCredentialOptions credentials;  ///< profile from the URL, if any
};

/// URL options this module reads, which a connector must accept and must not
/// pass to its driver: `auth`, `region`, `profile`.
bool is_rds_iam_option(std::string_view key);

/// Reads `auth` from `uri`: nullopt when absent or `password`; with
/// `aws-iam`, the host, port (`default_port` when the URL has none), user and
/// region (the URL's `region`, else the RDS host name's
/// `*.REGION.rds.amazonaws.com`, else AWS_REGION, AWS_DEFAULT_REGION, the
/// profile's region). Throws Error(invalid_argument) for another `auth`
/// value, a password in the URL, or no host or user; Error(auth) when no
/// region is found. `region` or `profile` without `auth=aws-iam` is
/// invalid_argument too (they would be silently ignored).
std::optional<RdsIamAuth> rds_iam_from_uri(const Uri& uri, uint16_t default_port);

/// Resolves the credentials (resolve_aws_credentials) and makes a token for
/// `auth`, valid from now for 15 minutes. Call it at every connect attempt:
/// a token is short-lived, temporary credentials rotate. Throws what
/// resolve_aws_credentials throws.
Secret generate_rds_auth_token(const RdsIamAuth& auth);

/// `e` with what to check for IAM authentication added to its message, for
/// a connect that failed with `auth=aws-iam` (same code, backend, detail).
Error with_rds_iam_hint(const Error& e);

}  // namespace polydb::net
