# Extra wiring for the plugin layer's tests (included by tests/unit/CMakeLists.txt after
# tessera_plugin_tests is defined):
#   - small plugin libraries the registry must refuse (or find on rescan), each in a folder
#     of its own under <build>/tests/unit/test_plugins/<case>/;
#   - services.start / services.stop: a CTest fixture that starts SLURM, SGE and sshd on 127.0.0.1
#     once per ctest run and stops them even when tests fail (tests/services/);
#   - tessera_services_tests: the tests that need those services (services_*_test.cpp);
#   - plugin.third_party: a plugin built out of tree against the installed package.

set(_test_plugins_dir "${CMAKE_CURRENT_BINARY_DIR}/test_plugins")
function(_tessera_test_plugin case name)
  set(target tessera_test_plugin_${case})
  add_library(${target} MODULE "${CMAKE_CURRENT_SOURCE_DIR}/plugin_test_plugins/test_plugin.cpp")
  target_link_libraries(${target} PRIVATE tessera::tessera)
  tessera_target_defaults(${target})
  target_compile_definitions(${target} PRIVATE TEST_PLUGIN_CASE="${case}" TEST_PLUGIN_NAME="${name}" ${ARGN})
  # dup_a and dup_b share one folder; every other case has its own.
  string(REGEX REPLACE "_[ab]$" "" folder "${case}")
  set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${_test_plugins_dir}/${folder}")
  if(TARGET tessera_plugin_tests)
    add_dependencies(tessera_plugin_tests ${target})
  endif()
endfunction()
_tessera_test_plugin(good test.late)
_tessera_test_plugin(dup_a test.dup)
_tessera_test_plugin(dup_b test.dup)
_tessera_test_plugin(bad_abi test.bad_abi TESSERA_PLUGIN_ABI=999)
_tessera_test_plugin(mismatch test.mismatch TEST_PLUGIN_MISMATCH)

set(_shipped_plugins tessera_core_local tessera_core_direct tessera_core_slurm tessera_core_pbs tessera_core_sge tessera_core_ssh
  tessera_core_arithmetic_add)
set(_plugin_test_defs
  TESSERA_TEST_PLUGIN_DIR="${PROJECT_BINARY_DIR}/plugins"
  TESSERA_TEST_BAD_PLUGIN_DIR="${_test_plugins_dir}")
if(TARGET tessera_plugin_tests)
  target_compile_definitions(tessera_plugin_tests PRIVATE ${_plugin_test_defs})
  foreach(p IN LISTS _shipped_plugins)
    if(TARGET ${p})
      add_dependencies(tessera_plugin_tests ${p})
    endif()
  endforeach()
endif()

# ---- services fixture ----
set(_services_dir "${CMAKE_CURRENT_BINARY_DIR}/services")
set(_services_scripts "${PROJECT_SOURCE_DIR}/tests/services")
add_test(NAME services.start
  COMMAND bash -c "bash \"$0/slurm.sh\" start \"$1\" && bash \"$0/sge.sh\" start \"$1\" && bash \"$0/sshd.sh\" start \"$1\" \"$1\""
    "${_services_scripts}" "${_services_dir}")
set_tests_properties(services.start PROPERTIES FIXTURES_SETUP services LABELS services TIMEOUT 120)
add_test(NAME services.stop
  COMMAND bash -c "bash \"$0/sshd.sh\" stop \"$1\"; bash \"$0/sge.sh\" stop \"$1\"; bash \"$0/slurm.sh\" stop \"$1\""
    "${_services_scripts}" "${_services_dir}")
set_tests_properties(services.stop PROPERTIES FIXTURES_CLEANUP services LABELS services TIMEOUT 60)

file(GLOB _services_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/services_*_test.cpp")
if(_services_sources)
  tessera_add_gtest(tessera_services_tests ${_services_sources}
    LABELS "plugin;services"
    PROPERTIES FIXTURES_REQUIRED services ENVIRONMENT "TESSERA_TEST_SERVICES_DIR=${_services_dir}"
               RESOURCE_LOCK services)
  target_compile_definitions(tessera_services_tests PRIVATE ${_plugin_test_defs})
  # services_calcjob_test: the core.arithmetic.add class and the store tests' temp_dir.
  target_include_directories(tessera_services_tests PRIVATE "${PROJECT_SOURCE_DIR}/plugins/core_arithmetic_add"
                                                            "${PROJECT_SOURCE_DIR}/tests/store")
  foreach(p IN LISTS _shipped_plugins)
    if(TARGET ${p})
      add_dependencies(tessera_services_tests ${p})
    endif()
  endforeach()
  # services_failure_test: a real daemon worker program running core.arithmetic.add, the
  # sbatch wrapper that kills it, and the service scripts (sshd.sh stop-server|start-server).
  tessera_add_executable(tessera_services_test_worker "${CMAKE_CURRENT_SOURCE_DIR}/services_worker.cpp")
  target_include_directories(tessera_services_test_worker PRIVATE "${PROJECT_SOURCE_DIR}/plugins/core_arithmetic_add")
  add_dependencies(tessera_services_tests tessera_services_test_worker)
  target_compile_definitions(tessera_services_tests PRIVATE
    TESSERA_SERVICES_TEST_WORKER="$<TARGET_FILE:tessera_services_test_worker>"
    TESSERA_SERVICES_SBATCH_WRAPPER="${CMAKE_CURRENT_SOURCE_DIR}/services_sbatch_wrapper.sh"
    TESSERA_TEST_SERVICES_SCRIPTS="${_services_scripts}")
endif()

# ---- a third-party plugin built against the installed package ----
if(TESSERA_INSTALL)
  add_test(NAME plugin.third_party
    COMMAND "${CMAKE_COMMAND}"
      "-DTESSERA_CT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      "-DTESSERA_CT_BUILD_DIR=${PROJECT_BINARY_DIR}"
      "-DTESSERA_CT_GENERATOR=${CMAKE_GENERATOR}"
      "-DTESSERA_CT_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
      "-DTESSERA_CT_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
      "-DTESSERA_CT_BUILD_TYPE=${CMAKE_BUILD_TYPE}"
      "-DTESSERA_CT_SANITIZE=${TESSERA_SANITIZE}"
      -P "${PROJECT_SOURCE_DIR}/tests/plugin_consumer/run_plugin_consumer_test.cmake")
  # `cmake --install` reads the build tree that compile-fail tests rebuild.
  set_tests_properties(plugin.third_party PROPERTIES
    LABELS "plugin;consumer" RESOURCE_LOCK build_tree TIMEOUT 900)
endif()
