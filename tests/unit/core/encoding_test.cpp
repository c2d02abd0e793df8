#include "core/encoding.hpp"

#include <gtest/gtest.h>

#include "polydb/error.hpp"

namespace polydb {
namespace {

TEST(Encoding, JsonQuote) {
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("tab\tnl\n\x01"), R"("tab\tnl\n\u0001")");
  EXPECT_EQ(json_quote("日本"), "\"日本\"");
  // Invalid UTF-8 never produces invalid JSON.
  EXPECT_EQ(json_quote("a\xff"
                        "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(json_quote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
}

TEST(Encoding, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\0\xff", 2)), "AP8=");
}

TEST(Encoding, Base64DecodeRoundTripsAndRejectsJunk) {
  for (std::string s : {std::string(), std::string("f"), std::string("\0\xff\x10", 3),
                        std::string(1000, 'x')})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_THROW(base64_decode("Zm9v!"), Error);
}

TEST(Encoding, AsciiCaseFoldingLeavesOtherBytes) {
  EXPECT_EQ(ascii_lower("DECIMAL(12,2) Unsigned"), "decimal(12,2) unsigned");
  EXPECT_EQ(ascii_upper("varchar(20) with time zone"), "VARCHAR(20) WITH TIME ZONE");
  // UTF-8 and punctuation stay as they are: no locale-dependent folding.
  EXPECT_EQ(ascii_lower("ÄÖ_Ü-Z"), "ÄÖ_Ü-z");
  EXPECT_EQ(ascii_upper("äö@[`{"), "äö@[`{");
  EXPECT_EQ(ascii_lower(""), "");
}

}  // namespace
}  // namespace polydb
