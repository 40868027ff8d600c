// The AiiDA 1.0 paper's first example: a workfunction add_multiply(x, y, z) that calls two
// calcfunctions, add and multiply, and returns (x + y) * z. Calling it records the whole
// provenance graph: one workfunction node, two calcfunction nodes, the data they consumed and
// created, and the links between them. This example prints that graph and checks its shape.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include <unistd.h>

#include <tessera/tessera.hpp>

using namespace tessera;

// A calcfunction creates data from its inputs; its argument port names are declared once.
const auto add = calcfunction<"add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });
const auto multiply = calcfunction<"multiply", "x", "y">([](const Int& x, const Int& y) { return Int{x.value * y.value}; });

// A workfunction only calls other processes and returns some of their results (it creates no
// data itself). Its single result becomes its output "result".
const auto add_multiply = workfunction<"add_multiply", "x", "y", "z">(
    [](const Int& x, const Int& y, const Int& z) { return multiply(add(x, y), z); });

int main() {
  // A fresh profile (database + file repository) in a temporary folder.
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-add-multiply-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  bool ok = true;
  {
    store st(dir);
    runner r(st);  // what runs processes; calls outside any process use the latest runner

    // At top level a call runs at once and returns the value with the node that holds it.
    stored<Int> result = add_multiply(Int{2}, Int{3}, Int{4});
    std::printf("add_multiply(2, 3, 4) = %lld (data node %lld)\n\n", static_cast<long long>(result->value),
                static_cast<long long>(result.pk()));

    // The provenance it left: every node, then every link.
    auto db = st.read();
    std::printf("nodes:\n");
    const auto n = db.count_nodes();
    for (std::int64_t pk = 1; pk <= n; ++pk) {
      const auto node = db.node(pk);
      if (node.kind == node_kind::data) {
        std::printf("  %2lld  %-16s %s = %s\n", static_cast<long long>(pk), std::string(to_string(node.kind)).c_str(),
                    node.type.c_str(), node.attributes.dump().c_str());
      } else {
        std::printf("  %2lld  %-16s %s (%s, exit status %d)\n", static_cast<long long>(pk),
                    std::string(to_string(node.kind)).c_str(), node.type.c_str(),
                    std::string(to_string(node.state.value_or(process_state::created))).c_str(),
                    node.exit_status.value_or(-1));
      }
    }
    std::printf("links:\n");
    std::map<link_type, int> count;
    for (std::int64_t pk = 1; pk <= n; ++pk) {
      for (const auto& l : db.outgoing(pk)) {
        std::printf("  %2lld -> %2lld  %-10s %s\n", static_cast<long long>(l.input), static_cast<long long>(l.output),
                    std::string(to_string(l.type)).c_str(), l.label.c_str());
        ++count[l.type];
      }
    }

    // What AiiDA 1.0 records for this call: 1 workfunction node with 3 INPUT_WORK links,
    // 2 CALL_CALC links and 1 RETURN link; 2 calcfunction nodes with 2 INPUT_CALC and
    // 1 CREATE link each; 3 inputs + the sum + the result = 5 data nodes.
    const auto processes = db.connection().scalar_int("SELECT count(*) FROM node WHERE kind = 3");
    const auto calcs = db.connection().scalar_int("SELECT count(*) FROM node WHERE kind = 1");
    ok = result->value == 20 && processes == 1 && calcs == 2 && n == 8 && count[link_type::input_work] == 3 &&
         count[link_type::call_calc] == 2 && count[link_type::input_calc] == 4 && count[link_type::create] == 2 &&
         count[link_type::ret] == 1 && db.load<Int>(result.pk()).value == 20;
    std::printf("\n%lld nodes (1 workfunction, 2 calcfunctions, 5 data), %d INPUT_WORK, %d CALL_CALC, %d INPUT_CALC, "
                "%d CREATE, %d RETURN links: %s\n",
                static_cast<long long>(n), count[link_type::input_work], count[link_type::call_calc],
                count[link_type::input_calc], count[link_type::create], count[link_type::ret],
                ok ? "as in the AiiDA paper" : "NOT what was expected");
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
