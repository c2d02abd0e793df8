#pragma once

/// Logging control. polydb logs through spdlog named loggers ("sqlite",
/// "copy", "cli", ...) to standard error. Messages never contain secrets.

#include <string_view>

namespace polydb {

/// Sets the level of every polydb logger: trace|debug|info|warn|error|off.
/// Throws Error(invalid_argument) for another word. Thread-safe.
void set_log_level(std::string_view level);

}  // namespace polydb
