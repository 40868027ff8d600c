// tessera's first demo: declare a process whose interface the compiler checks, build its
// inputs from C++ and from JSON, see what validation says about bad input, and print the
// spec the process documents itself with.
#include <cstdio>
#include <string>

#include <tessera/tessera.hpp>

using namespace tessera;

// Inputs x, y, z (z defaults to 1 and must be positive), a free-form options namespace, an
// output "result" and an exit code for a negative sum. The outline runs add, stops with
// ERROR_NEGATIVE_SUM when the sum is negative, and otherwise multiplies.
struct add_multiply : spec::ports<add_multiply> {
  static constexpr std::string_view process_name = "demo.add_multiply";

  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"x", Int>(help("first addend")), input<"y", Int>(help("second addend")),
        input<"z", Int>(default_value(1), validator(positive), help("factor")),
        input_namespace<"options">(dynamic, required(false), help("free-form settings")),
        output<"result", Int>(help("(x + y) * z")),
        exit_code<410, "ERROR_NEGATIVE_SUM">("the sum of x and y was negative"),
        outline(step<&add_multiply::add>,
                if_<&add_multiply::sum_is_negative>(return_<"ERROR_NEGATIVE_SUM">),
                step<&add_multiply::multiply>));
  }

  static spec::validation_message positive(const Int& z) {
    if (z.value > 0) return std::nullopt;
    return "must be positive, got " + std::to_string(z.value);
  }

  std::int64_t sum = 0;
  void add() { sum = in<"x">().value + in<"y">().value; }
  bool sum_is_negative() const { return sum < 0; }
  void multiply() { out<"result">(Int{sum * in<"z">().value}); }
  // Each of these would not compile, with an error naming the mistake:
  //   out<"resutl">(Int{1});          unknown output port "resutl"
  //   out<"result">(Float{1.0});      Float given where Int is declared
  //   return exit<"ERROR_NEGATIVE">(); unknown exit label
};

// Walk the outline's program as an engine would (the engine adds checkpoints, provenance).
exit_code_value run(add_multiply& p) {
  const auto& program = spec::program_of<add_multiply, std::optional<exit_code_value>>();
  for (std::uint32_t pc = 0;;) {
    const auto& i = program[pc];
    switch (i.code) {
      case spec::op::call_step: i.step(p); ++pc; break;
      case spec::op::jump_if_false: pc = i.condition(p) ? pc + 1 : i.target; break;
      case spec::op::jump: pc = i.target; break;
      case spec::op::return_:
        if (i.name.empty()) return {};
        const auto* code = add_multiply::spec().find_exit_code(i.name);
        return {code->status, code->label, code->message};
    }
  }
}

int main() {
  std::puts(add_multiply::spec().to_markdown().c_str());

  // Inputs from C++: names and types checked by the compiler, defaults applied.
  add_multiply a;
  a.set_inputs(spec::inputs_for<add_multiply>().set<"x">(2).set<"y">(3).set<"z">(4).validated());
  const exit_code_value ok = run(a);
  std::printf("run 1: exit status %d, result = %lld\n", ok.status,
              static_cast<long long>(a.outputs().find("result")->get<Int>().value));

  // Inputs from JSON, as a user or a REST call would send them.
  add_multiply b;
  b.set_inputs(add_multiply::spec().inputs_from_json(nlohmann::json::parse(R"({"x": -5, "y": 1})")));
  const exit_code_value negative = run(b);
  std::printf("run 2: exit status %d (%s: %s)\n", negative.status, negative.label.c_str(), negative.message.c_str());

  // Bad input: one error that names the process and every port that is wrong.
  try {
    (void)add_multiply::spec().inputs_from_json(
        nlohmann::json::parse(R"({"x": "two", "z": 0, "options": {"anything": 1}, "verbose": true})"));
  } catch (const spec::validation_error& e) {
    std::printf("bad input rejected:\n%s\n", e.what());
  }

  std::printf("\nspec as JSON:\n%s\n", add_multiply::spec().to_json().dump(2).c_str());
  return ok.ok() && negative.status == 410 ? 0 : 1;
}
