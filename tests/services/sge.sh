#!/usr/bin/env bash
# sge.sh start|stop STATE_DIR -- a single-node Sun Grid Engine 8.1.9 (Debian's gridengine:
# sge_qmaster and sge_execd, queue all.q on "localhost") on 127.0.0.1 for the tests. `start`
# writes STATE_DIR/sge.env (SGE_ROOT, SGE_CELL and the two ports) once the queue takes jobs,
# or STATE_DIR/sge.unavailable with the reason when SGE cannot run here (not installed, not
# root, no C compiler for the bind shim): tests then skip. A failure to start where it
# should run is an error.
#
# Why the unusual parts:
# - The cell is built by hand in a directory of our own (spoolinit/spooldefaults, as
#   Debian's init_cluster does), never in /var/lib/gridengine: the packages' own cell stays
#   unconfigured and no system daemon is involved.
# - Neither daemon can be told which address to listen on (they bind 0.0.0.0), so they run
#   with bind_localhost.c preloaded, which binds them to 127.0.0.1 and refuses anything else.
# - Clients must come from the host the qmaster knows: this machine's hostname resolves to
#   127.0.0.1, whose name is "localhost", so host_aliases makes the two one host.
# - Job names may not start with a digit in SGE; that is core.sge's business, not this file's.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

action=${1:?usage: sge.sh start|stop STATE_DIR}
state=${2:?usage: sge.sh start|stop STATE_DIR}
mkdir -p "$state"

# Every process below PID (children first).
descendants() {
  local pid
  for pid in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    descendants "$pid"
    echo "$pid"
  done
}

# The daemons and shepherds of the cell in ROOT, found by the SGE_ROOT they run with:
# sge_execd writes its pid file only a while after it starts serving, and a failed start may
# leave no pid file at all.
cell_processes() {
  local proc comm
  for proc in /proc/[0-9]*; do
    comm=$(cat "$proc/comm" 2>/dev/null) || continue
    case $comm in sge_qmaster | sge_execd | sge_shepherd) ;; *) continue ;; esac
    tr '\0' '\n' 2>/dev/null < "$proc/environ" | grep -qxF "SGE_ROOT=$1" && echo "${proc#/proc/}"
  done
}

stop() {
  [[ -s $state/sge.root ]] || return 0
  local root pid i daemons=() jobs=()
  root=$(cat "$state/sge.root")
  mapfile -t daemons < <(cell_processes "$root")
  # Jobs run under shepherds below sge_execd and outlive it: collect them first.
  for pid in "${daemons[@]}"; do mapfile -t -O "${#jobs[@]}" jobs < <(descendants "$pid"); done
  # Both daemons take seconds to shut down: signal all, then wait (15 s at most), then KILL.
  for pid in "${daemons[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${daemons[@]}"; do
    for i in $(seq 150); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${jobs[@]}"; do
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf -- "$root"
  rm -f "$state/sge.root" "$state/sge.env"
}

if [[ $action == stop ]]; then
  stop
  echo "sge: stopped"
  exit 0
fi
[[ $action == start ]] || { echo "sge.sh: unknown action '$action'" >&2; exit 2; }

stop  # leftovers of an earlier run
rm -f "$state/sge.unavailable"
libexec=/usr/lib/gridengine
for tool in /usr/sbin/sge_qmaster /usr/sbin/sge_execd "$libexec/spoolinit" "$libexec/spooldefaults"; do
  [[ -x $tool ]] || unavailable "$state" sge "$tool is not installed (cmake/install-deps.sh installs gridengine-master, -exec and -client)"
done
for tool in qsub qstat qdel qconf; do
  command -v "$tool" >/dev/null || unavailable "$state" sge "$tool is not installed (cmake/install-deps.sh installs gridengine-client)"
done
[[ $(id -u) -eq 0 ]] || unavailable "$state" sge "sge_execd must run as root (this is uid $(id -u))"
cc=$(command -v cc || command -v gcc || true)
[[ -n $cc ]] || unavailable "$state" sge "no C compiler for the shim that binds the daemons to 127.0.0.1"
[[ -d /usr/share/gridengine/util ]] || unavailable "$state" sge "/usr/share/gridengine/util is missing (gridengine-common)"

root=$(mktemp -d /tmp/tessera-sge.XXXXXX)
chmod 0755 "$root"
echo "$root" > "$state/sge.root"
trap 'echo "sge: start failed; logs:" >&2; tail -n 20 "$root"/qconf.log "$root"/spool/qmaster/messages "$root"/spool/execd/*/messages >&2 2>/dev/null || true; stop; exit 1' ERR

"$cc" -shared -fPIC -O2 -o "$root/bind_localhost.so" "$here/bind_localhost.c" -ldl

