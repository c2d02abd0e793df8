// What the federated-query tests compare: a result as rows of canonical text.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "../mysql/fixture.hpp"
#include "../postgres/fixture.hpp"
#include "polydb/batch.hpp"

namespace polydb::querytest {

using Rows = std::vector<std::vector<std::string>>;

/// Every row of `r`, each value as `canonical(value)` says.
template <class Canonical>
Rows rows_of(BatchReader& r, Canonical&& canonical) {
  Rows out;
  while (auto b = r.next())
    for (size_t i = 0; i < b->num_rows(); ++i) {
      std::vector<std::string> row;
      for (const auto& v : b->row(i)) row.push_back(canonical(v));
      out.push_back(std::move(row));
    }
  return out;
}

/// What a federated-query suite sets up first: the PostgreSQL and MariaDB
/// servers' URLs, the URL of SQLite file `lite_file`, a name `prefix` plus
/// this process's id (for schemas and tables), and the directory of that
/// name, created, that holds the SQLite file.
inline std::tuple<std::string, std::string, std::string, std::string, std::filesystem::path>
scratch(const std::string& prefix, const std::string& lite_file) {
  const std::string name = prefix + std::to_string(getpid());
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::create_directories(dir);
  return {pgtest::server_url(), mytest::server_url(), "sqlite://" + (dir / lite_file).string(),
          name, dir};
}

}  // namespace polydb::querytest
