// SigV4 signing throughput: signatures per second on one core, for a typical
// DynamoDB request (POST with a ~1 KiB JSON body) and an S3 GET.

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "net/sigv4.hpp"

namespace polydb::net {
namespace {

AwsCredentials bench_credentials() {
  AwsCredentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  c.source = "benchmark";
  return c;
}

void BM_SignDynamoDbRequest(benchmark::State& state) {
  const SigV4Signer signer(bench_credentials(), "us-east-1", "dynamodb");
  const std::string body = R"({"TableName":"orders","Item":{"id":{"N":"42"},"payload":{"S":")" +
                           std::string(960, 'x') + R"("}}})";
  const auto when = std::chrono::system_clock::now();
  for (auto _ : state) {
    HttpRequest req;
    req.method = "POST";
    req.url = "https://dynamodb.us-east-1.amazonaws.com/";
    req.headers.set("Content-Type", "application/x-amz-json-1.0");
    req.headers.set("X-Amz-Target", "DynamoDB_20120810.PutItem");
    req.body = body;
    benchmark::DoNotOptimize(signer.sign(req, when));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignDynamoDbRequest);

void BM_SignS3Get(benchmark::State& state) {
  const SigV4Signer signer(bench_credentials(), "us-east-1", "s3");
  const auto when = std::chrono::system_clock::now();
  for (auto _ : state) {
    HttpRequest req;
    req.url = "https://s3.us-east-1.amazonaws.com/polydb-backups/2026/11/27/chunk-000042.zst";
    benchmark::DoNotOptimize(signer.sign(req, when));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignS3Get);

}  // namespace
}  // namespace polydb::net

BENCHMARK_MAIN();
