#pragma once

// Named spdlog loggers for polydb's own code (private header).

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace polydb {

/// The logger named `name` ("sqlite", "copy", ...), created on first use with
/// the shared stderr sink and the current level. Thread-safe.
std::shared_ptr<spdlog::logger> logger(std::string_view name);

}  // namespace polydb
