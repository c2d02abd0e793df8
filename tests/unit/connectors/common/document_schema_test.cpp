#include "connectors/common/document_schema.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb {
namespace {

using K = SampleKind;

DocumentSchemaBuilder builder(bool numbers_as_text = false) {
  return DocumentSchemaBuilder({.exact_numbers_as_text = numbers_as_text,
                                .prefix = "inferred:",
                                .no_kind = "none"});
}

TEST(DocumentSchemaBuilder, OneRuleForTheKindsOfAColumn) {
  auto b = builder();
  b.add("flag", K::boolean, "bool");
  b.add("n", K::integer, "int");
  b.add("n", K::integer, "int");
  b.add("dec", K::integer, "int");
  b.add("dec", K::decimal, "dec");
  b.add("f", K::integer, "int");
  b.add("f", K::floating, "double");
  b.add("d", K::text, "str", "2024-01-31");
  b.add("s", K::text, "str", "2024-01-31");
  b.add("s", K::text, "str", "hello");
  b.add("j", K::text, "str", "x");
  b.add("j", K::nested, "map");
  b.add("mix", K::boolean, "bool");
  b.add("mix", K::integer, "int");
  b.add("numtext", K::integer, "int");
  b.add("numtext", K::text, "str", "12");
  b.add("ref", K::plain_text, "ref");
  b.add("ref", K::text, "str", "2024-01-31");
  b.add("bin", K::bytes, "bytes");
  b.add("ts", K::timestamp_tz, "ts");
  b.add("nothing", std::nullopt, "null");
  const Schema s = b.finish();
  auto type = [&](const char* n) { return s.field(n).type.id; };
  EXPECT_EQ(type("flag"), TypeId::boolean);
  EXPECT_EQ(type("n"), TypeId::int64);
  EXPECT_EQ(type("dec"), TypeId::decimal);
  EXPECT_EQ(type("f"), TypeId::float64);
  EXPECT_EQ(type("d"), TypeId::date);
  EXPECT_EQ(type("s"), TypeId::string);
  EXPECT_EQ(type("j"), TypeId::json);
  EXPECT_EQ(type("mix"), TypeId::string);
  EXPECT_EQ(type("numtext"), TypeId::string);  // numbers as text only where the store says so
  EXPECT_EQ(type("ref"), TypeId::string);
  EXPECT_EQ(type("bin"), TypeId::bytes);
  EXPECT_EQ(type("ts"), TypeId::timestamp_tz);
  EXPECT_EQ(type("nothing"), TypeId::string);
  EXPECT_EQ(s.field("n").native_type, "int");
  EXPECT_EQ(s.field("f").native_type, "inferred:int|double");
  EXPECT_EQ(s.field("nothing").native_type, "none");
  EXPECT_TRUE(s.field("n").nullable);
  // The catch-all ends every schema.
  ASSERT_FALSE(s.fields.empty());
  EXPECT_EQ(s.fields.back().name, kExtraColumn);
  EXPECT_EQ(s.fields.back().type.id, TypeId::json);
  EXPECT_TRUE(s.fields.back().nullable);
  EXPECT_TRUE(s.primary_key.empty());
}

TEST(DocumentSchemaBuilder, NumbersAsTextWhereTheStoreWritesThem) {
  auto b = builder(/*numbers_as_text=*/true);
  b.add("i", K::integer, "number");
  b.add("i", K::text, "string", "123456789012345678");
  b.add("d", K::floating, "number");
  b.add("d", K::text, "string", "1.25");
  b.add("no", K::integer, "number");
  b.add("no", K::text, "string", "abc");
  const Schema s = b.finish();
  EXPECT_EQ(s.field("i").type.id, TypeId::int64);
  EXPECT_EQ(s.field("d").type.id, TypeId::decimal);
  EXPECT_EQ(s.field("no").type.id, TypeId::string);
}

TEST(DocumentSchemaBuilder, LeadsFirstThenSampleOrderAndExtraIsNeverAColumn) {
  auto b = builder();
  b.lead("pk");
  b.add("b", K::integer, "int");
  b.add("_extra", K::integer, "int");
  b.add("a", K::integer, "int");
  b.add("pk", K::text, "str", "k");
  const Schema s = b.finish();
  ASSERT_EQ(s.fields.size(), 4u);
  EXPECT_EQ(s.fields[0].name, "pk");
  EXPECT_EQ(s.fields[1].name, "b");
  EXPECT_EQ(s.fields[2].name, "a");
  EXPECT_EQ(s.fields[3].name, "_extra");
  EXPECT_EQ(s.fields[3].native_type, kExtraNativeType);
  ASSERT_NE(b.seen("pk"), nullptr);
  EXPECT_EQ(b.seen("pk")->present, 1u);
  EXPECT_EQ(b.seen("_extra"), nullptr);
}

TEST(DocumentSchemaBuilder, FullestFirstKeepsSampleOrderForEqualSizes) {
  const size_t sizes[] = {2, 5, 3, 5};
  EXPECT_EQ(fullest_first(sizes), (std::vector<size_t>{1, 3, 2, 0}));
}

TEST(ExtraAttributes, BuildsOneObjectPerRowOrNull) {
  Schema full;
  full.fields = {Field{"a", TypeId::int64}, Field{"b", TypeId::string}, extra_field()};
  ExtraAttributes extra(full);
  EXPECT_TRUE(extra.is_column("a"));
  EXPECT_TRUE(extra.is_column("b"));
  EXPECT_FALSE(extra.is_column("c"));
  EXPECT_FALSE(extra.is_column("_extra"));
  EXPECT_EQ(extra.column_count(), 2u);
  Column col(TypeId::json);
  extra.finish_row(col);
  extra.add("c", "12345678901234567890.5");
  extra.add("we\"ird", R"({"x":[1,2]})");
  extra.finish_row(col);
  extra.finish_row(col);
  ASSERT_EQ(col.size(), 3u);
  EXPECT_TRUE(col.is_null(0));
  EXPECT_EQ(col.var_at(1), R"({"c":12345678901234567890.5,"we\"ird":{"x":[1,2]}})");
  EXPECT_TRUE(col.is_null(2));
}

