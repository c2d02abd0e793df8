#pragma once

// The backends the conformance suite runs against, and their quirks.
// Backend differences live here, never in `if (backend == ...)` in the tests.

#include <cstddef>
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
  /// query()/execute() take SQL. false (DynamoDB: its JSON API is the native
  /// dialect): SQL text must be refused with invalid_argument.
  bool sql = true;
  /// Writers are atomic: a writer dropped or aborted before commit() leaves the
  /// target as it was. false (DynamoDB, no transactions): batches already
  /// written stay, and replace has already removed the old rows.
  bool transactional_writes = true;
  /// describe() returns the written column types. false when the backend has
  /// no column types and describe() infers them from the items (DynamoDB):
  /// names and key are checked, values after conversion to the written type.
  bool exact_describe = true;
  /// describe() ends with the catch-all json column `_extra` that keeps the
  /// attributes the inferred schema has no column for (document stores,
  /// docs/document-schemas.md).
  bool extra_column = false;
  /// A table has a fixed set of columns: a writer naming one it lacks is
  /// refused (Error(not_found) naming it). false (document stores): items
  /// take any attribute.
  bool fixed_columns = true;
  /// An upsert of fewer columns than the table has keeps the stored values of
  /// the others. false (document stores): an upsert replaces the whole item,
  /// and the attributes it does not name are gone.
  bool upserts_keep_other_columns = true;
  /// Table names may hold quotes, spaces and backticks. false (DynamoDB:
  /// letters, digits, '_', '-' and '.' only).
  bool any_table_name = true;
  /// A table can exist without rows. false (Firestore): a collection exists
  /// while it holds documents, so a missing table and an empty one are one.
  bool empty_tables_exist = true;
  /// scan() readers report resume points and continue from them
  /// (Capabilities::resume_points); false: a resume_from is refused.
  bool resume_points = false;
  /// Largest single value the backend stores (DynamoDB: 400 KB per item).
  size_t max_value_bytes = size_t{1} << 20;
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
