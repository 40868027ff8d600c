#pragma once
// Processes shared by the spec tests.
#include <optional>
#include <string>

#include <tessera/data/data.hpp>
#include <tessera/spec.hpp>

namespace spec_test {

using namespace tessera;

inline spec::validation_message positive(const Int& v) {
  if (v.value <= 0) return "must be positive, got " + std::to_string(v.value);
  return std::nullopt;
}

struct child {
  static constexpr std::string_view process_name = "test.child";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"a", Int>(help("first")), input<"b", Float>(default_value(2.5)),
                        input<"opts.flag", Bool>(required(false)), output<"r", Int>(), output<"extra.note", Str>(required(false)));
  }
};

struct add_multiply : spec::ports<add_multiply> {
  static constexpr std::string_view process_name = "test.add_multiply";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"x", Int>(help("the first addend")), input<"y", Int>(),
        input<"z", Int>(default_value(1), validator(positive)),
        input<"label", Str>(required(false), non_db),
        input_namespace<"options.advanced">(dynamic, required(false), help("free-form settings")),
        input<"options.retries", Int>(default_value(3)),
        output<"result", Int>(), output<"details.sum", Int>(required(false)),
        output_namespace<"extras">(dynamic, required(false)),
        exit_code<410, "ERROR_NEGATIVE_SUM">("the sum was negative"),
        outline(step<&add_multiply::add>,
                if_<&add_multiply::is_negative>(return_<"ERROR_NEGATIVE_SUM">),
                step<&add_multiply::multiply>));
  }
  void add() { out<"details.sum">(Int{in<"x">().value + in<"y">().value}); }
  bool is_negative() const { return outputs().find("details.sum")->get<Int>().value < 0; }
  void multiply() { out<"result">(Int{outputs().find("details.sum")->get<Int>().value * in<"z">().value}); }
};

}  // namespace spec_test
