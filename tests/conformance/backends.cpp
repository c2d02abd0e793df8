#include "backends.hpp"

#include <stdlib.h>

#include <atomic>
#include <filesystem>

namespace polydb::conformance {

namespace {

std::string temp_sqlite_url() {
  static std::atomic<int> counter{0};
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "polydb-conf-XXXXXX").string();
    return std::filesystem::path(mkdtemp(tmpl.data()));
  }();
  return "sqlite://" + (dir / ("t" + std::to_string(counter++) + ".db")).string() + "?mode=rwc";
}

}  // namespace

const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> backends = [] {
    std::vector<Backend> b;
    Quirks sqlite;
    sqlite.stores_nan = false;
    sqlite.placeholder = [](int n) { return "?" + std::to_string(n); };
    b.push_back({"sqlite", temp_sqlite_url, sqlite});
    return b;
  }();
  return backends;
}

}  // namespace polydb::conformance