TEST(SplitExtra, KeepsTheRawTextOfEveryValue) {
  const auto parts =
      split_extra(R"( { "n" : 12345678901234567890.123 , "o":{"a":"}"},"l":[1,[2]] ,"s":"x\"y","z":null} )",
                  "test");
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].first, "n");
  EXPECT_EQ(parts[0].second, "12345678901234567890.123");
  EXPECT_EQ(parts[1].first, "o");
  EXPECT_EQ(parts[1].second, R"({"a":"}"})");
  EXPECT_EQ(parts[2].second, "[1,[2]]");
  EXPECT_EQ(parts[3].second, R"("x\"y")");
  EXPECT_EQ(parts[4].second, "null");
  EXPECT_TRUE(split_extra("{}", "test").empty());
  EXPECT_EQ(split_extra(R"({"\u00e9":1})", "test")[0].first, "\xc3\xa9");
}

TEST(SplitExtra, RefusesWhatIsNotAnObject) {
  for (const char* bad : {"[1]", "12", "{\"a\":", "not json", ""}) {
    try {
      (void)split_extra(bad, "test");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::type_mismatch) << bad;
    }
  }
}

TEST(ExtraColumn, ReservedForJsonOrText) {
  Schema s;
  s.fields = {Field{"a", TypeId::int64}};
  EXPECT_FALSE(extra_column(s, "t", "test"));
  s.fields.push_back(Field{"_extra", TypeId::string});
  EXPECT_EQ(extra_column(s, "t", "test"), 1u);
  s.fields[1].type = TypeId::int64;
  EXPECT_THROW((void)extra_column(s, "t", "test"), Error);
}

}  // namespace
}  // namespace polydb
