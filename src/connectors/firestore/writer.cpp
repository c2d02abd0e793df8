#include <fmt/format.h>

#include <random>

#include "connectors/common/document_schema.hpp"
#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/types.hpp"
#include "core/log.hpp"
#include "connectors/common/table_errors.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// Firestore's limit on a document id, in bytes.
constexpr size_t kMaxIdBytes = 1500;

// A random id like the client libraries' auto-ids: 20 alphanumerics.
std::string auto_id(std::mt19937_64& rng) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<size_t> pick(0, sizeof kChars - 2);
  std::string id(20, ' ');
  for (char& c : id) c = kChars[pick(rng)];
  return id;
}

void check_id(const std::string& id, std::string_view table, uint64_t row) {
  const bool reserved = id.size() >= 4 && id.rfind("__", 0) == 0 &&
                        id.compare(id.size() - 2, 2, "__") == 0;
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos || reserved ||
      id.size() > kMaxIdBytes)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("row {} of '{}': '{}' cannot be a Firestore document id (ids are "
                            "1-1500 bytes without '/', not '.', '..' or __name__-like; choose "
                            "another key column)",
                            row, table, id.substr(0, 80)),
                "firestore")
        .set_hint(Hint::key_columns);
}

// Bulk writer over batchWrite. Firestore has no multi-document transactions
// of this size: every write() is sent before it returns, so commit() only
// reports and abort() cannot undo anything (docs/firestore.md). A write()
// converts all its rows before sending any, so a value that does not fit
// fails the call with nothing of that batch written.
class FirestoreWriter final : public BatchWriter {
 public:
  FirestoreWriter(FirestoreConnection& conn, std::string_view table, const Schema& schema,
                  const WriteOptions& options)
      : conn_(conn), table_(table), collection_(parse_collection(table)), source_(schema),
        mode_(options.mode), rng_(std::random_device{}()) {
    check_schema_creatable(table, schema);
    const bool existed = conn_.exists(collection_);
    if (mode_ == WriteMode::create && existed) throw table_exists_error(table, conn_.display_url(), "firestore");
    if (mode_ == WriteMode::replace && existed) conn_.delete_all(collection_);  // not atomic
    Schema target;
    if (existed && mode_ != WriteMode::replace && mode_ != WriteMode::create)
      target = conn_.describe(table);
    pick_key(options, target);
    extra_ = extra_column(source_, table_, "firestore");
    // Existing fields keep their type: convert source values to it ("12"
    // into an integer field is stored as 12; "abc" is refused).
    for (size_t c = 0; c < source_.fields.size(); ++c) {
      const Field& f = source_.fields[c];
      std::optional<Type> to;
      if (auto idx = target.index_of(f.name)) {
        const Field& t = target.fields[*idx];
        const bool pure = t.native_type.find('|') == std::string::npos &&
                          t.native_type != "nullValue" && t.native_type != "document id";
        if (pure && t.type.id != f.type.id && t.type.id != TypeId::json) to = t.type;
      }
      convert_to_.push_back(to);
      if (f.name != kIdColumn && f.name != kNameColumn && c != extra_) {
        written_.push_back(c);
        mask_.push_back(field_path(f.name));
      }
    }
    collection_name_ = conn_.api().endpoint().name(collection_.path());
  }

