#!/usr/bin/env bash
# slurm.sh start|stop STATE_DIR -- a single-node SLURM (munged, slurmctld, slurmd) on
# 127.0.0.1 for the tests. `start` writes STATE_DIR/slurm.env (SLURM_CONF=...) once the node
# takes jobs, or STATE_DIR/slurm.unavailable with the reason when SLURM cannot run here (not
# installed, not root): tests then skip. A failure to start where it should run is an error.
# See ../../../shared/hpc-services.md for why each setting is there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

action=${1:?usage: slurm.sh start|stop STATE_DIR}
state=${2:?usage: slurm.sh start|stop STATE_DIR}
mkdir -p "$state"

stop() {
  [[ -s $state/slurm.root ]] || return 0
  local root
  root=$(cat "$state/slurm.root")
  stop_pidfile "$root/slurmd.pid"
  stop_pidfile "$root/slurmctld.pid"
  stop_pidfile "$root/munged.pid"
  rm -rf -- "$root"
  rm -f "$state/slurm.root" "$state/slurm.env"
}

if [[ $action == stop ]]; then
  stop
  echo "slurm: stopped"
  exit 0
fi
[[ $action == start ]] || { echo "slurm.sh: unknown action '$action'" >&2; exit 2; }

stop  # leftovers of an earlier run
rm -f "$state/slurm.unavailable"
for tool in munged slurmctld slurmd sbatch squeue scancel sinfo; do
  command -v "$tool" >/dev/null || unavailable "$state" slurm "$tool is not installed (cmake/install-deps.sh installs SLURM and munge)"
done
[[ $(id -u) -eq 0 ]] || unavailable "$state" slurm "slurmd must run as root (this is uid $(id -u))"
id munge >/dev/null 2>&1 || unavailable "$state" slurm "there is no munge user"

root=$(mktemp -d /tmp/tessera-slurm.XXXXXX)
chmod 0755 "$root"
echo "$root" > "$state/slurm.root"
trap 'echo "slurm: start failed; logs:" >&2; tail -n 20 "$root"/*.log >&2 || true; stop; exit 1' ERR

# munge: its own key, socket and pid file, run as user munge.
mkdir -p "$root/munge"
chmod 0755 "$root/munge"
dd if=/dev/urandom of="$root/munge/munge.key" bs=1024 count=1 status=none
chown -R munge: "$root/munge"
chmod 0400 "$root/munge/munge.key"
runuser -u munge -- munged --socket="$root/munge/munge.socket.2" --key-file="$root/munge/munge.key" \
  --pid-file="$root/munge/munged.pid" --log-file="$root/munge/munged.log" --seed-file="$root/munge/munged.seed" --force
wait_for 10 test -S "$root/munge/munge.socket.2"
cp "$root/munge/munged.pid" "$root/munged.pid"

ctld_port=$(free_port)
slurmd_port=$(free_port)
cpus=$(nproc)
memory=$(slurmd -C | sed -nE 's/.*RealMemory=([0-9]+).*/\1/p')
mkdir -p "$root/state" "$root/spool"
cat > "$root/slurm.conf" <<CONF
ClusterName=tessera
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$root/munge/munge.socket.2
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$root/state
SlurmdSpoolDir=$root/spool
SlurmctldPidFile=$root/slurmctld.pid
SlurmdPidFile=$root/slurmd.pid
SlurmctldLogFile=$root/slurmctld.log
SlurmdLogFile=$root/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=${memory:-1024} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$root/slurm.conf

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
# Ready when the node is idle and the first main scheduler cycle has run (before it,
# batch_sched_delay=0 is not in force and the first job waits seconds).
node_idle() { [[ $(sinfo -h -N -o %T 2>/dev/null) == idle ]]; }
scheduled() { sdiag 2>/dev/null | awk '/^Main schedule statistics/{m=1} m && /Last cycle:/{exit !($3 > 0)}'; }
wait_for 30 node_idle
wait_for 15 scheduled || true
trap - ERR

echo "SLURM_CONF=$SLURM_CONF" > "$state/slurm.env"
echo "slurm: up in $root (slurmctld port $ctld_port, slurmd port $slurmd_port, $cpus CPUs)"
