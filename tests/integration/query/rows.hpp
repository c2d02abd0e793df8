// What the federated-query tests compare: a result as rows of canonical text.
#pragma once

#include <string>
#include <vector>

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

}  // namespace polydb::querytest
