// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> { static auto define() { return process_spec(input<"x", Int>()); } };
int main() { (void)inputs_for<p>().set<"x">(2.5); }
