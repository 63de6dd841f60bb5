# Guard: the repository stands alone. No tracked file may send its reader to
# working notes that are not in it: the parent directory's shared notes, or
# the format and design notes that docs/format.md and docs/design.md replaced.
# The patterns are written with bracket expressions so that this file does
# not match itself. And every path docs/ names must exist (second half).
#
# Run by ctest as: cmake -DROOT=<source dir> -P docs_self_contained.cmake
# It needs git and a work tree: outside one it fails, it never passes
# vacuously.
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P docs_self_contained.cmake")
endif()
file(REAL_PATH "${ROOT}" root)

find_program(GIT git)
if(NOT GIT)
  message(FATAL_ERROR "git not found: cannot list the tracked files of ${root}")
endif()
# A checkout owned by another user (CI containers) is still ours to read.
set(git ${GIT} -c safe.directory=${root} -C ${root})

execute_process(COMMAND ${git} rev-parse --show-toplevel
                RESULT_VARIABLE rc OUTPUT_VARIABLE top ERROR_VARIABLE err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${root} is not a git work tree (${err}); this check needs one")
endif()
file(REAL_PATH "${top}" top)
if(NOT top STREQUAL root)
  message(FATAL_ERROR "${root} is not the top of its git work tree (that is ${top})")
endif()

# Something must be tracked, or the search below proves nothing.
execute_process(COMMAND ${git} ls-files -- README.md CMakeLists.txt
                RESULT_VARIABLE rc OUTPUT_VARIABLE tracked)
if(NOT rc EQUAL 0 OR NOT tracked MATCHES "README.md" OR NOT tracked MATCHES "CMakeLists.txt")
  message(FATAL_ERROR "README.md and CMakeLists.txt are not tracked in ${root}")
endif()

# git grep reads the work-tree copy of every tracked file (binary ones
# skipped): exit 0 = found, 1 = none, anything else = it could not search.
set(pattern "[.][.]/shared|FORMAT[.]md|DESIGN[.]md")
execute_process(COMMAND ${git} grep -n -I -E "${pattern}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE hits ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(NOTICE "${hits}")
  message(FATAL_ERROR "the tracked files above point outside the repository; point them at docs/")
elseif(NOT rc EQUAL 1)
  message(FATAL_ERROR "git grep failed (exit ${rc}): ${err}")
endif()
message(STATUS "no tracked file points outside the repository")

# The other half of standing alone: what docs/ names must be there. Files
# move (reference/ was reorganised once); a page that names a path that is
# gone sends the reader nowhere. Checked: every relative Markdown link, and
# every `backticked` path whose first component is a tracked top-level
# directory (so upstream paths such as tsdb/wlog are not taken for ours).
# Names with wildcards or <angle-bracketed words> are patterns, not paths.
execute_process(COMMAND ${git} ls-files RESULT_VARIABLE rc OUTPUT_VARIABLE tracked_files)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "git ls-files failed (exit ${rc})")
endif()
set(tracked "\n${tracked_files}")
file(GLOB docs_pages "${root}/docs/*.md")
if(NOT docs_pages)
  message(FATAL_ERROR "no docs/*.md in ${root}")
endif()
set(missing "")
set(checked 0)
foreach(page ${docs_pages})
  file(READ "${page}" text)
  file(RELATIVE_PATH page_name "${root}" "${page}")
  set(candidates "")
  # Square brackets would upset CMake's list splitting: "](" becomes a marker.
  string(REPLACE "](" " mdlink(" marked "${text}")
  string(REGEX MATCHALL "mdlink\\([^)]+\\)" links "${marked}")
  foreach(link ${links})
    string(REGEX REPLACE "^mdlink\\(([^)#]*).*$" "\\1" target "${link}")
    if(target STREQUAL "" OR target MATCHES "^[a-z]+:")
      continue()
    endif()
    get_filename_component(abs "${root}/docs/${target}" ABSOLUTE)
    file(RELATIVE_PATH rel "${root}" "${abs}")
    list(APPEND candidates "${rel}")
  endforeach()
  string(REGEX MATCHALL "`[A-Za-z0-9_.-]+/[^` ]*`" ticks "${text}")
  foreach(tick ${ticks})
    string(REGEX REPLACE "^`(.*)`$" "\\1" path "${tick}")
    if(path MATCHES "[*<>]")
      continue()
    endif()
    string(REGEX REPLACE "/.*$" "/" top "${path}")
    string(FIND "${tracked}" "\n${top}" at)
    if(at EQUAL -1)
      continue()
    endif()
    list(APPEND candidates "${path}")
  endforeach()
  foreach(path ${candidates})
    math(EXPR checked "${checked} + 1")
    string(REGEX REPLACE "/$" "" path "${path}")
    string(FIND "${tracked}" "\n${path}\n" as_file)
    string(FIND "${tracked}" "\n${path}/" as_dir)
    if(as_file EQUAL -1 AND as_dir EQUAL -1)
      string(APPEND missing "  ${page_name}: ${path}\n")
    endif()
  endforeach()
endforeach()
if(NOT missing STREQUAL "")
  message(NOTICE "${missing}")
  message(FATAL_ERROR "docs/ names the paths above, which are not tracked files or directories")
endif()
if(checked LESS 10)
  message(FATAL_ERROR "only ${checked} paths found in docs/: the path check is not looking")
endif()
message(STATUS "all ${checked} paths named in docs/ exist")
