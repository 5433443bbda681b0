# Run at build time (cmake -P) by the sn_version_stamp target: writes OUT from
# IN with the project version and the current git commit. configure_file only
# rewrites OUT when its content changes, so an unchanged commit rebuilds nothing.
#   -DSOURCE_DIR=<repo> -DIN=<version.cpp.in> -DOUT=<version.cpp>
#   -DSTORENODE_VERSION=<x.y.z> [-DCOMMIT_OVERRIDE=<commit>]
set(STORENODE_COMMIT "unknown")
if(COMMIT_OVERRIDE)
  set(STORENODE_COMMIT "${COMMIT_OVERRIDE}")
elseif(EXISTS "${SOURCE_DIR}/.git")
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0 AND commit)
      set(STORENODE_COMMIT "${commit}")
      # Tracked files changed since the commit: say so (untracked files do not count).
      execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                      OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
      if(rc EQUAL 0 AND changes)
        string(APPEND STORENODE_COMMIT "-dirty")
      endif()
    endif()
  endif()
endif()
configure_file("${IN}" "${OUT}" @ONLY)
