#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/document_schema.hpp"
#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/types.hpp"
#include "connectors/common/local_rows.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

// Cosmos DB pages hold at most this many items whatever we ask.
constexpr size_t kMaxPageItems = 1000;
// The first page is small (item sizes are unknown; an item may take 2 MB);
// later pages ask for about batch_bytes of items, measured on the pages so
// far. The service also ends a page at about 4 MB, but the emulator does not.
constexpr size_t kFirstPageItems = 10;

// Order of two cells of one column (same type): NULLs first.
int compare_cells(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return int(!a.is_null()) - int(!b.is_null());
  if (a.type_id() == TypeId::decimal) {
    const double x = std::strtod(a.as<Decimal>().text.c_str(), nullptr);
    const double y = std::strtod(b.as<Decimal>().text.c_str(), nullptr);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  return std::visit(
      [&](const auto& x) -> int {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, Decimal>) {
          return 0;
        } else if constexpr (std::is_same_v<T, Bytes> || std::is_same_v<T, polydb::Json>) {
          const auto& y = std::get<T>(b.storage());
          const auto& xs = [&]() -> const std::string& {
            if constexpr (std::is_same_v<T, Bytes>) return x.data; else return x.text;
          }();
          const auto& ys = [&]() -> const std::string& {
            if constexpr (std::is_same_v<T, Bytes>) return y.data; else return y.text;
          }();
          return xs < ys ? -1 : (ys < xs ? 1 : 0);
        } else {
          const auto& y = std::get<T>(b.storage());
          return x < y ? -1 : (y < x ? 1 : 0);
        }
      },
      a.storage());
}

// Streams the pages of one query (x-ms-continuation paging) as batches:
// memory is one page plus one batch, except with ORDER BY, which polydb
// sorts locally after reading everything.
class PageReader final : public BatchReader {
 public:
  PageReader(CosmosConnection& conn, ReaderSetup setup) : conn_(conn), setup_(std::move(setup)) {
    done_ = setup_.skip;
    if (!setup_.schema) {
      // query(): the schema is inferred from the first non-empty page.
      while (pos_ >= docs_.size() && !done_) fetch();
      std::vector<const Json*> sample;
      for (const auto& d : docs_) sample.push_back(&d);
      setup_.schema = std::make_shared<Schema>(
          infer_schema(sample, setup_.key_paths, {"_etag", "_ts"}, /*item_keys=*/false));
    }
    if (!setup_.output) setup_.output = setup_.schema;
    if (!setup_.full) setup_.full = setup_.schema;
    extra_index_ = setup_.schema->index_of(kExtraColumn);
    if (extra_index_) extra_.emplace(*setup_.full);
  }

  const Schema& schema() const override { return *setup_.output; }
  ScanPlan plan() const override { return setup_.plan; }

