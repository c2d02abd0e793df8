// `-p VALUE`: type prefixes that are no type, and JSON checked after json:.

#include <gtest/gtest.h>

#include "cli/commands.hpp"
#include "polydb/error.hpp"

namespace polydb::cli {
namespace {

std::string refusal(std::string_view text) {
  try {
    parse_param(text);
  } catch (const Error& e) {
    return e.message();
  }
  return "accepted";
}

TEST(Param, AWordThatIsNoTypeIsRefused) {
  for (const char* bad : {"bogus:1", "itn:5", "Texte:x", "note: hi", "a:b", "x_1:2", "mailto:a@b"})
    EXPECT_NE(refusal(bad).find("is not a type"), std::string::npos) << bad;
  EXPECT_NE(refusal("bogus:1").find("text:bogus:1"), std::string::npos);
}

TEST(Param, TextThatOnlyLooksLikeAPrefixBindsAsText) {
  for (const char* text : {"http://x", "s3://bucket/key", "12:30", "10:30:00", "fe80::1", ":x",
                           "-a:b", "a b:c", "x-y:1", "@:1", "a.b:c"})
    EXPECT_EQ(parse_param(text), Value(std::string(text))) << text;
  EXPECT_EQ(parse_param("text:bogus:1"), Value("bogus:1"));
  EXPECT_EQ(parse_param("TEXT:x"), Value("x"));
  EXPECT_EQ(parse_param("Int:5"), Value(int64_t{5}));
}

TEST(Param, JsonMustBeValid) {
  EXPECT_EQ(parse_param("json:{\"a\": [1, null]}"), Value(Json{"{\"a\": [1, null]}"}));
  EXPECT_EQ(parse_param("json:3"), Value(Json{"3"}));
  for (const char* bad : {"json:{bad", "json:", "json:[1,]", "json:{} {}", "json:'x'"})
    EXPECT_NE(refusal(bad).find("not valid JSON"), std::string::npos) << bad;
}

}  // namespace
}  // namespace polydb::cli
