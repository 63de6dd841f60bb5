# The Debian packages, built by `cpack -G DEB` in a configured build tree:
#   walproof_<version>_amd64.deb      the CLIs and crashsim trace's checkers, for a
#                                     Prometheus host (no compiler needed)
#   walproof-dev_<version>_amd64.deb  headers, static libraries, CMake and
#                                     pkg-config files, for building against walproof
# Runtime dependencies come from dpkg-shlibdeps (dpkg-dev), not a list kept by hand.
set(CPACK_PACKAGE_NAME walproof)
set(CPACK_PACKAGE_VENDOR walproof)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus TSDB WAL verifier and crash simulator")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "walproof developers")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME walproof)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
# `crashsim trace` runs programs under strace and its checkers in Python.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "python3, strace")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "prometheus")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "walproof verifies, inspects and repairs a Prometheus data/wal without writing unless asked;\n crashsim checks a write-ahead log against every crash state of a run.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME walproof-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The libraries are static: what they link privately must be there to link a user's program.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libsnappy-dev, libzstd-dev, nlohmann-json3-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "Headers, static libraries and the CMake package (find_package(walproof)):\n walproof::reference, walproof::gen and walproof::crashsim.")
# The RelWithDebInfo binaries carry their debug info; the package does not need it.
set(CPACK_STRIP_FILES ${CMAKE_INSTALL_BINDIR}/walproof ${CMAKE_INSTALL_BINDIR}/crashsim)

include(CPack)
