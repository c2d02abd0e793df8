#include "net/rds_auth.hpp"

#include <fmt/format.h>

#include <array>

#include "net/sigv4.hpp"

namespace polydb::net {

namespace {

constexpr std::string_view kScheme = "https://";
constexpr std::string_view kRdsDomain = ".rds.amazonaws.com";

// "db.abc123.eu-west-1.rds.amazonaws.com" -> "eu-west-1".
std::optional<std::string> region_of_rds_host(std::string_view host) {
  if (!host.ends_with(kRdsDomain)) return std::nullopt;
  host.remove_suffix(kRdsDomain.size());
  const auto dot = host.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == host.size()) return std::nullopt;
  return std::string(host.substr(dot + 1));
}

[[noreturn]] void reject_iam(const Uri& uri, std::string_view why) {
  throw Error(
      ErrorCode::invalid_argument,
      fmt::format("{}: {} (see the IAM authentication section of the docs)", uri.to_string(), why));
}

}  // namespace

Secret rds_auth_token(const AwsCredentials& credentials, std::string_view host, uint16_t port,
                      std::string_view user, std::string_view region,
                      std::chrono::system_clock::time_point when) {
  if (host.empty() || user.empty() || region.empty())
    throw Error(ErrorCode::invalid_argument,
                "an RDS IAM auth token needs a host, a user and a region");
  const SigV4Signer signer(credentials, std::string(region), "rds-db");
  const std::string url = fmt::format("{}{}:{}/?Action=connect&DBUser={}", kScheme, host, port,
                                      aws_uri_encode(user, false));
  std::string presigned = signer.presign_url("GET", url, kRdsTokenLifetime, {}, when);
  return Secret(presigned.substr(kScheme.size()));
}

bool is_rds_iam_option(std::string_view key) {
  static constexpr std::array<std::string_view, 3> kKeys = {"auth", "region", "profile"};
  for (std::string_view k : kKeys)
    if (option_keys_equal(key, k)) return true;
  return false;
}

std::optional<RdsIamAuth> rds_iam_from_uri(const Uri& uri, uint16_t default_port) {
  const std::optional<std::string> mode = uri.option("auth");
  if (!mode || *mode == "password") {
    for (std::string_view key : {"region", "profile"})
      if (uri.option(key)) reject_iam(uri, fmt::format("'{}' applies only with auth=aws-iam", key));
    return std::nullopt;
  }
  if (*mode != "aws-iam")
    reject_iam(uri, fmt::format("unknown auth '{}' (use auth=aws-iam or auth=password)", *mode));
  if (!uri.password.empty())
    reject_iam(uri,
               "a password in the URL together with auth=aws-iam (IAM authentication makes its "
               "own short-lived token; remove the password)");
  if (uri.host.empty()) reject_iam(uri, "auth=aws-iam needs the database host name in the URL");
  if (uri.user.empty()) reject_iam(uri, "auth=aws-iam needs the database user name in the URL");

  RdsIamAuth out{.host = uri.host, .port = uri.port.value_or(default_port), .user = uri.user};
  out.credentials.profile = uri.option("profile").value_or("");
  out.credentials.region = uri.option("region").value_or("");
  if (out.credentials.region.empty())
    out.credentials.region = region_of_rds_host(uri.host).value_or("");
  std::optional<std::string> region = resolve_aws_region(out.credentials);
  if (!region)
    throw Error(ErrorCode::auth,
                fmt::format("{}: auth=aws-iam needs the AWS region of the database (add "
                            "?region=REGION to the URL, or set AWS_REGION)",
                            uri.to_string()));
  out.region = std::move(*region);
  return out;
}

Secret generate_rds_auth_token(const RdsIamAuth& auth) {
  return rds_auth_token(resolve_aws_credentials(auth.credentials), auth.host, auth.port, auth.user,
                        auth.region);
}

Error with_rds_iam_hint(const Error& e) {
  const std::string_view m = e.message();
  std::string hint = "auth=aws-iam";
  if (e.code() == ErrorCode::auth)
    hint +=
        ": the server refused the IAM auth token; check that IAM database authentication is "
        "enabled on the instance, the database user is mapped to IAM (PostgreSQL: GRANT rds_iam "
        "TO user; MySQL: IDENTIFIED WITH AWSAuthenticationPlugin), the AWS credentials may "
        "rds-db:connect as this user, and the region is right";
  else if (m.find("SSL") != std::string_view::npos || m.find("TLS") != std::string_view::npos)
    hint += ": IAM authentication connects only over TLS, and the token is never sent without it";
  Error out(e.code(), fmt::format("{} [{}]", m, hint), e.backend(), e.detail());
  out.set_retryable(e.retryable());
  return out;
}

}  // namespace polydb::net
