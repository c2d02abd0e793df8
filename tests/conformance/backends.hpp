#pragma once

// The backends the conformance suite runs against, and their quirks.
// Backend differences live here, never in `if (backend == ...)` in the tests.

#include <functional>
#include <string>
#include <vector>

namespace polydb::conformance {

struct Quirks {
  bool stores_nan = true;          ///< NaN round-trips (SQLite turns it into NULL: refused)
  bool stores_infinity = true;
  /// A decimal reads back with the scale it was written with ("0" in a
  /// decimal(38,10) column reads "0"); false when the backend's fixed-scale
  /// DECIMAL pads it to the column's scale ("0.0000000000", equal in value).
  bool decimal_keeps_written_scale = true;
  /// Placeholder text for the n-th (1-based) parameter in native SQL.
  std::function<std::string(int)> placeholder = [](int n) { return "$" + std::to_string(n); };
};

struct Backend {
  std::string name;
  /// A URL to a fresh, empty database for one test (may create files/schemas).
  std::function<std::string()> fresh_url;
  Quirks quirks;
};

/// Every backend the suite knows; a backend whose service is not configured
/// makes its tests fail with a message saying which variable to set.
const std::vector<Backend>& all_backends();

}  // namespace polydb::conformance