  void write(const Batch& batch) override {
    if (done_) throw Error(ErrorCode::invalid_argument, "write() after commit()", "firestore");
    if (batch.num_columns() != source_.fields.size())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("batch has {} columns, the writer was opened with {}",
                              batch.num_columns(), source_.fields.size()),
                  "firestore");
    std::vector<Json> writes;
    writes.reserve(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) writes.push_back(make_write(batch, r));
    conn_.write_all(std::move(writes), fmt::format("Firestore batchWrite into {}", table_));
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw Error(ErrorCode::invalid_argument, "commit() called twice", "firestore");
    done_ = true;
    logger("firestore")->info("wrote {} documents into {}", rows_, table_);
    return {rows_};
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    if (rows_ > 0)
      logger("firestore")->warn(
          "writer into {} aborted: {} document(s) already written stay (batchWrite is not "
          "transactional)",
          table_, rows_);
  }

  ~FirestoreWriter() override { abort(); }

 private:
  // The document id comes from __id__, else the key columns (the option, the
  // source's primary key, or the existing collection's key field); without
  // any, documents get random ids.
  void pick_key(const WriteOptions& options, const Schema& target) {
    if (auto i = source_.index_of(kIdColumn)) {
      key_ = {*i};
      return;
    }
    std::vector<std::string> names = !options.key.empty() ? options.key : source_.primary_key;
    if (names.empty() && target.primary_key.size() == 1 && target.primary_key[0] != kIdColumn &&
        source_.index_of(target.primary_key[0]))
      names = target.primary_key;
    for (const auto& n : names) {
      auto i = source_.index_of(n);
      if (!i)
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("the rows for '{}' have no key column '{}'", table_, n),
                    "firestore");
      key_.push_back(*i);
    }
  }

  std::string document_id_of(const Batch& batch, size_t r) {
    if (key_.empty()) return auto_id(rng_);
    std::string id;
    for (size_t k = 0; k < key_.size(); ++k) {
      const Column& col = batch.column(key_[k]);
      if (col.is_null(r))
        throw Error(ErrorCode::invalid_argument,
                    fmt::format("row {} of '{}': the key column '{}' is NULL", rows_ + r + 1,
                                table_, source_.fields[key_[k]].name),
                    "firestore");
      // Composite keys join their parts with '|' (docs/firestore.md).
      id += (k ? "|" : "") + col.value_at(r).to_text();
    }
    check_id(id, table_, rows_ + r + 1);
    return id;
  }

  Json make_write(const Batch& batch, size_t r) {
    Json fields = Json::object();
    for (size_t c : written_) {
      const Column& col = batch.column(c);
      try {
        Value v = col.value_at(r);
        if (convert_to_[c] && !v.is_null()) v = coerce_value(v, *convert_to_[c]);
        fields[source_.fields[c].name] = from_value(v);
      } catch (const Error& e) {
        throw Error(e.code(),
                    fmt::format("row {}, column '{}' of '{}': {}", rows_ + r + 1,
                                source_.fields[c].name, table_, e.message()),
                    "firestore", e.detail());
      }
    }
    std::vector<std::string> extra_paths;
    if (extra_ && !batch.column(*extra_).is_null(r))
      extra_paths = add_extra(fields, batch.column(*extra_).var_at(r), r);
    Json w = {{"update",
               {{"name", collection_name_ + "/" + document_id_of(batch, r)},
                {"fields", std::move(fields)}}}};
    if (mode_ == WriteMode::upsert) {  // merge
      w["updateMask"] = {{"fieldPaths", mask_}};
      for (auto& p : extra_paths) w["updateMask"]["fieldPaths"].push_back(std::move(p));
    }
    else w["currentDocument"] = {{"exists", false}};  // insert: an existing id is a conflict
    return w;
  }

  // The fields of row r's catch-all cell into `fields` (docs/firestore.md);
  // returns their field paths. A field that is a NULL column takes the value.
  std::vector<std::string> add_extra(Json& fields, std::string_view text, size_t r) const {
    std::vector<std::string> paths;
    try {
      for (const auto& [name, value] : split_extra(text, "firestore")) {
        auto it = fields.find(name);
        if (it != fields.end() && value_kind(*it) != "nullValue")
          throw Error(ErrorCode::invalid_argument, extra_conflict_message(name), "firestore");
        if (it == fields.end()) paths.push_back(field_path(name));
        fields[name] = from_json_text(value);
      }
    } catch (const Error& e) {
      throw Error(e.code(),
                  fmt::format("row {}, column '{}' of '{}': {}", rows_ + r + 1, kExtraColumn,
                              table_, e.message()),
                  "firestore", e.detail());
    }
    return paths;
  }

  FirestoreConnection& conn_;
  std::string table_;
  std::optional<size_t> extra_;  ///< the catch-all column `_extra`
  CollectionPath collection_;
  std::string collection_name_;
  Schema source_;
  WriteMode mode_;
  std::mt19937_64 rng_;
  std::vector<size_t> key_;
  std::vector<size_t> written_;
  std::vector<std::string> mask_;
  std::vector<std::optional<Type>> convert_to_;
  bool done_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(FirestoreConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<FirestoreWriter>(conn, table, schema, options);
}

}  // namespace polydb::firestore
