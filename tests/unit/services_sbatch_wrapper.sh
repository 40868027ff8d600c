#!/usr/bin/env bash
# An `sbatch` put first on a daemon worker's PATH by services_failure_test.cpp: it runs the
# real sbatch (TESSERA_TEST_REAL_SBATCH) and logs each call in TESSERA_TEST_SBATCH_LOG
# ("<exit status> <output>"). The first call that can take the file TESSERA_TEST_SBATCH_ARM
# (renamed, so exactly one call does) then SIGKILLs the worker of profile
# TESSERA_TEST_PROFILE that ran it, before sbatch's answer reaches it: the job is in SLURM,
# its id is nowhere in tessera. The killed pid goes into "$TESSERA_TEST_SBATCH_ARM.fired".
set -u
out=$("$TESSERA_TEST_REAL_SBATCH" "$@")
rc=$?
echo "$rc $out" >> "$TESSERA_TEST_SBATCH_LOG"

if mv "$TESSERA_TEST_SBATCH_ARM" "$TESSERA_TEST_SBATCH_ARM.taken" 2>/dev/null; then
  # The worker is an ancestor (worker -> core.local's `bash -c` -> this script): the one whose
  # command line says it is a worker of that profile, never just "the grandparent".
  pid=$PPID
  while [[ $pid -gt 1 ]]; do
    mapfile -d '' argv < "/proc/$pid/cmdline"
    is_worker=0 profile=""
    for ((i = 0; i < ${#argv[@]}; ++i)); do
      [[ ${argv[i]} == --tessera-worker ]] && is_worker=1
      [[ ${argv[i]} == --profile ]] && profile=${argv[i + 1]:-}
    done
    if ((is_worker)) && [[ $profile == "$TESSERA_TEST_PROFILE" ]]; then
      kill -KILL "$pid"
      echo "$pid" > "$TESSERA_TEST_SBATCH_ARM.fired"
      exit 137  # nobody reads this any more
    fi
    pid=$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$pid/stat")
  done
  echo "no worker of $TESSERA_TEST_PROFILE among the ancestors of sbatch (pid $$)" > "$TESSERA_TEST_SBATCH_ARM.fired"
fi
printf '%s\n' "$out"
exit "$rc"
