#!/usr/bin/env bash
# End-to-end tests of the `tessera` CLI, one section per CTest test (tests/cli/CMakeLists.txt):
#   cli_test.sh SECTION TESSERA FIXTURE WORKDIR TEST_PLUGIN FAKE_WORKER [EXAMPLE_DAEMON]
# Each section works in a fresh WORKDIR/SECTION with its own HOME and XDG folders, fills
# profiles with cli_fixture (real work chains run by the engine), and checks the output and
# exit status of every command, including every error path. Prints "N passed, M failed".
set -u
section=$1 T=$(realpath "$2") F=$(realpath "$3") P=$(realpath "${5:-/nonexistent}") W=$(realpath "${6:-/nonexistent}")
work="$4/$section"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
export HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
unset TESSERA_PROFILE NO_COLOR
passed=0 failed=0

# t STATUS PATTERN CMD... : CMD exits with STATUS and its stdout+stderr matches the
# extended regex PATTERN (empty: anything). Sets $out (stdout) and $err (stderr).
t() {
  local want=$1 pattern=$2
  shift 2
  out=$("$@" 2>"$work/.stderr")
  local status=$?
  err=$(cat "$work/.stderr")
  if [[ $status -ne $want ]]; then
    echo "FAIL: $* -> exit $status, expected $want"; printf '  stdout: %s\n  stderr: %s\n' "$out" "$err"
    failed=$((failed + 1)); return 1
  fi
  if [[ -n $pattern ]] && ! printf '%s\n%s\n' "$out" "$err" | grep -Eq -- "$pattern"; then
    echo "FAIL: $* -> output does not match /$pattern/"; printf '  stdout: %s\n  stderr: %s\n' "$out" "$err"
    failed=$((failed + 1)); return 1
  fi
  passed=$((passed + 1))
}
# ok DESCRIPTION CONDITION... : a condition on the last output.
ok() {
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; printf '  stdout: %s\n  stderr: %s\n' "$out" "$err"; failed=$((failed + 1)); fi
}
has() { printf '%s\n' "$out" | grep -Eq -- "$1"; }
hasnt() { ! printf '%s\n' "$out" | grep -Eq -- "$1"; }
one_line_error() { [[ $(printf '%s\n' "$err" | grep -c .) -eq 1 && $err == error:* ]]; }
json_len() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$out"; }
# json_ok EXPR: the Python expression EXPR is true of the last output parsed as JSON (d);
# shell values reach it through the environment (os.environ).
json_ok() { python3 -c "import json, os, sys; d = json.load(sys.stdin); sys.exit(0 if ($1) else 1)" <<<"$out"; }

# wait_for SECONDS CMD... : runs CMD every 0.1 s until it succeeds (status 0) or SECONDS pass.
wait_for() {
  local tries=$(($1 * 10)) i
  shift
  for ((i = 0; i < tries; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}
# daemon_json EXPR: like json_ok, on `tessera daemon status --json` (whatever its exit status).
daemon_json() { out=$("$T" daemon status --json 2>/dev/null); json_ok "$1"; }
# The worker processes of profile $work/p still alive (by their command line).
workers_alive() { pgrep -f -- "--tessera-worker --profile $work/p --slot" >/dev/null; }
no_workers() { ! workers_alive; }
# A daemon section leaves no daemon behind, whatever failed.
stop_daemon_on_exit() { trap '"$T" --profile "$work/p" daemon stop --timeout 5 >/dev/null 2>&1' EXIT; }
# gone PID: no such process (or a zombie).
gone() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [[ -z $s || $s == Z || $s == X ]]; }

fill() {  # fill DIR: a profile with processes; sets pk_<name> variables
  "$T" init --no-default "$1" >/dev/null || { echo "FAIL: init $1"; exit 1; }
  local name pk
  while read -r name pk; do printf -v "pk_$name" '%s' "$pk"; done < <("$F" fill "$1")
  [[ -n ${pk_sum_of_sums:-} && -n ${pk_live_third:-} ]] || { echo "FAIL: fixture fill $1"; exit 1; }
}

case $section in
profile)
  t 0 '^tessera [0-9]+\.[0-9]+\.[0-9]+$' "$T" --version
  t 1 'no profile selected: pass --profile DIR, set TESSERA_PROFILE' "$T" process list && ok "one-line error" one_line_error
  t 0 "created profile $work/p \(schema version [0-9]+\)" "$T" init p
  ok "init writes the default profile file" grep -qx "$work/p" "$XDG_CONFIG_HOME/tessera/default-profile"
  t 0 'no active processes' "$T" process list
  t 0 "opened existing profile $work/p" "$T" init p
  t 0 "created profile $work/p2" "$T" init p2
  ok "a second init keeps the default" grep -qx "$work/p" "$XDG_CONFIG_HOME/tessera/default-profile"
  t 0 "\"profile\": \"$work/p\"" "$T" storage info --json
  t 0 "\"profile\": \"$work/p2\"" env TESSERA_PROFILE="$work/p2" "$T" storage info --json
  t 0 "\"profile\": \"$work/p2\"" "$T" --profile p2 storage info --json
  t 0 "\"profile\": \"$work/p2\"" "$T" storage info --json --profile p2
  t 0 "default profile: $work/p2" "$T" init p2 --default
  t 0 "\"profile\": \"$work/p2\"" "$T" storage info --json
  t 0 "created profile $work/data/tessera/default" "$T" init --no-default
  t 1 "no tessera profile at missing \(from --profile\): create it with .tessera init missing." "$T" --profile missing process list
  ok "one-line error" one_line_error
  t 1 "no tessera profile at $work/gone \(from TESSERA_PROFILE\)" env TESSERA_PROFILE="$work/gone" "$T" process list
  ;;
