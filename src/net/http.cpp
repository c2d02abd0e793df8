#include "net/http.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <exception>
#include <utility>

#include "core/c_callback.hpp"
#include "core/io_wait.hpp"
#include "core/log.hpp"
#include "net/handles.hpp"
#include "net/redact.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

namespace {

// curl_global_init is not thread-safe before 7.84 and must run before any
// other call: do it once, on the first client, never clean it up.
void ensure_curl_initialised() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK)
    throw Error(ErrorCode::internal,
                std::string("cannot initialise libcurl: ") + curl_easy_strerror(rc));
}

bool is_tls_verification_failure(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return true;
    default:
      return false;
  }
}

// A transport failure as a polydb::Error: what failed, on which (redacted)
// URL, what to do; curl's own words in the detail.
Error transport_error(CURLcode rc, const std::string& curl_message, const HttpRequest& request,
                      const HttpOptions& options) {
  const std::string url = redact_url_for_log(request.url);
  const std::string detail =
      redact_url_text(curl_message.empty() ? curl_easy_strerror(rc) : curl_message);
  const std::string what = request.method + " " + url + " failed: " + detail;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      if (detail.find("too slow") != std::string::npos)
        return Error(ErrorCode::timeout,
                     fmt::format("timeout: {} {} got nothing for {} s; the server or the network "
                                 "has stalled (read-timeout={}; set ?read-timeout=SECONDS on the "
                                 "URL to wait longer, 0 to wait forever)",
                                 request.method, url, options.low_speed_time.count(),
                                 options.low_speed_time.count()),
                     options.backend, detail)
            // The user's limit for a stalled peer: retrying would wait it again.
            .set_retryable(false);
      return Error(ErrorCode::timeout,
                   what +
                       " (timed out; check that the server is up and reachable, or raise the "
                       "timeout)",
                   options.backend, detail);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error(ErrorCode::invalid_argument, what + " (check the URL)", options.backend, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Error(ErrorCode::connection,
                   what + " (cannot resolve the host name; check the endpoint and DNS)",
                   options.backend, detail);
    case CURLE_COULDNT_CONNECT:
      return Error(ErrorCode::connection,
                   what +
                       " (connection refused or unreachable; check that the server runs and "
                       "the endpoint's host and port, or the proxy settings)",
                   options.backend, detail);
    default:
      break;
  }
  if (is_tls_verification_failure(rc)) {
    // Retrying does not make a certificate trusted.
    return Error(ErrorCode::connection,
                 what +
                     " (the server's TLS certificate is not trusted: give the CA bundle that "
                     "signed it; only for a local emulator with a self-signed certificate, "
                     "turn TLS verification off)",
                 options.backend, detail)
        .set_retryable(false);
  }
  return Error(ErrorCode::connection, what + " (the connection failed; try again)", options.backend,
               detail);
}

// Everything the curl callbacks of one transfer see. The callbacks are
// noexcept: an exception is stored in `error`, the callback returns curl's
// abort code, and `perform` rethrows once curl_easy_perform has returned.
struct Transfer {
  const HttpRequest* request = nullptr;
  const BodySink* sink = nullptr;
  HttpResponse* response = nullptr;
  std::size_t max_error_body = 0;
  long status = 0;  // of the header block being received
  std::exception_ptr error;
  const std::stop_token* stop = nullptr;
  // The idle timeout: curl's own low-speed check averages over several
  // seconds and notices a stall late, so the progress callback watches too.
  std::chrono::milliseconds idle_limit{0};
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  curl_off_t last_bytes = 0;
  bool idle_expired = false;
};

