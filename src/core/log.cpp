#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <string>

#include "polydb/error.hpp"
#include "polydb/log.hpp"

namespace polydb {

namespace {
std::mutex& level_mutex() {
  static std::mutex m;
  return m;
}
spdlog::level::level_enum& current_level() {
  static spdlog::level::level_enum level = spdlog::level::warn;
  return level;
}
}  // namespace

std::shared_ptr<spdlog::logger> logger(std::string_view name) {
  std::lock_guard lock(level_mutex());
  std::string n(name);
  if (auto existing = spdlog::get(n)) return existing;
  auto l = spdlog::stderr_color_mt(n);
  l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  l->set_level(current_level());
  return l;
}

void set_log_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for any unknown word: accept "off" only when asked.
  if (parsed == spdlog::level::off && level != "off")
    throw Error(ErrorCode::invalid_argument,
                "unknown log level '" + std::string(level) +
                    "' (use trace, debug, info, warn, error or off)");
  std::lock_guard lock(level_mutex());
  current_level() = parsed;
  spdlog::apply_all([parsed](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
}

}  // namespace polydb
