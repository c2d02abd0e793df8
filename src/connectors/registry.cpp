#include "connectors/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include "polydb/config.hpp"
#include "polydb/error.hpp"

namespace polydb {

// Each backend's folder defines exactly one of these. SQLite is always built;
// the others only with their CMake option POLYDB_WITH_<BACKEND> (default ON),
// which src/connectors/CMakeLists.txt passes here as 1 or 0.
void register_sqlite(Registry& registry);
#if POLYDB_WITH_POSTGRES
void register_postgres(Registry& registry);
#endif
#if POLYDB_WITH_MYSQL
void register_mysql(Registry& registry);
#endif
#if POLYDB_WITH_DYNAMODB
void register_dynamodb(Registry& registry);
#endif
#if POLYDB_WITH_ODBC
void register_odbc(Registry& registry);
#endif
#if POLYDB_WITH_COSMOS
void register_cosmos(Registry& registry);
#endif
#if POLYDB_WITH_FIRESTORE
void register_firestore(Registry& registry);
#endif

namespace {

/// A backend that a build may leave out: its URL schemes, and the option that builds it.
struct OptionalBackend {
  std::string_view name;
  std::string_view option;
  bool built;
  std::array<std::string_view, 3> schemes;  ///< those of its driver.cpp; "" pads
};

/// The optional backends: each built one is registered below; one left out
/// stays known here, so that its URLs fail naming the option, not as unknown.
constexpr OptionalBackend kOptional[] = {
    {"PostgreSQL", "POLYDB_WITH_POSTGRES", POLYDB_WITH_POSTGRES, {"postgresql", "postgres"}},
    {"MySQL/MariaDB", "POLYDB_WITH_MYSQL", POLYDB_WITH_MYSQL, {"mysql", "mariadb"}},
    {"DynamoDB", "POLYDB_WITH_DYNAMODB", POLYDB_WITH_DYNAMODB, {"dynamodb"}},
    {"ODBC", "POLYDB_WITH_ODBC", POLYDB_WITH_ODBC, {"odbc", "sqlserver", "mssql"}},
    {"Cosmos DB", "POLYDB_WITH_COSMOS", POLYDB_WITH_COSMOS, {"cosmos"}},
    {"Firestore", "POLYDB_WITH_FIRESTORE", POLYDB_WITH_FIRESTORE, {"firestore"}},
};

Registry build_registry() {
  Registry r;
  register_sqlite(r);
#if POLYDB_WITH_POSTGRES
  register_postgres(r);
#endif
#if POLYDB_WITH_MYSQL
  register_mysql(r);
#endif
#if POLYDB_WITH_DYNAMODB
  register_dynamodb(r);
#endif
#if POLYDB_WITH_ODBC
  register_odbc(r);
#endif
#if POLYDB_WITH_COSMOS
  register_cosmos(r);
#endif
#if POLYDB_WITH_FIRESTORE
  register_firestore(r);
#endif
  // The scheme lists above must match the drivers': a built backend that
  // did not register one of them would, once left out, fail under the wrong name.
  for (const auto& backend : kOptional)
    for (std::string_view s : backend.schemes)
      if (backend.built && !s.empty() && !r.find(s))
        throw Error(ErrorCode::internal,
                    fmt::format("connector registry: {} did not register the scheme '{}' that "
                                "registry.cpp lists for it",
                                backend.name, s));
  return r;
}

/// The backend left out of this build that `scheme` belongs to, or nullptr.
const OptionalBackend* left_out(std::string_view scheme) {
  for (const auto& backend : kOptional)
    if (!backend.built)
      for (std::string_view s : backend.schemes)
        if (!s.empty() && s == scheme) return &backend;
  return nullptr;
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
    if (const OptionalBackend* off = left_out(uri.scheme))
      throw Error(ErrorCode::unsupported,
                  fmt::format("this polydb was built without the {} connector, so {}:// URLs "
                              "cannot be opened (rebuild with the CMake option {}=ON)",
                              off->name, uri.scheme, off->option));
    std::string known;
    for (const auto& s : registry().schemes()) known += (known.empty() ? "" : ", ") + s + "://";
    throw Error(ErrorCode::invalid_argument,
                fmt::format("unknown URL scheme '{}' in {} (supported: {})", uri.scheme,
                            uri.to_string(), known));
  }
  return factory(uri, options);
}

}  // namespace polydb
