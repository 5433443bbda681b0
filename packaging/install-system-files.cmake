# Run by `cmake --install` (install(SCRIPT) in packaging/CMakeLists.txt): the
# config and the systemd unit, whose paths follow the install-time prefix.
#   prefix /usr (the package)  /etc/storenode/storenode.toml, /usr/lib/systemd/system/storenode.service
#   prefix P                   P/etc/storenode/storenode.toml, P/lib/systemd/system/storenode.service
# The unit's ExecStart and --config are rewritten to match. An existing config
# is kept (a re-install must not undo the operator's edits).
# Set before: STORENODE_PKG_DIR (generated files), STORENODE_PKG_SRC (packaging/),
# STORENODE_PROGRAMS (installed names in bin/), STORENODE_OBJCOPY.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(sn_etc "/etc")
else()
  set(sn_etc "${CMAKE_INSTALL_PREFIX}/etc")
endif()

file(READ "${STORENODE_PKG_SRC}/storenode.service" sn_unit)
set(sn_exec "ExecStart=/usr/bin/storenode --config /etc/storenode/storenode.toml")
string(FIND "${sn_unit}" "${sn_exec}" sn_at)
if(sn_at EQUAL -1)
  message(FATAL_ERROR "packaging/storenode.service: no line '${sn_exec}' to adapt to the prefix")
endif()
string(REPLACE "${sn_exec}"
       "ExecStart=${CMAKE_INSTALL_PREFIX}/bin/storenode --config ${sn_etc}/storenode/storenode.toml" sn_unit "${sn_unit}")
file(WRITE "${STORENODE_PKG_DIR}/unit/storenode.service" "${sn_unit}")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
     FILES "${STORENODE_PKG_DIR}/unit/storenode.service")

if(EXISTS "$ENV{DESTDIR}${sn_etc}/storenode/storenode.toml")
  message(STATUS "Kept: $ENV{DESTDIR}${sn_etc}/storenode/storenode.toml (the new example: storenode --print-example-config)")
else()
  file(INSTALL DESTINATION "${sn_etc}/storenode" TYPE FILE FILES "${STORENODE_PKG_DIR}/storenode.toml")
endif()

# A stripping install (cpack's CPACK_STRIP_FILES, `cmake --install --strip`) ran
# plain `strip` on the programs; also drop what dh_strip drops (.comment: the
# compiler's version strings; .note).
if(CMAKE_INSTALL_DO_STRIP AND STORENODE_OBJCOPY)
  foreach(sn_program IN LISTS STORENODE_PROGRAMS)
    execute_process(COMMAND "${STORENODE_OBJCOPY}" --remove-section=.comment --remove-section=.note
                            "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin/${sn_program}" RESULT_VARIABLE sn_rc)
    if(NOT sn_rc EQUAL 0)
      message(FATAL_ERROR "objcopy failed on ${sn_program}")
    endif()
  endforeach()
endif()
