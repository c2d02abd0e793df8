// Retry policy: backoff with full jitter, attempt and deadline limits, server
// hints, classification — on a fake clock, so nothing really sleeps.

#include "net/retry.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace polydb::net {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// Time moves only when the code under test sleeps.
class FakeClock final : public RetryClock {
 public:
  steady_clock::time_point now() override { return steady_clock::time_point(elapsed); }
  system_clock::time_point wall_now() override { return wall_start + elapsed; }
  bool sleep_for(milliseconds delay, std::stop_token stop) override {
    sleeps.push_back(delay);
    elapsed += delay;
    return !stop.stop_requested();
  }
  milliseconds elapsed{0};
  system_clock::time_point wall_start = sys_days(year(2024) / 1 / 1);
  std::vector<milliseconds> sleeps;
};

RetryContext context_with(FakeClock& clock, double random = 1.0) {
  return {.what = "test call", .clock = &clock, .random = [random] { return random; }};
}

Error throttled() { return Error(ErrorCode::throttled, "slow down", "test"); }

TEST(Backoff, FullJitterGrowsExponentiallyUpToTheCap) {
  const RetryPolicy policy{.base_delay = 100ms, .max_delay = 1000ms};
  EXPECT_EQ(backoff_delay(policy, 1, 0.999999), 99ms);
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), 100ms);    // ceiling 200 ms
  EXPECT_EQ(backoff_delay(policy, 3, 0.5), 200ms);    // ceiling 400 ms
  EXPECT_EQ(backoff_delay(policy, 5, 0.5), 500ms);    // ceiling capped at 1000 ms
  EXPECT_EQ(backoff_delay(policy, 500, 0.5), 500ms);  // no overflow
  EXPECT_EQ(backoff_delay(policy, 4, 0.0), 0ms);      // full jitter reaches zero
}

TEST(Retry, ReturnsTheFirstSuccessWithoutSleeping) {
  FakeClock clock;
  int calls = 0;
  const int result = retry(
      {}, retry_if_retryable, [&] { return ++calls * 7; }, context_with(clock));
  EXPECT_EQ(result, 7);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(Retry, RetriesRetryableErrorsWithBackoffUntilSuccess) {
  FakeClock clock;
  int calls = 0;
  const RetryPolicy policy{.max_attempts = 5, .base_delay = 100ms, .max_delay = 10s};
  const std::string result = retry(
      policy, retry_if_retryable,
      [&] {
        if (++calls < 4) throw throttled();
        return std::string("done");
      },
      context_with(clock, 0.5));
  EXPECT_EQ(result, "done");
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(clock.sleeps, (std::vector<milliseconds>{50ms, 100ms, 200ms}));
}

TEST(Retry, NeverRetriesAuthOrValidationErrorsEvenIfTheClassifierSaysSo) {
  for (ErrorCode code : {ErrorCode::auth, ErrorCode::invalid_argument, ErrorCode::type_mismatch}) {
    FakeClock clock;
    int calls = 0;
    auto always = [](const Error&) { return RetryAdvice{.retry = true}; };
    try {
      retry(
          {}, always,
          [&] {
            ++calls;
            throw Error(code, "no", "test").set_retryable(true);
          },
          context_with(clock));
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code);
      EXPECT_EQ(e.message(), "no");  // the original error, untouched
    }
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(clock.sleeps.empty());
  }
}

TEST(Retry, ANonRetryableErrorIsRethrownAtOnce) {
  FakeClock clock;
  int calls = 0;
  EXPECT_THROW(retry(
                   {}, retry_if_retryable,
                   [&] {
                     ++calls;
                     throw Error(ErrorCode::not_found, "gone");
                   },
                   context_with(clock)),
               Error);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, GivesUpAfterMaxAttemptsAndSaysSo) {
  FakeClock clock;
  int calls = 0;
  try {
    retry(
        {.max_attempts = 3}, retry_if_retryable,
        [&] {
          ++calls;
          throw throttled();
        },
        context_with(clock));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::throttled);
    EXPECT_TRUE(e.retryable());
    EXPECT_EQ(e.backend(), "test");
    EXPECT_NE(e.message().find("gave up after 3 attempts"), std::string::npos) << e.what();
  }
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps.size(), 2u);
}

TEST(Retry, StopsBeforeTheDeadlineWouldPass) {
  FakeClock clock;
  int calls = 0;
  const RetryPolicy policy{
      .max_attempts = 100, .base_delay = 1s, .max_delay = 1s, .deadline = 3500ms};
  try {
    retry(
        policy, retry_if_retryable,
        [&] {
          ++calls;
          throw throttled();
        },
        context_with(clock));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("deadline"), std::string::npos) << e.what();
  }
  EXPECT_LE(clock.elapsed, 3500ms);
  EXPECT_EQ(calls, 4);  // at 0, ~1, ~2, ~3 s; a fifth would start after 3.5 s
}

