// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p { static auto define() { return process_spec(input<"options", Dict>(), input<"options.retries", Int>()); } };
int main() { (void)spec_of<p>(); }
