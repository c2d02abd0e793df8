#pragma once

// RAII over libmariadb's C handles: wrap each on the line that creates it.

#include <mysql.h>

#include <memory>

#include "connectors/common/handles.hpp"

namespace polydb::mysql {

using MysqlHandle = std::unique_ptr<MYSQL, Free<&mysql_close>>;
using StmtHandle = std::unique_ptr<MYSQL_STMT, Free<&mysql_stmt_close>>;
using ResultHandle = std::unique_ptr<MYSQL_RES, Free<&mysql_free_result>>;

}  // namespace polydb::mysql