export SGE_ROOT=$root SGE_CELL=default
SGE_QMASTER_PORT=$(free_port)
SGE_EXECD_PORT=$(free_port)
while [[ $SGE_EXECD_PORT == "$SGE_QMASTER_PORT" ]]; do SGE_EXECD_PORT=$(free_port); done
export SGE_QMASTER_PORT SGE_EXECD_PORT
common=$root/default/common
mkdir -p "$common" "$root/spool/qmaster" "$root/spool/execd"
ln -s /usr/share/gridengine/util "$root/util"  # the arch script, resources and schemas

# admin_user none: the daemons stay root, and every file is ours. Classic (flat file)
# spooling needs no Berkeley DB environment.
cat > "$common/bootstrap" <<CONF
admin_user              none
default_domain          none
ignore_fqdn             true
spooling_method         classic
spooling_lib            libspoolc
spooling_params         $common;$root/spool/qmaster
binary_path             /usr/sbin
qmaster_spool_dir       $root/spool/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
CONF
echo localhost > "$common/act_qmaster"
echo "localhost $(hostname)" > "$common/host_aliases"
# The packaged defaults, except: root may run jobs (min_uid/gid 0), no mail, our spool, and
# no login shells: with bash in login_shells every job sources the submitter's .bash_profile
# and .bashrc (here: pyenv, whose rehash lock, left behind by a deleted job, stalled every
# later job for a minute).
sed -e "s|^execd_spool_dir .*|execd_spool_dir        $root/spool/execd|" \
    -e 's|^min_uid .*|min_uid                0|' -e 's|^min_gid .*|min_gid                0|' \
    -e 's|^mailer .*|mailer                 /bin/true|' -e 's|^login_shells .*|login_shells           none|' \
    /usr/share/gridengine/default-configuration > "$root/configuration"
{
  "$libexec/spoolinit" classic libspoolc "$common;$root/spool/qmaster" init
  "$libexec/spooldefaults" configuration "$root/configuration"
  "$libexec/spooldefaults" complexes /usr/share/gridengine/util/resources/centry
  "$libexec/spooldefaults" usersets /usr/share/gridengine/util/resources/usersets
  "$libexec/spooldefaults" managers root
  "$libexec/spooldefaults" adminhosts localhost
} > "$root/init.log"

LD_PRELOAD=$root/bind_localhost.so /usr/sbin/sge_qmaster
wait_for 30 qconf -sh

qconf -as localhost >> "$root/qconf.log" 2>&1
# Schedule every second (default 15 s) and at once on submit and finish.
qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' \
  -e 's/^job_load_adjustments .*/job_load_adjustments NONE/' > "$root/sched.conf"
qconf -Msconf "$root/sched.conf" >> "$root/qconf.log" 2>&1
printf '%s\n' "hostname localhost" "load_scaling NONE" "complex_values NONE" "user_lists NONE" "xuser_lists NONE" \
  "projects NONE" "xprojects NONE" "usage_scaling NONE" "report_variables NONE" > "$root/host.conf"
qconf -Ae "$root/host.conf" >> "$root/qconf.log" 2>&1
# One queue with a slot per CPU; bash as the shell (the template's is csh); no load
# thresholds (a busy build machine would otherwise put the queue in alarm state).
qconf -sq | sed -e 's/^qname .*/qname all.q/' -e 's/^hostlist .*/hostlist localhost/' \
  -e "s/^slots .*/slots $(nproc)/" -e 's|^shell .*|shell /bin/bash|' -e 's/^pe_list .*/pe_list NONE/' \
  -e 's/^load_thresholds .*/load_thresholds NONE/' -e 's|^tmpdir .*|tmpdir /tmp|' > "$root/queue.conf"
qconf -Aq "$root/queue.conf" >> "$root/qconf.log" 2>&1

LD_PRELOAD=$root/bind_localhost.so /usr/sbin/sge_execd
# Ready when the queue instance reports a load and has no state flag (u: execd unheard).
queue_ready() { qstat -f -q all.q 2>/dev/null | awk '$1 == "all.q@localhost" { found = 1; exit !(NF == 5) } END { exit !found }'; }
wait_for 30 queue_ready
trap - ERR

cat > "$state/sge.env" <<ENV
SGE_ROOT=$SGE_ROOT
SGE_CELL=$SGE_CELL
SGE_QMASTER_PORT=$SGE_QMASTER_PORT
SGE_EXECD_PORT=$SGE_EXECD_PORT
ENV
echo "sge: up in $root (qmaster port $SGE_QMASTER_PORT, execd port $SGE_EXECD_PORT, $(nproc) slots)"
