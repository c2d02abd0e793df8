// open_state_store(): which store a URL names; the default store; job ids.

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

#include "engine/state/session.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

#ifndef POLYDB_VERSION
#error "POLYDB_VERSION is defined by src/engine/state/CMakeLists.txt"
#endif

namespace polydb::state {

std::string_view to_string(JobStatus s) noexcept {
  switch (s) {
    case JobStatus::running:
      return "running";
    case JobStatus::done:
      return "done";
    case JobStatus::failed:
      return "failed";
    case JobStatus::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view to_string(ChunkStatus s) noexcept {
  switch (s) {
    case ChunkStatus::pending:
      return "pending";
    case ChunkStatus::running:
      return "running";
    case ChunkStatus::done:
      return "done";
    case ChunkStatus::failed:
      return "failed";
  }
  return "unknown";
}

std::string_view polydb_release() noexcept { return "polydb " POLYDB_VERSION; }

std::string generate_job_id(std::string_view kind, Clock::time_point now) {
  const std::time_t t = Clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  // Random enough that two workers creating a job in the same second differ.
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}-{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:08x}", kind, utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     static_cast<uint32_t>(rng()));
}

namespace {

// URL schemes compare case-insensitively (RFC 3986).
bool has_scheme(std::string_view url, std::string_view scheme) {
  if (url.size() <= scheme.size() || url[scheme.size()] != ':') return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
  return true;
}

}  // namespace

std::unique_ptr<StateStore> open_state_store(std::string_view url,
                                             const OpenStateOptions& options) {
  if (url.empty())
    throw Error(ErrorCode::invalid_argument,
                "no state store given (a path, sqlite:///path/state.db or postgresql://...)");
  if (has_scheme(url, "postgresql") || has_scheme(url, "postgres"))
    return open_postgres_store(url, options);
  if (has_scheme(url, "sqlite")) return open_sqlite_store(url, options);
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("{}: a state store is a SQLite file (a path or sqlite:///path) or a "
                            "PostgreSQL database (postgresql://...), not '{}'",
                            redact_url_text(url), url.substr(0, scheme_end)));
  return open_sqlite_store(url, options);  // a plain path
}

std::string default_state_url() {
  if (const char* s = std::getenv("POLYDB_STATE"); s && *s) return s;
  // XDG: a relative XDG_STATE_HOME is invalid and must be ignored.
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/')
    return std::string(x) + "/polydb/state.db";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    throw Error(ErrorCode::not_found,
                "no place for the state store: HOME is not set (set POLYDB_STATE to a path or "
                "URL, or XDG_STATE_HOME)");
  return std::string(home) + "/.local/state/polydb/state.db";
}

}  // namespace polydb::state
