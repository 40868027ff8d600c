// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() { return process_spec(output<"result", Int>()); }
  void step_one() { out<"result">(Float{1.5}); }
};
int main() { p{}.step_one(); }
