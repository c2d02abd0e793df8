#include <fmt/format.h>

#include <algorithm>

#include "connectors/common/document_reader.hpp"
#include "connectors/common/document_schema.hpp"
#include "connectors/common/murmur3.hpp"
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

// What a resume point of `setup` must match besides its container and
// segment: the query (text, parameters, partition key), whose continuation
// tokens it holds.
std::string query_fingerprint(const ReaderSetup& setup) {
  const std::string text =
      setup.body.dump() + (setup.partition_key ? setup.partition_key->dump() : std::string());
  const Hash128 h = murmur3_x64_128(
      {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  return fmt::format("{:016x}{:016x}", h.h1, h.h2);
}

// The pages of one query (x-ms-continuation paging), or of several, one per
// partition key range, for DocumentReader (connectors/common/document_reader).
//
// Resume points: {"container", "segment": [index, count] or null, "query":
// query_fingerprint(), "ids": the segment's KeySpan or null, then "range": the
// pkrange id being read (null when the query reads the whole container),
// "token": the x-ms-continuation that requests the page holding the next
// item ("" = the range's first page), "skip": the items of that page already
// read, "rid": the _rid of the last of them} or, after the last item,
// {..., "end": true}. A page requested again with its token starts at the
// same item whatever its size; "rid" checks that the items before it have
// not moved (a deletion would otherwise make "skip" pass over an item).
class ItemPages {
 public:
  using Setup = ReaderSetup;
  static constexpr std::string_view kLogger = "cosmos";

  ItemPages(ReaderSetup& setup, CosmosConnection& conn)
      : conn_(conn), setup_(setup), fingerprint_(query_fingerprint(setup)), done_(setup.skip) {
    if (!setup.resume_at.is_null()) resume(setup.resume_at);
  }

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
    if (setup_.limit && !setup_.residual && setup_.order_by.empty()) {
      const uint64_t read = fetched_ + setup_.resume_rows;
      page = std::clamp<size_t>(*setup_.limit - std::min(*setup_.limit, read), 1, page);
    }
    // A resumed page must reach past the items read already.
    if (skip_ > 0) page = std::min(std::max(page, skip_ + kFirstPageItems), kMaxPageItems);
    req.headers.set("x-ms-max-item-count", std::to_string(page));
    if (!continuation_.empty()) req.headers.set("x-ms-continuation", continuation_);
    if (range_ < setup_.ranges.size())
      req.headers.set("x-ms-documentdb-partitionkeyrangeid", setup_.ranges[range_]);
    const net::HttpResponse r = conn_.api().call(req, setup_.what);
    Json j = Json::parse(r.body, nullptr, false);
    Json docs = j.is_object() ? std::move(j["Documents"]) : Json::array();
    if (!docs.is_array()) docs = Json::array();
    std::vector<Json> out = std::move(docs.get_ref<Json::array_t&>());
    fetched_ += out.size();
    fetched_bytes_ += r.body.size();
    // Where this page sits, for resume_key() while it is read.
    page_range_ = range_;
    page_token_ = std::move(continuation_);
    page_items_ = out.size();
    page_dropped_ = 0;
    hidden_.clear();
    auto next = r.headers.get("x-ms-continuation");
    continuation_ = next ? std::string(*next) : std::string();
    page_next_ = continuation_;
    if (continuation_.empty() && ++range_ >= setup_.ranges.size()) done_ = true;
    if (skip_ > 0) {
      page_dropped_ = items_read_before(out);
      out.erase(out.begin(), out.begin() + static_cast<ptrdiff_t>(page_dropped_));
    }
    for (auto& d : out)
      if (!d.is_object()) d = Json{{"value", std::move(d)}};  // SELECT VALUE scalars
    if (setup_.warn_incomplete) {
      for (size_t i = 0; i < out.size(); ++i)
        if (out[i].value("id", "") == kReplaceMarkerId) hidden_.push_back(page_dropped_ + i);
      if (!hidden_.empty()) {
        logger("cosmos")->warn(
            "container {} holds the marker item '{}': a polydb replace into it did not finish, "
            "so its contents are incomplete (run the copy again)",
            setup_.container, kReplaceMarkerId);
        std::erase_if(out, [](const Json& doc) { return doc.value("id", "") == kReplaceMarkerId; });
      }
    }
    return out;
  }

  bool resumable() const { return setup_.resumable; }

  Json resume_key(const Json& doc, size_t index) const {
    Json at = point_base();
    // The item's place in the page the server sent.
    size_t item = page_dropped_ + index;
    for (size_t h : hidden_)
      if (h <= item) ++item;
    if (item + 1 < page_items_) {
      at["range"] = range_id(page_range_);
      at["token"] = page_token_;
      at["skip"] = item + 1;
      if (auto rid = doc.find("_rid"); rid != doc.end() && rid->is_string()) at["rid"] = *rid;
    } else if (!page_next_.empty()) {
      at["range"] = range_id(page_range_);
      at["token"] = page_next_;
      at["skip"] = 0;
    } else if (page_range_ + 1 < setup_.ranges.size()) {
      at["range"] = range_id(page_range_ + 1);
      at["token"] = "";
      at["skip"] = 0;
    } else {
      at["end"] = true;
    }
    return at;
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
  Json point_base() const {
    Json at = Json::object();
    at["container"] = setup_.container;
    at["segment"] = setup_.segment;
    at["query"] = fingerprint_;
    at["ids"] = setup_.ids;
    return at;
  }

  Json range_id(size_t range) const {
    return range < setup_.ranges.size() ? Json(setup_.ranges[range]) : Json();
  }

  // Continues at a resume point (see above): checks that it belongs to this
  // scan and sets the range, token and items to skip.
  void resume(const Json& at) {
    auto refuse = [&](std::string_view why) {
      return refused_resume_point(setup_.what, at, why, "cosmos");
    };
    if (!at.is_object() || !at.contains("container") || !at.contains("query"))
      throw refuse("it is not a Cosmos DB resume point");
    if (at["container"] != setup_.container)
      throw refuse(fmt::format("it belongs to container {}", at["container"].dump()));
    if (auto why = segment_mismatch(at.value("segment", Json()), setup_.segment, "container"))
      throw refuse(*why);
    if (at["query"] != fingerprint_)
      throw refuse("it belongs to another query of the container (other columns or filter)");
    if (at.value("end", false)) {
      done_ = true;
      return;
    }
    const Json range = at.value("range", Json());
    const Json token = at.value("token", Json());
    const Json skip = at.value("skip", Json());
    if (!token.is_string() || !skip.is_number_unsigned())
      throw refuse("it is not a Cosmos DB resume point");
    if (setup_.ranges.empty()) {
      if (!range.is_null()) throw refuse("it belongs to a read of one partition key range");
    } else {
      auto it = range.is_string()
                    ? std::find(setup_.ranges.begin(), setup_.ranges.end(), range.get<std::string>())
                    : setup_.ranges.end();
      if (it == setup_.ranges.end())
        throw refuse(fmt::format("this scan does not read partition key range {} (the "
                                 "container's ranges changed since, or it is another segment's)",
                                 range.dump()));
      range_ = static_cast<size_t>(it - setup_.ranges.begin());
    }
    continuation_ = token.get<std::string>();
    skip_ = skip.get<size_t>();
    if (skip_ >= kMaxPageItems) throw refuse("a page holds at most 1000 items");
    rid_ = at.value("rid", "");
  }

  // How many items at the start of `page` (the page a resume point names,
  // or the next one) were read before: `skip_`, checked by the _rid of the
  // last of them, which it then clears. The service may send fewer items
  // than asked for: a page that ends before them all is read before
  // entirely, and the rest is counted from the next page.
  size_t items_read_before(const std::vector<Json>& page) {
    auto rid_at = [&](size_t i) { return page[i].is_object() ? page[i].value("_rid", "") : ""; };
    size_t read = 0;
    if (!rid_.empty() && skip_ <= page.size() && rid_at(skip_ - 1) == rid_) {
      read = skip_;
    } else if (!rid_.empty()) {
      // Items before it were deleted: it is still the place to go on from.
      for (size_t i = 0; i < page.size() && read == 0; ++i)
        if (rid_at(i) == rid_) read = i + 1;
    }
    if (read > 0 || (rid_.empty() && skip_ <= page.size())) {
      read = read > 0 ? read : skip_;
      skip_ = 0;
      return read;
    }
    if (page.size() < skip_ && !page_next_.empty()) {
      skip_ -= page.size();
      return page.size();
    }
    throw Error(ErrorCode::conflict,
                fmt::format("{}: cannot continue exactly from the resume point: the item it "
                            "continues after{} is no longer in its page of the container "
                            "(deleted since?); read the scan from its start",
                            setup_.what, rid_.empty() ? "" : " (_rid " + rid_ + ")"),
                "cosmos");
  }

  CosmosConnection& conn_;
  const ReaderSetup& setup_;
  std::string fingerprint_;  // query_fingerprint(setup_)
  size_t range_ = 0;         // of setup_.ranges, of the next page
  uint64_t fetched_ = 0;
  uint64_t fetched_bytes_ = 0;  // response bytes of the fetched_ items: the page size
  std::string continuation_;    // that requests the next page
  size_t skip_ = 0;             // items of the next page read before (resumed)
  std::string rid_;             // _rid of the last of them ("" = unknown)
  bool done_ = false;
  // The page fetched last: its range, the token that requested it, the token
  // of the page after it, its items as the server sent them, how many of
  // them were dropped at its start (read before) and the places of the
  // replace markers hidden from it.
  size_t page_range_ = 0;
  std::string page_token_;
  std::string page_next_;
  size_t page_items_ = 0;
  size_t page_dropped_ = 0;
  std::vector<size_t> hidden_;
};

}  // namespace

std::unique_ptr<BatchReader> make_reader(CosmosConnection& conn, ReaderSetup setup) {
  return std::make_unique<DocumentReader<ItemPages>>(std::move(setup), conn);
}

}  // namespace polydb::cosmos
