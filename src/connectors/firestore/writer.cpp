#include <fmt/format.h>

#include <random>

#include "connectors/common/document_schema.hpp"
#include "connectors/common/write_plan.hpp"
#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/documents.hpp"
#include "connectors/firestore/types.hpp"
#include "core/log.hpp"
#include "connectors/common/table_errors.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

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
    // A collection appears with its first document: nothing to create.
    const DirectTarget plan =
        direct_target(mode_, conn_.exists(collection_), table, conn_.display_url(), "firestore");
    if (plan.clear) conn_.delete_all(collection_);  // not atomic
    Schema target;
    if (plan.keep_types) target = conn_.describe(table);
    pick_key(options, target);
    encoder_.emplace(table_, source_, key_, target);
    collection_name_ = conn_.api().endpoint().name(collection_.path());
  }

  void write(const Batch& batch) override {
    if (done_) throw finished_writer("write()", table_, false, "firestore");
    check_batch_columns(batch, source_, "firestore");
    std::vector<Json> writes;
    writes.reserve(batch.num_rows());
    for (size_t r = 0; r < batch.num_rows(); ++r) writes.push_back(make_write(batch, r));
    conn_.write_all(std::move(writes), fmt::format("Firestore batchWrite into {}", table_));
    rows_ += batch.num_rows();
  }

  WriteResult commit() override {
    if (done_) throw finished_writer("commit()", table_, false, "firestore");
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

  Json make_write(const Batch& batch, size_t r) {
    const uint64_t row_number = rows_ + r + 1;
    std::vector<std::string> extra_paths;
    Json fields = encoder_->fields(batch, r, row_number, &extra_paths);
    Json w = {{"update",
               {{"name", collection_name_ + "/" + encoder_->document_id(batch, r, row_number, rng_)},
                {"fields", std::move(fields)}}}};
    if (mode_ == WriteMode::upsert) {  // merge
      w["updateMask"] = {{"fieldPaths", encoder_->mask()}};
      for (auto& p : extra_paths) w["updateMask"]["fieldPaths"].push_back(std::move(p));
    }
    else w["currentDocument"] = {{"exists", false}};  // insert: an existing id is a conflict
    return w;
  }

  FirestoreConnection& conn_;
  std::string table_;
  CollectionPath collection_;
  std::string collection_name_;
  Schema source_;
  WriteMode mode_;
  std::mt19937_64 rng_;
  std::vector<size_t> key_;
  std::optional<DocumentEncoder> encoder_;
  bool done_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<BatchWriter> make_writer(FirestoreConnection& conn, std::string_view table,
                                         const Schema& schema, const WriteOptions& options) {
  return std::make_unique<FirestoreWriter>(conn, table, schema, options);
}

}  // namespace polydb::firestore
