#include <fmt/format.h>

#include <algorithm>

#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/types.hpp"
#include "core/log.hpp"
#include "core/value_order.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// The first page is small (document sizes are unknown); later pages hold
// about batch_bytes of documents, measured on the previous page.
constexpr size_t kFirstPage = 200;

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
    for (size_t c = 0; c < schema.fields.size(); ++c) {
      const std::string& col = schema.fields[c].name;
      Column& column = batch.column(c);
      try {
        if (col == kIdColumn) {
          column.append(Value(std::string(document_id(name))));
        } else if (col == kNameColumn) {
          column.append(Value(name));
        } else {
          const Json* v = nullptr;
          if (fields != doc.end())
            if (auto it = fields->find(col); it != fields->end()) v = &*it;
          append_value(column, v);
        }
      } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("field '{}' of document {}: {}", col, name, e.message()),
                    "firestore", e.detail());
      }
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
      if ((batch.num_rows() & 63) == 0 && batch.byte_size() >= setup_.batch_bytes) break;
    }
    if (pos_ >= docs_.size()) docs_.clear();  // release the page early
    if (batch.num_rows() == 0) return std::nullopt;
    return batch;
  }

  // The local filter (always: pushed comparisons are exact, the rest is not
  // pushed) and the projection to the requested columns.
  Batch finish(Batch batch) const {
    if (setup_.residual) batch = apply_filter(*setup_.residual, batch);
    if (setup_.output == setup_.schema) return batch;
    Batch out(setup_.output);
    for (size_t c = 0; c < setup_.output->fields.size(); ++c)
      out.column(c) = std::move(batch.column(c));
    for (size_t r = 0; r < batch.num_rows(); ++r) out.commit_row();
    return out;
  }

  std::optional<Batch> next_sorted() {
    if (!sorted_) {
      sorted_ = true;
      while (auto raw = read_batch()) {
        Batch b = setup_.residual ? apply_filter(*setup_.residual, *raw) : std::move(*raw);
        for (size_t r = 0; r < b.num_rows(); ++r) rows_.push_back(b.row(r));
      }
      std::vector<std::pair<size_t, bool>> keys;
      for (const auto& o : setup_.local_order)
        keys.emplace_back(*setup_.schema->index_of(o.column), o.descending);
      std::stable_sort(rows_.begin(), rows_.end(), [&](const auto& a, const auto& b) {
        for (auto [c, desc] : keys)
          if (const int x = compare_for_order(a[c], b[c]); x != 0) return desc ? x > 0 : x < 0;
        return false;
      });
      if (setup_.limit && rows_.size() > *setup_.limit) rows_.resize(*setup_.limit);
    }
    if (next_row_ >= rows_.size()) return std::nullopt;
    Batch out(setup_.output);
    const size_t n = setup_.output->fields.size();
    while (next_row_ < rows_.size() && out.num_rows() < setup_.batch_rows) {
      auto& row = rows_[next_row_++];
      row.resize(n);
      out.append_row(row);
      std::vector<Value>().swap(row);
    }
    return out;
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
  bool sorted_ = false;
  std::vector<std::vector<Value>> rows_;
  size_t next_row_ = 0;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(FirestoreConnection& conn, ReaderSetup setup) {
  return std::make_unique<PageReader>(conn, std::move(setup));
}

}  // namespace polydb::firestore
