# Install rules, pkg-config file and CMake package config (see issue 2).
#
# Installs:
#   include/ringnet/*.h (plus the generated version.h)
#   lib/libringnet.so.X.Y.Z (SONAME libringnet.so.X), lib/libringnet.a
#   lib/pkgconfig/ringnet.pc               (pkg-config --cflags --libs ringnet)
#   lib/cmake/ringnet/ringnetConfig*.cmake (find_package(ringnet))
# Both the .pc file and the CMake config are relocatable, so
# `cmake --install build --prefix DIR` works for any DIR.
include(CMakePackageConfigHelpers)

set(RINGNET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ringnet)

# ---- headers ---------------------------------------------------------------
file(GLOB RINGNET_PUBLIC_HEADERS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/ringnet/*.h)
install(FILES ${RINGNET_PUBLIC_HEADERS}
              ${PROJECT_BINARY_DIR}/include/ringnet/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ringnet
        COMPONENT ringnet_development)

# ---- libraries ---------------------------------------------------------------
install(TARGETS ringnet ringnet_static
  EXPORT ringnetTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          COMPONENT ringnet_runtime
          NAMELINK_COMPONENT ringnet_development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          COMPONENT ringnet_development)
# (The targets' INSTALL_INTERFACE include directory is set in CMakeLists.txt.)

# ---- pkg-config ----------------------------------------------------------------
# prefix is ${pcfiledir}/<relative path> unless a directory was given as an
# absolute path, in which case the paths are written out in full.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RINGNET_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(RINGNET_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(RINGNET_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _rn_pc_up "/ROOT/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/ROOT")
  string(REGEX REPLACE "/$" "" _rn_pc_up "${_rn_pc_up}")
  set(RINGNET_PC_PREFIX "\${pcfiledir}/${_rn_pc_up}")
  set(RINGNET_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(RINGNET_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  unset(_rn_pc_up)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/ringnet.pc.in
               ${PROJECT_BINARY_DIR}/ringnet.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ringnet.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT ringnet_development)

# ---- CMake package -------------------------------------------------------------
install(EXPORT ringnetTargets
        NAMESPACE ringnet::
        DESTINATION ${RINGNET_CMAKE_DIR}
        COMPONENT ringnet_development)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/ringnetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ringnetConfig.cmake
  INSTALL_DESTINATION ${RINGNET_CMAKE_DIR})
# 0.x: no compatibility promise across minor versions.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/ringnetConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringnetConfig.cmake
              ${PROJECT_BINARY_DIR}/ringnetConfigVersion.cmake
        DESTINATION ${RINGNET_CMAKE_DIR}
        COMPONENT ringnet_development)
