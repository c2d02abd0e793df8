#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <map>
#include <thread>
#include <unordered_set>

#include "connectors/common/document_schema.hpp"
#include "connectors/dynamodb/connection.hpp"
#include "connectors/dynamodb/types.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

namespace {

// BatchWriteItem takes at most 25 requests.
constexpr size_t kBatchWriteMax = 25;

// The key of a PutRequest/DeleteRequest, to keep duplicates out of one call
// (BatchWriteItem refuses a call that names one key twice).
std::string request_key(const Json& request, const std::vector<std::string>& key_names) {
  const Json* item = nullptr;
  if (auto p = request.find("PutRequest"); p != request.end()) item = &p->at("Item");
  else if (auto d = request.find("DeleteRequest"); d != request.end()) item = &d->at("Key");
  if (!item) return {};
  std::string out;
  for (const auto& k : key_names)
    if (auto it = item->find(k); it != item->end()) out += it->dump() + "\x1f";
  if (key_names.empty()) out = item->dump();
  return out;
}

void send_chunk(const Caller& call, std::string_view table, Json chunk,
                const net::RetryPolicy& policy, net::RetryClock& clock, std::stop_token stop) {
  Json body;
  const size_t size = chunk.size();
  body["RequestItems"][std::string(table)] = std::move(chunk);
  UnprocessedBackoff backoff(policy, &clock, fmt::format("DynamoDB BatchWriteItem on {}", table),
                             "item(s)", size, std::move(stop));
  for (int attempt = 1;; ++attempt) {
    const Json r = call("BatchWriteItem", body);
    auto un = r.find("UnprocessedItems");
    if (un == r.end() || un->empty()) return;
    size_t left = 0;
    for (auto it = un->begin(); it != un->end(); ++it) left += it.value().size();
    if (left == 0) return;
    // UnprocessedItems means throttling or a partition at its limit: back off.
    backoff.sleep(backoff.delay(left, attempt));
    body["RequestItems"] = *un;
  }
}

}  // namespace

std::vector<Json> write_chunks(std::vector<Json> requests, const std::vector<std::string>& key_names,
                               bool& repeated) {
  std::vector<Json> chunks;
  std::unordered_set<std::string> all_keys;
  Json chunk = Json::array();
  std::vector<std::string> chunk_keys;
  repeated = false;
  for (auto& r : requests) {
    std::string key = request_key(r, key_names);
    const bool dup = std::find(chunk_keys.begin(), chunk_keys.end(), key) != chunk_keys.end();
    repeated = repeated || !all_keys.insert(key).second;
    if (chunk.size() == kBatchWriteMax || dup) {
      chunks.push_back(std::move(chunk));
      chunk = Json::array();
      chunk_keys.clear();
    }
    chunk.push_back(std::move(r));
    chunk_keys.push_back(std::move(key));
  }
  if (!chunk.empty()) chunks.push_back(std::move(chunk));
  return chunks;
}

void batch_write(const Caller& call, std::string_view table, std::vector<Json> requests,
                 const net::RetryPolicy& policy, net::RetryClock* clock,
                 const std::vector<std::string>& key_names, std::stop_token stop) {
  net::RetryClock& c = clock ? *clock : net::system_retry_clock();
  bool repeated = false;
  for (Json& chunk : write_chunks(std::move(requests), key_names, repeated))
    send_chunk(call, table, std::move(chunk), policy, c, stop);
}

namespace {

// Per source column: the set type when the URL's sets= names it. Every named
// column must be a json or string column of the rows, and not a key; a name
// that is no column is an attribute of the catch-all `_extra` when the rows
// have one (into `extra`).
std::vector<std::optional<SetType>> set_types(const DynamoOptions& options, const Schema& source,
                                              const KeySchema& keys, std::string_view table,
                                              std::map<std::string, SetType>& extra) {
  std::vector<std::optional<SetType>> out(source.fields.size());
  const bool has_extra = source.index_of(kExtraColumn).has_value();
  for (const auto& set : options.sets) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const auto& name = set.first;
    const auto& type = set.second;
    const auto idx = source.index_of(name);
    const auto bad = [&](std::string_view why) {
      return Error(ErrorCode::invalid_argument,
                   fmt::format("sets= names '{}', which {} (the rows for '{}')", name, why, table),
                   "dynamodb");
    };
    if (name == keys.hash || name == keys.range)
      throw bad("is a key attribute (keys are S, N or B)");
    if (!idx && has_extra) {
      extra[name] = type;
      continue;
    }
    if (!idx) throw bad("is not a column of the rows written");
    if (name == keys.hash || name == keys.range)
      throw bad("is a key attribute (keys are S, N or B)");
    const TypeId id = source.fields[*idx].type.id;
    if (id != TypeId::json && id != TypeId::string)
      throw bad(
          fmt::format("is a {} column (sets are written from JSON arrays in json or text "
                      "columns)",
                      to_string(source.fields[*idx].type)));
    out[*idx] = type;
  }
  return out;
}

