#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/document_reader.hpp"
#include "connectors/common/document_schema.hpp"
#include "connectors/cosmos/connection.hpp"
#include "connectors/cosmos/types.hpp"
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

// The pages of one query (x-ms-continuation paging), or of several, one per
// partition key range, for DocumentReader (connectors/common/document_reader).
class ItemPages {
 public:
  using Setup = ReaderSetup;
  static constexpr std::string_view kLogger = "cosmos";

  ItemPages(ReaderSetup& setup, CosmosConnection& conn)
      : conn_(conn), setup_(setup), done_(setup.skip) {}

  bool done() const { return done_; }

  std::vector<Json> fetch() {
    Request req = conn_.query_request(setup_.container, setup_.body, setup_.partition_key);
    size_t page = std::min(setup_.batch_rows, kMaxPageItems);
    if (fetched_ == 0)
      page = std::min(page, kFirstPageItems);
    else
      page = std::clamp<size_t>(
          setup_.batch_bytes / std::max<uint64_t>(1, fetched_bytes_ / fetched_), 1, page);
    // Without a local filter or order, no more than the limit is needed.
    if (setup_.limit && !setup_.residual && setup_.order_by.empty())
      page = std::clamp<size_t>(*setup_.limit - std::min(*setup_.limit, fetched_), 1, page);
    req.headers.set("x-ms-max-item-count", std::to_string(page));
    if (!continuation_.empty()) req.headers.set("x-ms-continuation", continuation_);
    if (range_ < setup_.ranges.size())
      req.headers.set("x-ms-documentdb-partitionkeyrangeid", setup_.ranges[range_]);
    const net::HttpResponse r = conn_.api().call(req, setup_.what);
    Json j = Json::parse(r.body, nullptr, false);
    Json docs = j.is_object() ? std::move(j["Documents"]) : Json::array();
    if (!docs.is_array()) docs = Json::array();
    std::vector<Json> out = std::move(docs.get_ref<Json::array_t&>());
    for (auto& d : out)
      if (!d.is_object()) d = Json{{"value", std::move(d)}};  // SELECT VALUE scalars
    fetched_ += out.size();
    fetched_bytes_ += r.body.size();
    auto next = r.headers.get("x-ms-continuation");
    continuation_ = next ? std::string(*next) : std::string();
    if (continuation_.empty() && ++range_ >= setup_.ranges.size()) done_ = true;
    if (setup_.warn_incomplete)
      std::erase_if(out, [&](const Json& doc) {
        if (doc.value("id", "") != kReplaceMarkerId) return false;
        logger("cosmos")->warn(
            "container {} holds the marker item '{}': a polydb replace into it did not finish, "
            "so its contents are incomplete (run the copy again)",
            setup_.container, kReplaceMarkerId);
        return true;
      });
    return out;
  }

  Schema infer_schema(const std::vector<Json>& first_page) const {
    std::vector<const Json*> sample;
    for (const auto& d : first_page) sample.push_back(&d);
    return cosmos::infer_schema(sample, setup_.key_paths, {"_etag", "_ts"}, /*item_keys=*/false);
  }

  static int compare(const Value& a, const Value& b) { return compare_cells(a, b); }

  const Json* properties(const Json& doc) const { return &doc; }
  void append(Column& column, const Json* value) const { append_json(column, value); }
  std::string text(const Json& value) const { return value.dump(); }
  bool is_extra(std::string_view name, const Json& value) const {
    return !value.is_null() && !is_system_property(name);
  }
  Error conversion_error(const Error& e, const Json& doc, std::string_view column) const {
    return Error(e.code(),
                 fmt::format("property '{}' of the item with id '{}' in {}: {}", column,
                             doc.value("id", "?").substr(0, 60), setup_.container, e.message()),
                 "cosmos", e.detail());
  }

 private:
  CosmosConnection& conn_;
  const ReaderSetup& setup_;
  size_t range_ = 0;
  uint64_t fetched_ = 0;
  uint64_t fetched_bytes_ = 0;  // response bytes of the fetched_ items: the page size
  std::string continuation_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(CosmosConnection& conn, ReaderSetup setup) {
  return std::make_unique<DocumentReader<ItemPages>>(std::move(setup), conn);
}

}  // namespace polydb::cosmos
