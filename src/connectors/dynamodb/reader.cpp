#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "core/local_rows.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// Streams the pages of one Scan/Query (LastEvaluatedKey paging) as batches:
// memory is one page plus one batch, except with ORDER BY, which DynamoDB
// cannot do and polydb sorts locally after reading everything.
class PageReader final : public BatchReader {
 public:
  PageReader(DynamoConnection& conn, ReaderSetup setup) : conn_(conn), setup_(std::move(setup)) {
    if (!setup_.schema) {
      // query(): the schema is inferred from the first non-empty page.
      while (items_.empty() && !done_) fetch();
      std::vector<const Json*> sample;
      for (const auto& item : items_) sample.push_back(&item);
      setup_.schema = std::make_shared<Schema>(infer_schema(sample, setup_.keys));
    }
    if (!setup_.output) setup_.output = setup_.schema;
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
      logger("dynamodb")->trace("batch of {} rows", batch.num_rows());
      return batch;
    }
  }

 private:
  void fetch() {
    Json body = setup_.body;
    if (setup_.page_limit) body["Limit"] = std::min<size_t>(setup_.batch_rows, 10'000);
    if (!start_key_.is_null()) body["ExclusiveStartKey"] = start_key_;
    Json r = conn_.api().call(setup_.operation, body, setup_.what);
    items_ = std::move(r["Items"]);
    if (!items_.is_array()) items_ = Json::array();
    pos_ = 0;
    auto last = r.find("LastEvaluatedKey");
    if (last == r.end() || last->empty()) {
      done_ = true;
      start_key_ = nullptr;
    } else {
      start_key_ = std::move(*last);
    }
  }

  std::string describe_key(const Json& item) const {
    std::string out;
    for (const std::string* k : {&setup_.keys.hash, &setup_.keys.range}) {
      if (k->empty()) continue;
      auto it = item.find(*k);
      out += (out.empty() ? "" : ", ") + *k + "=" +
             (it == item.end() ? "?" : av_to_json_text(*it).substr(0, 60));
    }
    return out;
  }

  // Up to `rows` items converted to the read schema; nullopt at the end.
  std::optional<Batch> read_batch(size_t rows) {
    const Schema& schema = *setup_.schema;
    Batch batch(setup_.schema);
    while (batch.num_rows() < rows) {
      if (pos_ >= items_.size()) {
        if (done_) break;
        fetch();
        continue;
      }
      const Json& item = items_[pos_++];
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        auto it = item.find(schema.fields[c].name);
        try {
          append_av(batch.column(c), it == item.end() ? nullptr : &*it);
        } catch (const Error& e) {
          throw Error(e.code(),
                      fmt::format("attribute '{}' of the item with key {}: {}",
                                  schema.fields[c].name, describe_key(item), e.message()),
                      "dynamodb", e.detail());
        }
      }
      batch.commit_row();
      if ((batch.num_rows() & 63) == 0 && batch.byte_size() >= setup_.batch_bytes) break;
    }
    if (batch.num_rows() == 0) return std::nullopt;
    return batch;
  }

  Batch finish(Batch batch) const {
    return filter_and_project(std::move(batch), setup_.residual, setup_.output);
  }

  // ORDER BY the backend cannot do (core/local_rows: spills beyond sort_memory_bytes).
  std::optional<Batch> next_sorted() {
    if (!sort_) {
      sort_.emplace(*setup_.schema, setup_.order_by, compare_values, setup_.sort_memory_bytes);
      sort_->load([&] { return read_batch(setup_.batch_rows); }, setup_.residual, setup_.limit);
    }
    return sort_->next(setup_.output, setup_.batch_rows);
  }

  DynamoConnection& conn_;
  ReaderSetup setup_;
  Json items_ = Json::array();
  size_t pos_ = 0;
  Json start_key_;
  bool done_ = false;
  uint64_t emitted_ = 0;
  std::optional<LocalSort> sort_;  // made when the schema is known
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(DynamoConnection& conn, ReaderSetup setup) {
  return std::make_unique<PageReader>(conn, std::move(setup));
}

}  // namespace polydb::dynamodb
