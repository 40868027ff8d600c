# Findsodium.cmake -- find libsodium and provide the IMPORTED target sodium::sodium.
#
# Debian (and most distributions) ship libsodium with a pkg-config file only, no CMake
# package. pkg-config is used for hints when it is available; find_path/find_library do
# the actual search, so this also works without pkg-config (set sodium_ROOT if needed).
#
# Result variables:
#   sodium_FOUND, sodium_VERSION, sodium_INCLUDE_DIRS, sodium_LIBRARIES
# Cache variables:
#   sodium_INCLUDE_DIR, sodium_LIBRARY
# Imported target:
#   sodium::sodium
#
# This file is installed next to tesseraConfig.cmake so that consumers of the installed
# package find libsodium the same way the build did.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_sodium QUIET libsodium)
endif()

find_path(sodium_INCLUDE_DIR
  NAMES sodium.h
  HINTS ${PC_sodium_INCLUDEDIR} ${PC_sodium_INCLUDE_DIRS})
find_library(sodium_LIBRARY
  NAMES sodium libsodium
  HINTS ${PC_sodium_LIBDIR} ${PC_sodium_LIBRARY_DIRS})
mark_as_advanced(sodium_INCLUDE_DIR sodium_LIBRARY)

if(PC_sodium_VERSION)
  set(sodium_VERSION "${PC_sodium_VERSION}")
elseif(sodium_INCLUDE_DIR AND EXISTS "${sodium_INCLUDE_DIR}/sodium/version.h")
  file(STRINGS "${sodium_INCLUDE_DIR}/sodium/version.h" _sodium_version_line
       REGEX "^#define[ \t]+SODIUM_VERSION_STRING[ \t]+\"[^\"]+\"")
  string(REGEX REPLACE ".*\"([^\"]+)\".*" "\\1" sodium_VERSION "${_sodium_version_line}")
  unset(_sodium_version_line)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(sodium
  REQUIRED_VARS sodium_LIBRARY sodium_INCLUDE_DIR
  VERSION_VAR sodium_VERSION)

if(sodium_FOUND)
  set(sodium_INCLUDE_DIRS "${sodium_INCLUDE_DIR}")
  set(sodium_LIBRARIES "${sodium_LIBRARY}")
  if(NOT TARGET sodium::sodium)
    add_library(sodium::sodium UNKNOWN IMPORTED)
    set_target_properties(sodium::sodium PROPERTIES
      IMPORTED_LOCATION "${sodium_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${sodium_INCLUDE_DIR}")
  endif()
endif()