process)
  fill p
  export TESSERA_PROFILE="$work/p"
  t 0 "test.live_parent" "$T" process list
  ok "list shows the active processes only" hasnt 'test.sum_of_sums'
  ok "list has aligned columns" has '^PK +CREATED \(UTC\) +KIND +TYPE +LABEL +STATE +EXIT$'
  ok "list shows running" has "^$pk_live_child +.*test.live_child +running +-"
  t 0 "" "$T" process list --json && ok "4 active processes in JSON" [ "$(json_len)" = 4 ]
  t 0 "test.sum_of_sums +finished +0" "$T" process list --all
  ok "--all shows the excepted chain" has "^$pk_faulty .*test.faulty +excepted"
  ok "--all shows calcfunctions" has 'CalcFunctionNode +add '
  t 0 "test.sum_of_sums" "$T" process list --state finished
  ok "--state finished hides live ones" hasnt 'test.live_parent'
  t 0 '"state": "excepted"' "$T" process list --state excepted --json && ok "one excepted" [ "$(json_len)" = 1 ]
  t 0 "test.live_third" "$T" process list --state running
  t 0 "test.sum_of_sums" "$T" process list --all --past-days 1
  t 0 "showing the newest 2" "$T" process list --all --limit 2
  ok "--limit 2 shows 2 rows" [ "$(printf '%s\n' "$out" | grep -c '^[0-9]')" = 2 ]
  t 2 "unknown state 'bogus'" "$T" process list --state bogus
  if command -v script >/dev/null; then  # colours on a terminal only
    t 0 $'\e\\[32mfinished' script -qec "$T process list --all" /dev/null
    t 0 "" "$T" process list --all && ok "no colours when stdout is not a terminal" hasnt $'\e'
    t 0 "" env NO_COLOR=1 script -qec "$T process list --all" /dev/null && ok "NO_COLOR turns colours off" hasnt $'\e\\[32m'
  fi
  t 0 "type +test.sum_of_sums" "$T" process show "$pk_sum_of_sums"
  ok "show lists inputs" has '^INPUTS +PK +TYPE +LINK$'
  ok "show lists outputs" has '^total +[0-9]+ +core.int +RETURN$'
  ok "show lists called processes" has 'CALL_WORK'
  ok "show gives the exit status" has '^exit status +0$'
  t 0 '"state": "finished"' "$T" process show "$pk_sum_of_sums" --json
  t 0 "^$pk_sum_of_sums test.sum_of_sums finished \[0\]$" "$T" process status "$pk_sum_of_sums"
  ok "status shows children by depth" has '^└── [0-9]+ test.sum_to finished \[0\]$'
  ok "status shows grandchildren" has '^    └── [0-9]+ add finished \[0\]$'
  t 0 "excepted" "$T" process status "$pk_faulty"
  ok "status shows the exception" has 'flux capacitor'
  t 0 "" "$T" process status "$pk_sum_of_sums" --json && ok "status JSON lists the tree" [ "$(json_len)" -gt 5 ]
  t 0 '^    [0-9-]+ [0-9:]+ \[[0-9]+\|test.sum_to\|REPORT\]: i = 1$' "$T" process report "$pk_sum_of_sums"
  t 0 '"message": "i = 2"' "$T" process report "$pk_sum_of_sums" --json
  t 0 "" "$T" process report "$pk_live_parent"
  ok "report includes the child's messages indented" has '^    .*test.live_child\|REPORT\]: started by the CLI test fixture'
  t 1 "node $pk_data is a data node \(core.int\), not a process" "$T" process show "$pk_data"
  ;;
control)
  fill p
  export TESSERA_PROFILE="$work/p"
  t 0 "^paused process $pk_live_other$" "$T" process pause "$pk_live_other"
  t 0 "running \(paused\)" "$T" process list
  t 0 "running \(paused\)" "$T" process status "$pk_live_other"
  t 0 '"paused": true' "$T" process show "$pk_live_other" --json
  t 0 "^played process $pk_live_other$" "$T" process play "$pk_live_other"
  t 0 "" "$T" process list && ok "no paused process left" hasnt 'paused'
  t 0 "^killed process $pk_live_parent and 1 it called$" "$T" process kill "$pk_live_parent"
  t 0 "^└── $pk_live_child test.live_child killed \[20\] killed with its caller" "$T" process status "$pk_live_parent"
  t 1 "cannot kill node $pk_live_parent .*: it has already terminated \(killed\): nothing to do" "$T" process kill "$pk_live_parent"
  ok "one-line error" one_line_error
  t 1 "already terminated \(finished\)" "$T" process pause "$pk_sum_of_sums"
  t 1 "not a process" "$T" process kill "$pk_data"
  t 1 "no node with pk 999999" "$T" process play 999999
  t 2 "give the pk of at least one process, or --all" "$T" process pause
  t 2 "not both" "$T" process kill "$pk_live_other" --all
  t 0 "paused process $pk_live_other" "$T" process pause --all
  ok "pause --all pauses every active process" has "paused process $pk_live_third"
  t 0 "played process $pk_live_third" "$T" process play --all
  t 0 "no paused processes" "$T" process play --all
  t 0 "killed process $pk_live_third" "$T" process kill --all
  t 0 "no active processes" "$T" process list
  t 0 "no active processes" "$T" process kill --all
  ;;
watch)
  "$T" init --no-default p >/dev/null
  export TESSERA_PROFILE="$work/p"
  "$F" tick p 40 >tick.out 2>tick.err &
  ticker=$!
  for _ in $(seq 100); do [[ -s tick.out ]] && break; sleep 0.05; done
  pk=$(head -1 tick.out)
  t 0 "process $pk test.ticker_parent: finished \[0\], children 41/41 done" timeout 60 "$T" process watch "$pk"
  # 40 steps of 20 ms: woken by commits, not by the 1 s poll, watch sees many of them.
  ok "watch printed progress while it ran" [ "$(printf '%s\n' "$out" | grep -c 'children')" -ge 5 ]
  ok "the watched chain finished" wait "$ticker"
  t 0 "^process $pk test.ticker_parent: finished \[0\], children 41/41 done$" timeout 10 "$T" process watch "$pk"
  t 1 "no node with pk 999999" "$T" process watch 999999
  ;;
node)
  fill p
  export TESSERA_PROFILE="$work/p"
  t 0 "^type +core.int$" "$T" node show "$pk_data"
  ok "node show gives the label" has '^label +answer$'
  ok "node show gives the value" has '^value +42$'
  t 0 '"type": "core.int"' "$T" node show "$pk_data" --json
  t 0 '^42$' "$T" node attributes "$pk_data"
  t 0 "^INCOMING +PK +NODE +LINK$" "$T" node show "$pk_sum_of_sums"
  ok "node show lists outgoing links" has '^OUTGOING +PK +NODE +LINK$'
  t 0 "^digraph provenance" "$T" node graph "$pk_sum_of_sums"
  ok "graph has call links" has "CALL_WORK"
  ok "graph has edges" has "n$pk_sum_of_sums -> n[0-9]+"
  t 0 "wrote g.dot" "$T" node graph "$pk_sum_of_sums" --ancestors 0 --descendants 2 -o g.dot
  ok "g.dot written" grep -q '^digraph' g.dot
  t 1 "Graphviz's .dot. is not on PATH: install Graphviz" env PATH=/nonexistent "$T" node graph "$pk_sum_of_sums" --format svg
  ok "one-line error" one_line_error
  t 1 "not on PATH" env PATH=/nonexistent "$T" node graph "$pk_sum_of_sums" --format png
  # A stand-in `dot` on PATH: the CLI renders through it.
  mkdir -p fakebin && printf '#!/bin/sh\nfor a; do case $a in -o*) out=${a#-o};; -T*) fmt=${a#-T};; esac; done\necho "<$fmt rendered>" > "$out"\n' >fakebin/dot && chmod +x fakebin/dot
  t 0 "wrote $pk_sum_of_sums.png" env PATH="$work/fakebin:$PATH" "$T" node graph "$pk_sum_of_sums" --format png
  ok "png rendered by dot" grep -q '<png rendered>' "$pk_sum_of_sums.png"
  t 0 "wrote x.svg" env PATH="$work/fakebin:$PATH" "$T" node graph "$pk_sum_of_sums" --format svg -o x.svg
  ok "svg rendered by dot" grep -q '<svg rendered>' x.svg
  if command -v dot >/dev/null; then
    t 0 "wrote g.svg" "$T" node graph "$pk_sum_of_sums" --format svg -o g.svg
    ok "g.svg is SVG" grep -q '<svg' g.svg
  fi
  t 2 "" "$T" node graph "$pk_sum_of_sums" --format gif
  t 1 "no node with pk 999999" "$T" node show 999999
  t 2 "" "$T" node attributes
  ;;
