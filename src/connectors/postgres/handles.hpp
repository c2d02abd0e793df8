#pragma once

// RAII over libpq's C handles: wrap each on the line that creates it.

#include <libpq-fe.h>

#include <memory>

#include "connectors/common/handles.hpp"

namespace polydb::postgres {

using PgConn = std::unique_ptr<PGconn, Free<&PQfinish>>;
using PgResult = std::unique_ptr<PGresult, Free<&PQclear>>;
using PgCancel = std::unique_ptr<PGcancel, Free<&PQfreeCancel>>;
/// Memory libpq allocated for us (PQescapeLiteral, PQgetCopyData buffers).
using PgMemory = std::unique_ptr<char, Free<&PQfreemem>>;

}  // namespace polydb::postgres
