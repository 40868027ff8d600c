// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() { return process_spec(input<"x", Int>(), output<"sum", Int>()); }
  void step_one() { out<"sum">(Int{in<"xx">().value}); }
};
int main() { p{}.step_one(); }