computer_code)
  "$T" init p >/dev/null
  t 0 "no computers" "$T" computer list
  t 0 "^stored computer 'loc' \(pk 1\)$" "$T" computer setup -L loc -H localhost -T core.local -S core.direct -w /tmp/{username}
  t 1 "a computer labelled 'loc' already exists" "$T" computer setup -L loc -H h -T core.local -S core.direct -w /tmp
  t 2 "hostname" "$T" computer setup -L x -T core.local -S core.direct -w /tmp
  t 0 "^1 +loc +localhost +core.local +core.direct +/tmp/\{username\}$" "$T" computer list
  t 0 '"label": "loc"' "$T" computer list --json && ok "one computer" [ "$(json_len)" = 1 ]
  t 0 "^scheduler +core.direct$" "$T" computer show loc
  t 1 "no computer labelled 'nope'" "$T" computer show nope
  t 0 "^all 4 checks passed$" "$T" computer test loc
  ok "the test names the connection" has "^  opening a connection to localhost +ok  \([0-9.]+ ms\)$"
  ok "the test used the work directory with the user name filled in" has "work directory /tmp/${USER:-}\)$"
  t 0 "" "$T" computer test loc --json && ok "computer test --json" json_ok 'd["ok"] and len(d["checks"]) == 4'
  t 0 "^stored computer 'nowhere'" "$T" computer setup -L nowhere -H localhost -T core.local -S core.direct -w /proc/no-such-dir
  t 1 "^error: computer 'nowhere' failed the test: creating, writing, reading and removing a file in /proc/no-such-dir: " "$T" computer test nowhere
  ok "one-line error" one_line_error
  t 0 "^stored computer 'noplugin'" "$T" computer setup -L noplugin -H localhost -T mylab.teleport -S core.direct -w /tmp
  t 1 "^error: computer 'noplugin' failed the test: loading the transport plugin 'mylab.teleport': " "$T" computer test noplugin
  t 1 "no computer labelled 'nope'" "$T" computer test nope
  t 0 "no codes" "$T" code list
  t 0 "^stored code 'echo' \(pk [0-9]+\)$" "$T" code create -L echo -Y loc -X /bin/echo
  t 1 "a code labelled 'echo' already exists" "$T" code create -L echo -Y loc -X /bin/echo
  t 1 "not absolute" "$T" code create -L rel -Y loc -X bin/echo
  t 1 "no computer labelled 'nope'" "$T" code create -L c2 -Y nope -X /bin/echo
  t 0 "echo +core.code.installed +loc +/bin/echo" "$T" code list
  t 0 '"filepath_executable": "/bin/echo"' "$T" code list --json
  t 0 "^filepath_executable +/bin/echo$" "$T" code show echo
  t 0 '"computer": "loc"' "$T" code show echo --json
  t 1 "no code labelled 'nope'" "$T" code show nope
  ;;
storage)
  fill p
  export TESSERA_PROFILE="$work/p"
  t 0 "^active processes +4$" "$T" storage info
  ok "info counts nodes by kind" has '^  WorkChainNode +[0-9]+$'
  ok "info gives the database size" has '^database size +[0-9.]+ (KiB|MiB)$'
  ok "info counts the objects packed into the database" has '^packed objects +[0-9.]+ (B|KiB) in [0-9]+ database rows$'
  t 0 '"schema_version": [0-9]+' "$T" storage info --json
  t 0 "^database: ok$" "$T" storage integrity
  t 0 '"ok": true' "$T" storage integrity --json
  t 0 "schema version [0-9]+: already current" "$T" storage migrate
  t 0 '"from": [0-9]+' "$T" storage migrate --json
  t 0 "^backed up $work/p to $work/bk" "$T" storage backup bk
  t 0 "^database: ok$" "$T" --profile bk storage integrity
  t 0 "" "$T" process list --all --limit 0 --json && n1=$(json_len)
  t 0 "" "$T" --profile bk process list --all --limit 0 --json && ok "the backup holds every process" [ "$(json_len)" = "$n1" ]
  t 1 "already holds a tessera database" "$T" storage backup bk
  # A backup taken while a runner writes is consistent.
  "$F" tick p 40 >tick.out 2>&1 &
  ticker=$!
  for _ in $(seq 100); do [[ -s tick.out ]] && break; sleep 0.05; done
  sleep 0.2
  t 0 "backed up" "$T" storage backup bk2
  wait "$ticker"
  t 0 "^database: ok$" "$T" --profile bk2 storage integrity
  t 0 "test.ticker_parent" "$T" --profile bk2 process list --all
  # An older profile (schema version 2: before the live-process index, process_control and
  # the daemon's workers and leases)
  # is migrated and the versions reported.
  "$T" init --no-default old >/dev/null
  python3 - "$work/old/tessera.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("DROP TABLE repository_object; DROP TABLE process_lease; DROP TABLE worker; DROP TABLE process_control; DROP TABLE live_process; "
                "CREATE TRIGGER checkpoint_drop_on_termination AFTER UPDATE OF process_state ON node "
                "WHEN new.process_state IN ('finished', 'excepted', 'killed') "
                "BEGIN DELETE FROM checkpoint WHERE node = new.pk; END; PRAGMA user_version = 2;")
c.close()
PY
  t 0 "^migrated schema version 2 -> [0-9]+ \(a copy of the old database is in $work/old/backups\)$" "$T" --profile old storage migrate
  ok "the migration kept a copy" [ -n "$(ls old/backups)" ]
  t 0 "already current" "$T" --profile old storage migrate
  t 0 "no active processes" "$T" --profile old process list
  # A corrupted repository object fails the integrity check (exit 1, the object named).
  obj="p/repository/objects/00/$(printf '0%.0s' $(seq 62))"
  mkdir -p "$(dirname "$obj")" && echo tampered >"$obj"
  t 1 "corrupted or modified" "$T" storage integrity
  ok "the verdict is one error line" [ "$(printf '%s\n' "$err" | grep -c '^error: the profile failed its integrity check')" = 1 ]
  t 1 '"ok": false' "$T" storage integrity --json
  ;;
errors)
  fill p
  t 1 "no profile selected" "$T" process list && ok "one-line error" one_line_error
  t 1 "no tessera profile at $work/missing" "$T" --profile "$work/missing" process list && ok "one-line error" one_line_error
  export TESSERA_PROFILE="$work/p"
  "$F" lock p 20 >lock.out 2>&1 &
  locker=$!
  for _ in $(seq 100); do [[ -s lock.out ]] && break; sleep 0.05; done
  t 3 "the database $work/p/tessera.db is locked by another process" env TESSERA_BUSY_TIMEOUT_MS=200 "$T" process list
  ok "one-line error" one_line_error
  t 3 "locked by another process" env TESSERA_BUSY_TIMEOUT_MS=200 "$T" process kill "$pk_live_other"
  kill "$locker"; wait "$locker" 2>/dev/null
  t 0 "test.live_other" "$T" process list
  t 2 "subcommand is required" "$T"
  t 2 "" "$T" process && ok "one-line error" one_line_error
  t 2 "unknown command 'nosuch' for .tessera. \(one of: init, process, node" "$T" nosuch
  t 2 "unknown command 'lst' for .tessera process. \(one of: list, show" "$T" process lst && ok "one-line error" one_line_error
  t 2 "unknown command 'lst'" "$T" --profile p process lst
  t 2 "bogus" "$T" process list --bogus && ok "one-line error" one_line_error
  t 2 "" "$T" process show abc
  t 2 "" "$T" process show
  t 1 "no node with pk 424242 in this profile" "$T" process show 424242 && ok "one-line error" one_line_error
  t 1 "no node with pk 424242" "$T" node show 424242
  t 1 "no node with pk 424242" "$T" process kill 424242
  t 1 "node $pk_data is a data node \(core.int\), not a process" "$T" process status "$pk_data"
  ok "one-line error" one_line_error
  t 1 "not a process" "$T" process report "$pk_data"
  t 1 "already terminated \(finished\)" "$T" process kill "$pk_sum_of_sums" && ok "one-line error" one_line_error
  t 1 "already terminated \(excepted\)" "$T" process play "$pk_faulty"
  t 0 "Usage" "$T" --help
  t 0 "Usage" "$T" process list --help
  ;;
