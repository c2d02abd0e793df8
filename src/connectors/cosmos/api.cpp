#include "connectors/cosmos/api.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "connectors/cosmos/errors.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::cosmos {

namespace {

bool option_flag(const Uri& uri, std::string_view key) {
  const auto v = uri.option(key);
  if (!v) return false;
  if (*v == "true" || *v == "1" || v->empty()) return true;
  if (*v == "false" || *v == "0") return false;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("{}={} in {}: write true or false", key, *v, uri.to_string()));
}

}  // namespace

Endpoint endpoint_from_uri(const Uri& uri) {
  Endpoint e;
  const std::string path = uri.database();
  const auto slash = path.find('/');
  e.database = path.substr(0, slash);
  if (slash != std::string::npos) e.container = path.substr(slash + 1);
  if (e.database.empty() || e.container.find('/') != std::string::npos)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no database (write cosmos://ACCOUNT-HOST/DATABASE, or "
                            "cosmos://ACCOUNT-HOST/DATABASE/CONTAINER)",
                            uri.to_string()));
  if (uri.option("tls-verify"))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: cosmos URLs have no tls-verify option; to turn TLS verification "
                            "off for a local emulator write insecure-skip-tls-verify=true",
                            uri.to_string()));
  if (auto ep = uri.option("endpoint"); ep && !ep->empty()) {
    e.url = *ep;
  } else {
    if (uri.host.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("{} names no account host (cosmos://ACCOUNT.documents.azure.com/DB)",
                              uri.to_string()));
    const bool v6 = uri.host.find(':') != std::string::npos;
    e.url = fmt::format("https://{}{}{}{}", v6 ? "[" : "", uri.host, v6 ? "]" : "",
                        uri.port ? fmt::format(":{}", *uri.port) : "");
  }
  while (!e.url.empty() && e.url.back() == '/') e.url.pop_back();
  e.insecure_skip_tls_verify = option_flag(uri, "insecure-skip-tls-verify");
  e.system_properties = option_flag(uri, "system-properties");
  if (auto c = uri.option("concurrency")) {
    char* end = nullptr;
    const long n = std::strtol(c->c_str(), &end, 10);
    if (c->empty() || *end || n < 1 || n > 256)
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("concurrency={} in {}: write a number from 1 to 256", *c,
                              uri.to_string()));
    e.concurrency = static_cast<unsigned>(n);
  }
  if (auto t = uri.option("resource-token"); t && !t->empty()) {
    e.kind = net::CosmosSigner::Kind::resource_token;
    e.credential = Secret(*t);
  } else if (auto k = uri.option("key"); k && !k->empty()) {
    e.credential = Secret(*k);
  } else if (!uri.password.empty()) {
    e.credential = uri.password;
  } else if (const char* env = std::getenv("COSMOS_KEY"); env && *env) {
    e.credential = Secret(env);
  } else {
    throw Error(ErrorCode::auth,
                fmt::format("no key for {}: set COSMOS_KEY, or add key=... (or resource-token=...) "
                            "to the URL or the config file's options",
                            uri.to_string()),
                "cosmos");
  }
  return e;
}

std::string encode_path(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (auto s : segments) out += "/" + percent_encode(s);
  return out;
}

Api::Api(const Endpoint& endpoint, net::HttpOptions http, std::shared_ptr<CostMeter> meter)
    : url_(endpoint.url),
      signer_(endpoint.kind, endpoint.credential),
      client_(std::move(http)),
      meter_(std::move(meter)) {}

net::HttpResponse Api::call(const Request& request, std::string_view what,
                            std::initializer_list<long> accept) {
  logger("cosmos")->debug("{} {} ({} bytes)", request.method, what, request.body.size());
  const std::string label(what);
  net::HttpResponse r = net::send_with_retry(
      client_, policy_,
      [&] {
        net::HttpRequest req;
        req.method = request.method;
        req.url = url_ + request.path;
        req.headers = request.headers;
        const std::string date = net::cosmos_date(std::chrono::system_clock::now());
        req.headers.set("x-ms-date", date);
        req.headers.set("x-ms-version", std::string(kApiVersion));
        req.headers.set("authorization", signer_.authorization(request.method, request.resource_type,
                                                               request.resource_link, date));
        if (!req.headers.contains("Content-Type") && !request.body.empty())
          req.headers.set("Content-Type", "application/json");
        req.headers.set("Accept", "application/json");
        req.body = request.body;
        return req;
      },
      [&](const net::HttpResponse& resp) -> std::optional<Error> {
        // Failed requests are billed too.
        if (auto c = resp.headers.get("x-ms-request-charge"))
          meter_->add(std::strtod(std::string(*c).c_str(), nullptr));
        if (resp.ok()) return std::nullopt;
        for (long s : accept)
          if (resp.status == s) return std::nullopt;
        return make_error(resp, label);
      },
      {.what = label, .stop = client_.options().stop, .log_name = "cosmos"});
  if (auto c = r.headers.get("x-ms-request-charge"))
    logger("cosmos")->debug("{}: HTTP {}, {} RU", what, r.status, *c);
  return r;
}

Json Api::call_json(const Request& request, std::string_view what) {
  const net::HttpResponse r = call(request, what);
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    throw Error(ErrorCode::connection,
                fmt::format("{}: the response is not JSON (is {} a Cosmos DB endpoint?)", what,
                            url_),
                "cosmos", r.body.substr(0, 200));
  return j;
}

}  // namespace polydb::cosmos
