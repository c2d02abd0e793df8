#include "net/cosmos_auth.hpp"

#include <fmt/format.h>

#include <ctime>

#include "core/encoding.hpp"
#include "net/crypto.hpp"
#include "net/headers.hpp"
#include "polydb/error.hpp"
#include "polydb/uri.hpp"

namespace polydb::net {

std::string cosmos_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday],
                     tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
}

std::string cosmos_string_to_sign(std::string_view verb, std::string_view resource_type,
                                  std::string_view resource_link, std::string_view date) {
  return fmt::format("{}\n{}\n{}\n{}\n\n", ascii_lower(verb), ascii_lower(resource_type),
                     resource_link, ascii_lower(date));
}

std::string cosmos_master_key_authorization(const Secret& master_key, std::string_view verb,
                                            std::string_view resource_type,
                                            std::string_view resource_link,
                                            std::string_view date) {
  std::string key;
  try {
    key = base64_decode(master_key.reveal());
  } catch (const Error&) {
    throw Error(ErrorCode::auth,
                "the Cosmos DB key is not base64 (copy the primary or secondary key from the "
                "account's Keys page, or set COSMOS_KEY)",
                "cosmos");
  }
  const Digest sig =
      hmac_sha256(key, cosmos_string_to_sign(verb, resource_type, resource_link, date));
  std::fill(key.begin(), key.end(), '\0');
  return percent_encode("type=master&ver=1.0&sig=" + base64_encode(as_bytes(sig)));
}

std::string cosmos_resource_token_authorization(const Secret& token) {
  return percent_encode(token.reveal());
}

std::string CosmosSigner::authorization(std::string_view verb, std::string_view resource_type,
                                        std::string_view resource_link,
                                        std::string_view date) const {
  if (kind_ == Kind::resource_token) return cosmos_resource_token_authorization(credential_);
  return cosmos_master_key_authorization(credential_, verb, resource_type, resource_link, date);
}

}  // namespace polydb::net
