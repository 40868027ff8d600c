// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() { return process_spec(input<"options.retries", Int>()); }
  void run() { (void)in_namespace<"option">(); }
};
int main() { p{}.run(); }
