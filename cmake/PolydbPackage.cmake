# What `cmake --install` puts under the prefix, for a downstream project:
#
#   include/polydb/*.hpp                     the public headers
#   lib/libpolydb_*.a                        the static libraries of the umbrella target
#   lib/cmake/polydb/polydbConfig.cmake      find_package(polydb CONFIG) -> polydb::polydb
#   lib/cmake/polydb/polydbConfigVersion.cmake
#   lib/cmake/polydb/polydbTargets*.cmake
#   lib/pkgconfig/polydb.pc                  pkg-config --static --cflags --libs polydb
#   bin/polydb                               the command-line tool
#
# The installed libraries are the umbrella target `polydb` (src/CMakeLists.txt)
# and every library of this project it links, directly or not: that list is
# read from the targets, so a library added to the umbrella is installed and
# exported without a change here. The external libraries they link must be
# known to _polydb_external_dependency() below, which says how a downstream
# project finds each one; an unknown one stops the configuration.
#
# A sanitized build (POLYDB_SANITIZE, POLYDB_TSAN) produces libraries that call
# the sanitizer runtime, so its package says so: the sanitizer link flags are
# INTERFACE link options of polydb::polydb_core and part of polydb.pc's Libs.
# A release build's package has none.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(POLYDB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/polydb")

# _polydb_external_dependency(<link item> <config var> <pc requires var> <pc libs var>)
# How a downstream project finds one external library that an installed
# library links: the lines polydbConfig.cmake runs for it, and what polydb.pc
# says (a pkg-config module it requires, or the linker flags of the shared
# library). Sets <config var> to "UNKNOWN" for an item it does not know.
function(_polydb_external_dependency item config_var requires_var libs_var)
  set(config "")
  set(requires "")
  set(libs "")
  if(item STREQUAL "fmt::fmt")
    set(config "find_dependency(fmt)")
    set(requires "fmt")
  elseif(item STREQUAL "spdlog::spdlog")
    set(config "find_dependency(spdlog)")
    set(requires "spdlog")
  elseif(item MATCHES "^(yaml-cpp|yaml-cpp::yaml-cpp)$")
    set(config "find_dependency(yaml-cpp)")
    set(libs "-lyaml-cpp")
  elseif(item STREQUAL "Threads::Threads")
    set(config "find_dependency(Threads)")
    set(libs "-pthread")
  elseif(item STREQUAL "OpenSSL::Crypto")
    set(config "find_dependency(OpenSSL 3)")
    set(libs "-lcrypto")
  elseif(item STREQUAL "OpenSSL::SSL")
    set(config "find_dependency(OpenSSL 3)")
    set(libs "-lssl;-lcrypto")
  elseif(item STREQUAL "CURL::libcurl")
    set(config "find_dependency(CURL)")
    set(libs "-lcurl")
  elseif(item STREQUAL "nlohmann_json::nlohmann_json")
    # Header-only, used inside the libraries: nothing to link.
    set(config "find_dependency(nlohmann_json)")
  elseif(item MATCHES "^PkgConfig::(.+)$")
    # The project's pkg_check_modules(<PREFIX> IMPORTED_TARGET <module>) calls:
    # the downstream project makes the same imported target.
    set(prefix ${CMAKE_MATCH_1})
    set(modules SQLITE3 "sqlite3>=3.38" LIBPQ "libpq>=10" MARIADB "libmariadb" ODBC "odbc")
    list(FIND modules ${prefix} at)
    if(at EQUAL -1)
      set(${config_var} "UNKNOWN" PARENT_SCOPE)
      return()
    endif()
    math(EXPR at "${at} + 1")
    list(GET modules ${at} module)
    set(config "find_dependency(PkgConfig)\n_polydb_pkg_dependency(${prefix} \"${module}\")")
    string(REGEX REPLACE "[<>=].*$" "" bare_module "${module}")
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --libs ${bare_module}
      OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "pkg-config --libs ${bare_module} failed")
    endif()
    separate_arguments(libs UNIX_COMMAND "${flags}")
  else()
    set(${config_var} "UNKNOWN" PARENT_SCOPE)
    return()
  endif()
  set(${config_var} "${config}" PARENT_SCOPE)
  set(${requires_var} "${requires}" PARENT_SCOPE)
  set(${libs_var} "${libs}" PARENT_SCOPE)
endfunction()

# Depth-first walk of INTERFACE_LINK_LIBRARIES from the umbrella target:
# POLYDB_PKG_TARGETS gets the project's libraries in post-order (a library
# after everything it links), POLYDB_PKG_EXTERNAL the external link items.
function(_polydb_walk target)
  get_property(seen GLOBAL PROPERTY POLYDB_PKG_SEEN)
  if(target IN_LIST seen)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY POLYDB_PKG_SEEN ${target})
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    _polydb_walk(${aliased})
    return()
  endif()
  get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT deps)
    set(deps "")
  endif()
  foreach(item IN LISTS deps)
    if(item MATCHES "^::@")  # directory markers of cross-directory target_link_libraries
      continue()
    endif()
    if(item MATCHES "^\\$<LINK_ONLY:(.+)>$")
      set(item ${CMAKE_MATCH_1})
    endif()
    if(item MATCHES "^\\$<BUILD_INTERFACE:")  # the build tree only: not installed
      continue()
    endif()
    if(item MATCHES "^\\$<")
      message(FATAL_ERROR "${target} links '${item}': cmake/PolydbPackage.cmake does not know "
        "how to install a generator expression in a link interface")
    endif()
    # Imported targets are visible only in the directory that made them (the
    # PkgConfig:: ones): a name with '::' is external whether or not visible here.
    set(project_target FALSE)
    if(NOT item MATCHES "::" AND TARGET ${item})
      get_target_property(imported ${item} IMPORTED)
      if(NOT imported)
        set(project_target TRUE)
      endif()
    endif()
    if(project_target)
      _polydb_walk(${item})
    else()
      set_property(GLOBAL APPEND PROPERTY POLYDB_PKG_EXTERNAL ${item})
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY POLYDB_PKG_TARGETS ${target})
endfunction()

