#!/usr/bin/env bash
# sshd.sh start|stop STATE_DIR [SLURM_STATE_DIR] -- an OpenSSH server on 127.0.0.1 (a free
# high port) with a generated host key and user key, for the tests. `start` writes
# STATE_DIR/sshd.env (host, port, user, key file, a key the server does not accept,
# known_hosts holding the host key, wrong_known_hosts holding a DIFFERENT key under the same
# name and an empty one, for the refusal tests) or
# STATE_DIR/sshd.unavailable with the reason when sshd cannot run here. With
# SLURM_STATE_DIR, sessions get that SLURM's SLURM_CONF.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"

action=${1:?usage: sshd.sh start|stop STATE_DIR [SLURM_STATE_DIR]}
state=${2:?usage: sshd.sh start|stop STATE_DIR [SLURM_STATE_DIR]}
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
[[ $action == start ]] || { echo "sshd.sh: unknown action '$action'" >&2; exit 2; }

stop
rm -f "$state/sshd.unavailable"
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
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
