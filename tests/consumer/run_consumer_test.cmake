# run_consumer_test.cmake -- CTest driver (cmake -P) for the consumer tests.
#
# TESSERA_CT_MODE=find_package: install the tessera build tree into a prefix inside it,
#   then configure, build and run tests/consumer against that prefix.
# TESSERA_CT_MODE=add_subdirectory: configure, build and run tests/consumer with
#   -DTESSERA_SOURCE_DIR=<tessera source tree>.
# Everything is written below <tessera build tree>/consumer-tests/<mode>.

foreach(var TESSERA_CT_MODE TESSERA_CT_SOURCE_DIR TESSERA_CT_CONSUMER_DIR TESSERA_CT_BUILD_DIR
            TESSERA_CT_GENERATOR TESSERA_CT_CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer_test.cmake: ${var} is not set")
  endif()
endforeach()

set(work "${TESSERA_CT_BUILD_DIR}/consumer-tests/${TESSERA_CT_MODE}")
set(prefix "${work}/prefix")
set(build "${work}/build")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

function(run step)
  message(STATUS "[${TESSERA_CT_MODE}] ${step}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "[${TESSERA_CT_MODE}] ${step} failed (${result})")
  endif()
endfunction()

set(configure_args
  -S "${TESSERA_CT_CONSUMER_DIR}" -B "${build}"
  -G "${TESSERA_CT_GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${TESSERA_CT_CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${TESSERA_CT_BUILD_TYPE}"
  # Nothing from outside the build tree: no user or system package registry.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(TESSERA_CT_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${TESSERA_CT_MAKE_PROGRAM}")
endif()

if(TESSERA_CT_MODE STREQUAL "find_package")
  run(install "${CMAKE_COMMAND}" --install "${TESSERA_CT_BUILD_DIR}" --prefix "${prefix}")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}")
elseif(TESSERA_CT_MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DTESSERA_SOURCE_DIR=${TESSERA_CT_SOURCE_DIR}")
else()
  message(FATAL_ERROR "unknown TESSERA_CT_MODE '${TESSERA_CT_MODE}'")
endif()

run(configure "${CMAKE_COMMAND}" ${configure_args})

if(TESSERA_CT_MODE STREQUAL "find_package")
  # The package must come from the prefix just installed, not from anywhere else.
  file(STRINGS "${build}/CMakeCache.txt" dir_line REGEX "^tessera_DIR:")
  string(REGEX REPLACE "^tessera_DIR:[A-Z]+=" "" found_dir "${dir_line}")
  file(REAL_PATH "${found_dir}" found_dir)
  file(REAL_PATH "${prefix}" real_prefix)
  string(FIND "${found_dir}" "${real_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "tessera was found in '${found_dir}', not in '${real_prefix}'")
  endif()
endif()

run(build "${CMAKE_COMMAND}" --build "${build}")
run(run "${build}/consumer")