// Bulk writer over BatchWriteItem. DynamoDB has no transactions: every
// write() is sent before it returns, so commit() only reports and abort()
// cannot undo anything (documented in docs/dynamodb.md). A write() converts
// all its rows before sending any, so a value that does not fit fails the
// call with nothing of that batch written.
class DynamoWriter final : public BatchWriter {
 public:
  DynamoWriter(DynamoConnection& conn, std::string_view table, const Schema& schema,
               const WriteOptions& options)
      : conn_(conn), table_(table), source_(schema) {
    if (source_.fields.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("nothing to write into '{}': the source has no columns", table));
    Schema create_schema = source_;
    if (!options.key.empty()) create_schema.primary_key = options.key;
    const bool existed = conn_.exists(table_);
    switch (options.mode) {
      case WriteMode::create: conn_.create_table(table_, create_schema); break;
      case WriteMode::append:
      case WriteMode::upsert:
        if (!existed) conn_.create_table(table_, create_schema);
        break;
      case WriteMode::replace:
        // Not atomic: the old items are deleted first, then the new ones written.
        if (existed) conn_.delete_all_items(table_, conn_.key_schema(table_));
        else conn_.create_table(table_, create_schema);
        break;
    }
    keys_ = conn_.key_schema(table_);
    key_names_ = {keys_.hash};
    if (!keys_.range.empty()) key_names_.push_back(keys_.range);
    // Existing attributes keep their type: convert source values to it
    // ("12" into a numeric attribute is stored as N 12; "abc" is refused).
    Schema target;
    if (existed && options.mode != WriteMode::replace) target = conn_.describe(table_);
    for (const std::string* k : {&keys_.hash, &keys_.range})
      if (!k->empty() && !source_.index_of(*k))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the rows for '{}' have no column '{}', which is part of the "
                                "table's key",
                                table, *k),
                    "dynamodb");
    extra_ = extra_column(source_, table_, "dynamodb");
    set_types_ = set_types(conn_.options(), source_, keys_, table_, extra_sets_);
    for (const auto& f : source_.fields) {
      std::optional<Type> to;
      const std::string& key_type = f.name == keys_.hash    ? keys_.hash_type
                                    : f.name == keys_.range ? keys_.range_type
                                                            : std::string();
      if (!key_type.empty()) {
        bool fits = false;
        try {
          fits = key_attribute_type(f.type, f.name) == key_type;
        } catch (const Error&) {
        }
        if (!fits)
          to = key_type == "N" ? Type(TypeId::decimal) : key_type == "B" ? Type(TypeId::bytes)
                                                                          : Type(TypeId::string);
      } else if (auto idx = target.index_of(f.name)) {
        const Field& t = target.fields[*idx];
        const bool pure = t.native_type == "S" || t.native_type == "N" ||
                          t.native_type == "B" || t.native_type == "BOOL";
        if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
      }
      convert_to_.push_back(to);
      names_.push_back(f.name);
    }
  }

  void write(const Batch& batch) override {
    if (done_) throw Error(ErrorCode::invalid_argument, "write() after commit()", "dynamodb");
    if (batch.num_columns() != source_.fields.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("batch has {} columns, the writer was opened with {}",
                              batch.num_columns(), source_.fields.size()),
                  "dynamodb");
    std::vector<Json> requests;
    requests.reserve(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      Json item = Json::object();
      for (size_t c = 0; c < names_.size(); ++c) {
        if (c == extra_) continue;
        const Column& col = batch.column(c);
        try {
          std::optional<Json> av;
          if (set_types_[c] && !col.is_null(r))
            av = json_text_to_set_av(col.var_at(r), *set_types_[c]);
          else if (convert_to_[c] && !col.is_null(r))
            av = value_to_av(coerce_value(col.value_at(r), *convert_to_[c]));
          else av = cell_to_av(col, r);
          if (av) item[names_[c]] = std::move(*av);
        } catch (const Error& e) {
          throw Error(e.code(),
                      fmt::format("row {}, column '{}' of '{}': {}", rows_ + r + 1, names_[c],
                                  table_, e.message()),
                      "dynamodb", e.detail());
        }
      }
      if (extra_ && !batch.column(*extra_).is_null(r))
        add_extra(item, batch.column(*extra_).var_at(r), r);
      for (const auto& k : key_names_)
        if (!item.contains(k))
          throw Error(ErrorCode::invalid_argument,
                      fmt::format("row {} of '{}': the key attribute '{}' is NULL", rows_ + r + 1,
                                  table_, k),
                      "dynamodb");
      requests.push_back({{"PutRequest", {{"Item", std::move(item)}}}});
    }
    send(std::move(requests));
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw Error(ErrorCode::invalid_argument, "commit() called twice", "dynamodb");
    done_ = true;
    logger("dynamodb")->info("wrote {} items into {}", rows_, table_);
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    if (rows_ > 0)
      logger("dynamodb")->warn(
          "writer into {} aborted: {} item(s) already written stay (DynamoDB has no "
          "transactions)",
          table_, rows_);
  }

  ~DynamoWriter() override { abort(); }

 private:
  // The attributes of row r's catch-all cell into `item` (docs/dynamodb.md):
  // each as a json column's value is written, a set when sets= names it.
  void add_extra(Json& item, std::string_view text, size_t r) const {
    try {
      for (const auto& [name, value] : split_extra(text, "dynamodb")) {
        if (item.contains(name))
          throw Error(ErrorCode::invalid_argument, extra_conflict_message(name), "dynamodb");
        if (value == "null") continue;
        auto set = extra_sets_.find(name);
        if (set == extra_sets_.end()) {
          item[name] = json_text_to_av(value);
        } else if (auto av = json_text_to_set_av(value, set->second)) {
          item[name] = std::move(*av);
        }
      }
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("row {}, column '{}' of '{}': {}", rows_ + r + 1, kExtraColumn,
                              table_, e.message()),
                  "dynamodb", e.detail());
    }
  }

  // Sends the chunks of one write() on up to write_concurrency connections,
  // or in order on one when a key repeats (the later request must win).
  void send(std::vector<Json> requests) {
    bool repeated = false;
    std::vector<Json> chunks = write_chunks(std::move(requests), key_names_, repeated);
    const size_t workers =
        repeated ? 1 : std::min<size_t>(conn_.options().write_concurrency, chunks.size());
    while (apis_.size() + 1 < workers) apis_.push_back(conn_.api().clone());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::exception_ptr> errors(workers);
    auto work = [&](size_t w) noexcept {
      Api& api = w == 0 ? conn_.api() : *apis_[w - 1];
      try {
        for (size_t i; !failed && (i = next++) < chunks.size();)
          send_chunk(api.caller(), table_, std::move(chunks[i]), api.policy(),
                     net::system_retry_clock(), api.stop());
      } catch (...) {
        errors[w] = std::current_exception();
        failed = true;
      }
    };
    {
      std::vector<std::jthread> threads;
      for (size_t w = 1; w < workers; ++w) threads.emplace_back(work, w);
      if (workers > 0) work(0);
    }  // joined
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  DynamoConnection& conn_;
  std::string table_;
  Schema source_;
  KeySchema keys_;
  std::vector<std::string> key_names_;
  std::vector<std::string> names_;
  std::vector<std::optional<Type>> convert_to_;
  std::vector<std::optional<SetType>> set_types_;  ///< per column: written as a set
  std::optional<size_t> extra_;                    ///< the catch-all column `_extra`
  std::map<std::string, SetType> extra_sets_;      ///< sets= attributes inside it
  std::vector<std::unique_ptr<Api>> apis_;  ///< connections of the 2nd... concurrent sender
  bool done_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(DynamoConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<DynamoWriter>(conn, table, schema, options);
}

}  // namespace polydb::dynamodb