TEST(Retry, ServerHintReplacesBackoffAndIsCapped) {
  FakeClock clock;
  int calls = 0;
  auto hinted = [&](const Error&) {
    return RetryAdvice{.retry = true, .server_delay = calls == 1 ? 1500ms : 10min};
  };
  const RetryPolicy policy{.max_attempts = 3, .deadline = 0ms, .max_server_delay = 30s};
  retry(
      policy, hinted,
      [&] {
        if (++calls < 3) throw throttled();
        return 0;
      },
      context_with(clock));
  EXPECT_EQ(clock.sleeps, (std::vector<milliseconds>{1500ms, 30s}));
}

TEST(Retry, AStopRequestDuringTheWaitCancels) {
  FakeClock clock;
  std::stop_source stop;
  stop.request_stop();
  RetryContext context = context_with(clock);
  context.stop = stop.get_token();
  try {
    retry(
        {}, retry_if_retryable, [&] { throw throttled(); }, context);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
}

TEST(Retry, VoidFunctionsAndOtherExceptionsPassThrough) {
  FakeClock clock;
  int calls = 0;
  retry(
      {}, retry_if_retryable,
      [&] {
        if (++calls == 1) throw throttled();
      },
      context_with(clock));
  EXPECT_EQ(calls, 2);
  EXPECT_THROW(retry(
                   {}, retry_if_retryable, [&]() -> int { throw std::logic_error("bug"); },
                   context_with(clock)),
               std::logic_error);
}

TEST(RetryAfter, ParsesSecondsDatesAndAzureMilliseconds) {
  const auto now = sys_days(year(2015) / 10 / 21) + 7h + 28min;
  EXPECT_EQ(retry_after_hint({{"Retry-After", "3"}}, now), 3000ms);
  EXPECT_EQ(retry_after_hint({{"retry-after", " 0 "}}, now), 0ms);
  EXPECT_EQ(retry_after_hint({{"Retry-After", "Wed, 21 Oct 2015 07:28:05 GMT"}}, now), 5000ms);
  EXPECT_EQ(retry_after_hint({{"Retry-After", "Wed, 21 Oct 2015 07:27:00 GMT"}}, now), 0ms);
  EXPECT_EQ(retry_after_hint({{"x-ms-retry-after-ms", "250"}, {"Retry-After", "9"}}, now), 250ms);
  EXPECT_EQ(retry_after_hint({{"x-ms-retry-after-ms", "1.5"}}, now), 2ms);
  EXPECT_EQ(retry_after_hint({{"Retry-After", "soon"}}, now), std::nullopt);
  EXPECT_EQ(retry_after_hint({{"Retry-After", "-1"}}, now), std::nullopt);
  EXPECT_EQ(retry_after_hint({}, now), std::nullopt);
}

TEST(RetryAfter, ParsesTheThreeHttpDateForms) {
  const auto expected = sys_days(year(1994) / 11 / 6) + 8h + 49min + 37s;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 CET"), std::nullopt);
  EXPECT_EQ(parse_http_date(""), std::nullopt);
}

TEST(HttpStatusError, MapsStatusesAndThrottlingServiceCodes) {
  EXPECT_EQ(error_code_for_status(400), ErrorCode::invalid_argument);
  EXPECT_EQ(error_code_for_status(403), ErrorCode::auth);
  EXPECT_EQ(error_code_for_status(404), ErrorCode::not_found);
  EXPECT_EQ(error_code_for_status(412), ErrorCode::conflict);
  EXPECT_EQ(error_code_for_status(429), ErrorCode::throttled);
  EXPECT_EQ(error_code_for_status(503), ErrorCode::throttled);
  EXPECT_EQ(error_code_for_status(504), ErrorCode::timeout);
  EXPECT_EQ(error_code_for_status(500), ErrorCode::connection);

  HttpResponse response{.status = 400,
                        .body = R"({"__type":"ProvisionedThroughputExceededException"})"};
  constexpr std::array<std::string_view, 2> kThrottling = {
      "ThrottlingException", "ProvisionedThroughputExceededException"};
  const Error e = http_status_error(response, "dynamodb", "ProvisionedThroughputExceededException",
                                    "rate exceeded", kThrottling);
  EXPECT_EQ(e.code(), ErrorCode::throttled);
  EXPECT_TRUE(e.retryable());
  EXPECT_NE(e.message().find("ProvisionedThroughputExceededException"), std::string::npos);
  EXPECT_NE(e.detail().find("__type"), std::string::npos);

  const Error validation =
      http_status_error(response, "dynamodb", "ValidationException", "bad", kThrottling);
  EXPECT_EQ(validation.code(), ErrorCode::invalid_argument);
  EXPECT_FALSE(validation.retryable());
  const Error server = http_status_error({.status = 500}, "s3");
  EXPECT_TRUE(server.retryable());
}

}  // namespace
}  // namespace polydb::net
