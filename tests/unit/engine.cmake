# The fault test: a driver program that the test SIGKILLs and restarts.
tessera_add_executable(tessera_fault_driver "${CMAKE_CURRENT_SOURCE_DIR}/../engine/fault_driver.cpp")
tessera_add_gtest(tessera_engine_fault_tests "${CMAKE_CURRENT_SOURCE_DIR}/../engine/fault_test.cpp" LABELS engine)
target_compile_definitions(tessera_engine_fault_tests PRIVATE
  TESSERA_FAULT_DRIVER="$<TARGET_FILE:tessera_fault_driver>")
add_dependencies(tessera_engine_fault_tests tessera_fault_driver)
