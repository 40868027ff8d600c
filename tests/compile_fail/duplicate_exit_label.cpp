// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p { static auto define() { return process_spec(exit_code<410, "ERROR_A">("a"), exit_code<411, "ERROR_A">("b")); } };
int main() { (void)spec_of<p>(); }
