#include "connectors/common/row_codec.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "polydb/error.hpp"
#include "sample_rows.hpp"

namespace polydb {
namespace {

using testrows::every_type;
using testrows::sample_row;

TEST(RowCodec, EveryTypeRoundTrips) {
  const auto schema = every_type();
  Batch in(schema);
  for (int i = 0; i < 5; ++i) in.append_row(sample_row(i));
  std::vector<Value> nulls(schema->fields.size());
  in.append_row(nulls);
  std::string encoded;
  for (size_t r = 0; r < in.num_rows(); ++r) encode_row(in, r, encoded);

  Batch out(schema);
  std::string_view rest = encoded;
  while (!rest.empty()) {
    ASSERT_GT(encoded_row_size(rest), 0u);
    rest.remove_prefix(decode_row(rest, out));
  }
  ASSERT_EQ(out.num_rows(), in.num_rows());
  for (size_t r = 0; r < in.num_rows(); ++r) EXPECT_EQ(out.row(r), in.row(r)) << "row " << r;
}

TEST(RowCodec, NullsTakeOneBitEach) {
  auto schema = std::make_shared<Schema>();
  for (int c = 0; c < 9; ++c)
    schema->fields.push_back({"c" + std::to_string(c), TypeId::int64, true, ""});
  Batch b(schema);
  b.append_row(std::vector<Value>(9));
  std::string encoded;
  encode_row(b, 0, encoded);
  EXPECT_EQ(encoded.size(), 3u);  // length, then a two-byte bitmap
}

TEST(RowCodec, IncompleteInputIsReportedNotRead) {
  const auto schema = every_type();
  Batch in(schema);
  in.append_row(sample_row(3));
  std::string encoded;
  encode_row(in, 0, encoded);
  for (size_t cut = 0; cut < encoded.size(); ++cut)
    EXPECT_EQ(encoded_row_size(std::string_view(encoded).substr(0, cut)), 0u) << cut;
  EXPECT_EQ(encoded_row_size(encoded), encoded.size());
  Batch out(schema);
  try {
    decode_row(std::string_view(encoded).substr(0, encoded.size() - 1), out);
    FAIL() << "a truncated row decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corruption);
  }
  // A length that does not match the values is corruption too.
  auto one = std::make_shared<Schema>();
  one->fields = {{"n", TypeId::int64, false, ""}};
  Batch n(one);
  n.append_row(std::vector<Value>{Value(int64_t{7})});
  std::string framed;
  encode_row(n, 0, framed);
  ASSERT_EQ(framed.size(), 10u);  // length 9, bitmap, 8 bytes
  framed[0] = 8;
  framed.pop_back();
  Batch m(one);
  EXPECT_THROW(decode_row(framed, m), Error);
}

TEST(RowCodec, AppendCellCopiesEveryType) {
  const auto schema = every_type();
  Batch in(schema);
  for (int i = 0; i < 3; ++i) in.append_row(sample_row(i));
  in.append_row(std::vector<Value>(schema->fields.size()));
  Batch out(schema);
  for (size_t r = in.num_rows(); r-- > 0;) {
    for (size_t c = 0; c < in.num_columns(); ++c) append_cell(out.column(c), in.column(c), r);
    out.commit_row();
  }
  for (size_t r = 0; r < in.num_rows(); ++r) EXPECT_EQ(out.row(in.num_rows() - 1 - r), in.row(r));
}

}  // namespace
}  // namespace polydb
