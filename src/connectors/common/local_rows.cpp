#include "connectors/common/local_rows.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <type_traits>
#include <variant>

#include "connectors/common/row_codec.hpp"
#include "polydb/error.hpp"

namespace polydb {

Batch filter_and_project(Batch batch, const std::optional<Filter>& residual,
                         const std::shared_ptr<const Schema>& output) {
  if (residual) batch = apply_filter(*residual, batch);
  if (output == batch.schema_ptr()) return batch;
  Batch out(output);
  for (size_t c = 0; c < output->fields.size(); ++c) out.column(c) = std::move(batch.column(c));
  for (size_t r = 0; r < batch.num_rows(); ++r) out.commit_row();
  return out;
}

std::vector<const Column*> columns_as(const Batch& batch, std::span<const Type> want,
                                      uint64_t first_row, std::string_view backend,
                                      std::vector<Column>& storage) {
  const size_t n = batch.num_rows();
  std::vector<const Column*> cols(batch.num_columns());
  storage.resize(batch.num_columns());
  for (size_t c = 0; c < batch.num_columns(); ++c) {
    const Column& in = batch.column(c);
    if (in.type().id == want[c].id) {
      cols[c] = &in;
      continue;
    }
    storage[c] = Column(want[c]);
    storage[c].reserve(n);
    for (size_t r = 0; r < n; ++r) {
      try {
        storage[c].append(coerce_value(in.value_at(r), want[c]));
      } catch (const Error& e) {
        throw Error(ErrorCode::type_mismatch,
                    fmt::format("row {}, column '{}': {}", first_row + r + 1,
                                batch.schema().fields[c].name, e.message()),
                    std::string(backend), e.detail());
      }
    }
    cols[c] = &storage[c];
  }
  return cols;
}

struct LocalSort::KeyOrder {
  std::vector<size_t> columns;
  std::vector<bool> descending;
  Compare compare;

  size_t size() const noexcept { return columns.size(); }
  // Appends the key values of row `r` of `b` to `out`.
  void extract(const Batch& b, size_t r, std::vector<Value>& out) const {
    for (size_t c : columns) out.push_back(b.column(c).value_at(r));
  }
  // <0, 0, >0 for two rows' key values (size() each).
  int operator()(const Value* a, const Value* b) const {
    for (size_t k = 0; k < columns.size(); ++k)
      if (const int x = compare(a[k], b[k]); x != 0) return descending[k] ? -x : x;
    return 0;
  }
};

namespace {

// Heap bytes a Value holds beyond sizeof(Value) (text past the small-string buffer).
size_t heap_bytes(const Value& v) {
  size_t n = 0;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          n = x.size();
        else if constexpr (std::is_same_v<T, Bytes>)
          n = x.data.size();
        else if constexpr (std::is_same_v<T, Decimal> || std::is_same_v<T, Json>)
          n = x.text.size();
      },
      v.storage());
  return n > 15 ? n + 1 : 0;
}

// Copies row `r` of `in` (its first out.num_columns() columns) into `out`.
void append_row_cells(Batch& out, const Batch& in, size_t r) {
  for (size_t c = 0; c < out.num_columns(); ++c) append_cell(out.column(c), in.column(c), r);
  out.commit_row();
}

constexpr size_t kWindowRows = 1024;         // rows decoded at a time from a run
constexpr size_t kMinRunBuffer = 16u << 10;  // file read size per run, whatever the run count
constexpr size_t kMaxRunBuffer = 4u << 20;

}  // namespace

// Rows gathered in memory (columnar, as fetched) and sorted through an index.
// Nothing grows by doubling (whose copy would briefly hold three times the
// memory counted): keys are kept per batch, the index is made once in sort().
class LocalSort::Buffer {
 public:
  explicit Buffer(const KeyOrder& order) : order_(order) {}

