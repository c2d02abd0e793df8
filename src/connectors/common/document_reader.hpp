#pragma once
// The reader the document stores (DynamoDB, Cosmos DB, Firestore) share:
// pages of JSON documents become batches of the read schema (values that do
// not fit their column, and properties that are no column, go to the
// catch-all `_extra`), then the residual filter, the projection to the
// requested columns and the limit apply; an ORDER BY the backend cannot do
// is sorted locally (LocalSort). Each store keeps only its paging and its
// value conversion (a DocumentPages type). Private to the connectors.

#include <fmt/format.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/common/document_schema.hpp"
#include "connectors/common/local_rows.hpp"
#include "core/log.hpp"
#include "polydb/batch.hpp"
#include "polydb/connection.hpp"
#include "polydb/error.hpp"
#include "polydb/filter.hpp"

namespace polydb {

/// What every document-store reader setup holds; each store's ReaderSetup
/// adds its request.
struct DocumentReadSetup {
  std::string what;                      ///< names the call in errors
  std::shared_ptr<const Schema> schema;  ///< what is read; null: inferred from the first page
  std::shared_ptr<const Schema> output;  ///< columns handed out (null = schema)
  /// The whole inferred schema (null = schema): properties that are not its
  /// columns go to the catch-all column `_extra` when `schema` reads it.
  std::shared_ptr<const Schema> full;
  std::optional<Filter> residual;  ///< re-checked locally
  std::vector<OrderBy> order_by;   ///< sorted locally (LocalSort)
  std::optional<uint64_t> limit;   ///< rows handed out at most (applied locally)
  size_t batch_rows = 4096;
  size_t batch_bytes = 8u << 20;
  size_t sort_memory_bytes = 64u << 20;  ///< LocalSort memory (ScanSpec)
  ScanPlan plan;
  /// ScanSpec::resume_from, as given; DocumentReader decodes it into the two
  /// members below before the store's pages see the setup.
  std::string resume_from;
  uint64_t resume_rows = 0;  ///< rows the interrupted reader had handed out
  /// The store's position after its last document (Pages::resume_key);
  /// null = from the start.
  nlohmann::ordered_json resume_at;
};

/// The columns of a document-store scan.
struct DocumentColumns {
  std::shared_ptr<const Schema> output;  ///< the requested columns
  /// `output`, then the columns only the filter and the order need.
  std::shared_ptr<const Schema> read;
  /// The properties to ask the backend for; empty = whole documents (all
  /// columns are requested, or the catch-all needs every property).
  std::vector<std::string> select;
};

/// The columns `spec` reads when it hands out `output`: `field_of` looks up
/// a column the filter or the order needs (throws Error(not_found)).
DocumentColumns document_columns(const ScanSpec& spec, Schema output,
                                 const std::function<Field(const std::string&)>& field_of);

/// Fills the part of `setup` a scan decides: the schemas of `columns` (and
/// `full`), the filter, order, limit and batch sizes of `spec`, and
/// plan.columns_pushed.
void take_scan(DocumentReadSetup& setup, const ScanSpec& spec, const DocumentColumns& columns,
               const Schema& full);

/// The store's position in a resume point that a DocumentReader wrote
/// (ScanSpec::resume_from), for a scan() that must know it before the reader
/// exists (the bounds of a segment it recorded); null for an empty text or
/// one that is no such point (the reader refuses it then).
nlohmann::ordered_json resume_position(std::string_view resume_from);

/// The Error(invalid_argument) a store's Pages throw for a resume point
/// position `at` (setup.resume_at) they cannot continue from: `what` names
/// the read, `why` says whose point it is; `backend` as in Error.
Error refused_resume_point(std::string_view what, const nlohmann::ordered_json& at,
                           std::string_view why, std::string_view backend);

/// Why a resume point recorded in segment `recorded` ([index, count]; null:
/// a scan of the whole `whole`, e.g. "table") does not fit a read of
/// `segment`; nullopt when they are the same.
std::optional<std::string> segment_mismatch(const nlohmann::ordered_json& recorded,
                                            const nlohmann::ordered_json& segment,
                                            std::string_view whole);

/// A store's pages and value conversion for DocumentReader<Pages>. Members:
///  - `using Setup`: the store's ReaderSetup (derives from DocumentReadSetup);
///  - `Pages(Setup& setup, Args...)`: `setup` is the reader's, borrowed for
///    the reader's life;
///  - `std::vector<Json> fetch()`: the next page (possibly empty); throws the
///    store's errors. `bool done() const`: no page is left;
///  - `Schema infer_schema(const std::vector<Json>& first_page)`: a query()
///    result's schema (the first non-empty page, or none);
///  - `static constexpr std::string_view kLogger`; `static int compare(const
///    Value&, const Value&)`: the local ORDER BY's order of two cells;
///  - per document: `const Json* properties(const Json& doc)`: the object
///    of name → value (null: none); `void append(Column&, const Json* value)`
///    (null: absent), throwing Error(type_mismatch) for a value that does not
///    fit; `std::string text(const Json& value)`: its JSON text for
///    `_extra`; `bool is_extra(std::string_view name, const Json& value)`:
///    whether a property that is no column goes to `_extra`; `Error
///    conversion_error(const Error&, const Json& doc, std::string_view
///    column)`: the error naming the document;
///  - optional, for resume points (BatchReader::resume_point): `Json
///    resume_key(const Json& doc, size_t index) const`: the store's position
///    just after `doc`, the document at `index` of the page fetch() returned
///    last (called before the next fetch()), and `bool resumable() const`:
///    whether this read can tell positions at all. The constructor of such
///    Pages continues at setup.resume_at when it is not null, and throws
///    Error(invalid_argument) for a position of another table, segment or
///    request;
///  - optional: `bool append_special(Column&, std::string_view column, const
///    Json& doc)`: fills a column that is not a property (a document id),
///    true when it did; `static constexpr uint64_t kMinLimitedRead`: near
///    the limit, read max(rows left, this) rows per batch instead of
///    batch_rows.
template <class Pages>
concept DocumentPages = std::derived_from<typename Pages::Setup, DocumentReadSetup> &&
    requires(Pages& p, const nlohmann::ordered_json& doc) {
  { p.fetch() } -> std::same_as<std::vector<nlohmann::ordered_json>>;
  { p.done() } -> std::same_as<bool>;
  { p.properties(doc) } -> std::same_as<const nlohmann::ordered_json*>;
};

/// Streams the pages of a DocumentPages as batches: memory is one page plus
/// one batch, except with a local ORDER BY, which reads everything first
/// (LocalSort spills beyond sort_memory_bytes). Each batch holds at most
/// batch_rows documents and ends when its bytes reach batch_bytes. Documents
/// are read against setup.schema; `_extra` (when read) gets the properties
/// that are not columns of setup.full and the values that do not fit their
/// column (which then reads NULL). Single-threaded. Throws what the pages
/// throw, and their conversion_error() for a value that does not fit a
/// column when `_extra` is not read.
template <DocumentPages Pages>
class DocumentReader final : public BatchReader {
 public:
  using Json = nlohmann::ordered_json;
  using Setup = typename Pages::Setup;
  /// The store reports resume points (see DocumentPages).
  static constexpr bool kResumable = requires(const Pages& p, const Json& doc, size_t index) {
    { p.resume_key(doc, index) } -> std::same_as<Json>;
    { p.resumable() } -> std::same_as<bool>;
  };

