#include <memory>

#include "connectors/odbc/connection.hpp"
#include "connectors/registry.hpp"

// psqlODBC keeps a few hundred bytes of global state until exit, which
// LeakSanitizer (the dev preset) reports in every process that loaded it:
// the drivers' own allocations are not polydb's to free.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __lsan_default_suppressions() {
  return "leak:psqlodbcw.so\nleak:psqlodbca.so\nleak:libmaodbc.so\nleak:libtdsodbc.so\n";
}
#endif

namespace polydb {

void register_odbc(Registry& registry) {
  registry.add("odbc", {"odbc", "sqlserver", "mssql"},
               [](const Uri& uri, const ConnectOptions& options) -> std::unique_ptr<Connection> {
                 return std::make_unique<odbc::OdbcConnection>(uri, options);
               });
}

}  // namespace polydb
