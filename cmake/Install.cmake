# Installs headers, the library and a CMake package config so that another project can use
# find_package(duroxide CONFIG REQUIRED) and link duroxide::duroxide. The `duroxide` tool installs
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
