// Must not compile: see the test of the same name in CMakeLists.txt.
#include "prelude.hpp"

struct p : ports<p> {
  static auto define() {
    return process_spec(exit_code<410, "ERROR_A">("a"), outline(step<&p::run>, if_<&p::bad>(return_<"ERROR_B">)));
  }
  void run() {}
  bool bad() const { return false; }
};
int main() { (void)spec_of<p>(); }
