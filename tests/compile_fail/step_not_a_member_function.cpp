// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

void free_step() {}
struct p : ports<p> { static auto define() { return process_spec(outline(step<&free_step>)); } };
int main() { (void)spec_of<p>(); }
