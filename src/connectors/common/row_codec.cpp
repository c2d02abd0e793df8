#include "connectors/common/row_codec.hpp"

#include <cstdint>
#include <optional>

#include "polydb/error.hpp"

namespace polydb {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// The varint at `pos` of `in` (advancing `pos`), or nullopt when `in` ends
// inside it.
std::optional<uint64_t> get_varint(std::string_view in, size_t& pos) {
  uint64_t v = 0;
  for (unsigned shift = 0; pos < in.size(); shift += 7) {
    if (shift > 63) throw Error(ErrorCode::corruption, "a sort spill file holds a bad length");
    const auto b = static_cast<uint8_t>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  return std::nullopt;
}

[[noreturn]] void truncated() {
  throw Error(ErrorCode::corruption, "a sort spill file holds a truncated row");
}

size_t varint_size(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

size_t cell_size(const Column& col, size_t row) {
  const TypeId t = col.type().id;
  if (t == TypeId::boolean) return 1;
  if (is_variable_width(t)) {
    const size_t len = col.var_at(row).size();
    return varint_size(len) + len;
  }
  return fixed_width(t);
}

void encode_cell(const Column& col, size_t row, std::string& out) {
  const TypeId t = col.type().id;
  if (t == TypeId::boolean) {
    out.push_back(col.bool_at(row) ? '\1' : '\0');
  } else if (is_variable_width(t)) {
    const std::string_view v = col.var_at(row);
    put_varint(out, v.size());
    out.append(v);
  } else if (const size_t w = fixed_width(t)) {
    out.append(reinterpret_cast<const char*>(col.fixed_at(row)), w);
  }
}

// Decodes one value of `col`'s type at `pos` of `payload`.
void decode_cell(std::string_view payload, size_t& pos, Column& col) {
  const TypeId t = col.type().id;
  if (t == TypeId::null) return col.append_null();
  if (t == TypeId::boolean) {
    if (pos >= payload.size()) truncated();
    return col.append_bool(payload[pos++] != 0);
  }
  if (is_variable_width(t)) {
    const auto n = get_varint(payload, pos);
    if (!n || *n > payload.size() - pos) truncated();
    col.append_var(payload.substr(pos, *n));
    pos += *n;
    return;
  }
  const size_t w = fixed_width(t);
  if (w > payload.size() - pos) truncated();
  col.append_fixed(payload.data() + pos, w);
  pos += w;
}

}  // namespace

void encode_row(const Batch& batch, size_t row, std::string& out) {
  const size_t n = batch.num_columns();
  auto is_null = [&](size_t c) {
    return batch.column(c).is_null(row) || batch.column(c).type().id == TypeId::null;
  };
  size_t payload = (n + 7) / 8;  // sized first, so the row is written in place
  for (size_t c = 0; c < n; ++c)
    if (!is_null(c)) payload += cell_size(batch.column(c), row);
  put_varint(out, payload);
  const size_t bitmap = out.size();
  out.append((n + 7) / 8, '\0');
  for (size_t c = 0; c < n; ++c) {
    if (is_null(c))
      out[bitmap + (c >> 3)] = static_cast<char>(out[bitmap + (c >> 3)] | (1 << (c & 7)));
    else
      encode_cell(batch.column(c), row, out);
  }
}

size_t encoded_row_size(std::string_view in) {
  size_t pos = 0;
  const auto n = get_varint(in, pos);
  if (!n || *n > in.size() - pos) return 0;
  return pos + *n;
}

size_t decode_row(std::string_view in, Batch& out) {
  const size_t size = encoded_row_size(in);
  if (size == 0) truncated();
  size_t pos = 0;
  get_varint(in, pos);
  const std::string_view payload = in.substr(pos, size - pos);
  const size_t n = out.num_columns();
  pos = (n + 7) / 8;
  if (pos > payload.size()) truncated();
  for (size_t c = 0; c < n; ++c) {
    if ((static_cast<uint8_t>(payload[c >> 3]) >> (c & 7)) & 1)
      out.column(c).append_null();
    else
      decode_cell(payload, pos, out.column(c));
  }
  if (pos != payload.size())
    throw Error(ErrorCode::corruption, "a sort spill file holds a row of the wrong size");
  out.commit_row();
  return size;
}

void append_cell(Column& out, const Column& in, size_t row) {
  const TypeId t = in.type().id;
  if (in.is_null(row) || t == TypeId::null)
    out.append_null();
  else if (t == TypeId::boolean)
    out.append_bool(in.bool_at(row));
  else if (is_variable_width(t))
    out.append_var(in.var_at(row));
  else
    out.append_fixed(in.fixed_at(row), fixed_width(t));
}

}  // namespace polydb
