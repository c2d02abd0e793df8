// Effective partition keys and range lookup. The expected values were
// printed by the official Node SDK's hashing (@azure/cosmos 4.9.3) with
// tests/interop/cosmos_partition_key_hash.js; the V2 hashes of "", "asdf",
// null, true and false also agree with Microsoft's published hash baselines
// (which show the hash before its top two bits are cleared).

#include "connectors/cosmos/partition_hash.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace polydb::cosmos {
namespace {

struct HashCase {
  const char* kind;
  int version;
  const char* values;  // JSON array; {} = a missing property
  const char* epk;
};

// Strings of many lengths across the 4- and 16-byte hash blocks, non-ASCII
// and 4-byte UTF-8, strings around version 1's 100-code-unit cut (one cutting
// a surrogate pair), numbers (negative, fractional, beyond 2^53), the
// scalar kinds, and hierarchical keys.
const std::vector<HashCase> kSdkCases = {
    {"Hash", 1, R"([""])", "05C1CF33970FF80800"},
    {"Hash", 1, R"(["a"])", "05C1D78593652C086200"},
    {"Hash", 1, R"(["asdf"])", "05C1E7035DAF84086274656700"},
    {"Hash", 1, R"(["polydb"])", "05C1D7CF93475C0871706D7A656300"},
    {"Hash", 1, R"(["C00000042"])", "05C1DD118D89BC0844313131313131353300"},
    {"Hash", 1, R"(["héllo wörld"])", "05C1EF7159DB360869C4AA6D6D702178C4B7736D6500"},
    {"Hash", 1, R"(["日本語のキー"])", "05C1BB73A1C54008E798A6E79DADE9AB9FE482AFE483AEE484BD00"},
    {"Hash", 1, R"(["emoji 😀 key"])", "05C1E397C98B3208666E706B6A21F1A09981216C667A00"},
    {"Hash", 1, R"(["aaaaaaaaaaaaaaa"])", "05C1E5C7AD172E0862626262626262626262626262626200"},
    {"Hash", 1, R"(["bbbbbbbbbbbbbbbb"])", "05C1DF0131ABE8086363636363636363636363636363636300"},
    {"Hash", 1, R"(["ccccccccccccccccc"])", "05C1A3D5077B4008646464646464646464646464646464646400"},
    {"Hash", 1, R"(["ddddddddddddddddddddddddddddddd"])", "05C1DD0BCBD904086565656565656565656565656565656565656565656565656565656565656500"},
    {"Hash", 1, R"(["eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"])", "05C1CF138309180866666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666600"},
    {"Hash", 1, R"(["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"])", "05C1D7D9B1D934086767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676767676700"},
    {"Hash", 1, R"(["ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"])", "05C1D9675F0DF8086868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686868686800"},
    {"Hash", 1, R"(["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])", "05C1DD45A3938C087979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797900"},
    {"Hash", 1, R"(["😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"])", "05C1DDEBD72DF008F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A09981F1A0998100"},
    {"Hash", 1, R"(["yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy😀"])", "05C1C1212B6588087A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7AF0C0BE00"},
    {"Hash", 1, R"([0])", "05C1BF6DA115600580"},
    {"Hash", 1, R"([1])", "05C1ED172B6B2605BFF0"},
    {"Hash", 1, R"([-1])", "05C1D1A5BDDF9C054010"},
    {"Hash", 1, R"([1.5])", "05C1E9694167A805BFF8"},
    {"Hash", 1, R"([-3.25])", "05C1B3733DA330053FF6"},
    {"Hash", 1, R"([42])", "05C1E75FCB273A05C04580"},
    {"Hash", 1, R"([1e+20])", "05C1B96FED357005C415D7C7AF8BAD3180"},
    {"Hash", 1, R"([9007199254740992])", "05C1E53167392405C340"},
    {"Hash", 1, R"([123456789])", "05C1D9E1A5311C05C19DB7CD8B40"},
    {"Hash", 1, R"([true])", "05C1D7C5A903D803"},
    {"Hash", 1, R"([false])", "05C1DB857D857C02"},
    {"Hash", 1, R"([null])", "05C1ED45D7475601"},
    {"Hash", 1, R"([{}])", "05C1D529E345DC00"},
    {"Hash", 2, R"([""])", "32E9366E637A71B4E710384B2F4970A0"},
    {"Hash", 2, R"(["a"])", "3A5381E1114EB8D3FCC90795045B49B7"},
    {"Hash", 2, R"(["asdf"])", "208BF1D598F5B63AD5520F04FE58C5E8"},
    {"Hash", 2, R"(["polydb"])", "1B3A83F30F43051C7A2B977957C33150"},
    {"Hash", 2, R"(["C00000042"])", "11F4EFE992760C25878FC5DC9D384AE9"},
    {"Hash", 2, R"(["héllo wörld"])", "3ED662DB76453F5B89C3DE61C1B8A954"},
    {"Hash", 2, R"(["日本語のキー"])", "22B3F1EE6EA09759A80F5BF6DB031D45"},
    {"Hash", 2, R"(["emoji 😀 key"])", "12A81BBED36E6A6BB46DDCF7F1322CEE"},
    {"Hash", 2, R"(["aaaaaaaaaaaaaaa"])", "0692BC76024BBD9574AEE442CE6DB70D"},
    {"Hash", 2, R"(["bbbbbbbbbbbbbbbb"])", "084251D56AE4ADF1228A3D5F983A41F4"},
    {"Hash", 2, R"(["ccccccccccccccccc"])", "1AF2C8AAB21655516DA398A026FB5148"},
    {"Hash", 2, R"(["ddddddddddddddddddddddddddddddd"])", "05BF736542B84532DB0BED736FFBDBBD"},
    {"Hash", 2, R"(["eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"])", "35CE0F7DCEABB1B378CDFB22C0564C93"},
    {"Hash", 2, R"(["ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"])", "1FE733A26B04D3D68E036C38485442A7"},
    {"Hash", 2, R"(["ggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"])", "253785B9FD9FDA44BCE5D55ECC2B896D"},
    {"Hash", 2, R"(["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])", "165D5EACD9E5ED8FE2683C0B57ED57CC"},
    {"Hash", 2, R"(["😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"])", "260FBD44EF1B0EDBDFC677191331C06E"},
    {"Hash", 2, R"(["yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy😀"])", "2AAE699BB00A5E304553C0576D8BFCD2"},
    {"Hash", 2, R"([0])", "155B95BEDAC4B1E9EC1CDC9BB0DDDE58"},
    {"Hash", 2, R"([1])", "20CD98B339BA78A5D0CF6953B87070B0"},
    {"Hash", 2, R"([-1])", "19938E7A936C1C5B9E3AE842BBC16839"},
    {"Hash", 2, R"([1.5])", "35C5DDEB6C795D16A9963C73C54E97BC"},
    {"Hash", 2, R"([-3.25])", "33484D63D7B8FD0C36A21C31A54232B2"},
    {"Hash", 2, R"([42])", "08E6D561F6FD951DCC25E7E4EA2884B5"},
    {"Hash", 2, R"([1e+20])", "2A6C1B7588603693B39B7875D6F9CF02"},
    {"Hash", 2, R"([9007199254740992])", "15335910D01122E3D99DA5DE569B065D"},
    {"Hash", 2, R"([123456789])", "1F56D2538088EBA82CCF988F36E16760"},
    {"Hash", 2, R"([true])", "0E711127C5B5A8E4726AC6DD306A3E59"},
    {"Hash", 2, R"([false])", "2FE1BE91E90A3439635E0E9E37361EF2"},
    {"Hash", 2, R"([null])", "378867E4430E67857ACE5C908374FE16"},
    {"Hash", 2, R"([{}])", "11622DAA78F835834610ABE56EFF5CB5"},
    {"MultiHash", 2, R"(["tenant-1", "user-7"])", "1B6E36CBA1839DF91310617831CA7FAC34C06593565F93B824867331A814C86E"},
    {"MultiHash", 2, R"(["t", 7, true])", "3B310042FC8EA24E4CB78FD8BFEDBAA736ECBAF0D9CC21F10F0938014BB527390E711127C5B5A8E4726AC6DD306A3E59"},
    {"MultiHash", 2, R"(["only"])", "13A0B9F846777ACCA2C1F2D7DE6C3ED9"},
};