# polydb_install_package(<umbrella target>)
function(polydb_install_package umbrella)
  set_property(GLOBAL PROPERTY POLYDB_PKG_SEEN "")
  set_property(GLOBAL PROPERTY POLYDB_PKG_TARGETS "")
  set_property(GLOBAL PROPERTY POLYDB_PKG_EXTERNAL "")
  _polydb_walk(${umbrella})
  get_property(targets GLOBAL PROPERTY POLYDB_PKG_TARGETS)
  get_property(external GLOBAL PROPERTY POLYDB_PKG_EXTERNAL)
  list(REMOVE_DUPLICATES external)

  # Include directories in the source or build tree hold in the build tree
  # only; installed, the headers are under <prefix>/include (INCLUDES below).
  foreach(t IN LISTS targets)
    get_target_property(dirs ${t} INTERFACE_INCLUDE_DIRECTORIES)
    if(NOT dirs)
      continue()
    endif()
    set(fixed "")
    foreach(d IN LISTS dirs)
      if(NOT d MATCHES "^\\$<" AND (d MATCHES "^${PROJECT_SOURCE_DIR}(/|$)"
                                    OR d MATCHES "^${PROJECT_BINARY_DIR}(/|$)"))
        list(APPEND fixed "$<BUILD_INTERFACE:${d}>")
      else()
        list(APPEND fixed "${d}")
      endif()
    endforeach()
    set_target_properties(${t} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${fixed}")
  endforeach()

  # What polydbConfig.cmake runs to find the external libraries, and the
  # corresponding parts of polydb.pc.
  set(config_lines "")
  set(pc_requires "")
  set(pc_libs_private "")
  foreach(item IN LISTS external)
    _polydb_external_dependency("${item}" config requires libs)
    if(config STREQUAL "UNKNOWN")
      message(FATAL_ERROR "An installed polydb library links '${item}', and "
        "cmake/PolydbPackage.cmake does not know how a downstream project finds it: "
        "add it to _polydb_external_dependency()")
    endif()
    string(REPLACE "\n" ";" config "${config}")
    list(APPEND config_lines ${config})
    list(APPEND pc_requires ${requires})
    list(APPEND pc_libs_private ${libs})
  endforeach()
  list(REMOVE_DUPLICATES config_lines)
  list(REMOVE_DUPLICATES pc_requires)
  list(REMOVE_DUPLICATES pc_libs_private)
  string(REPLACE ";" "\n" POLYDB_CONFIG_DEPENDENCIES "${config_lines}")

  # Link order for pkg-config: a static library before the ones it needs.
  set(pc_libs "")
  set(reversed ${targets})
  list(REVERSE reversed)
  foreach(t IN LISTS reversed)
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "STATIC_LIBRARY")
      get_target_property(name ${t} OUTPUT_NAME)
      if(NOT name)
        set(name ${t})
      endif()
      list(APPEND pc_libs "-l${name}")
    endif()
  endforeach()
  get_target_property(sanitizer_flags polydb_core INTERFACE_LINK_OPTIONS)
  if(sanitizer_flags)
    list(APPEND pc_libs ${sanitizer_flags})
  endif()

  install(TARGETS ${targets} EXPORT polydbTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/polydb
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "*.h")
  install(EXPORT polydbTargets NAMESPACE polydb:: DESTINATION ${POLYDB_INSTALL_CMAKEDIR})

  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/polydbConfig.cmake.in
    ${PROJECT_BINARY_DIR}/polydbConfig.cmake
    INSTALL_DESTINATION ${POLYDB_INSTALL_CMAKEDIR})
  # 0.x: a minor version may change the API, so only the same minor matches.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/polydbConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/polydbConfig.cmake
    ${PROJECT_BINARY_DIR}/polydbConfigVersion.cmake
    DESTINATION ${POLYDB_INSTALL_CMAKEDIR})

  # polydb.pc: relocatable (prefix relative to the .pc file, which pkg-config
  # knows as ${pcfiledir}), so `cmake --install --prefix <any>` gives a working file.
  set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(POLYDB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
    set(POLYDB_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
    set(POLYDB_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
  else()
    file(RELATIVE_PATH up "/root/${pc_dir}" "/root")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(POLYDB_PC_PREFIX "\${pcfiledir}/${up}")
    set(POLYDB_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
    set(POLYDB_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  string(REPLACE ";" " " POLYDB_PC_REQUIRES "${pc_requires}")
  string(REPLACE ";" " " POLYDB_PC_LIBS "${pc_libs}")
  string(REPLACE ";" " " POLYDB_PC_LIBS_PRIVATE "${pc_libs_private}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/polydb.pc.in ${PROJECT_BINARY_DIR}/polydb.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/polydb.pc DESTINATION ${pc_dir})

  string(REPLACE ";" " " shown "${targets}")
  message(STATUS "polydb: installs ${shown}")
endfunction()
