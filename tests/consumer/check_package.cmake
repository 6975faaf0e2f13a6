# Builds the Debian package of the already-built tree with cpack (docs/packaging.md), checks what it
# holds and declares, extracts it into a scratch root as `apt install` would lay it out under /, and
# uses it from there: tests/consumer built with find_package (CMAKE_PREFIX_PATH=<root>/usr) and
# main.cpp compiled with `pkg-config --cflags --libs duroxide` both run an orchestration, and the
# packaged `duroxide` tool runs.
#
# cpack first makes the tree's `preinstall` target, which is `all`: `make test` has built it, so
# nothing is compiled here; it packages the tree's own build type.
#
# Inputs: SOURCE_DIR, BINARY_DIR, WORK_DIR, VERSION (the project's), LIBDIR (CMAKE_INSTALL_LIBDIR),
# CXX_COMPILER.
cmake_minimum_required(VERSION 3.25)  # this script's policies (IN_LIST)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${WORK_DIR})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

function(require_program var name)
  find_program(${var} ${name})
  if(NOT ${var})
    message(FATAL_ERROR "${name} is not installed (scripts/install-deps.sh installs it)")
  endif()
endfunction()
require_program(dpkg_deb dpkg-deb)
require_program(apt_get apt-get)
require_program(dpkg dpkg)
require_program(pkg_config pkg-config)

