#include "net/retry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <random>
#include <vector>

#include "core/log.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

namespace {

class SystemRetryClock final : public RetryClock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() override {
    return std::chrono::system_clock::now();
  }
  bool sleep_for(std::chrono::milliseconds delay, std::stop_token stop) override {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, delay, [] { return false; });
    return !stop.stop_requested();
  }
};

double thread_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

bool never_retried(ErrorCode code) {
  return code == ErrorCode::auth || code == ErrorCode::invalid_argument ||
         code == ErrorCode::type_mismatch || code == ErrorCode::cancelled;
}

std::string seconds_text(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return fmt::format("{:.1f} s", s);
}

}  // namespace

RetryAdvice retry_if_retryable(const Error& error) { return {.retry = error.retryable()}; }

RetryClock& system_retry_clock() {
  static SystemRetryClock clock;
  return clock;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_number,
                                        double unit_random) {
  // Doubling in floating point cannot overflow; the cap bounds it anyway.
  const double exponent = std::min(std::max(retry_number, 1) - 1, 62);
  const double ceiling =
      std::min(static_cast<double>(policy.max_delay.count()),
               static_cast<double>(policy.base_delay.count()) * std::exp2(exponent));
  const double r = std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(ceiling * r)));
}

namespace detail {

void run_with_retry(const RetryPolicy& policy, const RetryClassifier& classify,
                    const std::function<void()>& attempt, const RetryContext& context) {
  RetryClock& clock = context.clock ? *context.clock : system_retry_clock();
  const auto started = clock.now();
  const int max_attempts = std::max(policy.max_attempts, 1);
  for (int n = 1;; ++n) {
    try {
      attempt();
      return;
    } catch (const Error& error) {
      const RetryAdvice advice = classify ? classify(error) : retry_if_retryable(error);
      if (!advice.retry || never_retried(error.code())) throw;

      auto gave_up = [&](std::string_view why) {
        return error.with_message(
            fmt::format("{} (gave up after {} attempt{} in {}: {})", error.message(), n,
                        n == 1 ? "" : "s", seconds_text(clock.now() - started), why));
      };
      if (n >= max_attempts) throw gave_up("no attempts left");
      const double sample = context.random ? context.random() : thread_random();
      const auto delay = advice.server_delay
                             ? std::clamp(*advice.server_delay, std::chrono::milliseconds(0),
                                          policy.max_server_delay)
                             : backoff_delay(policy, n, sample);
      if (policy.deadline.count() > 0 && clock.now() + delay - started > policy.deadline)
        throw gave_up("the retry deadline would pass");

      logger(context.log_name)
          ->warn("{}: attempt {} of {} failed, retrying in {} ms{}: {}", context.what, n,
                 max_attempts, delay.count(), advice.server_delay ? " as the server asked" : "",
                 error.what());
      if (!clock.sleep_for(delay, context.stop))
        throw Error(ErrorCode::cancelled, context.what + " was cancelled while waiting to retry",
                    error.backend());
    }
  }
}

}  // namespace detail

namespace {

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (iequals(name, kMonths[i])) return static_cast<int>(i) + 1;
  return 0;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_tokens(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto start = text.find_first_not_of(separators, i);
    if (start == std::string_view::npos) break;
    const auto end = text.find_first_of(separators, start);
    out.push_back(text.substr(start, end - start));
    i = end == std::string_view::npos ? text.size() : end;
  }
  return out;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  text = trim_http_space(text);
  std::string_view day_text, month_text, year_text, time_text;
  if (const auto comma = text.find(','); comma != std::string_view::npos) {
    // "Sun, 06 Nov 1994 08:49:37 GMT" or "Sunday, 06-Nov-94 08:49:37 GMT"
    const auto tokens = split_tokens(text.substr(comma + 1), " -");
    if (tokens.size() != 5 || !iequals(tokens[4], "GMT")) return std::nullopt;
    day_text = tokens[0], month_text = tokens[1], year_text = tokens[2], time_text = tokens[3];
  } else {
    // "Sun Nov  6 08:49:37 1994"
    const auto tokens = split_tokens(text, " ");
    if (tokens.size() != 5) return std::nullopt;
    month_text = tokens[1], day_text = tokens[2], time_text = tokens[3], year_text = tokens[4];
  }
  const auto time = split_tokens(time_text, ":");
  if (time.size() != 3) return std::nullopt;
  auto day = parse_int(day_text), year = parse_int(year_text);
  auto hour = parse_int(time[0]), minute = parse_int(time[1]), second = parse_int(time[2]);
  const int month = month_number(month_text);
  if (!day || !year || !hour || !minute || !second || month == 0) return std::nullopt;
  if (year_text.size() == 2) *year += *year < 70 ? 2000 : 1900;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second);
}

