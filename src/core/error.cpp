#include "polydb/error.hpp"

#include <array>
#include <new>
#include <utility>

#include "core/c_callback.hpp"

namespace polydb {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::connection: return "connection";
    case ErrorCode::auth: return "auth";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::type_mismatch: return "type_mismatch";
    case ErrorCode::throttled: return "throttled";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::io: return "io";
    case ErrorCode::corruption: return "corruption";
    case ErrorCode::cancelled: return "cancelled";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

std::string_view to_string(Hint hint) noexcept {
  switch (hint) {
    case Hint::none: return "";
    case Hint::write_mode: return "write_mode";
    case Hint::upsert_mode: return "upsert_mode";
    case Hint::replace_mode: return "replace_mode";
    case Hint::key_columns: return "key_columns";
    case Hint::non_atomic: return "non_atomic";
    case Hint::list_tables: return "list_tables";
    case Hint::describe_table: return "describe_table";
    case Hint::list_or_describe: return "list_or_describe";
    case Hint::bind_params: return "bind_params";
    case Hint::typed_param: return "typed_param";
    case Hint::copy: return "copy";
    case Hint::read_and_write: return "read_and_write";
    case Hint::create_if_missing: return "create_if_missing";
    case Hint::max_remote_calls: return "max_remote_calls";
    case Hint::attach: return "attach";
    case Hint::drop_limit_or_parallel: return "drop_limit_or_parallel";
    case Hint::drop_limit_or_chunks: return "drop_limit_or_chunks";
    case Hint::create_or_unchunked: return "create_or_unchunked";
    case Hint::chunked_copy: return "chunked_copy";
    case Hint::one_reader_or_chunks: return "one_reader_or_chunks";
  }
  return "";
}

namespace {
bool default_retryable(ErrorCode code) {
  return code == ErrorCode::throttled || code == ErrorCode::timeout ||
         code == ErrorCode::connection;
}
std::string compose(const std::string& message, const std::string& backend) {
  return backend.empty() ? message : backend + ": " + message;
}
}  // namespace

Error::Error(ErrorCode code, std::string message, std::string backend, std::string detail)
    : std::runtime_error(compose(message, backend)),
      code_(code),
      message_(std::move(message)),
      backend_(std::move(backend)),
      detail_(std::move(detail)),
      retryable_(default_retryable(code)) {}

Error Error::with_message(std::string message) const {
  Error e(code_, std::move(message), backend_, detail_);
  e.native_code_ = native_code_;
  e.hint_ = hint_;
  e.retryable_ = retryable_;
  return e;
}

// ------------------------------------------------------------ C callbacks

Error error_from_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const Error& error) {
    return error;
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::internal, "out of memory (a library callback could not allocate)");
  } catch (const std::exception& other) {
    return Error(ErrorCode::internal, other.what());
  } catch (...) {
    return Error(ErrorCode::internal, "unknown exception in a library callback");
  }
}

void rethrow_as_error(std::exception_ptr e) { throw error_from_exception(std::move(e)); }

namespace detail {

std::atomic<int> armed_callback_faults{0};

namespace {
struct ArmedFault {
  std::exception_ptr fault;
  std::size_t skip = 0;
};
thread_local std::array<ArmedFault, kCCallbackKinds> armed_faults;
}  // namespace

void fire_callback_fault(CCallback kind) {
  ArmedFault& a = armed_faults[static_cast<std::size_t>(kind)];
  if (!a.fault) return;
  if (a.skip > 0) {
    --a.skip;
    return;
  }
  std::exception_ptr fault = std::exchange(a.fault, nullptr);
  armed_callback_faults.fetch_sub(1, std::memory_order_relaxed);
  std::rethrow_exception(fault);
}

}  // namespace detail

namespace fault_injection {

void fail_next_callback(CCallback kind, std::exception_ptr fault, std::size_t skip) {
  auto& a = detail::armed_faults[static_cast<std::size_t>(kind)];
  if (!a.fault && fault) detail::armed_callback_faults.fetch_add(1, std::memory_order_relaxed);
  if (a.fault && !fault) detail::armed_callback_faults.fetch_sub(1, std::memory_order_relaxed);
  a.fault = std::move(fault);
  a.skip = skip;
}

std::size_t clear_callback_faults() noexcept {
  std::size_t left = 0;
  for (auto& a : detail::armed_faults)
    if (a.fault) {
      a.fault = nullptr;
      ++left;
      detail::armed_callback_faults.fetch_sub(1, std::memory_order_relaxed);
    }
  return left;
}

}  // namespace fault_injection

}  // namespace polydb