plugin)
  # Plugin folders of this test: the test plugin (a calculation and a workflow), a text file
  # named .so and a second copy of the plugin (its names taken already): both refused.
  lib_name=$(basename "$P")
  here=$(pwd -P)  # the registry lists canonical paths
  mkdir -p plugins bad dup && cp "$P" plugins/ && cp "$P" dup/ && printf 'not a library\n' >bad/notes.so
  export TESSERA_PLUGIN_PATH="$here/plugins:$here/bad:$here/dup"
  export lib="$here/plugins/$lib_name" here
  t 0 '^GROUP +NAME +VERSION +LIBRARY$' "$T" plugin list
  ok "lists the calculation" has "^calculations +test\.scale +[0-9]+\.[0-9]+\.[0-9]+ +$lib$"
  ok "lists the workflow" has "^workflows +test\.double_twice +[0-9]+\.[0-9]+\.[0-9]+ +$lib$"
  rows=$(printf '%s\n' "$out" | sed -n '2,/^$/p' | awk 'NF == 4 {print $1 " " $2}')
  ok "the table has rows" [ -n "$rows" ] && ok "sorted by group, then name" [ "$rows" = "$(LC_ALL=C sort <<<"$rows")" ]
  ok "refused libraries are listed" has '^2 libraries refused \(the plugins in them are not available\):$'
  ok "a text file named .so is refused, with why" has "^  plugin file '$here/bad/notes\.so' is not a shared library \(no ELF header\)$"
  ok "a repeated name is refused, naming both files" \
    has "^  plugin file '$here/dup/$lib_name': (calculations|workflows) entry point 'test\.(scale|double_twice)' is already provided by '$lib'$"
  ok "no colours when stdout is not a terminal" hasnt $'\e'
  if command -v script >/dev/null; then
    t 0 $'^  \e\\[31mplugin file' script -qec "$T plugin list" /dev/null
  fi
  t 0 '"name": "test.scale"' "$T" plugin list --json
  ok "JSON lists both plugins, sorted" json_ok '[(p["group"], p["name"]) for p in d["plugins"]] == sorted((p["group"], p["name"]) for p in d["plugins"])
    and {"group": "calculations", "name": "test.scale", "version": d["plugins"][0]["version"], "library": os.environ["lib"]} in d["plugins"]
    and any(p["name"] == "test.double_twice" and p["group"] == "workflows" for p in d["plugins"])'
  ok "JSON lists the refused libraries with their reason" json_ok 'sorted(r["library"] for r in d["refused"]) == sorted([os.environ["here"] + "/bad/notes.so", os.environ["here"] + "/dup/" + os.path.basename(os.environ["lib"])])
    and all(r["library"] in r["reason"] for r in d["refused"])'
  ok "JSON gives the folders scanned, TESSERA_PLUGIN_PATH first" json_ok 'd["directories"][:3] == [os.environ["here"] + s for s in ("/plugins", "/bad", "/dup")]'
  t 0 "^workflows +test\.double_twice +" "$T" plugin list workflows
  ok "the group filter hides other groups" hasnt '^calculations '
  ok "refused libraries are listed under a filter too" has 'notes\.so'
  t 0 '"name": "test.scale"' "$T" plugin list calculations --json
  ok "JSON with a group: that group only" json_ok 'd["plugins"] and all(p["group"] == "calculations" for p in d["plugins"]) and len(d["refused"]) == 2'
  t 0 '' "$T" plugin list parsers
  if has '^parsers +core\.arithmetic\.add '; then  # the shipped plugins are built
    ok "the shipped parser is listed with its library" has '^parsers +core\.arithmetic\.add +[0-9]+\.[0-9]+\.[0-9]+ +.*tessera_core_arithmetic_add\.so$'
  else
    ok "no parsers: it says where it looked" has "^no parsers plugins found in the plugin folders \[$here/plugins:$here/bad:$here/dup"
  fi
  t 2 "^error: unknown plugin group 'bogus' for .tessera plugin list.: use one of calculations, data, parsers, schedulers, transports, workflows$" \
    "$T" plugin list bogus && ok "one-line error" one_line_error
  ok "a usage error prints nothing on stdout" [ -z "$out" ]

  t 0 '^# test\.scale$' "$T" spec show test.scale
  ok "the Markdown lists the inputs" has '^\| `x` \| core\.int \| yes \|  \| the value to scale \|$'
  ok "the Markdown gives defaults" has '^\| `factor` \| core\.int \| [a-z]+ \| `2` \|  \|$'
  ok "the Markdown lists the outputs" has '^\| `result` \| core\.int \| yes \|'
  ok "the Markdown lists the exit codes" has '^\| 410 \| `ERROR_OVERFLOW` \| the result does not fit \|$'
  t 0 '^# test\.double_twice$' "$T" spec show test.double_twice
  ok "a workflow's Markdown has its outline" has '^## Outline$' && ok "the outline's steps" has '^first$'
  t 0 '"process": "test.scale"' "$T" spec show test.scale --json
  ok "JSON spec: ports, defaults and exit codes" json_ok 'd["inputs"]["x"]["type"] == "core.int" and d["inputs"]["factor"]["default"] == 2
    and d["outputs"]["result"]["type"] == "core.int" and {"status": 410, "label": "ERROR_OVERFLOW", "message": "the result does not fit"} in d["exit_codes"]'
  t 0 '"process": "test.double_twice"' "$T" spec show test.double_twice --group workflows --json
  ok "JSON spec: the outline" json_ok 'd["outline"] == [{"step": "first"}, {"step": "second"}]'
  t 1 "^error: no calculations or workflows plugin named 'nope' \(2 plugin libraries were refused\): list the plugins with .tessera plugin list.$" \
    "$T" spec show nope && ok "one-line error" one_line_error
  t 1 "^error: no calculations or workflows plugin named 'nope': list the plugins with .tessera plugin list.$" \
    env TESSERA_PLUGIN_PATH="$here/plugins" "$T" spec show nope
  t 1 "^error: no calculations plugin named 'test\.double_twice'" "$T" spec show test.double_twice --group calculations
  t 0 '' "$T" plugin list transports
  if has '^transports +core\.local '; then  # the shipped plugins are built: a name of another group
    t 1 "^error: no calculations or workflows plugin named 'core\.local' \('core\.local' is a transports plugin, which has no spec\)" \
      "$T" spec show core.local
  fi
  t 2 "^error: transports plugins have no spec: --group takes calculations or workflows$" "$T" spec show test.scale --group transports
  t 2 "^error: unknown plugin group 'bogus' for --group" "$T" spec show test.scale --group bogus
  t 2 "NAME is required" "$T" spec show

  # Installed, the tool scans the plugin folder of its own prefix instead of the build's.
  mkdir -p prefix/bin && cp "$T" prefix/bin/tessera
  t 0 '' env -u TESSERA_PLUGIN_PATH prefix/bin/tessera plugin list --json
  ok "the installed tool scans only its prefix's plugin folder" json_ok 'len(d["directories"]) == 1 and d["directories"][0].startswith(os.environ["here"] + "/prefix/bin/../")'
  installed=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["directories"][0])' <<<"$out")
  mkdir -p "$installed" && cp "$P" "$installed/"
  t 0 "^calculations +test\.scale +.* $(realpath "$installed")/$lib_name$" env -u TESSERA_PLUGIN_PATH prefix/bin/tessera plugin list
  ;;
