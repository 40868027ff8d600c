// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() { return process_spec(outline(step<&p::run>, 42)); }
  void run() {}
};
int main() { (void)spec_of<p>(); }
