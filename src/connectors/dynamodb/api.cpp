#include "connectors/dynamodb/api.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "connectors/dynamodb/errors.hpp"
#include "core/log.hpp"
#include "net/aws_credentials.hpp"
#include "polydb/error.hpp"

namespace polydb::dynamodb {

Endpoint endpoint_from_uri(const Uri& uri) {
  Endpoint e;
  net::AwsCredentialOptions o = net::aws_options_from_uri(uri);
  if (!uri.host.empty()) o.region = uri.host;
  if (auto r = net::resolve_aws_region(o)) e.region = *r;
  if (e.region.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no region (write dynamodb://us-east-1 or set AWS_REGION)",
                            uri.to_string()));
  if (auto ep = uri.option("endpoint"); ep && !ep->empty()) {
    e.url = *ep;
    while (!e.url.empty() && e.url.back() == '/') e.url.pop_back();
  } else {
    e.url = "https://dynamodb." + e.region + ".amazonaws.com";
  }
  return e;
}

Api::Api(Endpoint endpoint, net::AwsCredentials credentials, net::HttpOptions http,
         net::RetryPolicy policy)
    : endpoint_(std::move(endpoint)),
      signer_(std::move(credentials), endpoint_.region, "dynamodb"),
      http_(http),
      client_(std::move(http)),
      policy_(policy) {}

std::unique_ptr<Api> Api::clone() const {
  return std::make_unique<Api>(endpoint_, signer_.credentials(), http_, policy_);
}

Json Api::call(std::string_view operation, const Json& body, std::string_view what) {
  const std::string text = body.dump();
  std::string label = what.empty() ? fmt::format("DynamoDB {}", operation) : std::string(what);
  const std::string target = fmt::format("DynamoDB_20120810.{}", operation);
  logger("dynamodb")->debug("{} ({} bytes)", label, text.size());
  net::HttpResponse r = net::send_with_retry(
      client_, policy_,
      [&] {
        net::HttpRequest req;
        req.method = "POST";
        req.url = endpoint_.url + "/";
        req.headers.add("X-Amz-Target", target);
        req.headers.add("Content-Type", "application/x-amz-json-1.0");
        req.body = text;
        signer_.sign(req);  // a fresh date per attempt
        return req;
      },
      [&](const net::HttpResponse& resp) -> std::optional<Error> {
        if (resp.ok()) return std::nullopt;
        return make_error(resp, label);
      },
      {.what = label, .stop = http_.stop, .log_name = "dynamodb"});
  try {
    return Json::parse(r.body);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::connection,
                fmt::format("{}: the response is not JSON (is the endpoint {} DynamoDB?)", label,
                            endpoint_.url),
                "dynamodb", e.what());
  }
}

UnprocessedBackoff::UnprocessedBackoff(const net::RetryPolicy& policy, net::RetryClock* clock,
                                       std::string what, std::string unit, size_t pending,
                                       std::stop_token stop)
    : policy_(policy),
      clock_(clock ? *clock : net::system_retry_clock()),
      stop_(std::move(stop)),
      what_(std::move(what)),
      unit_(std::move(unit)),
      pending_(pending),
      start_(clock_.now()),
      rng_(std::random_device{}()) {}

std::chrono::milliseconds UnprocessedBackoff::delay(size_t left, int attempt) {
  stalled_ = left < pending_ ? 0 : stalled_ + 1;
  pending_ = left;
  const auto d = net::backoff_delay(policy_, std::max(1, stalled_ + 1),
                                    std::uniform_real_distribution<double>(0, 1)(rng_));
  if (stalled_ >= policy_.max_attempts ||
      (policy_.deadline.count() > 0 && clock_.now() + d - start_ > policy_.deadline))
    throw Error(ErrorCode::throttled,
                fmt::format("{}: {} {} still unprocessed after {} attempts (the table is "
                            "throttled: retry later or raise its capacity)",
                            what_, left, unit_, attempt),
                "dynamodb")
        .set_retryable(true);
  logger("dynamodb")
      ->warn("{}: {} unprocessed {}, retrying in {} ms", what_, left, unit_, d.count());
  return d;
}

void UnprocessedBackoff::sleep(std::chrono::milliseconds delay) {
  if (!clock_.sleep_for(delay, stop_))
    throw Error(ErrorCode::cancelled, fmt::format("{} cancelled", what_), "dynamodb");
}

}  // namespace polydb::dynamodb
