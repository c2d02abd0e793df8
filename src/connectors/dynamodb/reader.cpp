#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "connectors/common/document_reader.hpp"
#include "connectors/common/document_schema.hpp"
#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// The responses of a PageSource for DocumentReader
// (connectors/common/document_reader).
class ItemPages {
 public:
  using Setup = ReaderSetup;
  static constexpr std::string_view kLogger = "dynamodb";
  // Near a limit, read little more than it needs, so that a key list stops
  // after one BatchGetItem response (100 items) when that is enough.
  static constexpr uint64_t kMinLimitedRead = 100;

  ItemPages(ReaderSetup& setup, DynamoConnection& conn)
      : setup_(setup),
        table_(setup.calls.empty() ? Json() : setup.calls.front().value("TableName", Json())),
        segment_(segment_of(setup)),
        skipped_(resume(setup)),
        source_([&api = conn.api(), what = setup.what](
                    std::string_view op, const Json& body) { return api.call(op, body, what); },
                setup.operation, std::move(setup.calls), conn.api().policy(), nullptr,
                conn.api().stop()) {}

  bool done() const { return done_; }

  std::vector<Json> fetch() {
    page_request_ = skipped_ + source_.request();
    auto page = source_.next(setup_.page_limit ? setup_.batch_rows : 0);
    done_ = !page;
    if (!page || !page->is_array()) return {};
    return std::move(page->get_ref<Json::array_t&>());
  }

  Schema infer_schema(const std::vector<Json>& first_page) const {
    std::vector<const Json*> sample;
    for (const auto& item : first_page) sample.push_back(&item);
    return dynamodb::infer_schema(sample, setup_.keys);
  }

  static int compare(const Value& a, const Value& b) { return compare_values(a, b); }

  // Resume points: {"table", "segment": [Segment, TotalSegments] or null,
  // "request": the index of the Scan/Query request, "key": the item's key
  // attributes, its ExclusiveStartKey}. A key lookup (BatchGetItem) answers
  // in no defined order: it tells none.
  bool resumable() const { return setup_.operation != "BatchGetItem"; }
  Json resume_key(const Json& item, size_t /*index: the key alone places it*/) const {
    Json key = Json::object();
    for (const std::string* k : {&setup_.keys.hash, &setup_.keys.range})
      if (!k->empty())
        if (auto it = item.find(*k); it != item.end()) key[*k] = *it;
    Json at = Json::object();
    at["table"] = table_;
    at["segment"] = segment_;
    at["request"] = page_request_;
    at["key"] = std::move(key);
    return at;
  }

  const Json* properties(const Json& item) const { return &item; }
  void append(Column& column, const Json* av) const { append_av(column, av); }
  std::string text(const Json& av) const { return av_to_json_text(av); }
  bool is_extra(std::string_view, const Json& av) const { return av_kind(av) != "NULL"; }
  Error conversion_error(const Error& e, const Json& item, std::string_view column) const {
    return Error(e.code(),
                 fmt::format("attribute '{}' of the item with key {}: {}", column,
                             describe_key(item), e.message()),
                 "dynamodb", e.detail());
  }

 private:
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

  static Json segment_of(const ReaderSetup& setup) {
    if (setup.calls.empty() || !setup.calls.front().contains("TotalSegments")) return Json();
    const Json& call = setup.calls.front();
    return Json::array({call.at("Segment"), call.at("TotalSegments")});
  }

  // Continues a read at setup.resume_at (null: from the start): checks that
  // the point belongs to this read, drops the requests before its request and
  // starts that one after the point's key. Returns how many were dropped.
  static size_t resume(ReaderSetup& setup) {
    const Json& at = setup.resume_at;
    if (at.is_null()) return 0;
    auto refuse = [&](std::string_view why) {
      return refused_resume_point(setup.what, at, why, "dynamodb");
    };
    if (setup.operation == "BatchGetItem")
      throw refuse("a key lookup (BatchGetItem) has no resume points");
    if (!at.is_object() || !at.contains("table") || !at.contains("request") ||
        !at["request"].is_number_unsigned() || !at.contains("key") || !at["key"].is_object())
      throw refuse("it is not a DynamoDB resume point");
    const Json table =
        setup.calls.empty() ? Json() : setup.calls.front().value("TableName", Json());
    if (at["table"] != table)
      throw refuse(fmt::format("it belongs to table {}", at["table"].dump()));
    if (auto why = segment_mismatch(at.value("segment", Json()), segment_of(setup), "table"))
      throw refuse(*why);
    const auto request = at["request"].get<size_t>();
    if (request >= setup.calls.size())
      throw refuse(fmt::format("this scan sends {} request(s)", setup.calls.size()));
    for (const auto& [name, value] : at["key"].items())
      if (name != setup.keys.hash && name != setup.keys.range)
        throw refuse(fmt::format("'{}' is not a key attribute of the table", name));
    setup.calls.erase(setup.calls.begin(), setup.calls.begin() + static_cast<ptrdiff_t>(request));
    if (!at["key"].empty()) setup.calls.front()["ExclusiveStartKey"] = at["key"];
    return request;
  }

  const ReaderSetup& setup_;
  Json table_;    // of the requests
  Json segment_;  // [Segment, TotalSegments] of a parallel scan; null otherwise
  size_t skipped_;             // requests dropped to resume
  size_t page_request_ = 0;    // of the page being read
  PageSource source_;
  bool done_ = false;
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
  return std::make_unique<DocumentReader<ItemPages>>(std::move(setup), conn);
}

}  // namespace polydb::dynamodb
