// Uses tessera::tessera as a consumer would. Compiled WITHOUT the project's warning
// flags: the old-style cast below would fail the build if tessera_warnings (-Werror)
// leaked into tessera::tessera's usage requirements.
#include <tessera/tessera.hpp>

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

// A process declared against the installed headers, as a user's project would.
struct scale : tessera::spec::ports<scale> {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", tessera::Int>(), input<"factor", tessera::Int>(default_value(2)),
                        output<"y", tessera::Int>());
  }
  void run() { out<"y">(tessera::Int{in<"x">().value * in<"factor">().value}); }
};

int main() {
  scale s;
  s.set_inputs(tessera::spec::inputs_for<scale>().set<"x">(21).validated());
  s.run();
  if (s.outputs().find("y")->get<tessera::Int>().value != 42) return 1;
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
