#include "connectors/firestore/api.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "connectors/firestore/errors.hpp"
#include "core/log.hpp"
#include "polydb/error.hpp"

namespace polydb::firestore {

namespace {

// The OAuth2 scope of the Firestore (Cloud Datastore) API.
constexpr std::string_view kScope = "https://www.googleapis.com/auth/datastore";
constexpr std::string_view kDefaultBase = "https://firestore.googleapis.com/v1";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool is_simple_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

std::string Endpoint::root() const {
  return fmt::format("projects/{}/databases/{}/documents", project, database);
}

std::string Endpoint::name(std::string_view path) const {
  return path.empty() ? root() : root() + "/" + std::string(path);
}

Endpoint endpoint_from_uri(const Uri& uri) {
  Endpoint e;
  e.project = uri.host;
  if (e.project.empty())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{} names no project (write firestore://PROJECT[/DATABASE])",
                            uri.to_string()));
  if (const std::string db = uri.database(); !db.empty()) e.database = db;
  e.emulator = uri.option("emulator").value_or(env("FIRESTORE_EMULATOR_HOST"));
  if (e.emulator.rfind("http://", 0) == 0) e.emulator.erase(0, 7);
  while (!e.emulator.empty() && e.emulator.back() == '/') e.emulator.pop_back();
  if (!e.emulator.empty()) {
    e.base_url = "http://" + e.emulator + "/v1";
    return e;
  }
  e.base_url = uri.option("endpoint").value_or(std::string(kDefaultBase));
  while (!e.base_url.empty() && e.base_url.back() == '/') e.base_url.pop_back();
  e.credentials_file = uri.option("credentials").value_or(env("GOOGLE_APPLICATION_CREDENTIALS"));
  if (e.credentials_file.empty())
    throw Error(ErrorCode::auth,
                fmt::format("no credentials for {}: set GOOGLE_APPLICATION_CREDENTIALS to a "
                            "service-account JSON key (or add ?credentials=PATH), or point at an "
                            "emulator with ?emulator=HOST:PORT or FIRESTORE_EMULATOR_HOST",
                            uri.to_string()),
                "firestore");
  return e;
}

std::string encode_path(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    out += percent_encode(path.substr(start, slash - start), "()");
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string field_path(std::string_view name) {
  if (is_simple_identifier(name)) return std::string(name);
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

Api::Api(Endpoint endpoint, net::HttpOptions http, net::RetryPolicy policy)
    : endpoint_(std::move(endpoint)), client_(http), policy_(policy) {
  if (endpoint_.emulator.empty())
    tokens_ = std::make_unique<net::GoogleTokenSource>(
        net::load_service_account(endpoint_.credentials_file), std::string(kScope),
        net::HttpOptions{.connect_timeout = http.connect_timeout, .backend = "google-auth",
                         .log_name = "google-auth"},
        policy_);
}

Json Api::call(std::string_view method, std::string_view path, const Json* body,
               std::string_view what, size_t* response_bytes) {
  const std::string text = body ? body->dump() : std::string();
  const std::string url = endpoint_.base_url + "/" + std::string(path);
  logger("firestore")->debug("{} ({} bytes)", what, text.size());
  net::HttpResponse r = net::send_with_retry(
      client_, policy_,
      [&] {
        net::HttpRequest req;
        req.method = std::string(method);
        req.url = url;
        if (body) req.headers.add("Content-Type", "application/json");
        // The emulator treats "owner" as an administrator (batchWrite and
        // listCollectionIds need one); the real service takes an OAuth2 token.
        req.headers.add("Authorization",
                        "Bearer " + (tokens_ ? tokens_->token().reveal() : std::string("owner")));
        req.body = text;
        return req;
      },
      [&](const net::HttpResponse& resp) -> std::optional<Error> {
        if (resp.ok()) return std::nullopt;
        if (resp.status == 401 && tokens_) tokens_->invalidate();
        return make_error(resp, what);
      },
      {.what = std::string(what), .stop = client_.options().stop, .log_name = "firestore"});
  if (response_bytes) *response_bytes = r.body.size();
  if (r.body.empty()) return Json::object();
  try {
    return Json::parse(r.body);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::connection,
                fmt::format("{}: the response is not JSON (is {} a Firestore endpoint?)", what,
                            endpoint_.base_url),
                "firestore", e.what());
  }
}

Api::QueryPage Api::run_query(std::string_view parent, const Json& structured_query,
                              std::string_view what) {
  const Json body = {{"structuredQuery", structured_query}};
  size_t bytes = 0;
  Json r = call("POST", encode_path(endpoint_.name(parent)) + ":runQuery", &body, what, &bytes);
  QueryPage page;
  page.bytes = bytes;
  if (!r.is_array()) return page;
  for (auto& element : r) {
    if (auto err = element.find("error"); err != element.end() && err->is_object())
      throw make_status_error(err->value("status", ""), err->value("message", ""), what);
    if (auto d = element.find("document"); d != element.end())
      page.documents.push_back(std::move(*d));
  }
  documents_read_ += page.documents.size();
  return page;
}

std::optional<Json> Api::get_document(std::string_view path) {
  try {
    return call("GET", encode_path(endpoint_.name(path)), nullptr,
                fmt::format("Firestore get {}", path));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::not_found) return std::nullopt;
    throw;
  }
}

Json Api::create_document(std::string_view collection, std::string_view id, const Json& fields) {
  const Json body = {{"fields", fields}};
  return call("POST",
              encode_path(endpoint_.name(collection)) + "?documentId=" + percent_encode(id),
              &body, fmt::format("Firestore create {}/{}", collection, id));
}

Json Api::patch(std::string_view path, const Json& fields, const std::vector<std::string>* mask,
                bool must_exist) {
  std::string query;
  if (mask)
    for (const auto& f : *mask)
      query += (query.empty() ? "?" : "&") + std::string("updateMask.fieldPaths=") +
               percent_encode(field_path(f));
  if (must_exist) query += (query.empty() ? "?" : "&") + std::string("currentDocument.exists=true");
  const Json body = {{"fields", fields}};
  return call("PATCH", encode_path(endpoint_.name(path)) + query, &body,
              fmt::format("Firestore {} {}", must_exist ? "update" : "set", path));
}

Json Api::set_document(std::string_view path, const Json& fields,
                       const std::vector<std::string>* merge_fields) {
  return patch(path, fields, merge_fields, false);
}

Json Api::update_document(std::string_view path, const Json& fields) {
  std::vector<std::string> mask;
  for (auto it = fields.begin(); it != fields.end(); ++it) mask.push_back(it.key());
  return patch(path, fields, &mask, true);
}

void Api::delete_document(std::string_view path) {
  call("DELETE", encode_path(endpoint_.name(path)), nullptr,
       fmt::format("Firestore delete {}", path));
}

}  // namespace polydb::firestore
