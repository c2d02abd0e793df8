// What the federated-query tests compare: a result as rows of canonical text.
#pragma once

#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <tuple>
#include <vector>

#include "../mysql/fixture.hpp"
#include "../postgres/fixture.hpp"
#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/value.hpp"

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

// Numbers to the cent (exact decimal sums against floating averages), text
// without trailing blanks (PostgreSQL pads char(n) on output, MariaDB strips
// CHAR; the comparisons themselves are what is tested).
inline std::string canonical(const Value& v) {
  if (v.is_null()) return "NULL";
  // A sum of a SQLite DECIMAL column adds the doubles SQLite stores, as
  // SQLite does (1367.9999999999998 where PostgreSQL's numeric says 1368).
  const auto number = [](double d) {
    const double cents = std::round(d * 100);
    return std::fmod(cents, 100) == 0 && std::fabs(d) < 1e15
               ? std::to_string(static_cast<int64_t>(cents / 100))
               : fmt::format("{:.2f}", cents / 100);
  };
  switch (v.type_id()) {
    case TypeId::int64: return std::to_string(v.as<int64_t>());
    case TypeId::float64: return number(v.as<double>());
    case TypeId::decimal: return number(std::stod(v.as<Decimal>().text));
    case TypeId::string: {
      // A computed column whose first value is NULL is typed as text by the
      // federation (docs/query.md, Types): compare its numbers as numbers.
      const std::string& t = v.as<std::string>();
      char* end = nullptr;
      const double d = t.empty() ? 0 : std::strtod(t.c_str(), &end);
      if (!t.empty() && end == t.c_str() + t.size() && t.find_first_of("0123456789") == 0 + (t[0] == '-'))
        return number(d);
      [[fallthrough]];
    }
    default: {
      std::string s = v.to_text();
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s;
    }
  }
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

/// Undoes a suite's scratch(): drops PostgreSQL schemas `name` and
/// `name`_oracle and the MariaDB tables `name` + each of `my_suffixes`, and
/// removes `dir`. Nothing when the URLs are empty (the setup failed).
inline void drop_scratch(const std::string& pg_url, const std::string& my_url,
                         const std::string& name, std::initializer_list<const char*> my_suffixes,
                         const std::filesystem::path& dir) {
  if (pg_url.empty() || my_url.empty()) return;
  auto pg = connect(pg_url);
  pg->execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
  pg->execute("DROP SCHEMA IF EXISTS " + name + "_oracle CASCADE");
  auto my = connect(my_url);
  for (const char* suffix : my_suffixes) my->execute("DROP TABLE IF EXISTS " + name + suffix);
  std::filesystem::remove_all(dir);
}

}  // namespace polydb::querytest
