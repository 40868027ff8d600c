// A parent work chain that exposes a child work chain's inputs: expose_inputs<child>
// (namespace_<"scale">) gives the parent the child's ports (types, defaults, validators, help)
// under "scale.", and in_namespace<"scale">() hands exactly those values to the child. The
// parent's caller sets the child's inputs without the parent repeating a single declaration.
#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>
#include <string>

#include <unistd.h>

#include <tessera/tessera.hpp>

using namespace tessera;

const auto add = calcfunction<"add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });
const auto multiply = calcfunction<"multiply", "x", "y">([](const Int& x, const Int& y) { return Int{x.value * y.value}; });

// The child: y = x * factor.
struct scale : work_chain<scale> {
  static constexpr std::string_view process_name = "examples.scale";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(help("what to scale")), input<"factor", Int>(default_value(2), help("by how much")),
                        output<"y", Int>(help("x * factor")), outline(step<&scale::run>));
  }
  async_step run() { out<"y">(co_await call(multiply, in<"x">(), in<"factor">())); }
};

// The parent: result = scale(x, factor) + offset, with scale's inputs exposed as "scale.*".
struct scale_then_add : work_chain<scale_then_add> {
  static constexpr std::string_view process_name = "examples.scale_then_add";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(expose_inputs<scale>(namespace_<"scale">), input<"offset", Int>(help("what to add")),
                        output<"result", Int>(help("x * factor + offset")),
                        outline(step<&scale_then_add::run_child>, step<&scale_then_add::finish>));
  }
  struct context {
    child<scale> scaled;  // a handle on the child: its pk, and its outputs once it is done
  };
  context ctx;

  async_step run_child() { ctx.scaled = co_await run<scale>(in_namespace<"scale">()); }
  async_step finish() {
    stored<Int> y = ctx.scaled.out<"y">();
    out<"result">(co_await call(add, y, in<"offset">()));
  }
};

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-expose-inputs-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  bool ok = true;
  {
    store st(dir);
    runner r(st);
    // The parent's input ports: the child's two, under "scale.", and its own.
    std::printf("inputs of %s:\n", std::string(scale_then_add::process_name).c_str());
    for (const auto& port : scale_then_add::spec().ports) {
      if (port.direction != spec::direction::input) continue;
      std::printf("  %-13s %s%s\n", port.name.c_str(), port.help.c_str(),
                  port.default_value.has_value() ? " (has a default)" : "");
    }

    // The exposed ports are set by their dotted names, checked at compile time like any other.
    const auto with_factor =
        run<scale_then_add>(r, spec::inputs_for<scale_then_add>().set<"scale.x">(5).set<"scale.factor">(3).set<"offset">(4).validated());
    // scale.factor left out: the child's default (2) applies.
    const auto with_default =
        run<scale_then_add>(r, spec::inputs_for<scale_then_add>().set<"scale.x">(5).set<"offset">(4).validated());

    for (const auto* res : {&with_factor, &with_default}) {
      if (!res->ok()) {
        std::printf("scale_then_add %lld failed: %d %s\n", static_cast<long long>(res->pk), res->exit_status,
                    res->exit_message.c_str());
        ok = false;
      }
    }
    if (ok) {
      const auto a = with_factor.get<Int>("result")->value;
      const auto b = with_default.get<Int>("result")->value;
      std::printf("5 * 3 + 4 = %lld\n5 * 2 (default factor) + 4 = %lld\n", static_cast<long long>(a), static_cast<long long>(b));
      ok = a == 19 && b == 14;

      // The child received the parent's own input nodes: its INPUT_WORK links come from the
      // nodes linked to the parent as scale.x and scale.factor.
      auto db = st.read();
      const auto kids = db.children(with_factor.pk);
      std::int64_t child_pk = 0;
      for (auto k : kids) {
        if (db.node(k).type == "examples.scale") child_pk = k;
      }
      std::map<std::string, std::int64_t> parent_in, child_in;
      for (const auto& l : db.incoming(with_factor.pk, link_type::input_work)) parent_in[l.label] = l.input;
      for (const auto& l : child_pk ? db.incoming(child_pk, link_type::input_work) : std::vector<link_record>{}) child_in[l.label] = l.input;
      std::printf("parent inputs:");
      for (const auto& [label, pk] : parent_in) std::printf(" %s=node %lld", label.c_str(), static_cast<long long>(pk));
      std::printf("\nchild (pk %lld) inputs:", static_cast<long long>(child_pk));
      for (const auto& [label, pk] : child_in) std::printf(" %s=node %lld", label.c_str(), static_cast<long long>(pk));
      std::printf("\n");
      const bool same_nodes = child_pk != 0 && child_in.size() == 2 && child_in["x"] != 0 &&
                              child_in["x"] == parent_in["scale.x"] &&
                              child_in["factor"] == parent_in["scale.factor"];
      std::printf("the child's inputs are the parent's exposed input nodes: %s\n", same_nodes ? "yes" : "no");
      ok = ok && same_nodes;
    }
    std::printf("%s\n", ok ? "correct" : "WRONG");
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
