// Change batches into a Firestore collection (Connection::change_writer).
// Each change is visible once its request returns (Capabilities::transactions
// is false: a failure leaves earlier changes applied).
//  - Unconditional: the batch's effective changes (one per document) as
//    batchWrite update (the whole document replaced: no update mask) and
//    delete writes, 500 per request.
//  - With a version column: groups of changes each in one transaction:
//    beginTransaction, batchGet of the group's documents in it, then a commit
//    of the writes of the changes whose version wins. Firestore locks what a
//    transaction read, so a concurrent writer makes the commit fail with
//    ABORTED: the group is rolled back and run again.

#include "connectors/common/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <span>
#include <string_view>
#include <unordered_map>

#include "connectors/firestore/connection.hpp"
#include "connectors/firestore/documents.hpp"
#include "connectors/firestore/query.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// A commit takes at most 500 writes; the emulator refuses requests over 4 MiB.
constexpr size_t kGroupWrites = 500;
constexpr size_t kGroupBytes = 3u << 20;
// Transactions of a group before giving up on documents others keep changing.
constexpr int kTransactionAttempts = 10;

// The stored version of a document: nullopt when the field is absent, null
// or not an integer (then any change applies, as for a NULL version).
std::optional<int64_t> stored_version(const Json& document, const std::string& field) {
  auto fields = document.find("fields");
  if (fields == document.end()) return std::nullopt;
  auto f = fields->find(field);
  if (f == fields->end()) return std::nullopt;
  auto i = f->find("integerValue");
  if (i == f->end()) return std::nullopt;
  int64_t v = 0;
  if (i->is_number_integer()) return i->get<int64_t>();
  if (!i->is_string()) return std::nullopt;
  const std::string& s = i->get_ref<const std::string&>();
  if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc()) return std::nullopt;
  return v;
}

