# Installs headers, the library, a CMake package config so that another project can use
# find_package(duroxide CONFIG REQUIRED) and link duroxide::duroxide, and a pkg-config file
# (duroxide.pc) for builds that do not use CMake. The `duroxide` tool installs
# itself into ${CMAKE_INSTALL_BINDIR} from tools/cli/CMakeLists.txt (the target is defined there).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS duroxide EXPORT duroxideTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/duroxide DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT duroxideTargets NAMESPACE duroxide:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/duroxide)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/duroxideConfig.cmake.in
  ${PROJECT_BINARY_DIR}/duroxideConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/duroxide)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/duroxideConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/duroxideConfig.cmake ${PROJECT_BINARY_DIR}/duroxideConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/duroxide)

# duroxide.pc. nlohmann/json is in the public headers. The library links fmt, spdlog, SQLite,
# libpq and cpp-httplib privately: a static libduroxide.a leaves them to the consumer's link line, so they are
# Requires (listed by a plain `pkg-config --libs duroxide`), and Requires.private for a shared one.
get_target_property(duroxide_library_type duroxide TYPE)
set(duroxide_pc_link_deps "fmt spdlog sqlite3 libpq cpp-httplib")
if(duroxide_library_type STREQUAL "STATIC_LIBRARY")
  set(DUROXIDE_PC_REQUIRES "nlohmann_json >= 3.10 ${duroxide_pc_link_deps}")
  set(DUROXIDE_PC_REQUIRES_PRIVATE_LINE "")
else()
  set(DUROXIDE_PC_REQUIRES "nlohmann_json >= 3.10")
  set(DUROXIDE_PC_REQUIRES_PRIVATE_LINE "Requires.private: ${duroxide_pc_link_deps}")
endif()
# The prefix is known only at install time (`cmake --install --prefix P`, or /usr when CPack builds
# the package), so the template is configured twice: now with everything but the prefix, then by
# the install step. Each prefix gets its own staging file, since installs may run side by side.
set(DUROXIDE_PC_PREFIX "@DUROXIDE_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/duroxide.pc.in ${PROJECT_BINARY_DIR}/duroxide.pc.in @ONLY)
install(CODE "set(duroxide_pc_template \"${PROJECT_BINARY_DIR}/duroxide.pc.in\")
set(duroxide_pc_staging_root \"${PROJECT_BINARY_DIR}/pkgconfig-staging\")
set(duroxide_pc_dir \"${CMAKE_INSTALL_LIBDIR}/pkgconfig\")")
install(CODE [[
  set(DUROXIDE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  string(MD5 staging "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
  configure_file("${duroxide_pc_template}" "${duroxide_pc_staging_root}/${staging}/duroxide.pc" @ONLY)
  file(INSTALL "${duroxide_pc_staging_root}/${staging}/duroxide.pc" DESTINATION "${CMAKE_INSTALL_PREFIX}/${duroxide_pc_dir}")
]])
