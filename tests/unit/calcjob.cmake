# Extra wiring for the calcjob layer's tests (included by tests/unit/CMakeLists.txt after
# tessera_calcjob_tests is defined): the shipped plugins they run jobs with, and the
# core.arithmetic.add calculation class (a header beside its plugin).
if(TARGET tessera_calcjob_tests)
  target_compile_definitions(tessera_calcjob_tests PRIVATE TESSERA_TEST_PLUGIN_DIR="${PROJECT_BINARY_DIR}/plugins")
  target_include_directories(tessera_calcjob_tests PRIVATE "${PROJECT_SOURCE_DIR}/plugins/core_arithmetic_add"
                                                           "${PROJECT_SOURCE_DIR}/tests/store")
  foreach(p IN ITEMS tessera_core_local tessera_core_direct tessera_core_arithmetic_add)
    if(TARGET ${p})
      add_dependencies(tessera_calcjob_tests ${p})
    endif()
  endforeach()
endif()
