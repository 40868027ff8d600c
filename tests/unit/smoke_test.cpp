// Smoke test: the umbrella header compiles under the project's warnings and links.
#if __has_include(<tessera/tessera.hpp>)
#include <tessera/tessera.hpp>
#endif

#include <gtest/gtest.h>

TEST(smoke, umbrella_header_compiles) { SUCCEED(); }
