// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct other { void run() {} };
struct p : ports<p> { static auto define() { return process_spec(outline(step<&other::run>)); } };
int main() { (void)program_of<p, std::optional<exit_code_value>>(); }
