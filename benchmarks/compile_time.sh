#!/usr/bin/env bash
# Compile time is a feature: how much compiler CPU (user + sys) does a spec cost?
#   (a) one process: 20 ports, 4 exit codes, a 10-step outline with a loop and a branch,
#       its steps reading and writing ports by name;        target < 2 s at -O2
#   (b) 50 processes of 8 ports each in one translation unit; target < 5 s at -O2
# Each is measured twice: as written (inputs validated, steps run: the run-time support is
# compiled into the unit too) and declared only (specs and outline programs built).
# The floor is the same translation unit with the includes only, measured in the same run.
# Each figure is the median of N runs (default 3). Usage: benchmarks/compile_time.sh [N]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
include_dir=${TESSERA_INCLUDE_DIR:-$here/../include}
cxx=${CXX:-g++}
runs=${1:-3}
work=$(mktemp -d)
trap '[ -n "${TESSERA_KEEP_TU:-}" ] && cp "$work"/*.cpp "$TESSERA_KEEP_TU"/; rm -rf "$work"' EXIT

prelude='#include <tessera/data/data.hpp>
#include <tessera/spec.hpp>
using namespace tessera;'

# (a) ---------------------------------------------------------------------------------
{
  echo "$prelude"
  echo 'struct big : spec::ports<big> {'
  echo '  static auto define() {'
  echo '    using namespace tessera::spec;'
  echo '    return process_spec('
  for i in $(seq 0 9); do echo "      input<\"in.group$((i % 3)).x$i\", Int>(default_value($i), help(\"input $i\")),"; done
  for i in $(seq 0 4); do echo "      input<\"f$i\", Float>(),"; done
  for i in $(seq 0 4); do echo "      output<\"out$i\", Int>(),"; done
  for i in $(seq 0 3); do echo "      exit_code<$((400 + i)), \"ERROR_$i\">(\"failure $i\"),"; done
  echo '      outline(step<&big::s0>, step<&big::s1>,'
  echo '              while_<&big::more>(step<&big::s2>, step<&big::s3>, step<&big::s4>),'
  echo '              if_<&big::bad>(step<&big::s5>, return_<"ERROR_1">).elif_<&big::more>(step<&big::s6>).else_(step<&big::s7>),'
  echo '              step<&big::s8>, step<&big::s9>));'
  echo '  }'
  echo '  int n = 0;'
  echo '  bool more() const { return n < 3; }'
  echo '  bool bad() const { return n > 5; }'
  for i in $(seq 0 9); do
    echo "  void s$i() { ++n; out<\"out$((i % 5))\">(Int{in<\"in.group$((i % 3)).x$i\">().value + static_cast<std::int64_t>(in<\"f$((i % 5))\">().value)}); }"
  done
  echo '};'
  echo 'int main() {'
  echo '  big b;'
  echo '  auto in = spec::inputs_for<big>().set<"f0">(1.0).set<"f1">(1.0).set<"f2">(1.0).set<"f3">(1.0).set<"f4">(1.0);'
  echo '  b.set_inputs(in.validated());'
  echo '  const auto& program = spec::program_of<big, std::optional<exit_code_value>>();'
  echo '  for (std::uint32_t pc = 0; program[pc].code != spec::op::return_;) {'
  echo '    const auto& i = program[pc];'
  echo '    if (i.code == spec::op::call_step) { i.step(b); ++pc; }'
  echo '    else if (i.code == spec::op::jump) pc = i.target;'
  echo '    else pc = i.condition(b) ? pc + 1 : i.target;'
  echo '  }'
  echo '  return static_cast<int>(b.outputs().size() % 2);'
  echo '}'
} > "$work/a.cpp"

