// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p { static auto define() { return process_spec(input<"n", Int>(default_value("seven"))); } };
int main() { (void)spec_of<p>(); }
