#include "net/aws_credentials.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "net/headers.hpp"
#include "net/ini.hpp"
#include "polydb/error.hpp"

namespace polydb::net {

namespace {

using Section = std::map<std::string, std::string>;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string expand_home(std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    if (auto home = env("HOME")) path = *home + path.substr(1);
  }
  return path;
}

// One of the two shared files, read lazily and at most once per resolution.
struct SharedFile {
  std::string path;     // "" when it cannot be located (no HOME)
  bool config = false;  // the config file names profiles "[profile x]"
  bool loaded = false;
  bool exists = false;
  IniSections sections;

  void load() {
    if (loaded) return;
    loaded = true;
    if (path.empty()) return;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const int err = errno;
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) return;
      throw Error(ErrorCode::io,
                  fmt::format("cannot read the AWS file {}: {}", path, std::strerror(err)));
    }
    exists = true;
    std::ostringstream text;
    text << in.rdbuf();
    sections = parse_ini(text.str());
  }

  // The profile's section: "[name]" in the credentials file; "[profile name]"
  // (any spacing) or, for the default profile, "[default]" in the config file.
  const Section* profile(std::string_view name) {
    load();
    if (!config) {
      auto it = sections.find(name);
      return it == sections.end() ? nullptr : &it->second;
    }
    for (const auto& [header, keys] : sections) {
      if (name == "default" && header == "default") return &keys;
      const std::string_view h = header;
      if (h.starts_with("profile") && h.size() > 7 && (h[7] == ' ' || h[7] == '\t') &&
          trim_http_space(h.substr(7)) == name)
        return &keys;
    }
    return nullptr;
  }

  std::string describe(std::string_view profile_name) const {
    const std::string section = config && profile_name != "default"
                                    ? fmt::format("[profile {}]", profile_name)
                                    : fmt::format("[{}]", profile_name);
    if (path.empty())
      return fmt::format("the {} file (HOME is not set)", config ? "config" : "credentials");
    if (!exists) return fmt::format("{} (no such file)", path);
    return fmt::format("{} {}", path, section);
  }
};

struct SharedFiles {
  SharedFile credentials;
  SharedFile config;
};

SharedFiles locate_shared_files() {
  const std::string home = env("HOME").value_or("");
  SharedFiles files;
  files.credentials.path = expand_home(
      env("AWS_SHARED_CREDENTIALS_FILE").value_or(home.empty() ? "" : home + "/.aws/credentials"));
  files.config.path =
      expand_home(env("AWS_CONFIG_FILE").value_or(home.empty() ? "" : home + "/.aws/config"));
  files.config.config = true;
  return files;
}

std::string value_of(const Section& section, const char* key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

// Keys from one profile section; nullopt when the section holds no key pair.
std::optional<AwsCredentials> keys_in(const Section& section, const SharedFile& file,
                                      std::string_view profile) {
  std::string id = value_of(section, "aws_access_key_id");
  std::string secret = value_of(section, "aws_secret_access_key");
  if (id.empty() && secret.empty()) return std::nullopt;
  if (id.empty() || secret.empty())
    throw Error(
        ErrorCode::auth,
        fmt::format("AWS profile '{}' in {} has {} but not {} (add the missing key, or "
                    "run `aws configure --profile {}`)",
                    profile, file.path, id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                    id.empty() ? "aws_access_key_id" : "aws_secret_access_key", profile));
  return AwsCredentials{
      .access_key_id = std::move(id),
      .secret_access_key = Secret(std::move(secret)),
      .session_token = Secret(value_of(section, "aws_session_token")),
      .source = fmt::format("{} [{}]", file.path, profile),
  };
}

// A profile that asks for a mechanism polydb does not implement: say so
// rather than "no credentials".
void reject_unsupported(const Section& section, const SharedFile& file, std::string_view profile) {
  static constexpr std::array<const char*, 6> kMechanisms = {
      "role_arn",      "credential_process",      "sso_session",
      "sso_start_url", "web_identity_token_file", "credential_source"};
  for (const char* key : kMechanisms) {
    if (section.contains(key))
      throw Error(ErrorCode::unsupported,
                  fmt::format("AWS profile '{}' in {} uses {}, which polydb does not support yet "
                              "(export temporary keys instead, e.g. `eval \"$(aws configure "
                              "export-credentials --profile {} --format env)\"`)",
                              profile, file.path, key, profile));
  }
}

// The profile's keys from the credentials file, then the config file.
std::optional<AwsCredentials> from_shared_files(SharedFiles& files, std::string_view profile,
                                                bool& profile_found) {
  for (SharedFile* file : {&files.credentials, &files.config}) {
    if (const Section* section = file->profile(profile)) {
      profile_found = true;
      if (auto keys = keys_in(*section, *file, profile)) return keys;
    }
  }
  for (SharedFile* file : {&files.credentials, &files.config})
    if (const Section* section = file->profile(profile))
      reject_unsupported(*section, *file, profile);
  return std::nullopt;
}

std::string how_to_set() {
  return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
         "keys), run `aws configure`, or give access-key-id and secret-access-key in the "
         "connection URL or polydb.yaml";
}

}  // namespace

