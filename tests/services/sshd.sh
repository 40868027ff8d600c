#!/usr/bin/env bash
# sshd.sh start|stop STATE_DIR [SLURM_STATE_DIR] -- an OpenSSH server on 127.0.0.1 (a free
# high port) with a generated host key and user key, for the tests. `start` writes
# STATE_DIR/sshd.env (host, port, user, key file, a key the server does not accept,
# known_hosts holding the host key, wrong_known_hosts holding a DIFFERENT key under the same
# name and an empty one, for the refusal tests) or
# STATE_DIR/sshd.unavailable with the reason when sshd cannot run here. With
# SLURM_STATE_DIR, sessions get that SLURM's SLURM_CONF.
#
# sshd.sh stop-server|start-server STATE_DIR -- for the outage tests: `stop-server` ends the
# running sshd AND its open sessions (a client's connection breaks, as when the server goes
# down); `start-server` starts it again on the same port with the same keys and config, so
# STATE_DIR/sshd.env stays valid.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

usage="usage: sshd.sh start|stop|stop-server|start-server STATE_DIR [SLURM_STATE_DIR]"
action=${1:?$usage}
state=${2:?$usage}
slurm_state=${3:-}
mkdir -p "$state"

stop() {
  [[ -s $state/sshd.root ]] || return 0
  local root
  root=$(cat "$state/sshd.root")
  stop_pidfile "$root/sshd.pid"
  rm -rf -- "$root"
  rm -f "$state/sshd.root" "$state/sshd.env"
}

if [[ $action == stop ]]; then
  stop
  echo "sshd: stopped"
  exit 0
fi

sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)

# descendants PID: every live process below PID (its sessions, for sshd; not zombies).
descendants() {
  ps -e -o pid=,ppid=,stat= | awk -v root="$1" '$3 !~ /^Z/ { parent[$1] = $2 }
    END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q]; if (q == root && p != root) print p } }'
}

if [[ $action == stop-server || $action == start-server ]]; then
  [[ -s $state/sshd.root && -s $state/sshd.env ]] || { echo "sshd.sh $action: sshd was not started in $state" >&2; exit 1; }
  root=$(cat "$state/sshd.root")
  port=$(sed -n 's/^SSH_PORT=//p' "$state/sshd.env")
  pid=$(cat "$root/sshd.pid" 2>/dev/null || true)
  if [[ $action == stop-server ]]; then
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || { echo "sshd: not running"; exit 0; }
    # sshd and its sessions are frozen (until no new process shows up: a stopped process
    # forks no more), then the sessions are killed outright, all at once (a server that
    # goes down does not say goodbye; one by one, a killed parent's children would escape
    # to init), then sshd itself.
    kill -STOP "$pid"
    sessions=""
    for _ in $(seq 50); do
      left=$(descendants "$pid" | sort -n)
      [[ $left != "$sessions" ]] || break
      sessions=$left
      kill -STOP $sessions 2>/dev/null || true
    done
    [[ -z $sessions ]] || kill -KILL $sessions 2>/dev/null || true
    kill -CONT $sessions 2>/dev/null || true
    kill -TERM "$pid"
    kill -CONT "$pid"
    wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port)" || { echo "sshd: port $port still open" >&2; exit 1; }
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
    ! alive "$pid" || { echo "sshd: pid $pid did not end" >&2; exit 1; }
    echo "sshd: server stopped (pid $pid and $(grep -c . <<< "$sessions") processes of its sessions)"
  else
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then echo "sshd: already running (pid $pid)"; exit 0; fi
    "$sshd_bin" -f "$root/sshd_config" -E "$root/sshd.log"
    wait_for 10 ssh-keyscan -T 1 -p "$port" 127.0.0.1 || { echo "sshd: did not come back on port $port" >&2; exit 1; }
    echo "sshd: server started again on 127.0.0.1:$port (pid $(cat "$root/sshd.pid"))"
  fi
  exit 0
fi
[[ $action == start ]] || { echo "sshd.sh: unknown action '$action'" >&2; exit 2; }

stop
rm -f "$state/sshd.unavailable"
[[ -x $sshd_bin ]] || unavailable "$state" sshd "sshd is not installed (cmake/install-deps.sh installs openssh-server)"
for tool in ssh-keygen ssh-keyscan; do
  command -v "$tool" >/dev/null || unavailable "$state" sshd "$tool is not installed (openssh-client)"
done
[[ $(id -u) -eq 0 ]] || unavailable "$state" sshd "sshd needs root to switch users (this is uid $(id -u))"

root=$(mktemp -d /tmp/tessera-sshd.XXXXXX)
chmod 0755 "$root"
echo "$root" > "$state/sshd.root"
trap 'echo "sshd: start failed; log:" >&2; tail -n 20 "$root/sshd.log" >&2 || true; stop; exit 1' ERR

ssh-keygen -q -t ed25519 -N '' -C tessera-test-host -f "$root/host_key"
ssh-keygen -q -t ed25519 -N '' -C tessera-test-other-host -f "$root/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C tessera-test-user -f "$root/user_key"
cp "$root/user_key.pub" "$root/authorized_keys"
mkdir -p /run/sshd
chmod 0755 /run/sshd

slurm_env=""
if [[ -n $slurm_state && -s $slurm_state/slurm.env ]]; then
  slurm_env=$(cat "$slurm_state/slurm.env")
fi
port=$(free_port)
cat > "$root/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $root/host_key
PidFile $root/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $root/authorized_keys
StrictModes no
UsePAM no
UseDNS no
MaxSessions 100
MaxStartups 100:30:200
Subsystem sftp internal-sftp
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
SetEnv SHLVL=1 $slurm_env
CONF
"$sshd_bin" -t -f "$root/sshd_config"
"$sshd_bin" -f "$root/sshd_config" -E "$root/sshd.log"
wait_for 10 ssh-keyscan -T 1 -p "$port" 127.0.0.1

# known_hosts with the real host key, and one with another key under the same name.
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$root/host_key.pub")" > "$root/known_hosts"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$root/other_host_key.pub")" > "$root/wrong_known_hosts"
: > "$root/empty_known_hosts"
trap - ERR

cat > "$state/sshd.env" <<ENV
SSH_HOST=127.0.0.1
SSH_PORT=$port
SSH_USER=$(id -un)
SSH_KEY=$root/user_key
SSH_UNAUTHORIZED_KEY=$root/other_host_key
SSH_KNOWN_HOSTS=$root/known_hosts
SSH_WRONG_KNOWN_HOSTS=$root/wrong_known_hosts
SSH_EMPTY_KNOWN_HOSTS=$root/empty_known_hosts
ENV
echo "sshd: up on 127.0.0.1:$port in $root"
