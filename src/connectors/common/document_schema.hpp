#pragma once

// Schemas of schemaless stores (DynamoDB, Cosmos DB, Firestore): one rule
// for inferring the columns from a sample of documents, and the catch-all
// column `_extra` that keeps every attribute the sample did not show (or
// whose value does not fit its column), so that nothing read is dropped.
// Private to the connectors; documented for users in docs/dynamodb.md,
// docs/cosmos.md and docs/firestore.md.

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/text_types.hpp"
#include "polydb/batch.hpp"
#include "polydb/type.hpp"

namespace polydb {

/// The catch-all column that ends every inferred document schema: a
/// nullable json column holding, per row, a JSON object of the attributes
/// that are not columns of the schema, or whose value did not fit its
/// column (that column then reads NULL); NULL when there are none.
/// Attributes holding NULL are left out of it, as NULL cells are. An
/// attribute that is itself named `_extra` is never a column: it is kept
/// inside the catch-all under its own name.
inline constexpr std::string_view kExtraColumn = "_extra";

/// native_type of the catch-all column.
inline constexpr std::string_view kExtraNativeType = "catch-all";

/// What one sampled value says about its column's type. Each store maps its
/// own value kinds onto these; the rule in DocumentSchemaBuilder::finish()
/// is the same for every store.
enum class SampleKind {
  boolean,
  integer,       ///< an integral number that fits int64
  decimal,       ///< an exact number that is not an int64 (DynamoDB N)
  floating,      ///< an IEEE double (Cosmos DB numbers, Firestore doubleValue)
  text,          ///< a string, which may hold a typed text form (see Traits::text)
  plain_text,    ///< text that is never typed (Firestore referenceValue)
  bytes,         ///< binary (DynamoDB B, Firestore bytesValue)
  timestamp_tz,  ///< a timestamp with a zone (Firestore timestampValue)
  nested,        ///< object, array, set, geo point: read as json
};

/// Infers the columns of a document collection from sampled documents with
/// the one rule every document store shares. Feed the documents fullest
/// first (see fullest_first()) so that the column order is the fullest
/// document's, then newcomers in sample order. Plain data; not thread-safe.
class DocumentSchemaBuilder {
 public:
  /// What differs between stores: which typed text forms polydb writes into
  /// the store (so that they read back typed), and how native types are named.
  struct Traits {
    /// Text forms that type a text column (TextTypeGuess options).
    TextTypeGuess::Options text;
    /// Numbers that the store cannot hold exactly are written as text that
    /// holds their exact digits (Cosmos DB): text that is all exact numbers
    /// mixed with numbers types the column int64 or decimal.
    bool exact_numbers_as_text = false;
    /// native_type is the store's kind names joined with '|'; `prefix` goes
    /// before it (for one kind only when `prefix_single`); `no_kind` names a
    /// column that held only NULLs.
    std::string prefix;
    bool prefix_single = false;
    std::string no_kind = "null";
  };

  /// What the sample showed of one column.
  struct Seen {
    std::vector<SampleKind> kinds;          ///< distinct non-null kinds, in order of appearance
    std::vector<std::string> native_kinds;  ///< the store's names of them, distinct
    size_t present = 0;                     ///< documents that have the attribute (NULL too)
    bool text_int = true;                   ///< every text value is a canonical int64
    bool text_numeric = true;               ///< every text value is an exact number
    TextTypeGuess text;
  };

  explicit DocumentSchemaBuilder(Traits traits);

  /// A column that comes first whatever the documents hold (keys), in call order.
  void lead(std::string_view name);
  /// One sampled value of attribute `name`; `kind` nullopt for a NULL value.
  /// `native_kind` is the store's name of the value's kind; `text` the value
  /// of a `text` kind. The name `_extra` is ignored (it stays in the catch-all).
  void add(std::string_view name, std::optional<SampleKind> kind, std::string_view native_kind,
           std::string_view text = {});

  /// The sample of column `name` (nullptr when never seen).
  const Seen* seen(std::string_view name) const;

  /// The column of `name` by the rule: no value but NULL -> string; any
  /// nested value -> json; only booleans -> boolean; only integers -> int64;
  /// numbers with an exact decimal -> decimal, else with a double ->
  /// float64; only text -> the narrowest type every text round-trips
  /// through (TextTypeGuess with Traits::text), else string; text that is
  /// all exact numbers mixed with numbers (Traits::exact_numbers_as_text) ->
  /// int64 when all are integers, else decimal; only plain text -> string;
  /// only bytes -> bytes; only timestamps -> timestamp_tz; any other mix ->
  /// string (the text of each value). Nullable; native_type per Traits.
  Field field(std::string_view name) const;

  /// Every column in order (leads first), each by field(), then the
  /// catch-all column (extra_field()). No primary key: the store sets it.
  Schema finish() const;

 private:
  Traits traits_;
  std::vector<std::string> order_;
  std::map<std::string, Seen, std::less<>> seen_;
};

/// The catch-all column's field.
Field extra_field();

/// Indexes of documents of the given sizes (attribute counts), largest
/// first, equal sizes in sample order.
std::vector<size_t> fullest_first(std::span<const size_t> sizes);

/// Builds the catch-all cell of each row a reader reads. Give it the full
/// inferred schema (not a projection): its column names, apart from
/// `_extra`, are the attributes that are not extra. Not thread-safe.
class ExtraAttributes {
 public:
  explicit ExtraAttributes(const Schema& full);

  /// Whether `name` is a column of the full schema (never true for `_extra`).
  bool is_column(std::string_view name) const noexcept;
  /// The number of such columns.
  size_t column_count() const noexcept { return names_.size(); }

  /// Adds attribute `name` with its value as JSON text to the current row.
  void add(std::string_view name, std::string_view json_value);
  /// Appends the current row's object (NULL when nothing was added) to `col`
  /// and starts the next row.
  void finish_row(Column& col);

 private:
  std::vector<std::string> names_;  // sorted
  std::string row_;
};

/// The index of the catch-all column in rows written into a document store,
/// or nullopt. Throws Error(invalid_argument) when `_extra` is not a json or
/// string column (the name is reserved for the catch-all).
std::optional<size_t> extra_column(const Schema& schema, std::string_view table,
                                   std::string_view backend);

/// The attributes of one catch-all cell: name and the value's JSON text as
/// written (numbers keep all their digits), in document order. Throws
/// Error(type_mismatch) when `text` is not a JSON object.
std::vector<std::pair<std::string, std::string_view>> split_extra(std::string_view text,
                                                                  std::string_view backend);

/// The error for an attribute that is both a non-NULL column and a key of
/// the catch-all of one row.
[[nodiscard]] std::string extra_conflict_message(std::string_view name);

}  // namespace polydb
