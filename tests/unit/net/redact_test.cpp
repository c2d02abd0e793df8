// Header and URL redaction for HTTP logs, header lists, URL splitting and hashes.

#include "net/redact.hpp"

#include <gtest/gtest.h>

#include "net/crypto.hpp"
#include "net/url.hpp"
#include "polydb/error.hpp"

namespace polydb::net {
namespace {

TEST(Redact, SecretHeaders) {
  for (const char* name :
       {"Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Amz-Security-Token",
        "x-ms-authorization-auxiliary", "x-ms-encryption-key", "x-goog-api-key", "X-Api-Key",
        "x-custom-secret", "x-amz-signature", "x-ms-copy-source-authorization", "x-ms-sas-token"})
    EXPECT_TRUE(is_secret_header(name)) << name;
  for (const char* name : {"Content-Type", "X-Amz-Date", "x-amz-content-sha256", "X-Amz-Target",
                           "x-ms-version", "x-ms-continuation", "ETag", "Host"})
    EXPECT_FALSE(is_secret_header(name)) << name;
  EXPECT_EQ(redact_header_value("Authorization", "AWS4 ..."), "***");
  EXPECT_EQ(redact_header_value("X-Amz-Date", "20150830T123600Z"), "20150830T123600Z");
}

TEST(Redact, SignedUrlQueryParameters) {
  const std::string url = redact_url_for_log(
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
      "&X-Amz-Security-Token=tok%2Fen&X-Amz-Signature=abcdef&sig=azsig&prefix=keep");
  EXPECT_EQ(url.find("AKIDEXAMPLE"), std::string::npos) << url;
  EXPECT_EQ(url.find("tok"), std::string::npos) << url;
  EXPECT_EQ(url.find("abcdef"), std::string::npos) << url;
  EXPECT_EQ(url.find("azsig"), std::string::npos) << url;
  EXPECT_NE(url.find("prefix=keep"), std::string::npos) << url;
  EXPECT_NE(url.find("X-Amz-Algorithm=AWS4-HMAC-SHA256"), std::string::npos) << url;
  EXPECT_EQ(redact_url_for_log("http://user:pw@host/x").find("pw"), std::string::npos);
}

TEST(Headers, CaseInsensitiveOrderedFields) {
  Headers h{{"Content-Type", "a"}, {"X-Rep", "1"}, {"x-rep", "2"}};
  EXPECT_EQ(h.get("content-type"), "a");
  EXPECT_EQ(h.get("X-REP"), "1");
  h.set("X-REP", "3");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[1], (Headers::Field{"X-Rep", "3"}));
  h.add("x-rep", "4");
  EXPECT_EQ(h.remove("x-Rep"), 2u);
  EXPECT_FALSE(h.contains("x-rep"));
  h.set("New", "n");
  EXPECT_EQ(h.fields().back(), (Headers::Field{"New", "n"}));
}

TEST(Url, SplitsWithoutDecoding) {
  UrlParts u = split_url("HTTP://user:p@ss@Example.COM:8080/a%20b/c?x=1%2F2#frag");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.path, "/a%20b/c");
  EXPECT_EQ(u.query, "x=1%2F2");
  EXPECT_EQ(host_header(u), "example.com:8080");
  u = split_url("https://[::1]:443");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.path, "/");
  EXPECT_FALSE(u.has_query);
  EXPECT_EQ(host_header(u), "[::1]");
  EXPECT_EQ(host_header(split_url("http://h:80/")), "h");
  EXPECT_THROW(split_url("127.0.0.1:8000/x"), Error);
  EXPECT_THROW(split_url("ftp://h/x"), Error);
  EXPECT_THROW(split_url("http://h:port/x"), Error);
  EXPECT_THROW(split_url("http:///x"), Error);
}

TEST(Crypto, KnownDigests) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231 test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Sha256 incremental;
  incremental.update("Param1=");
  incremental.update("value1");
  EXPECT_EQ(to_hex(incremental.finish()), to_hex(sha256("Param1=value1")));
  EXPECT_EQ(to_hex(incremental.finish()), to_hex(sha256("")));  // reset after finish
}

}  // namespace
}  // namespace polydb::net