// curl calls it about once a second even while nothing moves, and during the
// connect: a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                curl_off_t ulnow) noexcept {
  (void)dltotal;
  (void)ultotal;
  auto& t = *static_cast<Transfer*>(user);
  try {
    callback_fault_point(CCallback::curl_progress);
    if (t.stop && t.stop->stop_requested()) return 1;
    if (t.idle_limit.count() > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (dlnow + ulnow != t.last_bytes) {
        t.last_bytes = dlnow + ulnow;
        t.last_activity = now;
      } else if (now - t.last_activity >= t.idle_limit) {
        t.idle_expired = true;
        return 1;
      }
    }
    return 0;
  } catch (...) {
    t.error = std::current_exception();
    return 1;
  }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  try {
    callback_fault_point(CCallback::curl_header);
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      // A new header block (after a 100 Continue, or the real response): its
      // fields replace any earlier block's.
      t.response->headers.clear();
      t.status = 0;
      if (const auto space = line.find(' '); space != std::string_view::npos) {
        const std::string_view code = line.substr(space + 1, 3);
        std::from_chars(code.data(), code.data() + code.size(), t.status);
      }
      return n;
    }
    line = trim_http_space(line);
    if (line.empty()) return n;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    t.response->headers.add(std::string(trim_http_space(line.substr(0, colon))),
                            std::string(trim_http_space(line.substr(colon + 1))));
    return n;
  } catch (...) {
    t.error = std::current_exception();
    return 0;
  }
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  try {
    callback_fault_point(CCallback::curl_write);
    const std::string_view chunk(data, n);
    const bool success = t.status >= 200 && t.status < 300;
    if (t.sink && success) {
      (*t.sink)(chunk);
    } else if (t.sink) {
      std::string& body = t.response->body;
      body.append(chunk.substr(0, t.max_error_body - std::min(t.max_error_body, body.size())));
    } else {
      t.response->body.append(chunk);
    }
    return n;
  } catch (...) {
    t.error = std::current_exception();
    return 0;  // any count other than n makes curl fail with CURLE_WRITE_ERROR
  }
}

