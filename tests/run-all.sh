#!/usr/bin/env bash
# Build and test tessera from scratch, the way CI does:
#   1. install the dependencies (cmake/install-deps.sh),
#   2. Release build in build/ and ctest (test executables and the CLI as unity builds,
#      TESSERA_UNITY_BUILD: half the compile time of building their files one by one),
#   3. Debug build with ASan+UBSan in build-asan/ (no benchmarks) and ctest of everything
#      that runs tessera's code: not the compile-fail tests (what the compiler says of a
#      snippet does not depend on the sanitizers) nor the consumer tests (they build and
#      install packages; the Release run has them): 3 minutes less.
# Ends with the line "N passed, N failed" over both configurations (CI reads it) and exits
# non-zero if any configure, build or test failed.
#
# Environment: TESSERA_BUILD_DIR (default build), TESSERA_ASAN_BUILD_DIR (default
# build-asan), TESSERA_JOBS (default: nproc).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${TESSERA_JOBS:-$(nproc)}
build_dir=${TESSERA_BUILD_DIR:-build}
asan_dir=${TESSERA_ASAN_BUILD_DIR:-build-asan}

total_passed=0
total_failed=0
timings=()
started=$SECONDS

step_start=$SECONDS
bash cmake/install-deps.sh
timings+=("dependencies: $((SECONDS - step_start)) s")

# run_config <name> <build dir> <cmake configure args...>
# Uses the array ctest_env (VAR=value...) for the ctest run and ctest_args (more ctest
# arguments).
run_config() {
  local name=$1 dir=$2
  shift 2
  local step_start=$SECONDS

  echo "==== [$name] configure and build in $dir"
  if ! cmake -S . -B "$dir" -G Ninja "$@" || ! cmake --build "$dir" -j "$jobs"; then
    echo "==== [$name] configure or build FAILED (counted as 1 failure)"
    total_failed=$((total_failed + 1))
    timings+=("$name: $((SECONDS - step_start)) s (build failed)")
    return 0
  fi
  local built=$SECONDS

  echo "==== [$name] ctest in $dir"
  local log="$dir/run-all-ctest.log"
  local rc=0
  (cd "$dir" && env ${ctest_env[@]+"${ctest_env[@]}"} \
      ctest --output-on-failure --no-tests=error -j "$jobs" ${ctest_args[@]+"${ctest_args[@]}"}) 2>&1 |
    tee "$log" || rc=$?

  local line passed failed
  line=$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=${BASH_REMATCH[1]}
    passed=$((BASH_REMATCH[2] - failed))
  else
    passed=0
    failed=0
  fi
  if [[ $rc -ne 0 && $failed -eq 0 ]]; then
    echo "==== [$name] ctest exited with $rc without failed tests (counted as 1 failure)"
    failed=1
  fi
  echo "==== [$name] $passed passed, $failed failed"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  timings+=("$name: $((SECONDS - step_start)) s (build $((built - step_start)) s, tests $((SECONDS - built)) s)")
}

ctest_env=()
ctest_args=()
run_config release "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DTESSERA_SANITIZE=OFF \
  -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_EXAMPLES=ON -DTESSERA_BUILD_BENCHMARKS=ON \
  -DTESSERA_BUILD_PLUGINS=ON -DTESSERA_BUILD_CLI=ON -DTESSERA_UNITY_BUILD=ON

# LeakSanitizer without thread-local storage as roots (stricter: what only TLS holds is
# reported): its TLS scan crashes ("Tracer caught signal 11", a bogus DTLS range) on the
# dynamic TLS of libssh loaded with the core.ssh plugin, on Debian 12's gcc 12 / glibc 2.36.
# print_suppressions=0: no banner on stderr, which tests of one-line errors read.
ctest_env=(ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=use_tls=0:print_suppressions=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
ctest_args=(--label-exclude '^(compile_fail|consumer)$')
run_config asan "$asan_dir" \
  -DCMAKE_BUILD_TYPE=Debug \
  -DTESSERA_SANITIZE=ON \
  -DTESSERA_BUILD_TESTS=ON -DTESSERA_BUILD_EXAMPLES=ON -DTESSERA_BUILD_BENCHMARKS=OFF \
  -DTESSERA_BUILD_PLUGINS=ON -DTESSERA_BUILD_CLI=ON -DTESSERA_UNITY_BUILD=ON

echo "==== timings"
for t in "${timings[@]}"; do
  echo "  $t"
done
echo "  total: $((SECONDS - started)) s"
echo "$total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
