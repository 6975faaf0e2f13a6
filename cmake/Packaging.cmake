# The Debian package (docs/packaging.md): `make package`, or `cpack` in any configured tree, builds
# duroxide-cpp_<version>_<arch>.deb from the install rules (cmake/Install.cmake and the tool's in
# tools/cli): the static library, the public headers, the CMake package config, duroxide.pc and the
# `duroxide` command-line tool, all under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME duroxide-cpp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "duroxide-cpp runs orchestrations written as C++ coroutines durably: their history is\n\
stored (SQLite or PostgreSQL) and replayed after a crash or restart. The package holds the\n\
static library, its headers, the CMake package config (find_package(duroxide)), a pkg-config\n\
file (duroxide.pc) and the `duroxide` command-line tool that operates a store's instances.")
set(CPACK_PACKAGE_CONTACT "duroxide-cpp maintainers <maintainers@users.noreply.b-seed-8543efc1.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Everything the install rules install, in one package (no components).
set(CPACK_DEB_COMPONENT_INSTALL OFF)
# Strips the tool (CMake never strips a static library, which would lose its symbol table).
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # duroxide-cpp_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# What the `duroxide` binary loads (libpq5, libsqlite3-0, libfmt9, libspdlog1.10, libstdc++6, ...)
# comes from dpkg-shlibdeps (package dpkg-dev), so it follows what the tool really links.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What building against the package needs, which dpkg-shlibdeps cannot see:
# - nlohmann-json3-dev: the public headers include <nlohmann/json.hpp>, and the CMake config asks
#   for nlohmann_json 3.10 or later;
# - the static library links fmt, spdlog, SQLite, libpq and cpp-httplib (the /metrics endpoint)
#   privately, so a consumer's link line needs them: the CMake config looks them up
#   (find_dependency; cpp-httplib by the path its link interface carries) and duroxide.pc requires them.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "nlohmann-json3-dev (>= 3.10), libfmt-dev, libspdlog-dev, libsqlite3-dev, libpq-dev, libcpp-httplib-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake (>= 3.25), pkg-config, g++ (>= 4:12)")

include(CPack)
