#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/document_schema.hpp"
#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/types.hpp"
#include "connectors/common/local_rows.hpp"
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

// Streams the pages of one structured query as batches. Paging uses a
// cursor just after the last document of a page on the query's complete
// order (its fields, then __name__), so memory is one page plus one batch —
// except for a local ORDER BY, which reads everything first.
class PageReader final : public BatchReader {
 public:
  PageReader(FirestoreConnection& conn, ReaderSetup setup) : conn_(conn), setup_(std::move(setup)) {
    page_size_ = std::min(setup_.batch_rows, kFirstPage);
    remaining_ = setup_.query_limit;
    if (!setup_.schema) {
      // query(): the schema is inferred from the first page.
      while (docs_.empty() && !done_) fetch();
      setup_.schema = std::make_shared<Schema>(docs_.empty() ? empty_result_schema()
                                                             : infer_schema(docs_));
    }
    if (!setup_.output) setup_.output = setup_.schema;
    if (!setup_.full) setup_.full = setup_.schema;
    extra_index_ = setup_.schema->index_of(kExtraColumn);
    if (extra_index_) extra_.emplace(*setup_.full);
  }

  const Schema& schema() const override { return *setup_.output; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override {
    if (!setup_.local_order.empty()) return next_sorted();
    while (true) {
      if (setup_.limit && emitted_ >= *setup_.limit) return std::nullopt;
      auto raw = read_batch();
      if (!raw) return std::nullopt;
      Batch batch = finish(std::move(*raw));
      if (setup_.limit) batch.truncate(static_cast<size_t>(*setup_.limit - emitted_));
      if (batch.num_rows() == 0) continue;
      emitted_ += batch.num_rows();
      logger("firestore")->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
  }

 private:
  static Schema empty_result_schema() {
    Schema s;
    s.fields.push_back(Field{std::string(kIdColumn), TypeId::string, false, "document id"});
    s.primary_key = {std::string(kIdColumn)};
    return s;
  }

  void fetch() {
    size_t want = page_size_;
    if (remaining_) want = static_cast<size_t>(std::min<uint64_t>(want, *remaining_));
    if (want == 0) {
      done_ = true;
      return;
    }
    Json q = setup_.query;
    q["limit"] = want;
    if (!cursor_.is_null()) q["startAt"] = cursor_;
    if (first_ && setup_.offset) q["offset"] = setup_.offset;
    first_ = false;
    auto page = conn_.api().run_query(setup_.parent, q, setup_.what);
    docs_ = std::move(page.documents);
    pos_ = 0;
    if (remaining_) *remaining_ -= docs_.size();
    if (docs_.size() < want) {
      done_ = true;
    } else {
      cursor_ = cursor_after(q, docs_.back());
      const size_t per_doc = std::max<size_t>(1, page.bytes / docs_.size());
      page_size_ = std::clamp<size_t>(setup_.batch_bytes / per_doc, 1, setup_.batch_rows);
    }
    if (setup_.partition.count > 1) {
      // No partitioned reads on Firestore's REST API for one collection:
      // every part reads the collection and keeps the documents it owns.
      std::erase_if(docs_, [&](const Json& d) {
        return fnv1a(document_id(d.value("name", ""))) % setup_.partition.count !=
               setup_.partition.index;
      });
    }
  }

  void append_document(Batch& batch, const Json& doc) {
    const Schema& schema = *setup_.schema;
    const std::string name = doc.value("name", "");
    auto fields = doc.find("fields");
    const bool has_fields = fields != doc.end() && fields->is_object();
    size_t found = 0;
    for (size_t c = 0; c < schema.fields.size(); ++c) {
      if (c == extra_index_) continue;
      const std::string& col = schema.fields[c].name;
      Column& column = batch.column(c);
      const Json* v = nullptr;
      try {
        if (col == kIdColumn) {
          column.append(Value(std::string(document_id(name))));
        } else if (col == kNameColumn) {
          column.append(Value(name));
        } else {
          if (has_fields)
            if (auto it = fields->find(col); it != fields->end()) v = &*it, ++found;
          append_value(column, v);
        }
      } catch (const Error& e) {
        if (extra_ && v && e.code() == ErrorCode::type_mismatch) {
          // Does not fit the column: kept in the catch-all instead.
          column.append_null();
          extra_->add(col, to_json_text(*v));
          continue;
        }
        throw Error(e.code(),
                    fmt::format("field '{}' of document {}: {}", col, name, e.message()),
                    "firestore", e.detail());
      }
    }
    if (extra_index_) {
      if (has_fields && found != fields->size())
        for (auto it = fields->begin(); it != fields->end(); ++it)
          if (!extra_->is_column(it.key()) && value_kind(it.value()) != "nullValue")
            extra_->add(it.key(), to_json_text(it.value()));
      extra_->finish_row(batch.column(*extra_index_));
    }
    batch.commit_row();
  }

  // Up to batch_rows documents converted to the read schema; nullopt at the end.
  std::optional<Batch> read_batch() {
    Batch batch(setup_.schema);
    while (batch.num_rows() < setup_.batch_rows) {
      if (pos_ >= docs_.size()) {
        if (done_) break;
        fetch();
        continue;
      }
      append_document(batch, docs_[pos_++]);
      if (batch.byte_size() >= setup_.batch_bytes) break;
    }
    if (pos_ >= docs_.size()) docs_.clear();  // release the page early
    if (batch.num_rows() == 0) return std::nullopt;
    return batch;
  }

  Batch finish(Batch batch) const {
    return filter_and_project(std::move(batch), setup_.residual, setup_.output);
  }

  // ORDER BY the backend cannot do (connectors/common/local_rows: spills beyond sort_memory_bytes).
  std::optional<Batch> next_sorted() {
    if (!sort_) {
      sort_.emplace(*setup_.schema, setup_.local_order, compare_for_order,
                    setup_.sort_memory_bytes);
      sort_->load([&] { return read_batch(); }, setup_.residual, setup_.limit);
    }
    return sort_->next(setup_.output, setup_.batch_rows);
  }

  FirestoreConnection& conn_;
  ReaderSetup setup_;
  std::vector<Json> docs_;
  size_t pos_ = 0;
  size_t page_size_ = kFirstPage;
  std::optional<uint64_t> remaining_;
  Json cursor_;
  bool first_ = true;
  bool done_ = false;
  uint64_t emitted_ = 0;
  std::optional<LocalSort> sort_;  // made when the schema is known
  std::optional<size_t> extra_index_;     // of `_extra` in the read schema
  std::optional<ExtraAttributes> extra_;  // when it is read
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(FirestoreConnection& conn, ReaderSetup setup) {
  return std::make_unique<PageReader>(conn, std::move(setup));
}

}  // namespace polydb::firestore