  /// `args` go to the Pages constructor after the setup. Fetches the first
  /// page now when the schema is to be inferred from it. Throws
  /// Error(unsupported) for a resume_from the store or the scan cannot
  /// continue from (a local ORDER BY), Error(invalid_argument) for a text
  /// polydb did not write.
  template <class... Args>
  explicit DocumentReader(Setup setup, Args&&... args)
      : setup_(take_resume(std::move(setup))),
        pages_(setup_, std::forward<Args>(args)...),
        emitted_(setup_.resume_rows),
        at_(setup_.resume_at) {
    if (!setup_.schema) {
      // query(): the schema is inferred from the first non-empty page.
      while (page_.empty() && !pages_.done()) page_ = pages_.fetch();
      setup_.schema = std::make_shared<Schema>(pages_.infer_schema(page_));
    }
    if (!setup_.output) setup_.output = setup_.schema;
    if (!setup_.full) setup_.full = setup_.schema;
    extra_index_ = setup_.schema->index_of(kExtraColumn);
    if (extra_index_) extra_.emplace(*setup_.full);
  }
  // pages_ borrows setup_.
  DocumentReader(const DocumentReader&) = delete;
  DocumentReader& operator=(const DocumentReader&) = delete;

  const Schema& schema() const override { return *setup_.output; }
  ScanPlan plan() const override { return setup_.plan; }

  /// {"rows": rows handed out (a limit counts on from there), "at": the
  /// store's position after the last document read}; nullopt where the
  /// store cannot tell, and for a local ORDER BY (it reads everything first).
  std::optional<std::string> resume_point() const override {
    if constexpr (kResumable) {
      if (!setup_.order_by.empty() || !pages_.resumable()) return std::nullopt;
      Json point = Json::object();
      point["rows"] = emitted_;
      point["at"] = at_;
      return point.dump();
    }
    return std::nullopt;
  }