# (b) ---------------------------------------------------------------------------------
{
  echo "$prelude"
  for p in $(seq 0 49); do
    echo "struct p$p : spec::ports<p$p> {"
    echo '  static auto define() {'
    echo '    using namespace tessera::spec;'
    echo "    return process_spec(input<\"a\", Int>(), input<\"b\", Int>(default_value(2)), input<\"c\", Float>(),"
    echo "                        input<\"opt.d\", Str>(required(false)), input<\"opt.e\", Bool>(default_value(true)),"
    echo "                        output<\"sum\", Int>(), output<\"info.note\", Str>(required(false)), output<\"ratio\", Float>(),"
    echo "                        exit_code<$((300 + p)), \"ERROR_P$p\">(\"process $p failed\"),"
    echo "                        outline(step<&p$p::run>));"
    echo '  }'
    echo '  void run() { out<"sum">(Int{in<"a">().value + in<"b">().value}); out<"ratio">(Float{in<"c">().value}); }'
    echo '};'
  done
  echo 'int main() {'
  echo '  std::size_t total = 0;'
  for p in $(seq 0 49); do
    echo "  { p$p x; x.set_inputs(spec::inputs_for<p$p>().set<\"a\">(1).set<\"c\">(2.0).validated()); x.run(); total += p$p::spec().ports.size() + spec::program_of<p$p, std::optional<exit_code_value>>().size(); }"
  done
  echo '  return static_cast<int>(total % 2);'
  echo '}'
} > "$work/b.cpp"

# the same processes declared, their specs and outline programs built, nothing run: what a
# translation unit that only defines processes (for another one to launch) pays
sed -n '1,/^int main() {$/p' "$work/a.cpp" | sed '$d' > "$work/a_decl.cpp"
echo 'int main() { return static_cast<int>(spec::spec_of<big>().size + spec::program_of<big, std::optional<exit_code_value>>().size()) % 2; }' >> "$work/a_decl.cpp"
sed -n '1,/^int main() {$/p' "$work/b.cpp" | sed '$d' > "$work/b_decl.cpp"
{
  echo 'int main() {'
  echo '  std::size_t total = 0;'
  for p in $(seq 0 49); do
    echo "  total += spec::spec_of<p$p>().size + spec::program_of<p$p, std::optional<exit_code_value>>().size();"
  done
  echo '  return static_cast<int>(total % 2);'
  echo '}'
} >> "$work/b_decl.cpp"

# floor: the includes alone ------------------------------------------------------------
{
  echo "$prelude"
  echo 'int main() { return 0; }'
} > "$work/floor.cpp"

cpu_seconds() {  # compile $1 at -O2, print user+sys CPU seconds
  local out
  out=$( { TIMEFORMAT='%U %S'; time "$cxx" -std=c++20 -O2 -I"$include_dir" -c "$1" -o "$work/out.o" 2>"$work/err.txt"; } 2>&1 ) || {
    cat "$work/err.txt" >&2; echo "compile of $1 failed" >&2; exit 1; }
  awk '{ printf "%.3f\n", $1 + $2 }' <<<"$out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure() {
  for _ in $(seq 1 "$runs"); do cpu_seconds "$1"; done | median
}

floor=$(measure "$work/floor.cpp")
a=$(measure "$work/a.cpp")
b=$(measure "$work/b.cpp")
a_decl=$(measure "$work/a_decl.cpp")
b_decl=$(measure "$work/b_decl.cpp")
echo "compile_time_includes_only_O2: $floor s"
echo "compile_time_a_one_process_20_ports_O2: $a s"
echo "compile_time_a_target: 2 s"
echo "compile_time_b_50_processes_8_ports_O2: $b s"
echo "compile_time_b_target: 5 s"
echo "compile_time_a_declared_only_O2: $a_decl s"
echo "compile_time_b_declared_only_O2: $b_decl s"
awk -v a="$a" -v b="$b" -v f="$floor" -v ad="$a_decl" -v bd="$b_decl" 'BEGIN {
  printf "compile_time_a_declared_only_over_includes: %.3f s\n", ad - f
  printf "compile_time_b_declared_only_over_includes: %.3f s\n", bd - f
  printf "compile_time_b_declared_only_per_port: %.1f ms\n", (bd - f) * 1000 / 400
  printf "compile_time_a_over_includes: %.3f s\n", a - f
  printf "compile_time_b_over_includes: %.3f s\n", b - f
  printf "compile_time_b_per_process: %.1f ms\n", (b - f) * 1000 / 50
}'
