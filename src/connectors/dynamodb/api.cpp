#include "connectors/dynamodb/api.hpp"

#include <fmt/format.h>

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
      {.what = label, .log_name = "dynamodb"});
  try {
    return Json::parse(r.body);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::connection,
                fmt::format("{}: the response is not JSON (is the endpoint {} DynamoDB?)", label,
                            endpoint_.url),
                "dynamodb", e.what());
  }
}

}  // namespace polydb::dynamodb
