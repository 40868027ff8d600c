# The data and spec tests once more, built the other way: with TESSERA_SEPARATE_COMPILATION,
# linked to tessera::compiled (the run-time support compiled once, see CMakeLists.txt).
file(GLOB _tessera_separate_sources CONFIGURE_DEPENDS
  "${CMAKE_CURRENT_SOURCE_DIR}/data_*_test.cpp" "${CMAKE_CURRENT_SOURCE_DIR}/spec_*_test.cpp")
tessera_add_gtest(tessera_separate_tests ${_tessera_separate_sources}
  LIBRARIES tessera::compiled LABELS "data;spec;separate")
