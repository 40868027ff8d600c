// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct child { static auto define() { return process_spec(input<"x", Int>(), input<"y", Int>()); } };
struct p { static auto define() { return process_spec(input<"x", Float>(), expose_inputs<child>()); } };
int main() { (void)spec_of<p>(); }
