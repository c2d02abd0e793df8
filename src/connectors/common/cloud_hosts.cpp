#include "connectors/common/cloud_hosts.hpp"

#include <openssl/x509.h>

#include <cctype>
#include <filesystem>
#include <system_error>

namespace polydb {

namespace {

struct Suffix {
  std::string_view suffix;
  ManagedDatabase db;
};

constexpr std::string_view kRdsCa =
    "Amazon RDS certificates chain to Amazon's own RDS certificate authority, which is not in "
    "the system's CA bundle: download the RDS CA bundle for the region from the RDS "
    "documentation and pass it as the CA file";

constexpr Suffix kSuffixes[] = {
    {".rds.amazonaws.com", {"Amazon RDS", kRdsCa}},
    {".rds.amazonaws.com.cn", {"Amazon RDS", kRdsCa}},
    {".postgres.database.azure.com", {"Azure Database for PostgreSQL", ""}},
    {".mysql.database.azure.com", {"Azure Database for MySQL", ""}},
    {".mariadb.database.azure.com", {"Azure Database for MariaDB", ""}},
    {".sql.goog", {"Google Cloud SQL", ""}},
};

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  if (text.size() <= suffix.size()) return false;
  text.remove_prefix(text.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != suffix[i]) return false;
  return true;
}

}  // namespace

std::optional<ManagedDatabase> managed_database(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (const auto& s : kSuffixes)
    if (ends_with_nocase(host, s.suffix)) return s.db;
  return std::nullopt;
}

std::string default_ca_file() {
  const char* file = X509_get_default_cert_file();
  std::error_code ec;
  if (file && std::filesystem::exists(file, ec)) return file;
  return "";
}

}  // namespace polydb
