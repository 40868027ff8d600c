#pragma once
// Processes shared by the engine tests.
#include <atomic>
#include <chrono>
#include <thread>
#include <cstdint>
#include <string_view>

#include <tessera/tessera.hpp>

namespace tessera::test {

inline std::atomic<int> add_executions{0};
inline std::atomic<int> multiply_executions{0};

inline const auto add = calcfunction<"add", "x", "y">([](const Int& x, const Int& y) {
  ++add_executions;
  return Int{x.value + y.value};
});
inline const auto multiply = calcfunction<"multiply", "x", "y">([](const Int& x, const Int& y) {
  ++multiply_executions;
  return Int{x.value * y.value};
});
// The AiiDA 1.0 paper's example.
inline const auto add_multiply = workfunction<"add_multiply", "x", "y", "z">(
    [](const Int& x, const Int& y, const Int& z) { return multiply(add(x, y), z); });

// Sums 1..n by calling add in a loop, one call per step.
struct sum_to : work_chain<sum_to> {
  static constexpr std::string_view process_name = "test.sum_to";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"sum", Int>(),
                        exit_code<400, "ERROR_NEGATIVE">("n must not be negative"),
                        outline(step<&sum_to::setup>, if_<&sum_to::negative>(return_<"ERROR_NEGATIVE">),
                                while_<&sum_to::more>(step<&sum_to::next>), step<&sum_to::finish>));
  }
  struct context {
    std::int64_t i = 0;
    stored<Int> sum;
  };
  context ctx;

  void setup() { ctx.i = 0; }
  bool negative() const { return in<"n">().value < 0; }
  bool more() const { return ctx.i < in<"n">().value; }
  async_step next() {
    ++ctx.i;
    if (!ctx.sum) {
      ctx.sum = co_await call(add, Int{0}, Int{ctx.i});
    } else {
      ctx.sum = co_await call(add, ctx.sum, Int{ctx.i});
    }
    report("i = " + std::to_string(ctx.i));
  }
  void finish() {
    if (ctx.sum) out<"sum">(ctx.sum);
  }
};

}  // namespace tessera::test

namespace tessera::test {

// Runs sum_to children: two awaited in turn (run), then two submitted at once (to_context),
// and adds their sums.
struct sum_of_sums : work_chain<sum_of_sums> {
  static constexpr std::string_view process_name = "test.sum_of_sums";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"a", Int>(), input<"b", Int>(), output<"total", Int>(), output<"first", Int>(),
                        outline(step<&sum_of_sums::one_by_one>, step<&sum_of_sums::both_at_once>,
                                step<&sum_of_sums::total>));
  }
  struct context {
    std::vector<child<sum_to>> kids;
    stored<Int> running;
  };
  context ctx;

  async_step one_by_one() {
    auto first = co_await run<sum_to>(spec::inputs_for<sum_to>().set<"n">(in<"a">()));
    ctx.running = first.out<"sum">();
    out<"first">(ctx.running);
  }
  async_step both_at_once() {
    ctx.kids.push_back(co_await submit<sum_to>(spec::inputs_for<sum_to>().set<"n">(in<"a">())));
    ctx.kids.push_back(co_await submit<sum_to>(spec::inputs_for<sum_to>().set<"n">(in<"b">())));
  }
  async_step total() {
    auto s = co_await call(add, ctx.kids[0].out<"sum">(), ctx.kids[1].out<"sum">());
    out<"total">(co_await call(add, s, ctx.running));
  }
};

// Forgets its required output.
struct forgetful : work_chain<forgetful> {
  static constexpr std::string_view process_name = "test.forgetful";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), output<"y", Int>(), outline(step<&forgetful::nothing>));
  }
  void nothing() {}
};

// Tries to return a value no calculation created.
struct creator : work_chain<creator> {
  static constexpr std::string_view process_name = "test.creator";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), output<"y", Int>(), outline(step<&creator::make>));
  }
  void make() { out<"y">(Int{in<"x">().value + 1000}); }
};

// Passes its input through (a workflow may return its inputs).
struct passthrough : work_chain<passthrough> {
  static constexpr std::string_view process_name = "test.passthrough";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), output<"y", Int>(), outline(step<&passthrough::pass>));
  }
  void pass() { out<"y">(in<"x">()); }
};

// Raises in its second step.
struct faulty : work_chain<faulty> {
  static constexpr std::string_view process_name = "test.faulty";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), outline(step<&faulty::fine>, step<&faulty::broken>));
  }
  void fine() {}
  void broken() { throw std::runtime_error("the flux capacitor is broken"); }
};

}  // namespace tessera::test

namespace tessera::test {

inline std::atomic<int> slow_add_executions{0};
// add, taking its time: gives tests a window to pause or kill in.
inline const auto slow_add = calcfunction<"slow_add", "x", "y">([](const Int& x, const Int& y) {
  ++slow_add_executions;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return Int{x.value + y.value};
});

// Counts to n, one slow_add per step.
struct ticker : work_chain<ticker> {
  static constexpr std::string_view process_name = "test.ticker";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"count", Int>(),
                        outline(step<&ticker::setup>, while_<&ticker::more>(step<&ticker::tick>), step<&ticker::done>));
  }
  struct context {
    std::int64_t i = 0;
    stored<Int> count;
  };
  context ctx;
  void setup() {}
  bool more() const { return ctx.i < in<"n">().value; }
  async_step tick() {
    ++ctx.i;
    ctx.count = co_await call(slow_add, ctx.count ? ctx.count.value() : Int{0}, Int{1});
  }
  void done() { out<"count">(ctx.count); }
};

// Runs a ticker as its child.
struct ticker_parent : work_chain<ticker_parent> {
  static constexpr std::string_view process_name = "test.ticker_parent";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"count", Int>(), outline(step<&ticker_parent::go>));
  }
  async_step go() {
    auto c = co_await run<ticker>(spec::inputs_for<ticker>().set<"n">(in<"n">()));
    if (c.ok()) out<"count">(c.out<"count">());
  }
};

}  // namespace tessera::test
