# TesseraHelpers.cmake -- helpers for tessera's own targets (not installed).
#
# Every target the project builds (tests, examples, benchmarks, cli, plugins) goes through
# these, so that all of them get the warnings (-Werror) and, with TESSERA_SANITIZE=ON,
# ASan+UBSan, while consumers of tessera::tessera get neither.
#
#   tessera_target_defaults(<target>)
#       Link <target> PRIVATE to tessera_warnings and tessera_sanitize.
#
#   tessera_add_executable(<name> <source>...)
#       add_executable + tessera::tessera + tessera_target_defaults; with several sources and
#       TESSERA_UNITY_BUILD, a unity build (all sources in one translation unit).
#
#   tessera_add_plugin(<name> <source>...)
#       A MODULE library (a plugin loaded at run time with Boost.DLL) linked to
#       tessera::tessera with the defaults, written to ${TESSERA_PLUGIN_BUILD_DIR}
#       (<build>/plugins) and installed to ${TESSERA_INSTALL_PLUGINDIR}.

include_guard(GLOBAL)

# All plugins of a build land in one folder, so tests can point TESSERA_PLUGIN_PATH at it.
set(TESSERA_PLUGIN_BUILD_DIR "${PROJECT_BINARY_DIR}/plugins")

function(tessera_target_defaults target)
  target_link_libraries(${target} PRIVATE tessera_warnings tessera_sanitize)
endfunction()

function(tessera_add_executable name)
  if(ARGC LESS 2)
    message(FATAL_ERROR "tessera_add_executable(${name}): no sources given")
  endif()
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tessera::tessera)
  tessera_target_defaults(${name})
  # Several sources: one unit with TESSERA_UNITY_BUILD (see CMakeLists.txt).
  if(TESSERA_UNITY_BUILD AND ARGC GREATER 2)
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
    # The sources become included files of one unit: GCC then takes a test fixture in an
    # anonymous namespace for a header's type with internal linkage.
    target_compile_options(${name} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
  endif()
endfunction()

function(tessera_add_plugin name)
  if(ARGC LESS 2)
    message(FATAL_ERROR "tessera_add_plugin(${name}): no sources given")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE tessera::tessera)
  tessera_target_defaults(${name})
  set_target_properties(${name} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY "${TESSERA_PLUGIN_BUILD_DIR}")
  if(TESSERA_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION "${TESSERA_INSTALL_PLUGINDIR}")
  endif()
endfunction()
