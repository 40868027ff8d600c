// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p { static auto define() { return process_spec(input<"x", Int>(), input<"y", Int>(), input<"x", Float>()); } };
int main() { (void)spec_of<p>(); }
