#include "polydb/batch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

#include "polydb/error.hpp"

namespace polydb {

namespace {
void set_bit(std::vector<uint8_t>& bits, size_t i, bool v) {
  if ((i >> 3) >= bits.size()) bits.resize((i >> 3) + 1, 0);
  if (v) bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  else bits[i >> 3] &= static_cast<uint8_t>(~(1u << (i & 7)));
}
}  // namespace

size_t Column::byte_size() const noexcept {
  return validity_.size() + data_.size() + offsets_.size() * sizeof(int32_t);
}

void Column::reserve(size_t rows) {
  if (is_variable_width(type_.id)) offsets_.reserve(rows + 1);
  else if (size_t w = fixed_width(type_.id)) data_.reserve(rows * w);
}

void Column::reserve_bytes(size_t bytes) {
  if (is_variable_width(type_.id)) data_.reserve(bytes);
}

void Column::clear() noexcept {
  length_ = 0;
  null_count_ = 0;
  validity_.clear();
  data_.clear();
  offsets_.clear();
}

void Column::truncate(size_t rows) {
  if (rows >= length_) return;
  if (type_.id == TypeId::boolean) data_.resize((rows + 7) / 8);
  else if (is_variable_width(type_.id)) {
    offsets_.resize(rows + 1);
    data_.resize(static_cast<size_t>(offsets_.back()));
  } else if (size_t w = fixed_width(type_.id)) {
    data_.resize(rows * w);
  }
  if (!validity_.empty()) {
    validity_.resize((rows + 7) / 8 + (rows % 8 == 0 ? 1 : 0));
    null_count_ = 0;
    for (size_t i = 0; i < rows; ++i)
      if (!((validity_[i >> 3] >> (i & 7)) & 1)) ++null_count_;
  }
  length_ = rows;
}

void Column::mark_valid() {
  if (!validity_.empty()) set_bit(validity_, length_, true);
}

void Column::check([[maybe_unused]] TypeId expected) const {
  assert(type_.id == expected || (fixed_width(type_.id) == fixed_width(expected) &&
                                  fixed_width(expected) != 0));
}

void Column::append_null() {
  if (validity_.empty()) {
    // First NULL: materialise the bitmap with every earlier value valid.
    validity_.assign((length_ >> 3) + 1, 0xff);
  }
  set_bit(validity_, length_, false);
  if (type_.id == TypeId::boolean) set_bit(data_, length_, false);
  else if (is_variable_width(type_.id)) {
    if (offsets_.empty()) offsets_.push_back(0);
    offsets_.push_back(offsets_.back());
  } else if (size_t w = fixed_width(type_.id)) {
    data_.resize(data_.size() + w, 0);
  }
  ++length_;
  ++null_count_;
}

void Column::append_bool(bool v) {
  check(TypeId::boolean);
  mark_valid();
  set_bit(data_, length_, v);
  ++length_;
}

void Column::append_int64(int64_t v) {
  assert(fixed_width(type_.id) == 8);
  mark_valid();
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  data_.insert(data_.end(), p, p + 8);
  ++length_;
}

void Column::append_float64(double v) {
  check(TypeId::float64);
  mark_valid();
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  data_.insert(data_.end(), p, p + 8);
  ++length_;
}

void Column::append_int32_raw(int32_t v) {
  check(TypeId::date);
  mark_valid();
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  data_.insert(data_.end(), p, p + 4);
  ++length_;
}

void Column::append_fixed(const void* data, size_t width) {
  assert(width == fixed_width(type_.id));
  mark_valid();
  const auto* p = static_cast<const uint8_t*>(data);
  data_.insert(data_.end(), p, p + width);
  ++length_;
}

void Column::append_var(std::string_view bytes) {
  assert(is_variable_width(type_.id));
  if (data_.size() + bytes.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw Error(ErrorCode::invalid_argument,
                "a batch column exceeds 2 GiB of data (lower the batch size)");
  mark_valid();
  if (offsets_.empty()) offsets_.push_back(0);
  data_.insert(data_.end(), bytes.begin(), bytes.end());
  offsets_.push_back(static_cast<int32_t>(data_.size()));
  ++length_;
}

int64_t Column::int64_at(size_t i) const noexcept {
  int64_t v;
  std::memcpy(&v, data_.data() + i * 8, 8);
  return v;
}

double Column::float64_at(size_t i) const noexcept {
  double v;
  std::memcpy(&v, data_.data() + i * 8, 8);
  return v;
}

int32_t Column::int32_at(size_t i) const noexcept {
  int32_t v;
  std::memcpy(&v, data_.data() + i * 4, 4);
  return v;
}

const uint8_t* Column::fixed_at(size_t i) const noexcept {
  return data_.data() + i * fixed_width(type_.id);
}

std::string_view Column::var_at(size_t i) const noexcept {
  const int32_t b = offsets_[i], e = offsets_[i + 1];
  // An empty value still points somewhere: C APIs (sqlite3_bind_text,
  // sqlite3_result_text) read a null pointer as SQL NULL, and a column of
  // only empty strings has no bytes at all.
  if (b == e) return std::string_view("", 0);
  return {reinterpret_cast<const char*>(data_.data()) + b, static_cast<size_t>(e - b)};
}

Value Column::value_at(size_t i) const {
  if (is_null(i)) return Value();
  switch (type_.id) {
    case TypeId::null: return Value();
    case TypeId::boolean: return Value(bool_at(i));
    case TypeId::int64: return Value(int64_at(i));
    case TypeId::float64: return Value(float64_at(i));
    case TypeId::decimal: return Value(Decimal{std::string(var_at(i))});
    case TypeId::string: return Value(std::string(var_at(i)));
    case TypeId::bytes: return Value(Bytes{std::string(var_at(i))});
    case TypeId::date: return Value(Date{int32_at(i)});
    case TypeId::time: return Value(Time{int64_at(i)});
    case TypeId::timestamp: return Value(Timestamp{int64_at(i)});
    case TypeId::timestamp_tz: return Value(TimestampTz{int64_at(i)});
    case TypeId::uuid: {
      Uuid u;
      std::memcpy(u.bytes.data(), fixed_at(i), 16);
      return Value(u);
    }
    case TypeId::json: return Value(Json{std::string(var_at(i))});
  }
  return Value();
}

void Column::append(const Value& v) {
  if (v.is_null()) return append_null();
  const TypeId have = v.type_id();
  const TypeId want = type_.id;
  auto mismatch = [&]() -> Error {
    return Error(ErrorCode::type_mismatch,
                 fmt::format("value {} of type {} does not fit a {} column",
                             v.to_text().substr(0, 60), to_string(have), to_string(type_)));
  };
  if (have == want) {
    switch (want) {
      case TypeId::boolean: return append_bool(v.as<bool>());
      case TypeId::int64: return append_int64(v.as<int64_t>());
      case TypeId::float64: return append_float64(v.as<double>());
      case TypeId::decimal: return append_var(v.as<Decimal>().text);
      case TypeId::string: return append_var(v.as<std::string>());
      case TypeId::bytes: return append_var(v.as<Bytes>().data);
      case TypeId::date: return append_int32_raw(v.as<Date>().days);
      case TypeId::time: return append_int64(v.as<Time>().micros);
      case TypeId::timestamp: return append_int64(v.as<Timestamp>().micros);
      case TypeId::timestamp_tz: return append_int64(v.as<TimestampTz>().micros);
      case TypeId::uuid: return append_fixed(v.as<Uuid>().bytes.data(), 16);
      case TypeId::json: return append_var(v.as<Json>().text);
      case TypeId::null: break;
    }
    throw mismatch();
  }
  // Lossless widenings only; anything else is the caller's decision.
  if (have == TypeId::int64 && want == TypeId::float64) {
    const int64_t i = v.as<int64_t>();
    const double d = static_cast<double>(i);
    if (d >= 9.2233720368547758e18 || static_cast<int64_t>(d) != i) throw mismatch();
    return append_float64(d);
  }
  if (have == TypeId::int64 && want == TypeId::decimal)
    return append_var(std::to_string(v.as<int64_t>()));
  if (have == TypeId::string && (want == TypeId::json || want == TypeId::decimal ||
                                 want == TypeId::date || want == TypeId::time ||
                                 want == TypeId::timestamp || want == TypeId::timestamp_tz ||
                                 want == TypeId::uuid)) {
    Value parsed = parse_value(v.as<std::string>(), type_);
    return append(parsed);
  }
  if (have == TypeId::timestamp && want == TypeId::timestamp_tz)
    return append_int64(v.as<Timestamp>().micros);  // naive timestamps are taken as UTC
  throw mismatch();
}

Batch::Batch(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {
  columns_.reserve(schema_->fields.size());
  for (const auto& f : schema_->fields) columns_.emplace_back(f.type);
}

size_t Batch::byte_size() const noexcept {
  size_t n = 0;
  for (const auto& c : columns_) n += c.byte_size();
  return n;
}

void Batch::append_row(std::span<const Value> row) {
  if (row.size() != columns_.size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("row has {} values but the schema has {} columns", row.size(),
                            columns_.size()));
  for (size_t c = 0; c < row.size(); ++c) {
    try {
      columns_[c].append(row[c]);
    } catch (const Error& e) {
      // Undo the columns already appended so the batch stays rectangular.
      for (size_t k = 0; k < c; ++k) {
        Column fresh(columns_[k].type());
        for (size_t r = 0; r < num_rows_; ++r) fresh.append(columns_[k].value_at(r));
        columns_[k] = std::move(fresh);
      }
      throw Error(e.code(), fmt::format("column '{}': {}", schema_->fields[c].name, e.message()),
                  e.backend(), e.detail());
    }
  }
  ++num_rows_;
}

std::vector<Value> Batch::row(size_t i) const {
  std::vector<Value> out;
  out.reserve(columns_.size());
  for (const auto& c : columns_) out.push_back(c.value_at(i));
  return out;
}

void Batch::reserve(size_t rows) {
  for (auto& c : columns_) c.reserve(rows);
}

void Batch::truncate(size_t rows) {
  if (rows >= num_rows_) return;
  for (auto& c : columns_) c.truncate(rows);
  num_rows_ = rows;
}

void Batch::clear() noexcept {
  for (auto& c : columns_) c.clear();
  num_rows_ = 0;
}

void BatchSizeHint::reserve(Batch& batch, size_t max_rows) const {
  const size_t rows = std::min(max_rows, rows_ ? rows_ : size_t{1024});
  batch.reserve(rows);
  if (rows_ == 0 || var_bytes_.size() != batch.num_columns()) return;
  for (size_t c = 0; c < var_bytes_.size(); ++c) {
    const size_t per_row = var_bytes_[c] / rows_ + 1;
    if (var_bytes_[c]) batch.column(c).reserve_bytes(per_row * rows + per_row * rows / 8);
  }
}

void BatchSizeHint::record(const Batch& batch) {
  if (batch.num_rows() == 0) return;
  rows_ = batch.num_rows();
  var_bytes_.resize(batch.num_columns());
  for (size_t c = 0; c < batch.num_columns(); ++c) var_bytes_[c] = batch.column(c).var_bytes();
}

}  // namespace polydb