daemon)
  stop_daemon_on_exit
  # The worker program is tests/cli/fake_worker.cpp (it checks the supervisor's side of the
  # contract, registers in the store's worker table, heartbeats and stops on SIGTERM).
  "$T" init --no-default p >/dev/null
  export TESSERA_PROFILE="$work/p" W work
  d="$work/p/daemon"
  t 2 "^error: no worker program recorded for this profile's daemon: pass --program PATH, an executable whose main calls tessera::daemon::worker_main$" \
    "$T" daemon start && ok "one-line error" one_line_error
  t 2 "^error: the worker program $work/nope does not exist: pass --program" "$T" daemon start --program nope
  ok "one-line error" one_line_error
  printf '#!/bin/sh\n' >notexec.sh
  t 2 "^error: the worker program $work/notexec.sh is not executable \(chmod \+x it\)" "$T" daemon start --program notexec.sh
  t 2 "^error: the worker program $work is a directory" "$T" daemon start --program "$work"
  t 2 "workers" "$T" daemon start --workers 0 --program "$W" && ok "one-line error" one_line_error
  t 2 "lease-ms" "$T" daemon start --lease-ms 5 --program "$W"
  t 2 "" "$T" daemon incr 0
  t 2 "unknown command 'begin' for .tessera daemon. \(one of: start, stop, status, restart, incr, decr\)" "$T" daemon begin
  ok "no settings recorded by refused starts" [ ! -e "$d/daemon.json" ]
  t 1 "^error: the daemon of profile $work/p is not running: nothing to stop$" "$T" daemon stop && ok "one-line error" one_line_error
  t 1 "^the daemon of profile $work/p is not running$" "$T" daemon status
  ok "nothing on stderr" [ -z "$err" ]
  t 1 "" "$T" daemon status --json && ok "status --json says not running" json_ok 'd == {"running": False, "profile": os.environ["work"] + "/p"}'
  t 1 "^error: the daemon of profile $work/p is not running: start it with .tessera daemon start.$" "$T" daemon incr
  t 1 "is not running: start it with" "$T" daemon decr
  # A program that is not a worker program: start fails at once, naming it and its log.
  t 1 "^error: worker 0 \(pid [0-9]+\) exited with status 0 without being asked to stop right after it started: is /bin/true a worker program \(its main calls tessera::daemon::worker_main\)\? Its output is in $d/worker-0.log$" \
    "$T" daemon start --program /bin/true
  ok "one-line error" one_line_error
  ok "the failed start left no pid file" [ ! -e "$d/supervisor.pid" ]
  ok "the failed start recorded no settings" [ ! -e "$d/daemon.json" ]

  # Started with signals ignored, as nohup or a shell's background job would: the supervisor
  # still reaps and stops its workers, and they get every signal at its default action.
  t 0 "^daemon started: supervisor pid [0-9]+, 2 workers of $W \(logs in $d\)$" \
    bash -c 'trap "" INT HUP PIPE TERM QUIT CHLD; exec "$@"' _ "$T" daemon start --workers 2 --program "$W" --lease-ms 2000
  spid=$(cat "$d/supervisor.pid") && export spid
  out=$(cat "$d/daemon.json")
  ok "daemon.json records the settings" json_ok 'd == {"program": os.environ["W"], "workers": 2, "lease_ms": 2000}'
  ok "worker 0 got its command line" grep -Eq -- "--tessera-worker --profile $work/p --slot 0 --lease-ms 2000$" "$d/worker-0.log"
  ok "worker 1 got its command line" grep -Eq -- "--tessera-worker --profile $work/p --slot 1 --lease-ms 2000$" "$d/worker-1.log"
  ok "the workers found stdin, descriptors and signal mask as the contract says" \
    [ "$(cat "$d/worker-0.log" "$d/worker-1.log" | grep -c '^contract ok$')" = 2 ]
  ok "the supervisor leads its own process group" [ "$(ps -o pgid= -p "$spid" | tr -d ' ')" = "$spid" ]
  ok "the supervisor has no terminal" [ "$(ps -o tty= -p "$spid" | tr -d ' ')" = "?" ]
  ok "the supervisor is not a session leader" [ "$(ps -o sid= -p "$spid" | tr -d ' ')" != "$spid" ]
  ok "the workers are in the supervisor's process group" \
    [ "$(pgrep -g "$spid" -f -- "--tessera-worker --profile $work/p" | wc -l)" = 2 ]
  ok "the supervisor logged its start" grep -Eq "supervisor started \(pid $spid\): 2 workers of $W, lease 2000 ms$" "$d/supervisor.log"
  ok "both workers registered in the store" wait_for 10 daemon_json '[s["state"] for s in d["slots"]] == ["running", "running"]'
  t 0 "^daemon of profile $work/p: running, supervisor pid $spid, up [0-9.]+ s$" "$T" daemon status
  ok "status gives the settings" has "^2 workers of $W, lease 2000 ms$"
  ok "status table header" has '^SLOT +PID +STATE +HEARTBEAT +ROOTS +RESTARTS +LAST EXIT$'
  ok "status row of slot 0" has '^0 +[0-9]+ +running +[0-9.]+ s ago +0 +0 +-$'
  ok "status row of slot 1" has '^1 +[0-9]+ +running +[0-9.]+ s ago +0 +0 +-$'
  t 0 "" "$T" daemon status --json
  ok "status --json" json_ok 'd["running"] and d["pid"] == int(os.environ["spid"]) and d["workers"] == 2 and d["lease_ms"] == 2000
    and d["program"] == os.environ["W"] and d["state"] == "running" and d["uptime_ms"] >= 0
    and [s["slot"] for s in d["slots"]] == [0, 1] and all(s["state"] == "running" and s["roots"] == 0 and s["restarts"] == 0
    and s["last_exit"] is None and isinstance(s["pid"], int) and isinstance(s["worker"], int) and 0 <= s["heartbeat_age_ms"] < 2000 for s in d["slots"])'

  t 1 "^error: the daemon of profile $work/p is already running \(supervisor pid $spid\): stop it with .tessera daemon stop., or use .tessera daemon restart.$" \
    "$T" daemon start --workers 5 && ok "one-line error" one_line_error
  out=$(cat "$d/daemon.json") && ok "a refused start keeps daemon.json" json_ok 'd["workers"] == 2'
  ok "a refused start keeps the supervisor" [ "$(cat "$d/supervisor.pid")" = "$spid" ]

  t 0 "^daemon now has 3 workers \(was 2\)$" "$T" daemon incr
  ok "slot 2 runs" grep -q '^contract ok$' "$d/worker-2.log"
  ok "three workers running" wait_for 10 daemon_json '[s["state"] for s in d["slots"]] == ["running"] * 3'
  w1=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["slots"][1]["pid"])' <<<"$out")
  t 0 "^daemon now has 1 worker \(was 3\); the removed workers stop gracefully$" "$T" daemon decr 2
  ok "decr leaves one slot" wait_for 10 daemon_json 'd["workers"] == 1 and [s["slot"] for s in d["slots"]] == [0]'
  ok "the removed workers stopped on SIGTERM" grep -q '^SIGTERM: stopping$' "$d/worker-1.log"
  ok "worker 2 stopped on SIGTERM" grep -q '^SIGTERM: stopping$' "$d/worker-2.log"
  ok "the supervisor logged the graceful stop" grep -Eq "worker 1 \(pid $w1\) stopped: exited with status 0 after [0-9.]+ s$" "$d/supervisor.log"
  out=$(cat "$d/daemon.json") && ok "daemon.json records 1 worker" json_ok 'd["workers"] == 1'
  t 1 "^error: the daemon has 1 worker: it cannot lose 1; stop it with .tessera daemon stop.$" "$T" daemon decr
  ok "one-line error" one_line_error
  ok "the supervisor logged the decr" grep -q "stopping worker 1 (pid $w1): the daemon now has 1 worker$" "$d/supervisor.log"
  # incr right after decr, while the removed worker may still be stopping: two run in the end.
  t 0 "^daemon now has 2 workers \(was 1\)$" "$T" daemon incr && t 0 "was 2" "$T" daemon decr && t 0 "was 1" "$T" daemon incr
  ok "two workers running after incr, decr, incr" wait_for 10 daemon_json '[s["state"] for s in d["slots"]] == ["running"] * 2'
  t 0 "was 2" "$T" daemon decr
  ok "back to one slot" wait_for 10 daemon_json '[s["slot"] for s in d["slots"]] == [0]'

  t 0 "^daemon started: supervisor pid [0-9]+, 1 worker of $W" "$T" daemon restart
  ok "restart stopped the old supervisor first" has "^daemon stopped \(supervisor pid $spid, in [0-9.]+ s\)$"
  spid2=$(cat "$d/supervisor.pid")
  ok "restart made a new supervisor" [ "$spid2" != "$spid" ]
  t 0 "^daemon stopped \(supervisor pid $spid2, in [0-9.]+ s\)$" "$T" daemon stop
  ok "stop removed the pid file" [ ! -e "$d/supervisor.pid" ]
  ok "no worker left" no_workers
  ok "the supervisor logged its stop" grep -q 'supervisor stopped$' "$d/supervisor.log"
  out=$(cat "$d/status.json") && ok "status.json says stopped, with the last exit" \
    json_ok 'd["state"] == "stopped" and d["slots"][0]["pid"] is None and d["slots"][0]["last_exit"] == "exited with status 0"'
  python3 - "$work/p/tessera.db" >stopped.txt <<'PY'