  void add(Batch batch) {
    std::vector<Value> keys;
    keys.reserve(batch.num_rows() * order_.size());
    for (size_t r = 0; r < batch.num_rows(); ++r) order_.extract(batch, r, keys);
    for (const auto& k : keys) held_ += heap_bytes(k);
    held_ += batch.byte_size() + keys.capacity() * sizeof(Value) + sizeof(Batch) +
             batch.num_rows() * kIndexBytesPerRow;
    rows_ += batch.num_rows();
    keys_.push_back(std::move(keys));
    batches_.push_back(std::move(batch));
  }
  /// Memory held: the batches, their keys, and the index sort() will make.
  size_t bytes() const noexcept { return held_; }
  size_t rows() const noexcept { return rows_; }

  void sort() {
    sorted_.reserve(rows_);
    for (uint32_t b = 0; b < batches_.size(); ++b)
      for (uint32_t r = 0; r < batches_[b].num_rows(); ++r) sorted_.push_back({b, r});
    const size_t k = order_.size();
    std::stable_sort(sorted_.begin(), sorted_.end(), [&](const Where& a, const Where& b) {
      return order_(keys_[a.batch].data() + a.row * k, keys_[b.batch].data() + b.row * k) < 0;
    });
    next_ = 0;
  }
  /// Row `i` in sorted order, after sort().
  std::pair<const Batch*, size_t> at(size_t i) const {
    return {&batches_[sorted_[i].batch], sorted_[i].row};
  }
  /// Appends the next row in sorted order to `out`; false at the end.
  bool pop_into(Batch& out) {
    if (next_ >= sorted_.size()) return false;
    const auto [batch, row] = at(next_++);
    append_row_cells(out, *batch, row);
    return true;
  }
  // Empties the buffer and frees its memory.
  void clear() {
    std::vector<Batch>().swap(batches_);
    std::vector<std::vector<Value>>().swap(keys_);
    std::vector<Where>().swap(sorted_);
    held_ = rows_ = next_ = 0;
  }

 private:
  struct Where {
    uint32_t batch;
    uint32_t row;
  };
  // The index and stable_sort's scratch (half the index).
  static constexpr size_t kIndexBytesPerRow = sizeof(Where) * 3 / 2;

  const KeyOrder& order_;
  std::vector<Batch> batches_;
  std::vector<std::vector<Value>> keys_;  // per batch: order_.size() per row
  std::vector<Where> sorted_;
  size_t held_ = 0;
  size_t rows_ = 0;
  size_t next_ = 0;
};

// The best `limit` rows so far, in a heap whose top is the worst of them.
class LocalSort::TopRows {
  struct Entry {
    std::vector<Value> keys;
    uint64_t seq;  // input position: ties keep input order
    std::vector<Value> row;
  };
  auto before() const {
    return [this](const Entry& a, const Entry& b) {
      const int c = order_(a.keys.data(), b.keys.data());
      return c != 0 ? c < 0 : a.seq < b.seq;
    };
  }

 public:
  TopRows(const KeyOrder& order, uint64_t limit) : order_(order), limit_(limit) {}

  void add(const Batch& b) {
    for (size_t r = 0; r < b.num_rows(); ++r, ++seq_) {
      scratch_.clear();
      order_.extract(b, r, scratch_);
      if (rows_.size() >= limit_) {
        // An equal key arrived later: the row already kept wins (stable).
        if (order_(scratch_.data(), rows_.front().keys.data()) >= 0) continue;
        std::pop_heap(rows_.begin(), rows_.end(), before());
        rows_.pop_back();
      }
      rows_.push_back({std::move(scratch_), seq_, b.row(r)});
      std::push_heap(rows_.begin(), rows_.end(), before());
    }
  }
  void finish() { std::sort_heap(rows_.begin(), rows_.end(), before()); }
  bool pop_into(Batch& out) {
    if (next_ >= rows_.size()) return false;
    auto& row = rows_[next_++].row;
    out.append_row(std::span<const Value>(row).first(out.num_columns()));
    std::vector<Value>().swap(row);  // release as it goes out
    return true;
  }

 private:
  const KeyOrder& order_;
  uint64_t limit_;
  uint64_t seq_ = 0;
  std::vector<Value> scratch_;
  std::vector<Entry> rows_;
  size_t next_ = 0;
};

