// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct base { static auto define() { return process_spec(input<"x", Int>()); } };
struct p { static auto define() { return extend(base::define(), override_input<"w", Int>(default_value(1))); } };
int main() { (void)spec_of<p>(); }