import sqlite3, sys
print(sorted({r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT state FROM worker")}))
PY
  ok "every worker marked itself stopped in the store" grep -qx "\['stopped'\]" stopped.txt
  t 1 "is not running" "$T" daemon status
  # A later start without options takes the recorded program and count.
  t 0 "^daemon started: supervisor pid [0-9]+, 1 worker of $W" "$T" daemon start
  t 0 "^daemon stopped" "$T" daemon stop
  t 0 "^the daemon of profile $work/p is not running: starting it$" "$T" daemon restart
  ok "restart of a stopped daemon starts it" has "^daemon started: supervisor pid [0-9]+, 1 worker of $W"
  t 0 "^daemon stopped" "$T" daemon stop
  # The recorded program gone: a clear error for start and restart.
  cp "$W" mine && t 0 "2 workers of $work/mine" "$T" daemon start --program mine -n 2 && t 0 "stopped" "$T" daemon stop
  rm mine
  t 1 "^error: the worker program $work/mine does not exist \(recorded in $d/daemon.json\): rebuild it or pass --program PATH$" "$T" daemon start
  t 1 "^error: the worker program $work/mine does not exist" "$T" daemon restart
  ;;
daemon_crash)
  stop_daemon_on_exit
  # A worker that crashes 0.4 s after each start is restarted after 1, 2, 4 ... s.
  "$T" init --no-default p >/dev/null
  export TESSERA_PROFILE="$work/p"
  d="$work/p/daemon"
  t 0 "^daemon started: supervisor pid [0-9]+, 1 worker of $W" env FAKE_WORKER=crash:400 "$T" daemon start --program "$W"
  ok "three restarts within 10 s" wait_for 10 grep -q 'restart 3 in 4.0 s$' "$d/supervisor.log"
  t 0 "" "$T" daemon status --json
  ok "status counts the restarts and gives the last exit" json_ok 'd["slots"][0]["restarts"] >= 2 and d["slots"][0]["last_exit"] == "exited with status 3"'
  t 0 "" "$T" daemon status
  ok "the table shows the slot waiting for its restart" has '^0 +- +restarting in [0-9.]+ s +- +- +2 +exited with status 3$'
  t 0 "^daemon stopped" "$T" daemon stop
  python3 - "$d/supervisor.log" >backoff.txt <<'PY'
import datetime, re, sys
def at(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()
crash = None
for line in open(sys.argv[1]):
    m = re.search(r"worker 0 \(pid \d+\) exited with status 3 after [0-9.]+ s: restart (\d+) in ([0-9.]+) s$", line)
    if m:
        crash = (at(line), int(m.group(1)), float(m.group(2)))
    elif "started worker 0" in line and crash:
        print(crash[1], crash[2], round(at(line) - crash[0], 2))
        crash = None
PY
  # Not before the back-off, and (with room for a loaded machine) before the doubled one.
  ok "restart 1 after 1 s" grep -Eq '^1 1.0 (0.9[5-9]|1\.[0-8])' backoff.txt
  ok "restart 2 after 2 s" grep -Eq '^2 2.0 (1.9[5-9]|2\.[0-9]|3\.[0-8])' backoff.txt
  ok "every restart logged with its start" [ "$(grep -c 'started worker 0' "$d/supervisor.log")" -ge 3 ]
  ok "the crashes are in the worker's log" [ "$(grep -c '^crashing on purpose$' "$d/worker-0.log")" -ge 3 ]
  ;;
daemon_kill)
  stop_daemon_on_exit
  "$T" init --no-default p >/dev/null
  export TESSERA_PROFILE="$work/p"
  d="$work/p/daemon"
  # Workers that ignore SIGTERM: stop --timeout escalates to SIGKILL.
  t 0 "^daemon started: supervisor pid [0-9]+, 2 workers" env FAKE_WORKER=ignore-term "$T" daemon start --program "$W" -n 2
  spid=$(cat "$d/supervisor.pid")
  t 0 "" "$T" daemon status --json
  pids=$(python3 -c 'import json, sys; print(", ".join(str(s["pid"]) for s in json.load(sys.stdin)["slots"]))' <<<"$out")
  t 0 "^the daemon did not stop within 1 s: killed its workers \(pids $pids\) and the supervisor \(pid $spid\) with SIGKILL; their processes resume from their last checkpoints when the daemon starts again$" \
    "$T" daemon stop --timeout 1
  ok "the supervisor is gone" gone "$spid"
  ok "the workers are gone" wait_for 2 no_workers
  ok "the killed supervisor's pid file was removed" [ ! -e "$d/supervisor.pid" ]
  ok "the escalation is in the supervisor's log" grep -q "stop: no graceful stop within 1000 ms: SIGKILL to the supervisor (pid $spid) and its workers$" "$d/supervisor.log"
  t 1 "is not running" "$T" daemon status

  # A supervisor killed outright: its workers stop (PR_SET_PDEATHSIG), its pid file stays,
  # status and stop see that no daemon runs, and the next start replaces the file.
  t 0 "^daemon started: supervisor pid [0-9]+, 2 workers" "$T" daemon start
  spid=$(cat "$d/supervisor.pid")
  kill -KILL "$spid"
  ok "the workers stop when their supervisor dies" wait_for 5 no_workers
  ok "gracefully" [ "$(cat "$d/worker-0.log" "$d/worker-1.log" | grep -c '^SIGTERM: stopping$')" = 2 ]
  ok "the pid file is left behind" [ "$(cat "$d/supervisor.pid")" = "$spid" ]
  t 1 "^the daemon of profile $work/p is not running$" "$T" daemon status
  t 1 "is not running: nothing to stop" "$T" daemon stop
  t 0 "^replaced a stale pid file left by supervisor pid $spid, which no longer runs$" "$T" daemon start
  ok "the new supervisor logged it" grep -q "replaced the stale pid file of pid $spid$" "$d/supervisor.log"
  t 0 "^daemon stopped" "$T" daemon stop
  # A worker that stops heartbeating is shown lost once its heartbeat is lease_ms old.
  t 0 "daemon started" env FAKE_WORKER=silent "$T" daemon start -n 1 --lease-ms 300
  ok "a silent worker is shown lost" wait_for 5 daemon_json 'd["slots"][0]["state"] == "lost" and d["slots"][0]["heartbeat_age_ms"] >= 300'
  t 0 "^0 +[0-9]+ +lost +[0-9.]+ s ago +0 +0 +-$" "$T" daemon status
  t 0 "^daemon stopped" "$T" daemon stop
  # A stale pid file naming a live process that is not a supervisor (pid 1): never signalled.
  echo 1 >"$d/supervisor.pid"
  t 1 "is not running: nothing to stop" "$T" daemon stop
  t 0 "replaced a stale pid file left by supervisor pid 1, which no longer runs" "$T" daemon start
  t 0 "^daemon stopped" "$T" daemon stop
  ;;
daemon_real)
  # The real daemon: examples/daemon is a user's program, its own worker (worker_main) and a
  # client (tessera::submit). Chains are submitted from it, watched, paused, played and
  # killed with the CLI, a worker is SIGKILLed and its chains finish elsewhere, and the
  # daemon stops gracefully. Each countdown chain of STEPS calls STEPS + 1 tick calcfunctions.
  E=$(realpath "$7")
  stop_daemon_on_exit
  "$T" init --no-default p >/dev/null
  export TESSERA_PROFILE="$work/p"
  d="$work/p/daemon"
  t 0 "^daemon started: supervisor pid [0-9]+, 2 workers of $E" "$T" daemon start --workers 2 --program "$E" --lease-ms 1000
  ok "both workers registered" wait_for 20 daemon_json '[s["state"] for s in d["slots"]] == ["running", "running"]'
  ok "worker 0 logs its registration" grep -Eq "worker\[slot 0\] registered as worker [0-9]+ \(pid [0-9]+, lease 1000 ms\)" "$d/worker-0.log"

  t 0 "" "$E" submit "$work/p" 20 3 1
  ok "20 pks printed" [ "$(grep -c . <<<"$out")" = 20 ]
  last=$(tail -1 <<<"$out")
  t 0 "finished" "$T" process watch "$last"
  # want TYPE STATE N: N processes of TYPE in STATE (all, from `process list --all --json`).
  count_is() {
    out=$("$T" process list --all --limit 100000 --json)
    T_TYPE=$1 T_STATE=$2 T_N=$3 json_ok 'sum(1 for p in d if p["type"] == os.environ["T_TYPE"] and p["state"] == os.environ["T_STATE"]) == int(os.environ["T_N"])'
  }
  ok "the 20 chains finished" wait_for 60 count_is examples.daemon.countdown finished 20
  ok "each called its 4 ticks, no more" count_is examples.daemon.tick finished 80
  t 0 "" "$T" daemon status --json
  ok "both workers ran chains or stand ready" json_ok 'all(s["state"] == "running" for s in d["slots"])'

  # Three slow chains (30 ticks of 100 ms): pause one, kill one, SIGKILL a worker meanwhile.
  t 0 "" "$E" submit "$work/p" 3 30 100
  read -r s1 s2 s3 <<<"$(echo $out)"
  export s1 s2 s3
  is_running() { out=$("$T" process show "$1" --json); json_ok 'd["state"] in ("running", "waiting")'; }
  ok "the slow chains run" wait_for 20 is_running "$s3"
  t 0 "^paused process $s1$" "$T" process pause "$s1"
  t 0 "^killed process $s3" "$T" process kill "$s3"
  t 0 "" "$T" process show "$s1" --json
  ok "process show says paused" json_ok 'd["paused"] and d["state"] in ("running", "waiting")'
  # SIGKILL the worker that holds s2 (or slot 0's): the supervisor restarts it, and s2
  # resumes from its checkpoint once the lease (1 s) has run out.
  t 0 "" "$T" daemon status --json
  victim=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["slots"][0]["pid"])' <<<"$out")
  kill -KILL "$victim"
  ok "the supervisor restarts the killed worker" wait_for 30 daemon_json 'd["slots"][0]["restarts"] == 1 and d["slots"][0]["state"] == "running"'
  ok "the supervisor logged the crash" grep -Eq "worker 0 \(pid $victim\) .*SIGKILL" "$d/supervisor.log"
  t 0 "finished" "$T" process watch "$s2"
  t 0 "" "$T" process show "$s1" --json
  ok "the paused chain has not finished" json_ok 'd["paused"] and d["state"] in ("running", "waiting")'
  t 0 "^played process $s1$" "$T" process play "$s1"
  t 0 "finished" "$T" process watch "$s1"
  calls_of() { out=$("$T" process show "$1" --json); T_N=$2 json_ok 'sum(1 for l in d["outgoing"] if l["type"] == "CALL_CALC") == int(os.environ["T_N"])'; }
  ok "the paused and played chain called 31 ticks, no more" calls_of "$s1" 31
  ok "the chain whose worker was killed called 31 ticks, no more" calls_of "$s2" 31
  t 0 "" "$T" process show "$s3" --json
  ok "the killed chain is killed" json_ok 'd["state"] == "killed" and d["exit_status"] == 20'
  t 0 "" "$T" process show "$s2" --json
  ok "it finished well" json_ok 'd["state"] == "finished" and d["exit_status"] == 0'
  t 0 "^no active processes|^PK" "$T" process list

  t 0 "^daemon stopped \(supervisor pid [0-9]+, in [0-9.]+ s\)$" "$T" daemon stop
  ok "no worker left" wait_for 10 no_workers
  ok "the workers stopped gracefully" grep -q "stopped; 0 live processes handed back to the queue" "$d/worker-1.log"
  ;;
