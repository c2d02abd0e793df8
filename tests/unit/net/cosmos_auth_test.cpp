// The Cosmos DB signer against Microsoft's worked example and against the
// official Node SDK (@azure/cosmos in tools/emulators/node_modules): the
// emulator accepts any signature, so these are the signer's real tests.

#include "net/cosmos_auth.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "polydb/error.hpp"
#include "polydb/uri.hpp"
#include "test_tools.hpp"

namespace polydb::net {
namespace {

// The example of "Access control on Cosmos DB resources" (REST API reference).
constexpr const char* kDocKey =
    "dsZQi3KtZmCv1ljt3VNWNm7sQUF1y5rJfC6kv5JiwvW0EndXdDku/dkKBp8/ufDToSxLzR4y+O/0H/t4bQtVNw==";

TEST(CosmosAuth, MatchesTheWorkedExampleOfTheRestReference) {
  const std::string auth = cosmos_master_key_authorization(
      Secret(kDocKey), "GET", "dbs", "dbs/ToDoList", "Thu, 27 Apr 2017 00:51:12 GMT");
  // The page prints lowercase %xx escapes; the value is the same.
  EXPECT_EQ(percent_decode(auth), "type=master&ver=1.0&sig=c09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu+c+c=");
  EXPECT_EQ(auth, "type%3Dmaster%26ver%3D1.0%26sig%3Dc09PEVJrgp2uQRkr934kFbTqhByc7TVr3OHyqlu%2Bc%2Bc%3D");
}

TEST(CosmosAuth, StringToSignLowercasesAllButTheLink) {
  EXPECT_EQ(cosmos_string_to_sign("POST", "Docs", "dbs/MyDb/colls/Orders",
                                  "Thu, 27 Apr 2017 00:51:12 GMT"),
            "post\ndocs\ndbs/MyDb/colls/Orders\nthu, 27 apr 2017 00:51:12 gmt\n\n");
}

TEST(CosmosAuth, DateIsRfc1123InGmt) {
  using namespace std::chrono;
  EXPECT_EQ(cosmos_date(system_clock::time_point(seconds(1493254272))),
            "Thu, 27 Apr 2017 00:51:12 GMT");
  EXPECT_EQ(cosmos_date(system_clock::time_point(seconds(0))), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(CosmosAuth, ResourceTokenIsSentAsIsUrlEncoded) {
  const CosmosSigner signer(CosmosSigner::Kind::resource_token,
                            Secret("type=resource&ver=1.0&sig=ab/c+d="));
  EXPECT_EQ(signer.authorization("GET", "docs", "dbs/a/colls/b/docs/c", "x"),
            "type%3Dresource%26ver%3D1.0%26sig%3Dab%2Fc%2Bd%3D");
}

TEST(CosmosAuth, KeyThatIsNotBase64IsAnAuthErrorWithoutTheKey) {
  try {
    cosmos_master_key_authorization(Secret("not*base64!secret"), "GET", "dbs", "", "d");
    FAIL() << "expected Error(auth)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::auth);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

// Runs `command` and returns its standard output; fails the test on a non-zero exit.
std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

// The SDK's exported setAuthorizationTokenHeaderUsingMasterKey signs with
// `new Date()`: the script pins Date to a fixed instant, then prints the
// x-ms-date and authorization headers the SDK produced.
TEST(CosmosAuth, MatchesTheOfficialNodeSdkByteForByte) {
  const std::string sdk =
      std::string(POLYDB_SOURCE_DIR) + "/tools/emulators/node_modules/@azure/cosmos";
  const char* script = R"JS(
const sdk = require(process.argv[1]);
if (typeof sdk.setAuthorizationTokenHeaderUsingMasterKey !== "function")
  throw new Error("@azure/cosmos exports no setAuthorizationTokenHeaderUsingMasterKey");
const Real = Date;
const fixed = Real.UTC(2026, 10, 27, 9, 5, 7);
global.Date = class extends Real { constructor(...a) { super(...(a.length ? a : [fixed])); } };
(async () => {
  for (const [verb, link, type] of [["GET", "dbs/ToDoList", "dbs"],
                                    ["POST", "dbs/Shop/colls/Orders", "docs"],
                                    ["DELETE", "dbs/Shop/colls/Orders/docs/a b", "docs"]]) {
    const h = {};
    await sdk.setAuthorizationTokenHeaderUsingMasterKey(verb, link, type, h, process.argv[2]);
    console.log([verb, type, link, h["x-ms-date"], h["authorization"]].join("\t"));
  }
})().catch((e) => { console.error(e); process.exit(3); });
)JS";
  const std::string out = run(std::string(test_tools::kNode) + " -e '" + std::string(script) + "' '" + sdk + "' '" + kDocKey +
                              "' 2>&1");
  ASSERT_FALSE(out.empty()) << "node printed nothing: is node on PATH and @azure/cosmos installed "
                               "in tools/emulators (npm ci)?";
  size_t lines = 0, start = 0;
  while (start < out.size()) {
    const size_t end = out.find('\n', start);
    const std::string line = out.substr(start, end - start);
    start = end == std::string::npos ? out.size() : end + 1;
    std::array<std::string, 5> f;
    size_t from = 0;
    for (size_t i = 0; i < 5; ++i) {
      const size_t tab = i < 4 ? line.find('\t', from) : std::string::npos;
      ASSERT_TRUE(i == 4 || tab != std::string::npos) << "unexpected output: " << out;
      f[i] = line.substr(from, tab - from);
      from = tab + 1;
    }
    EXPECT_EQ(f[3], "Fri, 27 Nov 2026 09:05:07 GMT");
    EXPECT_EQ(cosmos_master_key_authorization(Secret(kDocKey), f[0], f[1], f[2], f[3]), f[4])
        << f[0] << " " << f[2];
    ++lines;
  }
  EXPECT_EQ(lines, 3u) << out;
}

}  // namespace
}  // namespace polydb::net