std::size_t on_read(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  try {
    callback_fault_point(CCallback::curl_read);
    const std::size_t written = t.request->body_reader(std::span<char>(data, size * count));
    return std::min(written, size * count);
  } catch (...) {
    t.error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

// Sets a curl option; a failure here is a polydb bug or a curl built without
// a feature we rely on.
template <class T>
void set(CURL* curl, CURLoption option, T value) {
  if (const CURLcode rc = curl_easy_setopt(curl, option, value); rc != CURLE_OK)
    throw Error(ErrorCode::internal,
                std::string("libcurl refused an option: ") + curl_easy_strerror(rc));
}

bool method_sends_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

struct HttpClient::State {
  Curl curl{curl_easy_init()};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  std::shared_ptr<spdlog::logger> log;
};

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  ensure_curl_initialised();
  state_ = std::make_unique<State>();
  if (!state_->curl) throw Error(ErrorCode::internal, "cannot create a libcurl handle");
  state_->log = logger(options_.log_name);
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) { return perform(request, nullptr); }

HttpResponse HttpClient::send_streaming(const HttpRequest& request, const BodySink& sink) {
  return perform(request, &sink);
}

HttpResponse HttpClient::perform(const HttpRequest& request, const BodySink* sink) {
  CURL* curl = state_->curl.get();
  state_->error_buffer[0] = '\0';

  HttpResponse response;
  Transfer transfer{.request = &request,
                    .sink = sink,
                    .response = &response,
                    .max_error_body = options_.max_error_body,
                    .stop = &options_.stop,
                    .idle_limit = options_.low_speed_time};
  CurlHeaderList header_list;
  // However this function ends, curl must not keep pointers into its frame
  // (headers, body, callback data). curl_easy_reset drops every option but
  // keeps the connection cache, TLS sessions and DNS cache: the keep-alive.
  struct ResetOnExit {
    CURL* curl;
    ~ResetOnExit() { curl_easy_reset(curl); }
  } reset_on_exit{curl};

  set(curl, CURLOPT_ERRORBUFFER, state_->error_buffer.data());
  set(curl, CURLOPT_URL, request.url.c_str());
  set(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  // Timeouts must not use signals: the process has other threads.
  set(curl, CURLOPT_NOSIGNAL, 1L);
  set(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  const auto total = request.timeout.value_or(options_.timeout);
  set(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  set(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
  set(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
  set(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  set(curl, CURLOPT_TCP_KEEPIDLE, static_cast<long>(kKeepaliveIdleSeconds));
  set(curl, CURLOPT_TCP_KEEPINTVL, static_cast<long>(kKeepaliveIntervalSeconds));
  if (options_.stop.stop_requested())
    throw Error(ErrorCode::cancelled,
                fmt::format("interrupted before {} {}", request.method,
                            redact_url_for_log(request.url)),
                options_.backend);
  if (options_.stop.stop_possible() || options_.low_speed_time.count() > 0) {
    set(curl, CURLOPT_NOPROGRESS, 0L);
    set(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    set(curl, CURLOPT_XFERINFODATA, &transfer);
  }
  set(curl, CURLOPT_HTTP_VERSION,
      options_.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                     : static_cast<long>(CURL_HTTP_VERSION_1_1));
  // "" = every encoding this libcurl decodes (gzip, deflate, br, zstd).
  set(curl, CURLOPT_ACCEPT_ENCODING, "");
  set(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // Proxies: nothing here sets CURLOPT_PROXY or CURLOPT_NOPROXY, so curl
  // keeps reading http_proxy/HTTPS_PROXY/ALL_PROXY/NO_PROXY from the environment.
  set(curl, CURLOPT_SSL_VERIFYPEER, options_.insecure_skip_tls_verify ? 0L : 1L);
  set(curl, CURLOPT_SSL_VERIFYHOST, options_.insecure_skip_tls_verify ? 0L : 2L);
  if (!options_.ca_bundle.empty()) set(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!request.headers.contains("User-Agent"))
    set(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());

  set(curl, CURLOPT_HEADERFUNCTION, &on_header);
  set(curl, CURLOPT_HEADERDATA, &transfer);
  set(curl, CURLOPT_WRITEFUNCTION, &on_body);
  set(curl, CURLOPT_WRITEDATA, &transfer);

  const bool has_body =
      request.body_reader || !request.body.empty() || method_sends_body(request.method);
  if (request.method == "HEAD") {
    set(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || has_body) {
    set(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (has_body && request.method != "HEAD") {
    // POST mode is how curl sends a body for any method (CUSTOMREQUEST names it).
    set(curl, CURLOPT_POST, 1L);
    if (request.body_reader) {
      set(curl, CURLOPT_READFUNCTION, &on_read);
      set(curl, CURLOPT_READDATA, &transfer);
      set(curl, CURLOPT_POSTFIELDSIZE_LARGE,
          request.body_size ? static_cast<curl_off_t>(*request.body_size) : curl_off_t{-1});
    } else {
      // The request outlives the transfer, so curl may point into its body.
      set(curl, CURLOPT_POSTFIELDS, request.body.data());
      set(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }

  auto append = [&](const std::string& line) {
    curl_slist* head = curl_slist_append(header_list.get(), line.c_str());
    if (!head) throw Error(ErrorCode::internal, "out of memory building HTTP headers");
    if (head != header_list.get()) header_list.reset(head);  // the first append creates the list
  };
  for (const auto& [name, value] : request.headers)
    // "Name;" is curl's way to send a header with an empty value.
    append(value.empty() ? name + ";" : name + ": " + value);
  // In POST mode curl would add a form Content-Type; "Content-Type:" removes it.
  if (has_body && !request.headers.contains("Content-Type")) append("Content-Type:");
  if (has_body && request.body_reader && !request.body_size) append("Transfer-Encoding: chunked");
  if (header_list) set(curl, CURLOPT_HTTPHEADER, header_list.get());

  spdlog::logger& log = *state_->log;
  const auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  long http_version = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &http_version);
  std::string curl_message = state_->error_buffer.data();

  // What a callback threw, as the Error it stands for (std exceptions become
  // Error(internal)).
  if (transfer.error) rethrow_as_error(transfer.error);
  if (rc == CURLE_ABORTED_BY_CALLBACK && transfer.idle_expired) {
    // Reported like curl's own low-speed timeout.
    rc = CURLE_OPERATION_TIMEDOUT;
    curl_message = fmt::format("Operation too slow: nothing sent or received for {} s",
                               options_.low_speed_time.count());
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK && options_.stop.stop_requested())
    throw Error(ErrorCode::cancelled,
                fmt::format("interrupted during {} {}", request.method,
                            redact_url_for_log(request.url)),
                options_.backend);
  if (rc != CURLE_OK) {
    Error error = transport_error(rc, curl_message, request, options_);
    log.debug("{} {} failed after {} ms: {}", request.method, redact_url_for_log(request.url),
              elapsed.count(), error.detail());
    throw error;
  }
  if (log.should_log(spdlog::level::trace)) {
    log.trace("{} {} -> {} in {} ms ({}, {} body bytes)\n> {}\n< {}", request.method,
              redact_url_for_log(request.url), response.status, elapsed.count(),
              http_version == CURL_HTTP_VERSION_2_0 ? "HTTP/2" : "HTTP/1.1", response.body.size(),
              format_headers_for_log(request.headers), format_headers_for_log(response.headers));
  }
  return response;
}

HttpOptions connection_http_options(const Uri& uri, const ConnectOptions& options,
                                    std::string backend) {
  HttpOptions http;
  http.connect_timeout = options.timeout;
  const auto idle = read_timeout_option(uri, options.read_timeout);
  // curl counts whole seconds; 0 turns the low-speed limit off.
  http.low_speed_time = std::chrono::ceil<std::chrono::seconds>(idle);
  http.log_name = backend;
  http.backend = std::move(backend);
  http.stop = options.stop;
  return http;
}

}  // namespace polydb::net
