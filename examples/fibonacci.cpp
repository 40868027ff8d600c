// A work chain that computes Fibonacci numbers by calling a calcfunction in a loop, one call
// per step: F(k + 1) = add(F(k - 1), F(k)). Every number is a node created by an add
// calculation, and every add takes the very nodes that earlier ones created (or the chain's
// inputs), so the provenance graph is the recurrence itself. The chain is checkpointed after
// every step: killed and restarted, it would go on from the last number it had.
#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <tessera/tessera.hpp>

using namespace tessera;

const auto add = calcfunction<"add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });

struct fibonacci : work_chain<fibonacci> {
  static constexpr std::string_view process_name = "examples.fibonacci";

  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"n", Int>(validator(non_negative), help("which Fibonacci number")),
        input<"f0", Int>(default_value(0), help("F(0)")), input<"f1", Int>(default_value(1), help("F(1)")),
        output<"f", Int>(help("F(n)")),
        outline(step<&fibonacci::setup>, while_<&fibonacci::more>(step<&fibonacci::next>), step<&fibonacci::result>));
  }
  static spec::validation_message non_negative(const Int& n) {
    return n.value >= 0 ? std::nullopt : spec::validation_message("must not be negative");
  }

  // stored<Int> is a value with the node that holds it: passing it to add links that node.
  struct context {
    std::int64_t k = 1;      // cur is F(k)
    stored<Int> prev, cur;   // F(k - 1), F(k) once computed (the first two are the inputs)
  };
  context ctx;

  void setup() { ctx.k = 1; }
  bool more() const { return ctx.k < in<"n">().value; }

  // One calcfunction call per step. The first two additions take the chain's own inputs
  // (in<"f0">() is the input value itself, which the engine links to its node).
  async_step next() {
    stored<Int> f;
    if (ctx.k == 1) {
      f = co_await call(add, in<"f0">(), in<"f1">());
    } else if (ctx.k == 2) {
      f = co_await call(add, in<"f1">(), ctx.cur);
    } else {
      f = co_await call(add, ctx.prev, ctx.cur);
    }
    ctx.prev = ctx.cur;
    ctx.cur = f;
    ++ctx.k;
    report("F(" + std::to_string(ctx.k) + ") = " + std::to_string(f->value));
  }

  // A workflow returns data it has in hand, never data it made up.
  void result() {
    const auto n = in<"n">().value;
    if (n == 0) {
      out<"f">(in<"f0">());
    } else if (n == 1) {
      out<"f">(in<"f1">());
    } else {
      out<"f">(ctx.cur);
    }
  }
};

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-fibonacci-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  bool ok = false;
  {
    store st(dir);
    runner r(st);
    const auto res = run<fibonacci>(r, spec::inputs_for<fibonacci>().set<"n">(20).validated());
    if (!res.ok()) {
      std::printf("fibonacci failed: exit status %d: %s\n", res.exit_status, res.exit_message.c_str());
    } else {
      const stored<Int> f = res.get<Int>("f");
      auto db = st.read();
      const auto calls = db.children(res.pk).size();
      // 3 inputs (n, f0, f1), 19 add calculations and their 19 results, and the chain.
      const auto nodes = db.count_nodes();
      // F(20) is the result of the last add, whose inputs are the results of the two before.
      const auto last_add = db.creator(f.pk());
      std::int64_t linked_to_earlier_results = 0;
      for (const auto& l : db.incoming(*last_add, link_type::input_calc)) linked_to_earlier_results += db.creator(l.input) ? 1 : 0;
      std::printf("F(20) = %lld (node %lld), from %zu calls of add; %lld nodes in the profile; the last add's two "
                  "inputs are results of earlier adds: %s\n",
                  static_cast<long long>(f->value), static_cast<long long>(f.pk()), calls,
                  static_cast<long long>(nodes), linked_to_earlier_results == 2 ? "yes" : "no");
      ok = f->value == 6765 && calls == 19 && nodes == 42 && linked_to_earlier_results == 2;
    }
    // Small n return an input as it is.
    const auto one = run<fibonacci>(r, spec::inputs_for<fibonacci>().set<"n">(1).validated());
    ok = ok && one.ok() && one.get<Int>("f")->value == 1;
    std::printf("F(1) = %lld\n%s\n", one.ok() ? static_cast<long long>(one.get<Int>("f")->value) : -1LL,
                ok ? "correct" : "WRONG");
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
