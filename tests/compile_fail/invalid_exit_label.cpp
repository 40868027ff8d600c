// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p { static auto define() { return process_spec(exit_code<400, "ERROR-DASH">("x")); } };
int main() { (void)spec_of<p>(); }
