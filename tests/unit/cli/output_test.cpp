// Unit tests of the CLI's result formatters (src/cli/output.cpp) and of the
// -p parameter typing rule (src/cli/commands.cpp).

#include "cli/output.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "polydb/batch.hpp"
#include "polydb/error.hpp"

namespace polydb::cli {
namespace {

std::shared_ptr<Schema> schema_of(std::vector<std::pair<std::string, Type>> cols) {
  auto s = std::make_shared<Schema>();
  for (auto& [name, type] : cols) s->fields.push_back(Field{name, type, true, {}});
  return s;
}

Batch batch_of(std::shared_ptr<Schema> schema, const std::vector<std::vector<Value>>& rows) {
  Batch b(std::move(schema));
  for (const auto& r : rows) b.append_row(r);
  return b;
}

std::string print(OutputFormat format, const std::vector<Batch>& batches,
                  const PrinterOptions& options = {}) {
  std::ostringstream out;
  auto printer = make_printer(format, out, options);
  printer->begin(batches.at(0).schema());
  for (const auto& b : batches) printer->write(b);
  printer->end();
  return out.str();
}

// ---------------------------------------------------------------- csv

TEST(OutputCsv, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line1\nline2"), "\"line1\nline2\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_field(" padded"), "\" padded\"");
  EXPECT_EQ(csv_field("padded "), "\"padded \"");
  EXPECT_EQ(csv_field(""), "\"\"");
  EXPECT_EQ(csv_field("Ünïcödé"), "Ünïcödé");
}

TEST(OutputCsv, NullIsEmptyAndEmptyStringIsQuoted) {
  auto s = schema_of({{"id", TypeId::int64}, {"name", TypeId::string}, {"note", TypeId::string}});
  const std::string out =
      print(OutputFormat::csv, {batch_of(s, {{1, "", Value()}, {2, "x,y", "ok"}})});
  EXPECT_EQ(out, "id,name,note\n1,\"\",\n2,\"x,y\",ok\n");
}

TEST(OutputCsv, TypedValuesUseTheirTextForm) {
  auto s = schema_of({{"b", TypeId::boolean},
                      {"f", TypeId::float64},
                      {"d", Type(TypeId::decimal, 10, 2)},
                      {"day", TypeId::date},
                      {"bin", TypeId::bytes}});
  const std::string out =
      print(OutputFormat::csv,
            {batch_of(s, {{true, std::numeric_limits<double>::quiet_NaN(), Decimal{"1.50"},
                           Date{19723}, Bytes{std::string("\x01\xff", 2)}}})});
  EXPECT_EQ(out, "b,f,d,day,bin\ntrue,NaN,1.50,2024-01-01,\\x01ff\n");
}

TEST(OutputCsv, HeaderEvenWithoutRows) {
  auto s = schema_of({{"a", TypeId::int64}, {"b c", TypeId::string}});
  std::ostringstream out;
  auto p = make_printer(OutputFormat::csv, out);
  p->begin(*s);
  p->end();
  EXPECT_EQ(out.str(), "a,b c\n");
}

// ---------------------------------------------------------------- json

TEST(OutputJson, ValueEncoding) {
  auto s = schema_of({{"i", TypeId::int64},
                      {"f", TypeId::float64},
                      {"d", Type(TypeId::decimal, 20, 2)},
                      {"b", TypeId::boolean},
                      {"n", TypeId::string},
                      {"j", TypeId::json},
                      {"bin", TypeId::bytes},
                      {"ts", TypeId::timestamp}});
  Batch b =
      batch_of(s, {{std::numeric_limits<int64_t>::max(), 1.5, Decimal{"123456789012345678.90"},
                    false, Value(), Json{"{ \"a\" : [1, 2.50, 12345678901234567890123] }"},
                    Bytes{"hello"}, Timestamp{1'704'067'200'000'000}}});
  EXPECT_EQ(json_cell(b.column(0), 0), "9223372036854775807");
  EXPECT_EQ(json_cell(b.column(1), 0), "1.5");
  EXPECT_EQ(json_cell(b.column(2), 0), "\"123456789012345678.90\"");
  EXPECT_EQ(json_cell(b.column(3), 0), "false");
  EXPECT_EQ(json_cell(b.column(4), 0), "null");
  EXPECT_EQ(json_cell(b.column(5), 0), "{\"a\":[1,2.50,12345678901234567890123]}");
  EXPECT_EQ(json_cell(b.column(6), 0), "\"aGVsbG8=\"");
  EXPECT_EQ(json_cell(b.column(7), 0), "\"2024-01-01 00:00:00\"");
}

TEST(OutputJson, NonFiniteFloatsAreStrings) {
  auto s = schema_of({{"f", TypeId::float64}});
  Batch b = batch_of(s, {{std::numeric_limits<double>::quiet_NaN()},
                         {std::numeric_limits<double>::infinity()},
                         {-std::numeric_limits<double>::infinity()}});
  EXPECT_EQ(json_cell(b.column(0), 0), "\"NaN\"");
  EXPECT_EQ(json_cell(b.column(0), 1), "\"Infinity\"");
  EXPECT_EQ(json_cell(b.column(0), 2), "\"-Infinity\"");
}

TEST(OutputJson, InvalidJsonColumnBecomesAString) {
  auto s = schema_of({{"j", TypeId::json}});
  Batch b = batch_of(s, {{Json{"{not json"}}, {Json{"\"text\""}}, {Json{"42"}}});
  EXPECT_EQ(json_cell(b.column(0), 0), "\"{not json\"");
  EXPECT_EQ(json_cell(b.column(0), 1), "\"text\"");
  EXPECT_EQ(json_cell(b.column(0), 2), "42");
}

TEST(OutputJson, MinifyKeepsStringsAndNumbers) {
  EXPECT_EQ(minify_json(" [ 1 , \"a b\\\" c\" , 1.000 ] "), "[1,\"a b\\\" c\",1.000]");
  EXPECT_EQ(minify_json("{\"k\":\n  {\"x\": null}}"), "{\"k\":{\"x\":null}}");
  EXPECT_FALSE(minify_json("{\"a\":}"));
  EXPECT_FALSE(minify_json(""));
}

TEST(OutputJson, ArrayStreamsBatchesAndKeepsColumnOrder) {
  auto s = schema_of({{"z", TypeId::int64}, {"a", TypeId::string}});
  const std::string out =
      print(OutputFormat::json, {batch_of(s, {{1, "x"}}), batch_of(s, {{2, Value()}})});
  EXPECT_EQ(out, "[\n{\"z\":1,\"a\":\"x\"},\n{\"z\":2,\"a\":null}\n]\n");
}

TEST(OutputJson, EmptyResultIsAnEmptyArray) {
  auto s = schema_of({{"a", TypeId::int64}});
  std::ostringstream out;
  auto p = make_printer(OutputFormat::json, out);
  p->begin(*s);
  p->end();
  EXPECT_EQ(out.str(), "[]\n");
}

TEST(OutputNdjson, OneObjectPerLine) {
  auto s = schema_of({{"id", TypeId::int64}, {"d", TypeId::decimal}});
  const std::string out = print(OutputFormat::ndjson,
                                {batch_of(s, {{1, Decimal{"0.10"}}}), batch_of(s, {{2, Value()}})});
  EXPECT_EQ(out, "{\"id\":1,\"d\":\"0.10\"}\n{\"id\":2,\"d\":null}\n");
}

// ---------------------------------------------------------------- table

TEST(OutputTable, DisplayWidth) {
  EXPECT_EQ(display_width(""), 0u);
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("Ünïcödé"), 7u);           // precomposed: one column each
  EXPECT_EQ(display_width("e\xCC\x81"), 1u);         // e + combining acute
  EXPECT_EQ(display_width("日本語"), 6u);            // East Asian wide
  EXPECT_EQ(display_width("\xF0\x9F\x98\x80"), 2u);  // emoji
  EXPECT_EQ(display_width("a\xff"), 2u);             // an invalid byte counts as one
}

TEST(OutputTable, TruncateToWidth) {
  EXPECT_EQ(truncate_to_width("short", 40), "short");
  EXPECT_EQ(truncate_to_width("abcdefghij", 5), "abcd…");
  EXPECT_EQ(truncate_to_width("ääääää", 4), "äää…");       // cuts between code points
  EXPECT_EQ(truncate_to_width("日本語です", 6), "日本…");  // 2+2+1 columns
  EXPECT_EQ(display_width(truncate_to_width(std::string(100, 'x'), 40)), 40u);
}

TEST(OutputTable, AlignsPadsAndCountsRows) {
  auto s = schema_of({{"id", TypeId::int64}, {"name", TypeId::string}, {"note", TypeId::string}});
  const std::string out =
      print(OutputFormat::table, {batch_of(s, {{1, "äpfel", Value()}, {123, "b", "x"}})});
  EXPECT_EQ(out,
            " id  name   note\n"
            "---  -----  ----\n"
            "  1  äpfel  NULL\n"
            "123  b      x\n"
            "(2 rows)\n");
}

TEST(OutputTable, LongCellsAreCutAtFortyColumns) {
  auto s = schema_of({{"t", TypeId::string}});
  const std::string long_text = "日本語" + std::string(60, 'x');
  const std::string out = print(OutputFormat::table, {batch_of(s, {{long_text}})});
  std::istringstream lines(out);
  std::string header, sep, row, footer;
  std::getline(lines, header);
  std::getline(lines, sep);
  std::getline(lines, row);
  std::getline(lines, footer);
  EXPECT_EQ(sep, std::string(40, '-'));
  EXPECT_EQ(display_width(row), 40u);
  EXPECT_EQ(row, "日本語" + std::string(33, 'x') + "…");
  EXPECT_EQ(footer, "(1 row)");
}

TEST(OutputTable, LaterBatchesKeepTheFirstBatchWidths) {
  auto s = schema_of({{"name", TypeId::string}, {"n", TypeId::int64}});
  const std::string out =
      print(OutputFormat::table, {batch_of(s, {{"abcd", 1}}), batch_of(s, {{"abcdefgh", 22222}})});
  EXPECT_EQ(out,
            "name  n\n"
            "----  -\n"
            "abcd  1\n"
            "abc…  …\n"
            "(2 rows)\n");
}

TEST(OutputTable, ControlCharactersStayOnOneLine) {
  auto s = schema_of({{"t", TypeId::string}});
  const std::string out = print(OutputFormat::table, {batch_of(s, {{"a\nb\tc"}})});
  EXPECT_NE(out.find("a\\nb\\tc"), std::string::npos);
}

TEST(OutputTable, EmptyResultPrintsHeaderAndFooter) {
  auto s = schema_of({{"name", TypeId::string}});
  std::ostringstream out;
  auto p = make_printer(OutputFormat::table, out);
  p->begin(*s);
  p->end();
  EXPECT_EQ(out.str(), "name\n----\n(0 rows)\n");
}

TEST(OutputTable, NullIsDimmedOnlyWithColor) {
  auto s = schema_of({{"a", TypeId::string}});
  PrinterOptions color;
  color.color = true;
  EXPECT_NE(print(OutputFormat::table, {batch_of(s, {{Value()}})}, color).find("\x1b[2mNULL"),
            std::string::npos);
  EXPECT_EQ(print(OutputFormat::table, {batch_of(s, {{Value()}})}).find('\x1b'), std::string::npos);
}

// ---------------------------------------------------------------- formats

TEST(OutputFormatNames, ParseAndPrint) {
  for (auto f : {OutputFormat::table, OutputFormat::csv, OutputFormat::json, OutputFormat::ndjson})
    EXPECT_EQ(parse_output_format(to_string(f)), f);
  try {
    parse_output_format("xml");
    FAIL() << "xml accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(e.message().find("ndjson"), std::string::npos);
  }
}

// ---------------------------------------------------------------- -p typing

TEST(OutputParams, UntypedNumbersAndText) {
  EXPECT_EQ(parse_param("42"), Value(int64_t{42}));
  EXPECT_EQ(parse_param("-7"), Value(int64_t{-7}));
  EXPECT_EQ(parse_param("0"), Value(int64_t{0}));
  EXPECT_EQ(parse_param("1.5"), Value(1.5));
  EXPECT_EQ(parse_param("2e3"), Value(2000.0));
  EXPECT_EQ(parse_param("007"), Value("007"));
  EXPECT_EQ(parse_param("+1"), Value("+1"));
  EXPECT_EQ(parse_param("1."), Value("1."));
  EXPECT_EQ(parse_param("9223372036854775808"), Value("9223372036854775808"));
  EXPECT_EQ(parse_param("1e400"), Value("1e400"));
  EXPECT_EQ(parse_param("abc"), Value("abc"));
  EXPECT_EQ(parse_param(""), Value(""));
  EXPECT_EQ(parse_param("12:30"), Value("12:30"));
  EXPECT_EQ(parse_param("http://x"), Value("http://x"));
}

TEST(OutputParams, TypePrefixes) {
  EXPECT_EQ(parse_param("int:42"), Value(int64_t{42}));
  EXPECT_EQ(parse_param("text:42"), Value("42"));
  EXPECT_EQ(parse_param("string:"), Value(""));
  EXPECT_EQ(parse_param("text:date:x"), Value("date:x"));
  EXPECT_TRUE(parse_param("null:").is_null());
  EXPECT_EQ(parse_param("bool:true"), Value(true));
  EXPECT_EQ(parse_param("float:3"), Value(3.0));
  EXPECT_EQ(parse_param("decimal:1.50"), Value(Decimal{"1.50"}));
  EXPECT_EQ(parse_param("decimal(10,2):1.50"), Value(Decimal{"1.50"}));
  EXPECT_EQ(parse_param("date:2024-01-01"), Value(Date{19723}));
  EXPECT_EQ(parse_param("timestamp:2024-01-01 00:00:01"), Value(Timestamp{1'704'067'201'000'000}));
  EXPECT_EQ(parse_param("json:{\"a\":1}"), Value(Json{"{\"a\":1}"}));
  EXPECT_EQ(parse_param("INT:5"), Value(int64_t{5}));
}

TEST(OutputParams, BadTypedValuesThrow) {
  EXPECT_THROW(parse_param("int:abc"), Error);
  EXPECT_THROW(parse_param("date:2024-13-01"), Error);
  EXPECT_THROW(parse_param("null:x"), Error);
  EXPECT_THROW(parse_param("bool:maybe"), Error);
}

// ---------------------------------------------------------------- progress

TEST(OutputProgress, Formats) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(999), "999 B");
  EXPECT_EQ(format_bytes(12'300'000), "12.3 MB");
  EXPECT_EQ(format_bytes(1'500), "1.50 kB");
  EXPECT_EQ(format_duration(std::chrono::seconds(7)), "0:07");
  EXPECT_EQ(format_duration(std::chrono::seconds(3723)), "1:02:03");
  CopyProgress p;
  p.rows = 500;
  p.bytes = 2'000;
  p.total_rows = 1000;
  p.elapsed = std::chrono::seconds(1);
  EXPECT_EQ(progress_text(p), "copying: 500 rows, 2.00 kB, 500 rows/s, 50.0%, ETA 0:01");
}

}  // namespace
}  // namespace polydb::cli