  std::optional<Batch> next() override {
    if (!setup_.order_by.empty()) return next_sorted();
    while (true) {
      size_t rows = setup_.batch_rows;
      if (setup_.limit) {
        if (emitted_ >= *setup_.limit) return std::nullopt;
        if constexpr (requires { Pages::kMinLimitedRead; }) {
          // Read little more than the limit needs; not less than the minimum,
          // so that a selective local filter does not make tiny batches.
          const uint64_t want =
              std::max<uint64_t>(*setup_.limit - emitted_, Pages::kMinLimitedRead);
          rows = static_cast<size_t>(std::min<uint64_t>(rows, want));
        }
      }
      auto raw = read_batch(rows);
      if (!raw) return std::nullopt;
      Batch batch = filter_and_project(std::move(*raw), setup_.residual, setup_.output);
      if (setup_.limit) batch.truncate(static_cast<size_t>(*setup_.limit - emitted_));
      if (batch.num_rows() == 0) continue;
      emitted_ += batch.num_rows();
      logger(Pages::kLogger)->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
  }

 private:
  static Setup take_resume(Setup setup) {
    if (setup.resume_from.empty()) return setup;
    if constexpr (!kResumable) {
      throw Error(ErrorCode::unsupported,
                  fmt::format("{} cannot continue from a resume point; read from the start",
                              setup.what));
    } else {
      if (!setup.order_by.empty())
        throw Error(ErrorCode::unsupported,
                    fmt::format("{}: a scan whose order polydb sorts itself cannot continue "
                                "from a resume point; read it from the start",
                                setup.what));
      const Json point = Json::parse(setup.resume_from, nullptr, false);
      if (!point.is_object() || !point.contains("rows") || !point["rows"].is_number_unsigned() ||
          !point.contains("at"))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("{}: '{}' is not a resume point this reader wrote; pass the "
                                "text a reader's resume_point() returned, or none",
                                setup.what, setup.resume_from.substr(0, 200)));
      setup.resume_rows = point["rows"].template get<uint64_t>();
      setup.resume_at = point["at"];
      return setup;
    }
  }

  // The next document, fetching pages as needed; null at the end.
  const Json* next_document() {
    while (pos_ >= page_.size()) {
      if (pages_.done()) return nullptr;
      if constexpr (kResumable) {
        // Its last document was read: the page is about to go.
        if (!page_.empty()) dropped_at_ = pages_.resume_key(page_.back(), page_.size() - 1);
      }
      page_ = pages_.fetch();
      pos_ = 0;
    }
    return &page_[pos_++];
  }

  // Up to `rows` documents converted to the read schema; nullopt at the end.
  std::optional<Batch> read_batch(size_t rows) {
    Batch batch(setup_.schema);
    while (batch.num_rows() < rows) {
      const Json* doc = next_document();
      if (!doc) break;
      append_document(batch, *doc);
      if (batch.byte_size() >= setup_.batch_bytes) break;
    }
    if constexpr (kResumable) {
      // Every document read is in `batch` (the residual filter comes later):
      // the position is after the last one.
      if (batch.num_rows() > 0 && pages_.resumable())
        at_ = pos_ > 0 && pos_ <= page_.size() ? pages_.resume_key(page_[pos_ - 1], pos_ - 1)
                                               : dropped_at_;
    }
    if (pos_ >= page_.size()) {  // release the page early
      page_.clear();
      pos_ = 0;
    }
    if (batch.num_rows() == 0) return std::nullopt;
    return batch;
  }

  void append_document(Batch& batch, const Json& doc) {
    const Schema& schema = *setup_.schema;
    const Json* props = pages_.properties(doc);
    size_t found = 0;
    for (size_t c = 0; c < schema.fields.size(); ++c) {
      if (c == extra_index_) continue;
      const std::string& col = schema.fields[c].name;
      Column& column = batch.column(c);
      const Json* v = nullptr;
      try {
        if constexpr (requires { pages_.append_special(column, col, doc); }) {
          if (pages_.append_special(column, col, doc)) continue;
        }
        if (props)
          if (auto it = props->find(col); it != props->end()) v = &*it, ++found;
        pages_.append(column, v);
      } catch (const Error& e) {
        if (extra_ && v && e.code() == ErrorCode::type_mismatch) {
          // Does not fit the column: kept in the catch-all instead.
          column.append_null();
          extra_->add(col, pages_.text(*v));
          continue;
        }
        throw pages_.conversion_error(e, doc, col);
      }
    }
    if (extra_index_) {
      // Every property was a column read (the usual case): nothing else to look at.
      if (props && found != props->size())
        for (auto it = props->begin(); it != props->end(); ++it)
          if (!extra_->is_column(it.key()) && pages_.is_extra(it.key(), it.value()))
            extra_->add(it.key(), pages_.text(it.value()));
      extra_->finish_row(batch.column(*extra_index_));
    }
    batch.commit_row();
  }

  std::optional<Batch> next_sorted() {
    if (!sort_) {
      sort_.emplace(*setup_.schema, setup_.order_by, &Pages::compare, setup_.sort_memory_bytes);
      sort_->load([&] { return read_batch(setup_.batch_rows); }, setup_.residual, setup_.limit);
    }
    return sort_->next(setup_.output, setup_.batch_rows);
  }

  Setup setup_;
  Pages pages_;             // borrows setup_
  std::vector<Json> page_;  // the current page
  size_t pos_ = 0;          // of the next document in page_
  uint64_t emitted_ = 0;
  Json at_;          // the position after the last document read (null: the start)
  Json dropped_at_;  // the position after the last document of a dropped page
  std::optional<LocalSort> sort_;         // made when the schema is known
  std::optional<size_t> extra_index_;     // of `_extra` in the read schema
  std::optional<ExtraAttributes> extra_;  // when it is read
};

}  // namespace polydb
