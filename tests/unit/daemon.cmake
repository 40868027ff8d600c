# The daemon tests start real worker processes: this program, a user's program as the
# daemon runs it.
tessera_add_executable(tessera_daemon_test_worker "${CMAKE_CURRENT_SOURCE_DIR}/../daemon/test_worker.cpp")
target_compile_definitions(tessera_daemon_tests PRIVATE
  TESSERA_DAEMON_TEST_WORKER="$<TARGET_FILE:tessera_daemon_test_worker>")
add_dependencies(tessera_daemon_tests tessera_daemon_test_worker)
