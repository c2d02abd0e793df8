# The backends a build can leave out: options POLYDB_WITH_<BACKEND>, default ON.
#
# SQLite is always built: it is the embedded default (a bare file name opens
# one) and the engine of federated queries. A backend switched off is not
# compiled, not linked and not registered; its URL schemes then fail with an
# error naming the option (src/connectors/registry.cpp), and the tests of it
# are not built (polydb_filter_backend_tests below).
#
# Each name is also the backend's folder, lowercased: src/connectors/<name>/,
# tests/unit/connectors/<name>/, tests/integration/<name>/.
set(POLYDB_OPTIONAL_BACKENDS POSTGRES MYSQL ODBC DYNAMODB COSMOS FIRESTORE)

option(POLYDB_WITH_POSTGRES "PostgreSQL connector (libpq)" ON)
option(POLYDB_WITH_MYSQL "MySQL / MariaDB connector (MariaDB Connector/C)" ON)
option(POLYDB_WITH_ODBC "ODBC connector (unixODBC; SQL Server, Azure SQL, any driver)" ON)
option(POLYDB_WITH_DYNAMODB "Amazon DynamoDB connector (HTTP + SigV4)" ON)
option(POLYDB_WITH_COSMOS "Azure Cosmos DB connector (REST)" ON)
option(POLYDB_WITH_FIRESTORE "Google Firestore connector (REST)" ON)

set(POLYDB_DISABLED_BACKENDS "")
foreach(backend IN LISTS POLYDB_OPTIONAL_BACKENDS)
  if(NOT POLYDB_WITH_${backend})
    list(APPEND POLYDB_DISABLED_BACKENDS ${backend})
  endif()
endforeach()
if(POLYDB_DISABLED_BACKENDS)
  string(REPLACE ";" ", " _polydb_off "${POLYDB_DISABLED_BACKENDS}")
  message(STATUS "polydb: backends left out of this build: ${_polydb_off}")
endif()

# Regular expressions that mark a test source as a test of <BACKEND>: it
# includes the connector's private headers or a backend test fixture, reads the
# backend's test server URL (POLYDB_TEST_<BACKEND>_URL), or names one of its
# URL schemes. Scheme names count only in e2e/ and integration/ tests, which
# connect; unit tests of core, net, cli and query parse URLs as text.
set(_polydb_strong_POSTGRES "connectors/postgres/|postgres/fixture\\.hpp|POLYDB_TEST_POSTGRES_URL")
set(_polydb_strong_MYSQL "connectors/mysql/|mysql/fixture\\.hpp|POLYDB_TEST_MYSQL_URL")
set(_polydb_strong_ODBC "connectors/odbc/|odbc/fixture\\.hpp|POLYDB_TEST_ODBC")
set(_polydb_strong_DYNAMODB "connectors/dynamodb/|dynamodb/fixture\\.hpp|POLYDB_TEST_DYNAMODB_URL")
set(_polydb_strong_COSMOS "connectors/cosmos/|cosmos/fixture\\.hpp|POLYDB_TEST_COSMOS_URL")
set(_polydb_strong_FIRESTORE "connectors/firestore/|firestore/fixture\\.hpp|POLYDB_TEST_FIRESTORE_URL")
set(_polydb_scheme_POSTGRES "\"postgres(ql)?://")
set(_polydb_scheme_MYSQL "\"(mysql|mariadb)://")
set(_polydb_scheme_ODBC "\"(odbc|sqlserver|mssql)://")
set(_polydb_scheme_DYNAMODB "\"dynamodb://")
set(_polydb_scheme_COSMOS "\"cosmos://")
set(_polydb_scheme_FIRESTORE "\"firestore://")

# polydb_filter_backend_tests(<list variable>)
# Removes from the list the test sources (absolute paths under tests/) that
# test a backend this build leaves out: those in the backend's own test folders
# and those that use it (a fixture, its server, its URLs; see above). Files in
# tests/integration/net/ use the DynamoDB emulator as a plain HTTP server and
# stay. A test file that needs a backend also needs the headers it includes:
# a fixture.hpp that reads POLYDB_TEST_MYSQL_URL marks its includers too.
function(polydb_filter_backend_tests list_var)
  if(NOT POLYDB_DISABLED_BACKENDS)
    return()
  endif()
  set(kept "")
  foreach(file IN LISTS ${list_var})
    file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}/tests" "${file}")
    file(READ "${file}" text)
    set(drop FALSE)
    foreach(backend IN LISTS POLYDB_DISABLED_BACKENDS)
      string(TOLOWER ${backend} dir)
      if(rel MATCHES "^(unit/connectors|integration)/${dir}/")
        set(drop TRUE)
      elseif(rel MATCHES "^integration/net/")
        # plain HTTP tests against the emulators: not a backend test
      elseif(text MATCHES "${_polydb_strong_${backend}}")
        set(drop TRUE)
      elseif(rel MATCHES "^(e2e|integration)/" AND text MATCHES "${_polydb_scheme_${backend}}")
        set(drop TRUE)
      endif()
      if(drop)
        break()
      endif()
    endforeach()
    if(NOT drop)
      list(APPEND kept "${file}")
    endif()
  endforeach()
  set(${list_var} "${kept}" PARENT_SCOPE)
endfunction()

# polydb_backend_test_filter(<variable>)
# A gtest negative filter ("-a:b", or "" when every backend is built) that
# leaves out the conformance instances (tests/conformance/backends.cpp) of the
# backends this build does not have: the suite is one binary over every
# backend, so the instances are left out of ctest rather than out of the build;
# run directly, they fail with the error naming the build option.
function(polydb_backend_test_filter out_var)
  set(patterns "")
  foreach(backend IN LISTS POLYDB_DISABLED_BACKENDS)
    string(TOLOWER ${backend} name)
    list(APPEND patterns "*/${name}")
  endforeach()
  # The ODBC instances reach PostgreSQL and MariaDB, and create their
  # databases through the native connectors.
  if(NOT POLYDB_WITH_ODBC OR NOT POLYDB_WITH_POSTGRES)
    list(APPEND patterns "*/odbc_postgres")
  endif()
  if(NOT POLYDB_WITH_ODBC OR NOT POLYDB_WITH_MYSQL)
    list(APPEND patterns "*/odbc_mariadb")
  endif()
  list(REMOVE_DUPLICATES patterns)
  if(patterns)
    string(REPLACE ";" ":" joined "${patterns}")
    set(${out_var} "-${joined}" PARENT_SCOPE)
  else()
    set(${out_var} "" PARENT_SCOPE)
  endif()
endfunction()
