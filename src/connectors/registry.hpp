#pragma once

// The connector registry: URL scheme -> factory. Built once, by the one
// explicit list in registry.cpp, and read-only afterwards (no static
// initialisers: static linking would drop them and their order is unspecified).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "polydb/connection.hpp"
#include "polydb/uri.hpp"

namespace polydb {

using ConnectorFactory = std::unique_ptr<Connection> (*)(const Uri& uri,
                                                         const ConnectOptions& options);

class Registry {
 public:
  /// Registers `factory` for each of `schemes` (lowercase, without ':').
  void add(std::string_view backend, std::vector<std::string> schemes, ConnectorFactory factory);
  /// The factory for `scheme`, or nullptr.
  ConnectorFactory find(std::string_view scheme) const;
  /// Every registered scheme, sorted.
  std::vector<std::string> schemes() const;

 private:
  struct Entry {
    std::string scheme;
    std::string backend;
    ConnectorFactory factory;
  };
  std::vector<Entry> entries_;
};

/// The process-wide registry with every built-in connector. Thread-safe.
const Registry& registry();

}  // namespace polydb