class FirestoreChangeWriter final : public ChangeWriterBase {
 public:
  FirestoreChangeWriter(FirestoreConnection& conn, std::string_view table, const Schema& schema,
                        const ChangeOptions& options)
      : ChangeWriterBase(table, schema, options, "firestore", "firestore"),
        conn_(conn),
        collection_(parse_collection(table)) {
    if (auto id = this->schema().index_of(kIdColumn);
        id && (columns().key.size() != 1 || columns().key[0] != *id))
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("the changes to '{}' have a '{}' column (the document id) but are "
                              "keyed by other columns: make '{}' the key",
                              this->table(), kIdColumn, kIdColumn),
                  "firestore")
          .set_hint(Hint::key_columns);
    // A collection exists once it holds a document: changes into an empty
    // one create it, as writes do.
    Schema target;
    if (conn_.exists(collection_)) target = conn_.describe(this->table());
    encoder_.emplace(this->table(), this->schema(), columns().key, target);
    collection_name_ = conn_.api().endpoint().name(collection_.path());
    if (columns().version) version_ = this->schema().fields[*columns().version].name;
  }

 private:
  // Capabilities::transactions is false: a change is visible once its request
  // returns, and a failed request leaves the ones before it applied.
  void write_changes(const ChangeBatch& changes, const std::vector<size_t>& rows) override {
    // Every write is built before any is sent: a value that does not fit
    // fails the batch with nothing of it written.
    std::vector<Json> writes;
    writes.reserve(rows.size());
    for (size_t r : rows) {
      const uint64_t row_number = applied_rows() + r + 1;
      std::string name =
          collection_name_ + "/" + encoder_->document_id(changes.rows, r, row_number, rng_);
      if (changes.ops[r] == ChangeOp::upsert)
        writes.push_back({{"update",
                           {{"name", std::move(name)},
                            {"fields", encoder_->fields(changes.rows, r, row_number)}}}});
      else
        writes.push_back({{"delete", std::move(name)}});
    }
    if (version_.empty()) {
      conn_.write_all(std::move(writes), fmt::format("Firestore batchWrite into {}", table()));
    } else {
      const Column& versions = changes.rows.column(*columns().version);
      std::vector<int64_t> v;
      v.reserve(rows.size());
      for (size_t r : rows) v.push_back(versions.int64_at(r));
      size_t begin = 0;
      while (begin < writes.size()) {
        size_t end = begin, bytes = 0;
        while (end < writes.size() && end - begin < kGroupWrites &&
               (end == begin || bytes + writes[end].dump().size() <= kGroupBytes))
          bytes += writes[end++].dump().size();
        apply_group(std::span<Json>(writes).subspan(begin, end - begin),
                    std::span<const int64_t>(v).subspan(begin, end - begin));
        begin = end;
      }
    }
  }

  static const std::string& name_of(const Json& write) {
    auto u = write.find("update");
    return u != write.end() ? (*u)["name"].get_ref<const std::string&>()
                            : write["delete"].get_ref<const std::string&>();
  }

  // The writes of `group` whose version wins over the stored documents', in
  // one transaction; `versions` are the changes' versions.
  void apply_group(std::span<Json> group, std::span<const int64_t> versions) {
    Api& api = conn_.api();
    const std::string root = encode_path(api.endpoint().root());
    for (int attempt = 1;; ++attempt) {
      const Json begin_body = Json::object();
      const Json t =
          api.call("POST", root + ":beginTransaction", &begin_body,
                   fmt::format("Firestore beginTransaction for changes into {}", table()));
      const std::string transaction = t.value("transaction", "");
      bool committing = false;
      try {
        Json get = {{"documents", Json::array()}, {"transaction", transaction}};
        for (const Json& w : group) get["documents"].push_back(name_of(w));
        const Json found = api.call("POST", root + ":batchGet", &get,
                                    fmt::format("Firestore batchGet of changes into {}", table()));
        // name -> stored document (missing documents are not in the map)
        std::unordered_map<std::string, const Json*> stored;
        if (found.is_array())
          for (const Json& element : found)
            if (auto f = element.find("found"); f != element.end())
              stored.emplace((*f)["name"].get<std::string>(), &*f);
        Json commit = {{"writes", Json::array()}, {"transaction", transaction}};
        for (size_t i = 0; i < group.size(); ++i) {
          const bool upsert = group[i].contains("update");
          auto it = stored.find(name_of(group[i]));
          if (it == stored.end()) {
            if (upsert) commit["writes"].push_back(group[i]);
            continue;  // a remove of a missing document: nothing to do
          }
          const std::optional<int64_t> v = stored_version(*it->second, version_);
          if (!v || (upsert ? *v < versions[i] : *v <= versions[i]))
            commit["writes"].push_back(group[i]);
        }
        // An empty commit still ends the transaction (and releases its locks).
        committing = true;
        api.call("POST", root + ":commit", &commit,
                 fmt::format("Firestore commit of changes into {}", table()));
        return;
      } catch (const Error& e) {
        rollback(api, root, transaction);
        // ABORTED (a concurrent writer, a lock timeout) is a conflict. The
        // Api retries an ABORTED commit itself, and the server answers that
        // retry with INVALID_ARGUMENT "Transaction is invalid or closed":
        // the transaction was aborted all the same. Anything else is final.
        const bool aborted =
            e.code() == ErrorCode::conflict ||
            (committing && e.code() == ErrorCode::invalid_argument &&
             std::string_view(e.what()).find("Transaction is invalid") != std::string_view::npos);
        if (!aborted || attempt == kTransactionAttempts) throw;
        logger("firestore")
            ->debug("transaction of changes into {} aborted: running it again", table());
      }
    }
  }

  // Ends a transaction that will not commit, so that its locks go now; its
  // own failure changes nothing (the transaction expires anyway).
  void rollback(Api& api, const std::string& root, const std::string& transaction) noexcept {
    try {
      const Json body = {{"transaction", transaction}};
      api.call("POST", root + ":rollback", &body,
               fmt::format("Firestore rollback of changes into {}", table()));
    } catch (const std::exception& e) {
      logger("firestore")->debug("rollback of a transaction into {} failed: {}", table(), e.what());
    }
  }

  FirestoreConnection& conn_;
  CollectionPath collection_;
  std::string collection_name_;
  std::string version_;  ///< the version field; empty = unconditional
  std::optional<DocumentEncoder> encoder_;
  std::mt19937_64 rng_{std::random_device{}()};  // unused: change keys are never empty
};

}  // namespace

std::unique_ptr<ChangeWriter> make_change_writer(FirestoreConnection& conn, std::string_view table,
                                                 const Schema& schema,
                                                 const ChangeOptions& options) {
  return std::make_unique<FirestoreChangeWriter>(conn, table, schema, options);
}

}  // namespace polydb::firestore
