// Record a calculation's provenance in a profile, then find it again: by a query on its
// inputs, and by walking the graph from its result back to the data it came from.
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <tessera/tessera.hpp>

using namespace tessera;

int main(int argc, char** argv) {
  // A profile is one folder: the SQLite database and the file repository beside it.
  const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path() / ("tessera-provenance-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  store st(dir);

  // add(x, y) as a calcfunction would record it: one transaction, or nothing.
  const node_ref sum = st.write([](write_tx& tx) {
    new_node calc;
    calc.kind = node_kind::calc_function;
    calc.type = "example.add";
    calc.state = process_state::finished;
    calc.exit_status = 0;
    calc.origin = {std::string(tessera::version), "", ""};
    const node_ref add = tx.add_node(calc);
    const node_ref x = tx.add_data(Int{2}, "x");
    const node_ref y = tx.add_data(Int{3}, "y");
    tx.add_link(x.pk, add.pk, link_type::input_calc, "x");
    tx.add_link(y.pk, add.pk, link_type::input_calc, "y");
    const node_ref result = tx.add_data(Int{5});
    tx.add_link(add.pk, result.pk, link_type::create, "sum");
    return result;
  });

  // Every calcfunction of type example.add with x == 2, and what it created.
  query q(st);
  q.append(node_filter::data("core.int"), "x")
      .where(attr("") == 2)  // an Int's attributes are the number itself
      .append(node_filter::calc_function(), "calc")
      .with_incoming("x", link_filter{}.label("x"))
      .append(node_filter::data("core.int"), "sum")
      .with_incoming("calc", link_filter{}.label("sum"))
      .project(col("pk"))
      .project(attr(""));
  int found = 0;
  for (const auto& row : q.iterate()) {
    std::printf("sum node %lld holds %lld\n", row[0].get<long long>(), row[1].get<long long>());
    found += row[0].get<std::int64_t>() == sum.pk ? 1 : 0;
  }

  // The result's ancestors: the calculation and its two inputs.
  auto reader = st.read();
  const auto ancestors = reader.ancestors(sum.pk);
  std::printf("node %lld has %zu ancestors; database integrity: %s\n", static_cast<long long>(sum.pk),
              ancestors.size(), st.integrity_check().c_str());
  std::filesystem::remove_all(dir);
  return found == 1 && ancestors.size() == 3 ? 0 : 1;
}