// The temporary file of the sorted runs: created in $TMPDIR and unlinked at
// once, so only the descriptor keeps it (the space returns on close or crash).
class LocalSort::SpillFile {
 public:
  SpillFile() {
    const char* tmp = std::getenv("TMPDIR");
    dir_ = tmp && *tmp ? tmp : P_tmpdir;
    std::string path = dir_ + "/polydb-sort-XXXXXX";
    fd_ = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd_ < 0) throw error("cannot create the temporary file", errno);
    ::unlink(path.c_str());
  }
  ~SpillFile() { ::close(fd_); }
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  uint64_t size() const noexcept { return size_; }
  void append(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw error("cannot write the temporary file", n < 0 ? errno : ENOSPC);
      data.remove_prefix(static_cast<size_t>(n));
      size_ += static_cast<uint64_t>(n);
    }
  }
  /// Reads exactly `n` bytes at `offset` into `out`.
  void read(uint64_t offset, char* out, size_t n) const {
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw error("cannot read the temporary file", errno);
      if (got == 0) throw Error(ErrorCode::corruption, "the temporary file of a sort ended early");
      out += got;
      n -= static_cast<size_t>(got);
      offset += static_cast<uint64_t>(got);
    }
  }

 private:
  Error error(std::string_view what, int err) const {
    const std::string os = std::system_category().message(err);
    return Error(ErrorCode::io,
                 fmt::format("{} of a sort in {}: {} (polydb sorts the rows the backend cannot "
                             "sort itself and writes them there beyond the sort memory: free "
                             "space there or set TMPDIR to a directory with more room)",
                             what, dir_, os),
                 "", os);
  }
  std::string dir_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// The k-way merge of the runs: one cursor per run (a window of decoded rows
// and a read buffer), the cursors in a heap by their current row.
class LocalSort::Merge {
  class Cursor {
   public:
    Cursor(const SpillFile& file, std::pair<uint64_t, uint64_t> run, size_t buffer_bytes,
           const std::shared_ptr<const Schema>& schema, const KeyOrder& order)
        : file_(&file),
          pos_(run.first),
          end_(run.second),
          buffer_bytes_(buffer_bytes),
          window_(schema),
          order_(&order) {
      refill();
    }
    bool valid() const noexcept { return row_ < window_.num_rows(); }
    const Batch& window() const noexcept { return window_; }
    size_t row() const noexcept { return row_; }
    const Value* keys() const noexcept { return keys_.data(); }
    bool advance() {
      if (++row_ >= window_.num_rows()) return refill();
      load_keys();
      return true;
    }

   private:
    bool refill() {
      window_.clear();
      row_ = 0;
      while (window_.num_rows() < kWindowRows && window_.byte_size() < buffer_bytes_) {
        const std::string_view rest = std::string_view(buf_).substr(used_);
        if (encoded_row_size(rest) != 0) {
          used_ += decode_row(rest, window_);
        } else if (!read_more()) {
          break;
        }
      }
      if (!valid()) return false;
      load_keys();
      return true;
    }
    bool read_more() {
      if (pos_ == end_) {
        if (used_ != buf_.size())
          throw Error(ErrorCode::corruption,
                      "a run of the temporary file of a sort ends inside a row");
        return false;
      }
      buf_.erase(0, used_);
      used_ = 0;
      const size_t old = buf_.size();
      const auto n = static_cast<size_t>(std::min<uint64_t>(buffer_bytes_, end_ - pos_));
      buf_.resize(old + n);
      file_->read(pos_, buf_.data() + old, n);
      pos_ += n;
      return true;
    }
    void load_keys() {
      keys_.clear();
      order_->extract(window_, row_, keys_);
    }

    const SpillFile* file_;
    uint64_t pos_, end_;
    size_t buffer_bytes_;
    std::string buf_;
    size_t used_ = 0;
    Batch window_;
    size_t row_ = 0;
    const KeyOrder* order_;
    std::vector<Value> keys_;
  };

  // Heap order: the smallest row on top; ties to the earlier run (stable).
  auto after() const {
    return [this](size_t a, size_t b) {
      const int c = order_(cursors_[a].keys(), cursors_[b].keys());
      return c != 0 ? c > 0 : a > b;
    };
  }