AwsCredentialOptions aws_options_from_uri(const Uri& uri) {
  AwsCredentialOptions out;
  out.access_key_id = uri.option("access-key-id").value_or(uri.user);
  if (auto secret = uri.option("secret-access-key"))
    out.secret_access_key = Secret(std::move(*secret));
  else
    out.secret_access_key = uri.password;
  if (auto token = uri.option("session-token")) out.session_token = Secret(std::move(*token));
  out.profile = uri.option("profile").value_or("");
  out.region = uri.option("region").value_or("");
  return out;
}

AwsCredentials resolve_aws_credentials(const AwsCredentialOptions& options) {
  // 1. Explicit keys.
  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty())
      throw Error(
          ErrorCode::auth,
          fmt::format("the connection gives an AWS {} without its {} (give both "
                      "access-key-id and secret-access-key)",
                      options.access_key_id.empty() ? "secret access key" : "access key id",
                      options.access_key_id.empty() ? "access key id" : "secret access key"));
    return AwsCredentials{.access_key_id = options.access_key_id,
                          .secret_access_key = options.secret_access_key,
                          .session_token = options.session_token,
                          .source = "explicit"};
  }

  SharedFiles files = locate_shared_files();
  // 2. A profile named by the caller beats the environment's keys.
  if (!options.profile.empty()) {
    bool found = false;
    if (auto keys = from_shared_files(files, options.profile, found)) return *keys;
    throw Error(ErrorCode::auth,
                fmt::format("AWS profile '{}' {} in {} or {} (check the profile name, or run "
                            "`aws configure --profile {}`)",
                            options.profile, found ? "has no access keys" : "was not found",
                            files.credentials.describe(options.profile),
                            files.config.describe(options.profile), options.profile));
  }

  // 3. The environment.
  const auto id = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && secret)
    return AwsCredentials{.access_key_id = *id,
                          .secret_access_key = Secret(*secret),
                          .session_token = Secret(env("AWS_SESSION_TOKEN").value_or("")),
                          .source = "environment"};
  if (id || secret)
    throw Error(ErrorCode::auth,
                fmt::format("{} is set but {} is not (export both, or unset it to use the shared "
                            "credentials files)",
                            id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));

  // 4. The shared files, profile AWS_PROFILE or "default".
  const std::string profile = env("AWS_PROFILE").value_or("default");
  bool found = false;
  if (auto keys = from_shared_files(files, profile, found)) return *keys;
  throw Error(ErrorCode::auth,
              fmt::format("no AWS credentials found; tried: access keys in the connection "
                          "options, the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
                          "profile '{}'{} in {} and {}. To fix it, {}",
                          profile, found ? " (it has no access keys)" : "",
                          files.credentials.describe(profile), files.config.describe(profile),
                          how_to_set()));
}

std::optional<std::string> resolve_aws_region(const AwsCredentialOptions& options) {
  if (!options.region.empty()) return options.region;
  if (auto region = env("AWS_REGION")) return region;
  if (auto region = env("AWS_DEFAULT_REGION")) return region;
  SharedFiles files = locate_shared_files();
  const std::string profile =
      !options.profile.empty() ? options.profile : env("AWS_PROFILE").value_or("default");
  if (const Section* section = files.config.profile(profile)) {
    std::string region = value_of(*section, "region");
    if (!region.empty()) return region;
  }
  return std::nullopt;
}

}  // namespace polydb::net