  std::optional<Batch> next() override {
    if (!setup_.order_by.empty()) return next_sorted();
    while (true) {
      if (setup_.limit && emitted_ >= *setup_.limit) return std::nullopt;
      auto raw = read_batch(setup_.batch_rows);
      if (!raw) return std::nullopt;
      Batch batch = finish(std::move(*raw));
      if (setup_.limit) batch.truncate(static_cast<size_t>(*setup_.limit - emitted_));
      if (batch.num_rows() == 0) continue;
      emitted_ += batch.num_rows();
      logger("cosmos")->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
  }

 private:
  void fetch() {
    Request req = conn_.query_request(setup_.container, setup_.body, setup_.partition_key);
    size_t page = std::min(setup_.batch_rows, kMaxPageItems);
    if (fetched_ == 0)
      page = std::min(page, kFirstPageItems);
    else
      page = std::clamp<size_t>(setup_.batch_bytes / std::max<uint64_t>(1, fetched_bytes_ / fetched_),
                                1, page);
    // Without a local filter or order, no more than the limit is needed.
    if (setup_.limit && !setup_.residual && setup_.order_by.empty())
      page = std::clamp<size_t>(*setup_.limit - std::min(*setup_.limit, fetched_), 1, page);
    req.headers.set("x-ms-max-item-count", std::to_string(page));
    if (!continuation_.empty()) req.headers.set("x-ms-continuation", continuation_);
    if (range_ < setup_.ranges.size())
      req.headers.set("x-ms-documentdb-partitionkeyrangeid", setup_.ranges[range_]);
    const net::HttpResponse r = conn_.api().call(req, setup_.what);
    Json j = Json::parse(r.body, nullptr, false);
    docs_ = j.is_object() ? std::move(j["Documents"]) : Json::array();
    if (!docs_.is_array()) docs_ = Json::array();
    for (auto& d : docs_)
      if (!d.is_object()) d = Json{{"value", std::move(d)}};  // SELECT VALUE scalars
    pos_ = 0;
    fetched_ += docs_.size();
    fetched_bytes_ += r.body.size();
    auto next = r.headers.get("x-ms-continuation");
    continuation_ = next ? std::string(*next) : std::string();
    if (continuation_.empty() && ++range_ >= setup_.ranges.size()) done_ = true;
  }

  // Up to `rows` documents converted to the read schema; nullopt at the end.
  std::optional<Batch> read_batch(size_t rows) {
    const Schema& schema = *setup_.schema;
    Batch batch(setup_.schema);
    while (batch.num_rows() < rows) {
      if (pos_ >= docs_.size()) {
        if (done_) break;
        fetch();
        continue;
      }
      const Json& doc = docs_[pos_++];
      if (setup_.warn_incomplete && doc.value("id", "") == kReplaceMarkerId) {
        logger("cosmos")->warn(
            "container {} holds the marker item '{}': a polydb replace into it did not finish, "
            "so its contents are incomplete (run the copy again)",
            setup_.container, kReplaceMarkerId);
        continue;
      }
      size_t found = 0;
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        if (c == extra_index_) continue;
        auto it = doc.find(schema.fields[c].name);
        const Json* v = nullptr;
        if (it != doc.end()) v = &*it, ++found;
        try {
          append_json(batch.column(c), v);
        } catch (const Error& e) {
          if (extra_ && e.code() == ErrorCode::type_mismatch) {
            // Does not fit the column: kept in the catch-all instead.
            batch.column(c).append_null();
            extra_->add(schema.fields[c].name, v->dump());
            continue;
          }
          throw Error(e.code(),
                      fmt::format("property '{}' of the item with id '{}' in {}: {}",
                                  schema.fields[c].name, doc.value("id", "?").substr(0, 60),
                                  setup_.container, e.message()),
                      "cosmos", e.detail());
        }
      }
      if (extra_index_) {
        // Every property was a column read (a projection): nothing else to look at.
        const bool all_read =
            found == doc.size() && extra_->column_count() + 1 == schema.fields.size();
        if (!all_read)
          for (auto it = doc.begin(); it != doc.end(); ++it)
            if (!it.value().is_null() && !extra_->is_column(it.key()) &&
                !is_system_property(it.key()))
              extra_->add(it.key(), it.value().dump());
        extra_->finish_row(batch.column(*extra_index_));
      }
      batch.commit_row();
      if (batch.byte_size() >= setup_.batch_bytes) break;
    }
    if (batch.num_rows() == 0) return std::nullopt;
    return batch;
  }

  Batch finish(Batch batch) const {
    return filter_and_project(std::move(batch), setup_.residual, setup_.output);
  }

  // ORDER BY the backend cannot do (connectors/common/local_rows: spills beyond sort_memory_bytes).
  std::optional<Batch> next_sorted() {
    if (!sort_) {
      sort_.emplace(*setup_.schema, setup_.order_by, compare_cells, setup_.sort_memory_bytes);
      sort_->load([&] { return read_batch(setup_.batch_rows); }, setup_.residual, setup_.limit);
    }
    return sort_->next(setup_.output, setup_.batch_rows);
  }

  CosmosConnection& conn_;
  ReaderSetup setup_;
  Json docs_ = Json::array();
  size_t pos_ = 0;
  size_t range_ = 0;
  uint64_t fetched_ = 0;
  uint64_t fetched_bytes_ = 0;  // response bytes of the fetched_ items: the page size
  std::string continuation_;
  bool done_ = false;
  uint64_t emitted_ = 0;
  std::optional<LocalSort> sort_;  // made when the schema is known
  std::optional<size_t> extra_index_;     // of `_extra` in the read schema
  std::optional<ExtraAttributes> extra_;  // when it is read
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(CosmosConnection& conn, ReaderSetup setup) {
  return std::make_unique<PageReader>(conn, std::move(setup));
}

}  // namespace polydb::cosmos
