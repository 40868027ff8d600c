// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() { return process_spec(exit_code<410, "ERROR_NEGATIVE_SUM">("negative")); }
  exit_code_value fail() { return exit<"ERROR_NEGATIVE_SUMM">(); }
};
int main() { (void)p{}.fail(); }