 public:
  Merge(const SpillFile& file, std::span<const std::pair<uint64_t, uint64_t>> runs,
        const KeyOrder& order, const std::shared_ptr<const Schema>& schema, size_t memory_bytes)
      : order_(order) {
    // A read buffer and a decoded window per run share the memory.
    const size_t per_run =
        std::clamp(memory_bytes / (2 * runs.size()), kMinRunBuffer, kMaxRunBuffer);
    cursors_.reserve(runs.size());
    for (const auto& run : runs) {
      cursors_.emplace_back(file, run, per_run, schema, order);
      if (cursors_.back().valid()) heap_.push_back(cursors_.size() - 1);
    }
    std::make_heap(heap_.begin(), heap_.end(), after());
  }
  bool pop_into(Batch& out) {
    if (heap_.empty()) return false;
    std::pop_heap(heap_.begin(), heap_.end(), after());
    Cursor& c = cursors_[heap_.back()];
    append_row_cells(out, c.window(), c.row());
    if (c.advance())
      std::push_heap(heap_.begin(), heap_.end(), after());
    else
      heap_.pop_back();
    return true;
  }

 private:
  const KeyOrder& order_;
  std::vector<Cursor> cursors_;
  std::vector<size_t> heap_;
};

LocalSort::LocalSort(const Schema& schema, std::span<const OrderBy> order, Compare compare,
                     size_t memory_bytes)
    : schema_(std::make_shared<Schema>(schema)), memory_bytes_(std::max<size_t>(memory_bytes, 1)) {
  auto keys = std::make_unique<KeyOrder>();
  for (const auto& o : order) {
    keys->columns.push_back(*schema.index_of(o.column));
    keys->descending.push_back(o.descending);
  }
  keys->compare = std::move(compare);
  order_ = std::move(keys);
}

LocalSort::~LocalSort() = default;

size_t LocalSort::spilled_runs() const noexcept { return runs_.size(); }

void LocalSort::load(const std::function<std::optional<Batch>()>& source,
                     const std::optional<Filter>& residual, std::optional<uint64_t> limit) {
  loaded_ = true;
  if (limit)
    top_ = std::make_unique<TopRows>(*order_, *limit);
  else
    buffer_ = std::make_unique<Buffer>(*order_);
  if (limit && *limit == 0) return;
  while (auto raw = source()) {
    Batch b = residual ? apply_filter(*residual, *raw) : std::move(*raw);
    if (b.num_rows() == 0) continue;
    if (top_) {
      top_->add(b);
      continue;
    }
    buffer_->add(std::move(b));
    if (buffer_->bytes() >= memory_bytes_) spill();
  }
  if (top_) return top_->finish();
  if (runs_.empty()) return buffer_->sort();  // everything fit: no file
  if (buffer_->rows() > 0) spill();
  buffer_.reset();
  merge_ = std::make_unique<Merge>(*file_, runs_, *order_, schema_, memory_bytes_);
}

void LocalSort::spill() {
  if (!file_) file_ = std::make_unique<SpillFile>();
  buffer_->sort();
  const size_t chunk_bytes = std::clamp<size_t>(memory_bytes_ / 8, 4u << 10, 1u << 20);
  std::string chunk;
  chunk.reserve(chunk_bytes + 1024);
  const uint64_t begin = file_->size();
  for (size_t i = 0; i < buffer_->rows(); ++i) {
    const auto [batch, row] = buffer_->at(i);
    encode_row(*batch, row, chunk);
    if (chunk.size() >= chunk_bytes) {
      file_->append(chunk);
      chunk.clear();
    }
  }
  file_->append(chunk);
  runs_.emplace_back(begin, file_->size());
  buffer_->clear();
}

std::optional<Batch> LocalSort::next(const std::shared_ptr<const Schema>& output,
                                     size_t batch_rows) {
  Batch out(output);
  while (out.num_rows() < batch_rows) {
    const bool more = top_      ? top_->pop_into(out)
                      : merge_  ? merge_->pop_into(out)
                      : buffer_ ? buffer_->pop_into(out)
                                : false;
    if (!more) break;
  }
  if (out.num_rows() == 0) return std::nullopt;
  return out;
}

}  // namespace polydb
