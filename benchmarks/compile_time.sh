#!/usr/bin/env bash
# Compile time is a feature: how much compiler CPU (user + sys) does a spec cost?
#   (a) one process: 20 ports, 4 exit codes, a 10-step outline with a loop and a branch,
#       its steps reading and writing ports by name;        target < 2 s at -O2
#   (b) 50 processes of 8 ports each in one translation unit; target < 5 s at -O2
# Each unit includes <tessera/spec.hpp> (which brings Int, Float, Str, Bool) and is measured
#   used:     as a user writes it: typed in<>/out<> in the steps, inputs built with
#             inputs_for<P>().set<"name">(v), validated(), the outline program run;
#   declared: the same processes, their specs and outline programs built, nothing run.
# and in both build modes of the library (named in every output line):
#   header_only: the default, every body inline in the headers (nlohmann/json included);
#   separate:    -DTESSERA_SEPARATE_COMPILATION, what linking tessera::compiled does: the
#                headers include only <nlohmann/json_fwd.hpp> and declare the run-time
#                support, which <tessera/src.hpp> compiles once per program (its cost is
#                printed as compile_time_separate_src_once_O2, not part of any unit).
# Every used unit is also linked (separate: with the compiled src.hpp) and run, so what is
# measured is a working program. The floor is the same unit with the includes only.
# Each figure is the median of N runs (default 5) of g++ -std=c++20 -O2 -c, with the
# fastest run beside it: on a shared VM the same unit's CPU time varies by +-20% from one
# run to the next (steal, frequency), and the fastest run is the least disturbed one.
# Usage: benchmarks/compile_time.sh [N]   (TESSERA_CT_MODES="separate" to measure one mode)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
include_dir=${TESSERA_INCLUDE_DIR:-$here/../include}
cxx=${CXX:-g++}
runs=${1:-5}
work=$(mktemp -d)
trap '[ -n "${TESSERA_KEEP_TU:-}" ] && cp "$work"/*.cpp "$TESSERA_KEEP_TU"/; rm -rf "$work"' EXIT

prelude='#include <tessera/spec.hpp>
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

modes=${TESSERA_CT_MODES:-separate header_only}
sodium_libs=$(pkg-config --libs libsodium 2>/dev/null || echo -lsodium)

flags_of() { [ "$1" = separate ] && echo -DTESSERA_SEPARATE_COMPILATION || true; }

cpu_seconds() {  # compile $2 at -O2 in mode $1, print user+sys CPU seconds
  local out
  out=$( { TIMEFORMAT='%U %S'; time "$cxx" -std=c++20 -O2 $(flags_of "$1") -I"$include_dir" -c "$2" -o "$work/out.o" 2>"$work/err.txt"; } 2>&1 ) || {
    cat "$work/err.txt" >&2; echo "compile of $2 ($1) failed" >&2; exit 1; }
  awk '{ printf "%.3f\n", $1 + $2 }' <<<"$out"
}


measure() {  # mode file: "median fastest"
  for _ in $(seq 1 "$runs"); do cpu_seconds "$1" "$2"; done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1] }'
}

run_check() {  # mode unit: link the unit and run it (its main returns 0 or 1, never crashes)
  local extra=()
  [ "$1" = separate ] && extra=("$work/src.o")
  "$cxx" -std=c++20 -O2 $(flags_of "$1") -I"$include_dir" -c "$work/$2.cpp" -o "$work/$2.$1.o"
  "$cxx" "$work/$2.$1.o" "${extra[@]}" $sodium_libs -o "$work/$2.$1"
  local rc=0
  "$work/$2.$1" || rc=$?
  [ "$rc" -le 1 ] || { echo "$2 ($1) exited with $rc" >&2; exit 1; }
}

for mode in $modes; do
  if [ "$mode" = separate ]; then
    printf '#include <tessera/src.hpp>\n' > "$work/src.cpp"
    src_once=$( { TIMEFORMAT='%U %S'; time "$cxx" -std=c++20 -O2 -DTESSERA_SEPARATE_COMPILATION -I"$include_dir" -c "$work/src.cpp" -o "$work/src.o"; } 2>&1 | awk '{ printf "%.3f", $1 + $2 }')
    echo "compile_time_separate_src_once_O2: $src_once s"
  fi
  run_check "$mode" a
  run_check "$mode" b
  read -r floor floor_min < <(measure "$mode" "$work/floor.cpp")
  read -r a a_min < <(measure "$mode" "$work/a.cpp")
  read -r b b_min < <(measure "$mode" "$work/b.cpp")
  read -r a_decl a_decl_min < <(measure "$mode" "$work/a_decl.cpp")
  read -r b_decl b_decl_min < <(measure "$mode" "$work/b_decl.cpp")
  echo "compile_time_${mode}_includes_only_O2: $floor s (fastest $floor_min s)"
  echo "compile_time_${mode}_a_used_O2: $a s (fastest $a_min s; target 2 s)"
  echo "compile_time_${mode}_a_declared_O2: $a_decl s (fastest $a_decl_min s; target 2 s)"
  echo "compile_time_${mode}_b_used_O2: $b s (fastest $b_min s; target 5 s)"
  echo "compile_time_${mode}_b_declared_O2: $b_decl s (fastest $b_decl_min s; target 5 s)"
  awk -v m="$mode" -v a="$a" -v b="$b" -v f="$floor" -v ad="$a_decl" -v bd="$b_decl" 'BEGIN {
    printf "compile_time_%s_a_declared_over_includes: %.3f s\n", m, ad - f
    printf "compile_time_%s_a_used_over_includes: %.3f s\n", m, a - f
    printf "compile_time_%s_b_declared_over_includes: %.3f s (%.1f ms per port)\n", m, bd - f, (bd - f) * 1000 / 400
    printf "compile_time_%s_b_used_over_includes: %.3f s (%.1f ms per process)\n", m, b - f, (b - f) * 1000 / 50
  }'
done
