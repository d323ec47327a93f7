# `cmake --install` produces a package that simulation codes use with find_package(Kolmo).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CMAKE_INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS kolmo kolmo_online EXPORT KolmoTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kolmo
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/src/generated/core/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kolmo/core)
install(EXPORT KolmoTargets NAMESPACE Kolmo:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Kolmo)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KolmoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/KolmoConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Kolmo)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KolmoConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/KolmoConfig.cmake ${PROJECT_BINARY_DIR}/KolmoConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/KolmoDependencies.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Kolmo)
