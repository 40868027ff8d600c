# TesseraCompileFail.cmake -- run by CTest (cmake -P) for tessera_add_compile_fail_test.
#
# Builds one compile-fail target of the build tree and passes only if the build FAILS and
# its output matches every expected regex (and, if given, the first "error:" line matches
# TESSERA_CF_FIRST_ERROR). On any mismatch it prints what it expected and the whole
# compiler output.
#
# Inputs (-D): TESSERA_CF_BUILD_DIR, TESSERA_CF_TARGET, TESSERA_CF_SOURCE, TESSERA_CF_SPEC
# (a file that sets TESSERA_CF_REGEX_COUNT, TESSERA_CF_REGEX_<i> and maybe
# TESSERA_CF_FIRST_ERROR), optional TESSERA_CF_CONFIG for multi-config generators.

foreach(var TESSERA_CF_BUILD_DIR TESSERA_CF_TARGET TESSERA_CF_SOURCE TESSERA_CF_SPEC)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "TesseraCompileFail.cmake: ${var} is not set")
  endif()
endforeach()
include("${TESSERA_CF_SPEC}")

set(config_args)
if(TESSERA_CF_CONFIG)
  set(config_args --config "${TESSERA_CF_CONFIG}")
endif()

# The C locale makes the compiler quote with ASCII ' instead of typographic quotes, so the
# same pattern matches on every machine.
set(ENV{LC_ALL} C)
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${TESSERA_CF_BUILD_DIR}"
          --target "${TESSERA_CF_TARGET}" ${config_args}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

# Drop colour escapes so that patterns see plain text.
string(ASCII 27 esc)
string(REGEX REPLACE "${esc}\\[[0-9;]*[A-Za-z]" "" output "${output}")

set(problems)
if(result EQUAL 0)
  string(APPEND problems "\n  - it compiled, but it must not")
endif()
set(i 0)
while(i LESS TESSERA_CF_REGEX_COUNT)
  if(NOT output MATCHES "${TESSERA_CF_REGEX_${i}}")
    string(APPEND problems "\n  - the output does not match: ${TESSERA_CF_REGEX_${i}}")
  endif()
  math(EXPR i "${i} + 1")
endwhile()
set(first_error "")
# A diagnostic line reads "file:line:col: error: ..."; "tessera::error::raise" in an
# "In instantiation of" line is not one.
if(output MATCHES "([^\n]*: error: [^\n]*)")
  set(first_error "${CMAKE_MATCH_1}")
endif()
if(DEFINED TESSERA_CF_FIRST_ERROR AND NOT first_error MATCHES "${TESSERA_CF_FIRST_ERROR}")
  string(APPEND problems "\n  - the first error line does not match: ${TESSERA_CF_FIRST_ERROR}")
endif()

if(problems)
  message("compile-fail test of ${TESSERA_CF_SOURCE} FAILED:${problems}\n"
          "first error line: ${first_error}\n"
          "---- build output (exit code ${result}) ----\n${output}"
          "---- end of build output ----")
  message(FATAL_ERROR "compile-fail test failed")
endif()
message(STATUS "compile-fail OK (${TESSERA_CF_SOURCE}): ${first_error}")
