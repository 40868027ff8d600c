// The outline of the AiiDA 1.0 paper's fizzbuzz-style work chain: a while_ loop over a
// counter, with an if_/elif_/else_ inside that picks which step runs. Each step reports what
// it saw with report(); the messages are stored with the process (its "report", as AiiDA calls
// it) and printed at the end, read back from the provenance store.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <tessera/tessera.hpp>

using namespace tessera;

struct fizzbuzz : work_chain<fizzbuzz> {
  static constexpr std::string_view process_name = "examples.fizzbuzz";

  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"n", Int>(help("count from 1 to n")),
        outline(step<&fizzbuzz::setup>,
                while_<&fizzbuzz::not_finished>(
                    if_<&fizzbuzz::multiple_of_15>(step<&fizzbuzz::report_fizzbuzz>)
                        .elif_<&fizzbuzz::multiple_of_5>(step<&fizzbuzz::report_buzz>)
                        .elif_<&fizzbuzz::multiple_of_3>(step<&fizzbuzz::report_fizz>)
                        .else_(step<&fizzbuzz::report_number>),
                    step<&fizzbuzz::increment>)));
  }

  // The context is checkpointed after every step: a restarted chain continues the count.
  struct context {
    std::int64_t i = 0;
  };
  context ctx;

  void setup() { ctx.i = 1; }
  bool not_finished() const { return ctx.i <= in<"n">().value; }
  bool multiple_of_15() const { return ctx.i % 15 == 0; }
  bool multiple_of_5() const { return ctx.i % 5 == 0; }
  bool multiple_of_3() const { return ctx.i % 3 == 0; }
  void report_fizzbuzz() { report(std::to_string(ctx.i) + ": FizzBuzz"); }
  void report_buzz() { report(std::to_string(ctx.i) + ": Buzz"); }
  void report_fizz() { report(std::to_string(ctx.i) + ": Fizz"); }
  void report_number() { report(std::to_string(ctx.i)); }
  void increment() { ++ctx.i; }
};

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-fizzbuzz-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  bool ok = false;
  {
    store st(dir);
    runner r(st);
    // run<> submits the chain to the runner and waits for it to terminate.
    const process_result res = run<fizzbuzz>(r, spec::inputs_for<fizzbuzz>().set<"n">(15).validated());
    std::printf("fizzbuzz (pk %lld) %s with exit status %d\n", static_cast<long long>(res.pk),
                std::string(to_string(res.state)).c_str(), res.exit_status);

    // The process report, as `tessera process report <pk>` would show it.
    std::printf("report:\n");
    std::vector<std::string> messages;
    for (const auto& log : st.read().logs(res.pk)) {
      std::printf("  [%s] %s\n", std::string(to_string(log.level)).c_str(), log.message.c_str());
      messages.push_back(log.message);
    }
    std::vector<std::string> expected;
    for (int i = 1; i <= 15; ++i) {
      expected.push_back(std::to_string(i) + (i % 15 == 0  ? ": FizzBuzz"
                                              : i % 5 == 0 ? ": Buzz"
                                              : i % 3 == 0 ? ": Fizz"
                                                           : ""));
    }
    ok = res.ok() && messages == expected;
    std::printf("%zu messages: %s\n", messages.size(), ok ? "as expected" : "NOT as expected");
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
