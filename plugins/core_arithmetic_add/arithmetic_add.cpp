// core.arithmetic.add: the calculation (its spec, for `tessera spec show`) and its parser.
#include <charconv>
#include <string_view>

#include <tessera/calcjob/detail/text.hpp>
#include <tessera/plugin/entry_point.hpp>

#include "arithmetic_add.hpp"

namespace {

using tessera::plugins::arithmetic_add;

class arithmetic_add_calculation final : public tessera::calculation_plugin {
 public:
  const tessera::spec::runtime_spec& spec() const override { return tessera::spec::runtime_spec_of<arithmetic_add>(); }
};

class arithmetic_add_parser final : public tessera::parser_plugin {
 public:
  tessera::calcjob::parse_result parse(const tessera::calcjob::retrieved_files& files,
                                       const tessera::port_values& /*inputs*/) const override {
    using tessera::calcjob::parse_result;
    const std::string* text = files.find(arithmetic_add::output_file);
    if (!text) return parse_result::fail("ERROR_READING_OUTPUT_FILE");
    const auto value = tessera::calcjob::detail::trim(*text);
    std::int64_t sum = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), sum);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      const auto shown = value.substr(0, 80);
      return parse_result::fail("ERROR_INVALID_OUTPUT_FILE",
                                fmt::format("the output file aiida.out does not hold one integer: '{}'", shown));
    }
    parse_result r;
    r.outputs.set("sum", tessera::any_data(tessera::Int{sum}));
    return r;
  }
};

std::unique_ptr<tessera::calculation_plugin> make_arithmetic_add() { return std::make_unique<arithmetic_add_calculation>(); }
std::unique_ptr<tessera::parser_plugin> make_arithmetic_add_parser() { return std::make_unique<arithmetic_add_parser>(); }

}  // namespace

TESSERA_ENTRY_POINT(calculations, "core.arithmetic.add", make_arithmetic_add)
TESSERA_ENTRY_POINT(parsers, "core.arithmetic.add", make_arithmetic_add_parser)
