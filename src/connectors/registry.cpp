#include "connectors/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "polydb/config.hpp"
#include "polydb/error.hpp"

namespace polydb {

// Each backend's folder defines exactly one of these.
void register_sqlite(Registry& registry);
void register_postgres(Registry& registry);
void register_mysql(Registry& registry);
void register_dynamodb(Registry& registry);
void register_odbc(Registry& registry);
void register_cosmos(Registry& registry);
void register_firestore(Registry& registry);

namespace {

Registry build_registry() {
  Registry r;
  register_sqlite(r);
  register_postgres(r);
  register_mysql(r);
  register_dynamodb(r);
  register_odbc(r);
  register_cosmos(r);
  register_firestore(r);
  return r;
}

bool looks_like_url(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == ':') return i > 1;  // "C:" style drive letters are not schemes
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
      return false;
  }
  return false;
}

bool is_sqlite_file_name(std::string_view p) {
  for (std::string_view ext : {".db", ".sqlite", ".sqlite3", ".db3"})
    if (p.size() > ext.size() && p.substr(p.size() - ext.size()) == ext) return true;
  return false;
}

}  // namespace

void Registry::add(std::string_view backend, std::vector<std::string> schemes,
                   ConnectorFactory factory) {
  for (auto& s : schemes) entries_.push_back({std::move(s), std::string(backend), factory});
}

ConnectorFactory Registry::find(std::string_view scheme) const {
  for (const auto& e : entries_)
    if (e.scheme == scheme) return e.factory;
  return nullptr;
}

std::vector<std::string> Registry::schemes() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.scheme);
  std::sort(out.begin(), out.end());
  return out;
}

const Registry& registry() {
  static const Registry r = build_registry();
  return r;
}

std::unique_ptr<Connection> connect(std::string_view url_or_name, const ConnectOptions& options) {
  Uri uri;
  if (const ConnectionConfig* named =
          options.config ? options.config->find(url_or_name) : nullptr) {
    uri = named->uri();
  } else if (looks_like_url(url_or_name)) {
    uri = Uri::parse(url_or_name);
  } else {
    std::error_code ec;
    const std::filesystem::path path{std::string(url_or_name)};
    if (std::filesystem::is_regular_file(path, ec) || is_sqlite_file_name(url_or_name)) {
      uri = Uri::parse("sqlite:" + percent_encode(url_or_name, "/"));
    } else {
      std::string names;
      if (options.config)
        for (const auto& n : options.config->connection_names())
          names += (names.empty() ? "" : ", ") + n;
      throw Error(ErrorCode::not_found,
                  fmt::format("'{}' is neither a URL nor a connection name{} (write a URL such "
                              "as sqlite:///path.db or postgresql://user@host/db{})",
                              redact_url_text(url_or_name),
                              options.config ? "" : " (no config file loaded)",
                              names.empty() ? "" : ", or one of: " + names));
    }
  }
  ConnectorFactory factory = registry().find(uri.scheme);
  if (!factory) {
    std::string known;
    for (const auto& s : registry().schemes()) known += (known.empty() ? "" : ", ") + s + "://";
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown URL scheme '{}' in {} (supported: {})", uri.scheme,
                            uri.to_string(), known));
  }
  return factory(uri, options);
}

}  // namespace polydb
