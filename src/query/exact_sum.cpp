#include "query/exact_sum.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/c_callback.hpp"
#include "query/remote_table.hpp"
#include "query/values.hpp"

namespace polydb::query {

namespace {

__extension__ typedef __int128 i128;  // GCC and Clang; -Wpedantic wants the marker

constexpr int kMaxScale = 18;

i128 pow10(int n) {
  i128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

struct SumState {
  bool initialised;
  int64_t count;       // non-NULL values
  bool has_real;       // an untagged REAL was added: the result is REAL
  bool has_exact;      // a decimal (tagged REAL or text) was added
  bool decimal_input;  // a value carried the decimal subtype (integral decimals too)
  bool overflow;       // the exact sum left 128 bits: fall back to REAL
  i128 exact;          // sum of integers and decimals, scaled by 10^scale
  int scale;
  double real;         // untagged REALs (Neumaier summation)
  double real_comp;
};

bool mul_overflows(i128 a, i128 b) {
  const i128 limit = (static_cast<i128>(1) << 125);
  return a != 0 && (b > limit / (a < 0 ? -a : a));
}

void rescale(SumState& s, int scale) {
  if (scale <= s.scale) return;
  const i128 f = pow10(scale - s.scale);
  if (mul_overflows(s.exact, f)) s.overflow = true;
  else s.exact *= f;
  s.scale = scale;
}

void add_scaled(SumState& s, i128 v, int scale, int sign) {
  rescale(s, scale);
  const i128 f = pow10(s.scale - scale);
  if (mul_overflows(v, f)) {
    s.overflow = true;
    return;
  }
  const i128 add = v * f * sign;
  const i128 limit = (static_cast<i128>(1) << 125);
  if ((add > 0 && s.exact > limit - add) || (add < 0 && s.exact < -limit - add)) s.overflow = true;
  else s.exact += add;
}

void add_real(SumState& s, double d) {
  const double t = s.real + d;
  if (std::fabs(s.real) >= std::fabs(d)) s.real_comp += (s.real - t) + d;
  else s.real_comp += (d - t) + s.real;
  s.real = t;
}

// Parses "-123.4500" into a scaled integer; false for other text.
bool parse_decimal(std::string_view t, i128& v, int& scale) {
  bool neg = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  if (t.empty()) return false;
  v = 0;
  scale = 0;
  bool dot = false, digits = false;
  for (char c : t) {
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (v > (static_cast<i128>(1) << 120)) return false;
    v = v * 10 + (c - '0');
    digits = true;
    if (dot) ++scale;
  }
  if (!digits || scale > kMaxScale) return false;
  if (neg) v = -v;
  return true;
}

void add_value(SumState& s, sqlite3_value* v, int sign) {
  if (sqlite3_value_subtype(v) == kDecimalSubtype) s.decimal_input = true;
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return;
    case SQLITE_INTEGER:
      add_scaled(s, sqlite3_value_int64(v), 0, sign);
      break;
    case SQLITE_FLOAT: {
      const double d = sqlite3_value_double(v);
      i128 scaled;
      int scale;
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      // Every REAL adds as its shortest decimal form, not only those tagged
      // decimal: a sort (GROUP BY, ORDER BY) drops SQLite's subtypes, and a
      // decimal column's 2.50 must still add up exactly after one.
      if (parse_decimal(std::string_view(buf, static_cast<size_t>(r.ptr - buf)), scaled, scale)) {
        s.has_exact = true;
        add_scaled(s, scaled, scale, sign);
      } else {
        s.has_real = true;
        add_real(s, sign * d);
      }
      break;
    }
    default: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      std::string_view t(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
      i128 scaled;
      int scale;
      if (parse_decimal(t, scaled, scale)) {
        s.has_exact = s.has_exact || scale > 0;
        add_scaled(s, scaled, scale, sign);
      } else {
        s.has_real = true;
        add_real(s, sign * sqlite3_value_double(v));  // SQLite's numeric prefix
      }
    }
  }
  s.count += sign;
}

std::string scaled_text(i128 v, int scale) {
  const bool neg = v < 0;
  if (neg) v = -v;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v > 0);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale)
      digits.insert(0, static_cast<size_t>(scale - static_cast<int>(digits.size()) + 1), '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), 1, '.');
  }
  return neg ? "-" + digits : digits;
}