# 1. The package, named as Debian names it: <name>_<version>_<architecture>.deb.
run(${CMAKE_CPACK_COMMAND} --config ${BINARY_DIR}/CPackConfig.cmake -B ${WORK_DIR}/out)
run(${dpkg} --print-architecture)
string(STRIP "${last_output}" arch)
set(deb ${WORK_DIR}/out/duroxide-cpp_${VERSION}_${arch}.deb)
if(NOT EXISTS ${deb})
  file(GLOB made ${WORK_DIR}/out/*.deb)
  message(FATAL_ERROR "cpack did not write ${deb}; it wrote: ${made}")
endif()

# 2. Its contents: every public header, the library, the CMake package config, duroxide.pc and the
# tool, and nothing outside /usr.
run(${dpkg_deb} --contents ${deb})
set(listing "${last_output}")
file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/duroxide/*.hpp)
set(expected_files usr/${LIBDIR}/libduroxide.a usr/${LIBDIR}/cmake/duroxide/duroxideConfig.cmake
    usr/${LIBDIR}/cmake/duroxide/duroxideConfigVersion.cmake usr/${LIBDIR}/cmake/duroxide/duroxideTargets.cmake
    usr/${LIBDIR}/pkgconfig/duroxide.pc usr/bin/duroxide)
foreach(header IN LISTS headers)
  list(APPEND expected_files usr/include/${header})
endforeach()
foreach(path IN LISTS expected_files)
  string(FIND "${listing}" " ./${path}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the package lacks /${path}; it holds:\n${listing}")
  endif()
endforeach()
string(REGEX MATCHALL " \\./[^\n]*" entries "${listing}")
foreach(entry IN LISTS entries)
  if(NOT entry MATCHES "^ \\./(usr/.*)?$")
    message(FATAL_ERROR "the package installs outside /usr:${entry}")
  endif()
endforeach()

# 3. Its metadata. Depends names what building against it needs (the headers' nlohmann/json, and
# the static library's fmt, spdlog, SQLite and libpq) and what the tool loads (dpkg-shlibdeps);
# apt must be able to satisfy it.
function(control_field name expected_regex)
  run(${dpkg_deb} --field ${deb} ${name})
  string(STRIP "${last_output}" value)
  if(NOT value MATCHES "${expected_regex}")
    message(FATAL_ERROR "control field ${name} is '${value}', expected to match '${expected_regex}'")
  endif()
  set(field_value "${value}" PARENT_SCOPE)
endfunction()
control_field(Package "^duroxide-cpp$")
control_field(Version "^${VERSION}$")
control_field(Architecture "^${arch}$")
control_field(Section "^libdevel$")
control_field(Maintainer "^.+ <.+@.+>$")
control_field(Description "^Durable execution for C\\+\\+\n .+")
control_field(Depends ".")
string(REPLACE ", " ";" depends "${field_value}")
set(depends_names "")
foreach(dependency IN LISTS depends)
  string(REGEX REPLACE " .*" "" name "${dependency}")
  list(APPEND depends_names ${name})
endforeach()
foreach(needed IN ITEMS nlohmann-json3-dev libfmt-dev libspdlog-dev libsqlite3-dev libpq-dev libcpp-httplib-dev libpq5 libsqlite3-0
                        libstdc++6)
  if(NOT needed IN_LIST depends_names)
    message(FATAL_ERROR "Depends lacks ${needed}: ${field_value}")
  endif()
endforeach()
# apt resolves Depends (versions, and virtual packages such as libspdlog1.10-fmt9) against what is
# installed: with the project's dependencies all installed, it installs nothing but the package.
run(${apt_get} install --simulate ${deb})
string(REGEX MATCHALL "\nInst [^ ]+" to_install "\n${last_output}")
if(NOT to_install STREQUAL "\nInst duroxide-cpp")
  message(FATAL_ERROR "`apt-get install --simulate` of the package would install${to_install}:\n${last_output}")
endif()

# 4. Extracted into a scratch root, as if installed (no root rights needed). duroxide.pc carries
# the prefix the package installs to, /usr.
set(root ${WORK_DIR}/root)
run(${dpkg_deb} --extract ${deb} ${root})
file(STRINGS ${root}/usr/${LIBDIR}/pkgconfig/duroxide.pc prefix_line REGEX "^prefix=")
if(NOT prefix_line STREQUAL "prefix=/usr")
  message(FATAL_ERROR "duroxide.pc says '${prefix_line}', not 'prefix=/usr'")
endif()

# 5. A CMake project finds the package in the root (the config is relocatable) and runs.
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/cmake-consumer -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${root}/usr)
file(STRINGS ${WORK_DIR}/cmake-consumer/CMakeCache.txt found_at REGEX "^duroxide_DIR:")
if(NOT found_at MATCHES "=${root}/usr/${LIBDIR}/cmake/duroxide$")
  message(FATAL_ERROR "find_package(duroxide) used ${found_at}, not the package in ${root}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-consumer)
run(${WORK_DIR}/cmake-consumer/consumer)
if(NOT last_output MATCHES "consumer ok: hello hello world")
  message(FATAL_ERROR "the CMake consumer printed '${last_output}', not 'consumer ok: hello hello world ...'")
endif()

# 6. The same program built with nothing but pkg-config. PKG_CONFIG_SYSROOT_DIR maps the .pc's /usr
# onto the root; the libraries it requires come from the system, as they would after apt install.
set(ENV{PKG_CONFIG_PATH} ${root}/usr/${LIBDIR}/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${root})
run(${pkg_config} --cflags --libs duroxide)
string(STRIP "${last_output}" pc_flags)
foreach(flag IN ITEMS "-I${root}/usr/include" "-L${root}/usr/${LIBDIR}" -lduroxide -lspdlog -lfmt -lsqlite3 -lpq)
  string(FIND " ${pc_flags} " " ${flag} " at)
  if(at EQUAL -1)
    message(FATAL_ERROR "`pkg-config --cflags --libs duroxide` lacks ${flag}: ${pc_flags}")
  endif()
endforeach()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run(${CXX_COMPILER} -std=c++23 ${SOURCE_DIR}/tests/consumer/main.cpp ${pc_flags} -o ${WORK_DIR}/pkg-config-consumer)
run(${WORK_DIR}/pkg-config-consumer)
if(NOT last_output MATCHES "consumer ok: hello hello world")
  message(FATAL_ERROR "the pkg-config consumer printed '${last_output}', not 'consumer ok: hello hello world ...'")
endif()

# 7. The packaged tool runs and is this version.
run(${root}/usr/bin/duroxide --help)
if(NOT last_output MATCHES "Usage: duroxide" OR NOT last_output MATCHES "instances")
  message(FATAL_ERROR "`duroxide --help` printed:\n${last_output}")
endif()
run(${root}/usr/bin/duroxide --version)
if(NOT last_output MATCHES "${VERSION}")
  message(FATAL_ERROR "`duroxide --version` printed '${last_output}', not ${VERSION}")
endif()
message(STATUS "package ok: ${deb}")
