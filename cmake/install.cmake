# What `cmake --install` puts under the prefix, for a project that uses
# walproof from outside this tree:
#   bin/walproof, bin/crashsim                  the two CLIs (component runtime)
#   share/walproof/trace/                       crashsim trace's checker scripts (runtime)
#   include/walproof, include/crashsim, include/gen
#                                               public headers only (component dev)
#   lib/libwalproof_*.a                         the libraries (dev)
#   lib/cmake/walproof/                         find_package(walproof): walproof::reference,
#                                               walproof::gen, walproof::crashsim (dev)
#   lib/pkgconfig/walproof-reference.pc         the WAL library for non-CMake builds (dev)
#
# Headers are installed by directory, so a header added under an include/
# directory is installed with no edit here; private headers live in src/ and
# never are. gen is installed because crashsim's public workload.h uses it.
include(CMakePackageConfigHelpers)

set(WALPROOF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/walproof)

install(TARGETS walproof crashsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/crashsim/trace/ DESTINATION ${CMAKE_INSTALL_DATADIR}/walproof/trace
        COMPONENT runtime FILES_MATCHING PATTERN "*.py" PATTERN "*.sh" PATTERN "__pycache__" EXCLUDE)

install(TARGETS walproof_reference walproof_gen walproof_crashsim EXPORT walproofTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/reference/include/walproof ${PROJECT_SOURCE_DIR}/crashsim/include/crashsim
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")
# rc_choices.h drives the generator from RapidCheck, for property/ only: it
# would make every user of walproof::gen depend on RapidCheck.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/gen/include/gen DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.h" PATTERN "rc_choices.h" EXCLUDE)

install(EXPORT walproofTargets NAMESPACE walproof:: DESTINATION ${WALPROOF_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/walproofConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/walproofConfig.cmake INSTALL_DESTINATION ${WALPROOF_CMAKE_DIR})
# 0.x releases promise nothing across minors either, but SameMajorVersion is
# what a 1.0 will want; find_package(walproof 0.1) accepts any 0.y >= 0.1.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/walproofConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/walproofConfig.cmake ${PROJECT_BINARY_DIR}/walproofConfigVersion.cmake
        DESTINATION ${WALPROOF_CMAKE_DIR} COMPONENT dev)

file(RELATIVE_PATH WALPROOF_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_CURRENT_LIST_DIR}/walproof-reference.pc.in ${PROJECT_BINARY_DIR}/walproof-reference.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/walproof-reference.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