double exact_as_double(const SumState& s) {
  return std::strtod(scaled_text(s.exact, s.scale).c_str(), nullptr);
}

void result(sqlite3_context* ctx, const SumState* s) {
  if (!s || s->count == 0) return sqlite3_result_null(ctx);
  if (s->has_real || s->overflow) {
    const double exact = s->overflow ? 0 : exact_as_double(*s);
    return sqlite3_result_double(ctx, s->real + s->real_comp + exact);
  }
  if (!s->has_exact && s->scale == 0) {
    const i128 lim = static_cast<i128>(INT64_MAX);
    if (s->exact > lim || s->exact < -lim - 1)
      return sqlite3_result_error(ctx, "integer overflow", -1);
    sqlite3_result_int64(ctx, static_cast<int64_t>(s->exact));
    // A sum of decimals that happens to be integral is still a decimal: the
    // result column keeps that type when another group's sum has a fraction.
    if (s->decimal_input) sqlite3_result_subtype(ctx, kDecimalSubtype);
    return;
  }
  // An exact decimal, as the REAL nearest to it, marked decimal: a number
  // for every comparison that follows (ORDER BY, HAVING, max() of sums), as
  // SQLite has them. The shortest form of that REAL is the exact sum up to
  // 15 significant digits; beyond, the nearest double's. (It once came as
  // text when longer: text sorts after every number, and q03/q10/q11/q15 of
  // TPC-H ordered and filtered their revenues as text.)
  sqlite3_result_double(ctx, exact_as_double(*s));
  sqlite3_result_subtype(ctx, kDecimalSubtype);
}

// sqlite3_aggregate_context() memory is only 8-byte aligned: the state is
// copied in and out of it rather than used in place (it holds an __int128).
template <class Fn>
void with_state(sqlite3_context* ctx, bool create, Fn&& fn) {
  void* raw = sqlite3_aggregate_context(ctx, create ? static_cast<int>(sizeof(SumState)) : 0);
  SumState s{};
  if (raw) std::memcpy(&s, raw, sizeof s);
  if (raw && !s.initialised) {
    s = SumState{};
    s.initialised = true;
  }
  fn(raw ? &s : nullptr);
  if (raw) std::memcpy(raw, &s, sizeof s);
}

// Runs a callback body; what it throws goes to the engine and fails the
// statement (the callbacks are noexcept C functions).
template <class Fn>
void guarded(sqlite3_context* ctx, Fn&& fn) noexcept {
  try {
    callback_fault_point(CCallback::sqlite_function);
    fn();
  } catch (...) {
    static_cast<Engine*>(sqlite3_user_data(ctx))->keep_error(std::current_exception());
    try {
      const Error e = error_from_exception(std::current_exception());
      sqlite3_result_error(ctx, e.message().c_str(), -1);
    } catch (...) {
      sqlite3_result_error_nomem(ctx);
    }
  }
}

void step(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  guarded(ctx, [&] {
    with_state(ctx, true, [&](SumState* s) {
      if (s) add_value(*s, argv[0], 1);
    });
  });
}
void inverse(sqlite3_context* ctx, int, sqlite3_value** argv) noexcept {
  guarded(ctx, [&] {
    with_state(ctx, true, [&](SumState* s) {
      if (s) add_value(*s, argv[0], -1);
    });
  });
}
void value(sqlite3_context* ctx) noexcept {
  guarded(ctx, [&] { with_state(ctx, false, [&](SumState* s) { result(ctx, s); }); });
}
void final(sqlite3_context* ctx) noexcept {
  guarded(ctx, [&] { with_state(ctx, false, [&](SumState* s) { result(ctx, s); }); });
}

}  // namespace

void register_exact_sum(sqlite3* db, Engine& engine) {
  if (sqlite3_create_window_function(db, "sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, &engine,
                                     step, final, value, inverse, nullptr) != SQLITE_OK)
    throw Error(ErrorCode::internal,
                std::string("cannot register sum(): ") + sqlite3_errmsg(db), "sqlite");
}

}  // namespace polydb::query
