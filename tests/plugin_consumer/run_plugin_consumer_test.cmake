# run_plugin_consumer_test.cmake -- CTest driver (cmake -P) for plugin.third_party: install the
# tessera build tree into a prefix inside it, build tests/plugin_consumer against that prefix
# and run its loader with TESSERA_PLUGIN_PATH pointing at the new plugin's folder.
foreach(var TESSERA_CT_SOURCE_DIR TESSERA_CT_BUILD_DIR TESSERA_CT_GENERATOR TESSERA_CT_CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_plugin_consumer_test.cmake: ${var} is not set")
  endif()
endforeach()

set(work "${TESSERA_CT_BUILD_DIR}/consumer-tests/plugin")
set(prefix "${work}/prefix")
set(build "${work}/build")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

function(run step)
  message(STATUS "[plugin] ${step}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "[plugin] ${step} failed (${result})")
  endif()
endfunction()

run(install "${CMAKE_COMMAND}" --install "${TESSERA_CT_BUILD_DIR}" --prefix "${prefix}")
set(configure_args
  -S "${TESSERA_CT_SOURCE_DIR}/tests/plugin_consumer" -B "${build}"
  -G "${TESSERA_CT_GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${TESSERA_CT_CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${TESSERA_CT_BUILD_TYPE}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(TESSERA_CT_MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${TESSERA_CT_MAKE_PROGRAM}")
endif()
# The installed core plugins of a sanitized build need the sanitizer runtime in the program
# that loads them: build the consumer the same way.
if(TESSERA_CT_SANITIZE)
  set(san "-fsanitize=address,undefined -fno-omit-frame-pointer")
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${san}" "-DCMAKE_EXE_LINKER_FLAGS=${san}"
                             "-DCMAKE_MODULE_LINKER_FLAGS=${san}")
endif()
run(configure "${CMAKE_COMMAND}" ${configure_args})
run(build "${CMAKE_COMMAND}" --build "${build}")
run(run "${CMAKE_COMMAND}" -E env "TESSERA_PLUGIN_PATH=${build}/plugins" "${build}/load_plugins")