PartitionKey key_of(const HashCase& c) {
  PartitionKey key;
  key.kind = c.kind;
  key.version = c.version;
  const Json values = Json::parse(c.values);
  for (size_t i = 0; i < values.size(); ++i) key.paths.push_back("p" + std::to_string(i));
  return key;
}

TEST(CosmosPartitionHash, MatchesTheNodeSdk) {
  for (const auto& c : kSdkCases)
    EXPECT_EQ(effective_partition_key(Json::parse(c.values), key_of(c)), c.epk)
        << c.kind << " v" << c.version << " " << c.values;
}

TEST(CosmosPartitionHash, MissingValuesHashAsUndefined) {
  PartitionKey key{.paths = {"tenant"}, .kind = "Hash", .version = 2};
  EXPECT_EQ(effective_partition_key(Json::array(), key),
            effective_partition_key(Json::parse("[{}]"), key));
}

TEST(CosmosPartitionHash, RangeOfFindsTheRangeHoldingTheKey) {
  const std::vector<KeyRange> ranges = {
      {"0", "", "1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
      {"1", "1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
      {"2", "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FF"}};
  EXPECT_EQ(range_of(ranges, "")->id, "0");
  EXPECT_EQ(range_of(ranges, "0E711127C5B5A8E4726AC6DD306A3E59")->id, "0");
  EXPECT_EQ(range_of(ranges, "1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")->id, "1");  // min is inclusive
  EXPECT_EQ(range_of(ranges, "208BF1D598F5B63AD5520F04FE58C5E8")->id, "1");
  EXPECT_EQ(range_of(ranges, "3A5381E1114EB8D3FCC90795045B49B7")->id, "1");
  EXPECT_EQ(range_of(ranges, "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")->id, "2");
  EXPECT_EQ(range_of(ranges, "B2E9366E637A71B4E710384B2F4970A0")->id, "2");
  EXPECT_EQ(range_of(ranges, "05C1E7035DAF84086274656700")->id, "0");  // a version 1 key
  EXPECT_EQ(range_of(ranges, "FF"), nullptr);  // max is exclusive
  const std::vector<KeyRange> gap = {{"0", "", "10"}, {"1", "20", "FF"}};
  EXPECT_EQ(range_of(gap, "15"), nullptr);
  EXPECT_EQ(range_of({}, "15"), nullptr);
}

TEST(CosmosPartitionHash, GroupsKeysOfOneContainerOverItsRanges) {
  // Four ranges of equal width: 400 distinct keys land in every one, and
  // each key always in the same.
  const std::vector<KeyRange> ranges = {{"0", "", "10"}, {"1", "10", "20"}, {"2", "20", "30"},
                                        {"3", "30", "FF"}};
  PartitionKey key{.paths = {"id"}, .kind = "Hash", .version = 2};
  std::vector<int> hits(ranges.size());
  for (int i = 0; i < 400; ++i) {
    const Json values = Json::array({"item-" + std::to_string(i)});
    const KeyRange* r = range_of(ranges, effective_partition_key(values, key));
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r, range_of(ranges, effective_partition_key(values, key)));
    ++hits[std::stoul(r->id)];
  }
  for (int h : hits) EXPECT_GT(h, 50);
}

}  // namespace
}  // namespace polydb::cosmos