std::optional<std::chrono::milliseconds> retry_after_hint(
    const Headers& headers, std::chrono::system_clock::time_point now) {
  for (std::string_view name : {"x-ms-retry-after-ms", "retry-after-ms"}) {
    if (auto value = headers.get(name)) {
      // Azure sends milliseconds, sometimes with a fraction ("1.5").
      const std::string text(trim_http_space(*value));
      char* end = nullptr;
      const double ms = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(ms) && ms >= 0)
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(ms)));
    }
  }
  const auto value = headers.get("Retry-After");
  if (!value) return std::nullopt;
  const std::string_view text = trim_http_space(*value);
  if (auto seconds = parse_int(text); seconds && *seconds >= 0)
    return std::chrono::milliseconds(std::chrono::seconds(*seconds));
  if (auto date = parse_http_date(text)) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*date - now);
    return std::max(wait, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

ErrorCode error_code_for_status(long status) {
  switch (status) {
    case 401:
    case 403:
      return ErrorCode::auth;
    case 404:
      return ErrorCode::not_found;
    case 405:
    case 501:
      return ErrorCode::unsupported;
    case 408:
    case 504:
      return ErrorCode::timeout;
    case 409:
    case 412:
      return ErrorCode::conflict;
    case 429:
    case 503:
      return ErrorCode::throttled;
    default:
      break;
  }
  return status >= 500 ? ErrorCode::connection : ErrorCode::invalid_argument;
}

Error http_status_error(const HttpResponse& response, std::string_view backend,
                        std::string_view service_code, std::string_view service_message,
                        std::span<const std::string_view> throttling_codes) {
  ErrorCode code = error_code_for_status(response.status);
  if (!service_code.empty() && std::find(throttling_codes.begin(), throttling_codes.end(),
                                         service_code) != throttling_codes.end())
    code = ErrorCode::throttled;

  std::string message = fmt::format("the server answered HTTP {}", response.status);
  if (!service_code.empty()) message += fmt::format(" {}", service_code);
  if (!service_message.empty()) message += fmt::format(": {}", service_message);
  switch (code) {
    case ErrorCode::auth:
      message += " (check the credentials, their permissions and the system clock)";
      break;
    case ErrorCode::throttled:
      message += " (the service is throttling requests: retry later or raise its capacity)";
      break;
    case ErrorCode::connection:
    case ErrorCode::timeout:
      message += " (a server-side failure: try again)";
      break;
    default:
      break;
  }
  constexpr std::size_t kDetailLimit = 2000;
  std::string detail = redact_url_text(std::string_view(response.body).substr(0, kDetailLimit));
  return Error(code, std::move(message), std::string(backend), std::move(detail))
      .set_native_code(http_native_code(response.status, service_code));
}

std::string http_native_code(long status, std::string_view service_code) {
  std::string out = fmt::format("HTTP {}", status);
  if (!service_code.empty()) fmt::format_to(std::back_inserter(out), " {}", service_code);
  return out;
}

HttpResponse send_with_retry(HttpClient& client, const RetryPolicy& policy,
                             const std::function<HttpRequest()>& make_request,
                             const ResponseClassifier& classify, const RetryContext& context) {
  RetryClock& clock = context.clock ? *context.clock : system_retry_clock();
  // The hint of the response that failed last; transport errors have none.
  std::optional<std::chrono::milliseconds> hint;
  auto advise = [&](const Error& error) {
    RetryAdvice advice = retry_if_retryable(error);
    advice.server_delay = hint;
    return advice;
  };
  return retry(
      policy, advise,
      [&] {
        hint.reset();
        HttpResponse response = client.send(make_request());
        if (std::optional<Error> error = classify(response)) {
          hint = retry_after_hint(response.headers, clock.wall_now());
          throw *std::move(error);
        }
        return response;
      },
      context);
}

}  // namespace polydb::net
