#pragma once

// A RetryClock for tests of retry loops: no time passes, waits are counted,
// and a wait ends early (returns false) when a stop was requested, as the
// system clock's waits do.

#include <chrono>
#include <stop_token>

#include "net/retry.hpp"

namespace polydb::net::testing {

class StoppableClock final : public RetryClock {
 public:
  std::chrono::steady_clock::time_point now() override { return {}; }
  std::chrono::system_clock::time_point wall_now() override { return {}; }
  bool sleep_for(std::chrono::milliseconds, std::stop_token stop) override {
    ++sleeps;
    return !stop.stop_requested();
  }
  int sleeps = 0;
};

}  // namespace polydb::net::testing
