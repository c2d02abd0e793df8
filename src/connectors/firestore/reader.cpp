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

// The pages of one structured query for DocumentReader
// (connectors/common/document_reader). Paging uses a cursor just after the
// last document of a page on the query's complete order (its fields, then
// __name__).
//
// Resume points: {"collection": its full name, "segment": [index, count] or
// null, "names": the segment's KeySpan or null, "order": the query's orderBy,
// "cursor": the values of a cursor just after the last document read}; the
// scan continues with startAt {values, before: false}.
class QueryPages {
 public:
  using Setup = ReaderSetup;
  static constexpr std::string_view kLogger = "firestore";

  QueryPages(ReaderSetup& setup, FirestoreConnection& conn)
      : conn_(conn),
        setup_(setup),
        page_size_(std::min(setup.batch_rows, kFirstPage)),
        remaining_(setup.query_limit),
        done_(setup.skip) {
    if (!setup.resume_at.is_null()) resume(setup.resume_at);
  }

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
    return docs;
  }

  bool resumable() const { return setup_.resumable; }

  Json resume_key(const Json& doc, size_t /*index: the cursor alone places it*/) const {
    Json at = Json::object();
    at["collection"] = setup_.collection;
    at["segment"] = setup_.segment;
    at["names"] = setup_.names;
    at["order"] = setup_.query.value("orderBy", Json::array());
    at["cursor"] = cursor_after(setup_.query, doc)["values"];
    return at;
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
  // Continues after the cursor of a resume point (see above), once it is
  // checked to belong to this scan.
  void resume(const Json& at) {
    auto refuse = [&](std::string_view why) {
      return refused_resume_point(setup_.what, at, why, "firestore");
    };
    if (!at.is_object() || !at.contains("collection") || !at.contains("cursor") ||
        !at["cursor"].is_array())
      throw refuse("it is not a Firestore resume point");
    if (at["collection"] != setup_.collection)
      throw refuse(fmt::format("it belongs to collection {}", at["collection"].dump()));
    if (auto why = segment_mismatch(at.value("segment", Json()), setup_.segment, "collection"))
      throw refuse(*why);
    if (at.value("names", Json()) != setup_.names)
      throw refuse("it belongs to another range of document names");
    const Json order = setup_.query.value("orderBy", Json::array());
    if (at.value("order", Json()) != order || at["cursor"].size() != order.size())
      throw refuse("it belongs to a query in another order (another filter)");
    cursor_ = {{"values", at["cursor"]}, {"before", false}};
    if (remaining_) *remaining_ -= std::min(*remaining_, setup_.resume_rows);
  }

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
  Json cursor_;  // startAt of the next page; null: from the start
  bool first_ = true;
  bool done_;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(FirestoreConnection& conn, ReaderSetup setup) {
  return std::make_unique<DocumentReader<QueryPages>>(std::move(setup), conn);
}

}  // namespace polydb::firestore