calcjob)
  # A profile with work chains (fill) and calcjobs: core.arithmetic.add (2 + 3) run through
  # core.direct and core.local, one whose upload has not happened, one whose remote folder
  # is on a computer that cannot be reached (core.ssh to a closed port).
  fill p
  export TESSERA_PROFILE="$work/p"
  mkdir -p jobs
  while read -r name pk; do printf -v "pk_$name" '%s' "$pk"; done < <("$F" calcjob "$work/p" "$work/jobs")
  [[ -n ${pk_add:-} && -n ${pk_offline:-} ]] || { echo "FAIL: fixture calcjob"; exit 1; }
  add=$pk_add

  # inputs: what prepare() wrote, as stored with the upload
  t 0 '^NAME +SIZE$' "$T" calcjob inputls "$add"
  ok "inputls lists the input file and its size" has '^aiida\.in +16$'
  ok "only it" [ "$(printf '%s\n' "$out" | grep -c .)" -eq 2 ]
  t 0 '' "$T" --json calcjob inputls "$add"
  ok "inputls --json" json_ok 'd == [{"name": "aiida.in", "type": "file", "size": 16}]'
  t 0 '' "$T" calcjob inputls "$add" aiida.in
  ok "inputls of a file lists it" has '^aiida\.in +16$'
  t 0 '' "$T" calcjob inputcat "$add"
  ok "inputcat defaults to the job's input file" [ "$out" = 'echo $((2 + 3))' ]
  t 0 '' "$T" calcjob inputcat "$add" aiida.in
  ok "inputcat PATH" [ "$out" = 'echo $((2 + 3))' ]
  t 1 "^error: calcjob $add: no file 'nope\.txt' among its input files: it has: aiida\.in$" "$T" calcjob inputcat "$add" nope.txt && ok "one-line error" one_line_error
  t 1 "^error: calcjob $add: no file or folder 'sub' among its input files: it has: aiida\.in$" "$T" calcjob inputls "$add" sub

  # outputs: the retrieved FolderData
  t 0 '^NAME +SIZE$' "$T" calcjob outputls "$add"
  ok "outputls lists the output file" has '^aiida\.out +2$'
  ok "and the exit status file" has '^_tessera_exit_status +2$'
  t 0 '' "$T" --json calcjob outputls "$add"
  ok "outputls --json" json_ok '{"name": "aiida.out", "type": "file", "size": 2} in d and all(e["type"] == "file" for e in d)'
  t 0 '' "$T" calcjob outputcat "$add"
  ok "outputcat defaults to the job's output file" [ "$out" = 5 ]
  t 0 '' "$T" calcjob outputcat "$add" _tessera_exit_status
  ok "outputcat PATH" [ "$out" = 0 ]
  t 1 "^error: calcjob $add: no file 'aiida\.in' among its retrieved files: it has: .*aiida\.out" "$T" calcjob outputcat "$add" aiida.in && ok "one-line error" one_line_error

  # the remote working directory, through core.local
  t 0 '' "$T" calcjob remotecat "$add" aiida.out
  ok "remotecat reads the remote file" [ "$out" = 5 ]
  t 0 '' "$T" calcjob remotecat "$add" aiida.in
  ok "remotecat reads the uploaded input" [ "$out" = 'echo $((2 + 3))' ]
  t 1 "^error: calcjob $add: no file 'nope' in the remote working directory $work/jobs/[^ ]+ on computer 'localhost': it has: .*aiida\.in, aiida\.out" \
    "$T" calcjob remotecat "$add" nope && ok "one-line error" one_line_error
  t 2 "^error: '\.\./x' is not a relative path inside the working directory$" "$T" calcjob remotecat "$add" ../x
  t 1 "^error: cannot read 'aiida\.out' of calcjob $pk_offline on computer 'offline' \(transport core\.ssh\): .+" \
    "$T" calcjob remotecat "$pk_offline" aiida.out && ok "one-line error" one_line_error

  # not there yet, not a calcjob, unknown
  t 1 "^error: calcjob $pk_pending has no stored input files \(state: running, calcjob stage upload\): they are stored when its upload completes$" \
    "$T" calcjob inputls "$pk_pending"
  t 1 "^error: calcjob $pk_pending has no retrieved output yet \(state: running, calcjob stage upload\)$" "$T" calcjob outputls "$pk_pending"
  t 1 "^error: calcjob $pk_offline has no retrieved output yet \(state: running, calcjob stage update\)$" "$T" calcjob outputcat "$pk_offline" aiida.out
  t 1 "^error: calcjob $pk_pending has no remote working directory yet \(state: running, calcjob stage upload\)$" \
    "$T" calcjob remotecat "$pk_pending" aiida.out
  t 1 "^error: node $pk_sum_of_sums is a WorkChainNode \(test\.sum_of_sums\), not a calcjob" "$T" calcjob outputls "$pk_sum_of_sums" && ok "one-line error" one_line_error
  t 1 "^error: node $pk_data is a Data \(core\.int\), not a calcjob" "$T" calcjob inputls "$pk_data"
  t 1 "^error: no node with pk 99999 in this profile" "$T" calcjob inputcat 99999 && ok "one-line error" one_line_error

  # usage errors
  t 2 "^error: unknown command 'inputlist' for \`tessera calcjob\`" "$T" calcjob inputlist "$add"
  t 2 "" "$T" calcjob
  t 2 "PK is required" "$T" calcjob outputls
  t 2 "PK" "$T" calcjob inputls notapk
  t 2 "PATH is required" "$T" calcjob remotecat "$add"

  # the submission script is not among the inputs (the scheduler plugin writes it at submit)
  t 0 '' "$T" calcjob remotecat "$add" _tessera_submit.sh
  ok "remotecat reads the submission script" has '_tessera_exit_status'

  # the stored input files are checked like data nodes' files
  t 0 "^objects referenced by nodes: all present$" "$T" storage integrity
  t 0 '' "$T" node attributes "$add"
  obj=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["raw_input"]["files"]["aiida.in"]["object"])' <<<"$out")
  # a small input file is a row of the database, not a file (repository.hpp)
  ok "the input file is packed" [ ! -e "$work/p/repository/objects/${obj:0:2}/${obj:2}" ]
  python3 - "$work/p/tessera.db" "$obj" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("DELETE FROM repository_object WHERE key = ?", (bytes.fromhex(sys.argv[2]),)).rowcount
c.commit()
sys.exit(0 if n == 1 else 1)
PY
  t 1 "node $add refers to object $obj, which is missing" "$T" storage integrity
  ;;
*)
  echo "unknown section $section"; exit 2 ;;
esac
echo "$section: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
