#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/document_reader.hpp"
#include "connectors/common/document_schema.hpp"
#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/types.hpp"
#include "core/log.hpp"
#include "core/value_order.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// The first page is small (document sizes are unknown, and a document may
// take 1 MiB); later pages hold about batch_bytes of documents, measured on
// the previous page.
constexpr size_t kFirstPage = 10;

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The pages of one structured query for DocumentReader
// (connectors/common/document_reader). Paging uses a cursor just after the
// last document of a page on the query's complete order (its fields, then
// __name__).
class QueryPages {
 public:
  using Setup = ReaderSetup;
  static constexpr std::string_view kLogger = "firestore";

  QueryPages(ReaderSetup& setup, FirestoreConnection& conn)
      : conn_(conn),
        setup_(setup),
        page_size_(std::min(setup.batch_rows, kFirstPage)),
        remaining_(setup.query_limit) {}

  bool done() const { return done_; }

  std::vector<Json> fetch() {
    size_t want = page_size_;
    if (remaining_) want = static_cast<size_t>(std::min<uint64_t>(want, *remaining_));
    if (want == 0) {
      done_ = true;
      return {};
    }
    Json q = setup_.query;
    q["limit"] = want;
    if (!cursor_.is_null()) q["startAt"] = cursor_;
    if (first_ && setup_.offset) q["offset"] = setup_.offset;
    first_ = false;
    auto page = conn_.api().run_query(setup_.parent, q, setup_.what);
    std::vector<Json> docs = std::move(page.documents);
    if (remaining_) *remaining_ -= docs.size();
    if (docs.size() < want) {
      done_ = true;
    } else {
      cursor_ = cursor_after(q, docs.back());
      const size_t per_doc = std::max<size_t>(1, page.bytes / docs.size());
      page_size_ = std::clamp<size_t>(setup_.batch_bytes / per_doc, 1, setup_.batch_rows);
    }
    if (setup_.partition.count > 1) {
      // No partitioned reads on Firestore's REST API for one collection:
      // every part reads the collection and keeps the documents it owns.
      std::erase_if(docs, [&](const Json& d) {
        return fnv1a(document_id(d.value("name", ""))) % setup_.partition.count !=
               setup_.partition.index;
      });
    }
    return docs;
  }

  Schema infer_schema(const std::vector<Json>& first_page) const {
    return first_page.empty() ? empty_result_schema() : firestore::infer_schema(first_page);
  }

  static int compare(const Value& a, const Value& b) { return compare_for_order(a, b); }

  const Json* properties(const Json& doc) const {
    auto fields = doc.find("fields");
    return fields != doc.end() && fields->is_object() ? &*fields : nullptr;
  }
  // The document's id and name are columns too.
  bool append_special(Column& column, std::string_view col, const Json& doc) const {
    if (col == kIdColumn) {
      column.append(Value(std::string(document_id(doc.value("name", "")))));
    } else if (col == kNameColumn) {
      column.append(Value(doc.value("name", "")));
    } else {
      return false;
    }
    return true;
  }
  void append(Column& column, const Json* value) const { append_value(column, value); }
  std::string text(const Json& value) const { return to_json_text(value); }
  bool is_extra(std::string_view, const Json& value) const {
    return value_kind(value) != "nullValue";
  }
  Error conversion_error(const Error& e, const Json& doc, std::string_view column) const {
    return Error(e.code(),
                 fmt::format("field '{}' of document {}: {}", column, doc.value("name", ""),
                             e.message()),
                 "firestore", e.detail());
  }

 private:
  static Schema empty_result_schema() {
    Schema s;
    s.fields.push_back(Field{std::string(kIdColumn), TypeId::string, false, "document id"});
    s.primary_key = {std::string(kIdColumn)};
    return s;
  }

  FirestoreConnection& conn_;
  const ReaderSetup& setup_;
  size_t page_size_;
  std::optional<uint64_t> remaining_;
  Json cursor_;
  bool first_ = true;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(FirestoreConnection& conn, ReaderSetup setup) {
  return std::make_unique<DocumentReader<QueryPages>>(std::move(setup), conn);
}

}  // namespace polydb::firestore
