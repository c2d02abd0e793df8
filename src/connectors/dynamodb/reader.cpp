#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "connectors/common/document_schema.hpp"
#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "connectors/common/local_rows.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// Items read at least per batch when a limit is near (see next()).
constexpr uint64_t kMinLimitedRead = 100;

// Streams the pages of a PageSource as batches: memory is one response plus
// one batch, except with ORDER BY, which DynamoDB cannot do and polydb sorts
// locally after reading everything.
class PageReader final : public BatchReader {
 public:
  PageReader(DynamoConnection& conn, ReaderSetup setup)
      : setup_(std::move(setup)),
        source_([&api = conn.api(), what = setup_.what](
                    std::string_view op, const Json& body) { return api.call(op, body, what); },
                setup_.operation, std::move(setup_.calls), conn.api().policy(), nullptr,
                conn.api().stop()) {
    if (!setup_.schema) {
      // query(): the schema is inferred from the first non-empty page.
      while (items_.empty() && !done_) fetch();
      std::vector<const Json*> sample;
      for (const auto& item : items_) sample.push_back(&item);
      setup_.schema = std::make_shared<Schema>(infer_schema(sample, setup_.keys));
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
      size_t rows = setup_.batch_rows;
      if (setup_.limit) {
        if (emitted_ >= *setup_.limit) return std::nullopt;
        // Read little more than the limit needs, so that a key list stops
        // after one BatchGetItem response (100 items) when that is enough;
        // not less, so that a selective local filter does not make tiny batches.
        const uint64_t want = std::max<uint64_t>(*setup_.limit - emitted_, kMinLimitedRead);
        rows = static_cast<size_t>(std::min<uint64_t>(rows, want));
      }
      auto raw = read_batch(rows);
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
    auto page = source_.next(setup_.page_limit ? setup_.batch_rows : 0);
    done_ = !page;
    items_ = page ? std::move(*page) : Json::array();
    pos_ = 0;
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
      size_t found = 0;
      for (size_t c = 0; c < schema.fields.size(); ++c) {
        if (c == extra_index_) continue;
        auto it = item.find(schema.fields[c].name);
        const Json* av = nullptr;
        if (it != item.end()) av = &*it, ++found;
        try {
          append_av(batch.column(c), av);
        } catch (const Error& e) {
          if (extra_ && e.code() == ErrorCode::type_mismatch) {
            // Does not fit the column: kept in the catch-all instead.
            batch.column(c).append_null();
            extra_->add(schema.fields[c].name, av_to_json_text(*av));
            continue;
          }
          throw Error(e.code(),
                      fmt::format("attribute '{}' of the item with key {}: {}",
                                  schema.fields[c].name, describe_key(item), e.message()),
                      "dynamodb", e.detail());
        }
      }
      if (extra_index_) {
        // Every attribute was a column read (the usual case): nothing else to look at.
        const bool all_read = found == item.size() && extra_->column_count() + 1 == schema.fields.size();
        if (!all_read)
          for (auto it = item.begin(); it != item.end(); ++it)
            if (!extra_->is_column(it.key()) && av_kind(it.value()) != "NULL")
              extra_->add(it.key(), av_to_json_text(it.value()));
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
      sort_.emplace(*setup_.schema, setup_.order_by, compare_values, setup_.sort_memory_bytes);
      sort_->load([&] { return read_batch(setup_.batch_rows); }, setup_.residual, setup_.limit);
    }
    return sort_->next(setup_.output, setup_.batch_rows);
  }

  ReaderSetup setup_;
  PageSource source_;
  Json items_ = Json::array();
  size_t pos_ = 0;
  bool done_ = false;
  uint64_t emitted_ = 0;
  std::optional<LocalSort> sort_;  // made when the schema is known
  std::optional<size_t> extra_index_;       // of `_extra` in the read schema
  std::optional<ExtraAttributes> extra_;    // when it is read
};

}  // namespace

PageSource::PageSource(Caller call, std::string operation, std::vector<Json> requests,
                       net::RetryPolicy policy, net::RetryClock* clock, std::stop_token stop)
    : call_(std::move(call)),
      operation_(std::move(operation)),
      requests_(std::move(requests)),
      policy_(policy),
      clock_(clock),
      stop_(std::move(stop)) {}

std::optional<Json> PageSource::next(size_t page_rows) {
  if (index_ >= requests_.size()) return std::nullopt;
  if (body_.is_null()) body_ = requests_[index_];
  if (wait_) backoff_->sleep(*std::exchange(wait_, std::nullopt));
  Json body = body_;
  const bool batch_get = operation_ == "BatchGetItem";
  if (!batch_get && page_rows > 0) body["Limit"] = std::min<size_t>(page_rows, 10'000);
  Json r = call_(operation_, body);
  ++attempt_;
  return batch_get ? take_batch_get(r) : take_page(r);
}

Json PageSource::take_page(Json& response) {
  auto last = response.find("LastEvaluatedKey");
  if (last == response.end() || last->empty())
    next_request();
  else
    body_["ExclusiveStartKey"] = std::move(*last);
  Json& items = response["Items"];
  return items.is_array() ? std::move(items) : Json::array();
}

Json PageSource::take_batch_get(Json& response) {
  const auto request = body_.at("RequestItems").begin();
  const std::string table = request.key();
  Json items = std::move(response["Responses"][table]);
  if (!items.is_array()) items = Json::array();
  const Json* left = nullptr;
  if (auto un = response.find("UnprocessedKeys"); un != response.end() && un->contains(table))
    left = &(*un)[table]["Keys"];
  if (!left || !left->is_array() || left->empty()) {
    next_request();
    return items;
  }
  // Throttled, or the response reached its 16 MB cap: resend what is left,
  // keeping our projection (the emulator's UnprocessedKeys drop it).
  if (!backoff_)
    backoff_.emplace(policy_, clock_, fmt::format("DynamoDB BatchGetItem on {}", table), "key(s)",
                     request.value().at("Keys").size(), stop_);
  wait_ = backoff_->delay(left->size(), attempt_);
  request.value()["Keys"] = *left;
  return items;
}

void PageSource::next_request() {
  ++index_;
  body_ = nullptr;
  attempt_ = 0;
  backoff_.reset();
}

std::unique_ptr<BatchReader> make_reader(DynamoConnection& conn, ReaderSetup setup) {
  return std::make_unique<PageReader>(conn, std::move(setup));
}

}  // namespace polydb::dynamodb
