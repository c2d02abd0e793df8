#pragma once

// AWS credentials and region: explicit values, the environment, and the
// shared ~/.aws/credentials and ~/.aws/config files (private header of polydb_net).

#include <optional>
#include <string>
#include <string_view>

#include "polydb/secret.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

/// An AWS access key pair, with a session token for temporary credentials.
/// The secret parts are polydb::Secret: print `source`, never the values.
struct AwsCredentials {
  std::string access_key_id;  ///< e.g. "AKIDEXAMPLE"; not a secret, but not logged either
  Secret secret_access_key;
  Secret session_token;  ///< empty for long-term keys
  /// Where the keys came from, for messages: "explicit", "environment",
  /// "/root/.aws/credentials [profile dev]", ...
  std::string source;
};

/// What the caller knows before looking anywhere else: keys from the
/// connection URL or polydb.yaml, and the profile to read. Every field is optional.
struct AwsCredentialOptions {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;
  /// A profile named explicitly. It takes precedence over AWS_ACCESS_KEY_ID
  /// in the environment (as `aws --profile` does); AWS_PROFILE does not.
  std::string profile;
  /// An explicit region (the URL's), for `resolve_aws_region`.
  std::string region;
};

/// Reads AWS options from a connection URL: the user and password
/// (`dynamodb://AKID:SECRET@us-east-1`), or the options `access-key-id`,
/// `secret-access-key`, `session-token`, `profile` and `region` (keys match
/// by polydb::option_keys_equal). Values are already percent-decoded by Uri.
AwsCredentialOptions aws_options_from_uri(const Uri& uri);

/// Finds credentials, in this order:
///  1. explicit keys in `options` (access key id and secret both given);
///  2. when `options.profile` is set: that profile in the shared files (3b);
///  3. otherwise the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
///     AWS_SESSION_TOKEN;
///  3b. the shared files, profile AWS_PROFILE or "default": the
///     credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials,
///     section `[name]`), then the config file (AWS_CONFIG_FILE, else
///     ~/.aws/config, section `[profile name]`, or `[default]`), keys
///     aws_access_key_id, aws_secret_access_key, aws_session_token.
/// Throws Error(auth) when none has them, naming everything it tried and how
/// to set keys; when only half a key pair is found; and when the profile uses
/// a mechanism polydb does not implement (role_arn, credential_process, SSO).
/// Throws Error(io) when a shared file exists but cannot be read. Never puts
/// a secret in a message. Reads the process environment: call it at start-up
/// or connection time, not concurrently with setenv.
AwsCredentials resolve_aws_credentials(const AwsCredentialOptions& options = {});

/// The region: `options.region`, else AWS_REGION, else AWS_DEFAULT_REGION,
/// else `region` of the profile (as above) in the config file. nullopt when
/// none is set. Throws Error(io) when a config file exists but cannot be read.
std::optional<std::string> resolve_aws_region(const AwsCredentialOptions& options = {});

}  // namespace polydb::net
