// Uses tessera::tessera as a consumer would. Compiled WITHOUT the project's warning
// flags: the old-style cast below would fail the build if tessera_warnings (-Werror)
// leaked into tessera::tessera's usage requirements.
#if __has_include(<tessera/tessera.hpp>)
#include <tessera/tessera.hpp>
#endif

#include <boost/version.hpp>
#include <dlfcn.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>

#include <cstdio>
#include <thread>

#ifndef BOOST_DLL_USE_STD_FS
#error "tessera::tessera must define BOOST_DLL_USE_STD_FS"
#endif
static_assert(__cplusplus >= 202002L, "tessera::tessera must require C++20");
static_assert(BOOST_VERSION >= 108100, "tessera needs Boost 1.81 or newer");

int main() {
  int const answer = (int)42.0;  // old-style cast on purpose, see above
  // Each call needs one of tessera's link dependencies.
  if (sodium_init() < 0) return 1;
  nlohmann::json const j = {{"answer", answer}, {"sqlite", sqlite3_libversion()}};
  int from_thread = 0;
  std::thread worker([&] { from_thread = j["answer"].get<int>(); });
  worker.join();
  (void)dlerror();
  std::puts(fmt::format("tessera consumer ok: {}", j.dump()).c_str());
  return from_thread == 42 ? 0 : 1;
}
