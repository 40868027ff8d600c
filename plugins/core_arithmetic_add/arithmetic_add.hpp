#pragma once
// core.arithmetic.add: the calcjob of AiiDA's benchmark. A bash script adds integers x and y
// (`echo $((x + y))`, run as `bash < aiida.in > aiida.out`); the parser plugin of the same
// name (arithmetic_add.cpp) reads the sum into the Int output `sum`. The code is an
// installed bash, e.g. InstalledCode{"localhost", "/bin/bash"}.
#include <string>

#include <fmt/format.h>

#include <tessera/calcjob/calc_job.hpp>

namespace tessera::plugins {

struct arithmetic_add : calc_job<arithmetic_add> {
  static constexpr std::string_view process_name = "core.arithmetic.add";
  static constexpr std::string_view default_parser = "core.arithmetic.add";
  static constexpr std::string_view input_file = "aiida.in";
  static constexpr std::string_view output_file = "aiida.out";

  static auto define() {
    using namespace tessera::spec;
    return extend(calc_job<arithmetic_add>::define(), input<"x", Int>(help("first addend")),
                  input<"y", Int>(help("second addend")), output<"sum", Int>(help("x + y, as the job computed it")),
                  exit_code<310, "ERROR_READING_OUTPUT_FILE">("the output file aiida.out was not retrieved"),
                  exit_code<320, "ERROR_INVALID_OUTPUT_FILE">("the output file aiida.out does not hold one integer"));
  }

  calcjob::calc_info prepare(calcjob::sandbox& box) const {
    // Integers only: nothing here needs quoting inside $(( )).
    box.write(input_file, fmt::format("echo $(({} + {}))\n", in<"x">().value, in<"y">().value));
    calcjob::calc_info info;
    info.stdin_name = std::string(input_file);
    info.stdout_name = std::string(output_file);
    info.retrieve_list = {std::string(output_file)};
    return info;
  }
};

}  // namespace tessera::plugins
