// A plugin for the CLI's end-to-end tests (cli.e2e.plugin): a calculation and a workflow
// whose specs `tessera spec show` renders. The one library declares both groups' entry
// points, as a real plugin package would.
#include <tessera/data/data.hpp>
#include <tessera/plugin/entry_point.hpp>
#include <tessera/spec.hpp>

namespace {

using namespace tessera;

struct scale {
  static constexpr std::string_view process_name = "test.scale";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(help("the value to scale")), input<"factor", Int>(default_value(2)),
                        output<"result", Int>(), exit_code<410, "ERROR_OVERFLOW">("the result does not fit"));
  }
};

struct double_twice : spec::ports<double_twice> {
  static constexpr std::string_view process_name = "test.double_twice";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), output<"result", Int>(),
                        outline(step<&double_twice::first>, step<&double_twice::second>));
  }
  void first() {}
  void second() {}
};

// Nothing to run yet: the objects give their process's spec.
template <class Process, class Interface>
class spec_only final : public Interface {
 public:
  const spec::runtime_spec& spec() const override { return spec::runtime_spec_of<Process>(); }
};

std::unique_ptr<calculation_plugin> make_scale() { return std::make_unique<spec_only<scale, calculation_plugin>>(); }
std::unique_ptr<workflow_plugin> make_double_twice() {
  return std::make_unique<spec_only<double_twice, workflow_plugin>>();
}

}  // namespace

TESSERA_ENTRY_POINT(calculations, "test.scale", make_scale)
TESSERA_ENTRY_POINT(workflows, "test.double_twice", make_double_twice)
