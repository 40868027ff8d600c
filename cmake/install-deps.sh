#!/usr/bin/env bash
# Install everything tessera needs to build and test on Debian 12 (bookworm).
# Idempotent and fast when all is already installed. Runs as root, or through sudo.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev          # versioned on purpose: unversioned libboost-*-dev conflict with it
  libsqlite3-dev sqlite3
  libfmt-dev nlohmann-json3-dev libsodium-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssh-dev                # the core.ssh transport plugin
  procps                    # ps, for the core.direct scheduler
  zsh busybox               # login shells the schedulers' commands are tested in (dash and bash: always there)
  # Real services the tests start on 127.0.0.1 (tests/services/): SLURM with munge, sshd,
  # and Grid Engine (sge.sh builds its own cell; the packages' is left unconfigured).
  slurmctld slurmd slurm-client munge openssh-server openssh-client
  gridengine-master gridengine-exec gridengine-client
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [[ " ${missing[*]} " == *" gridengine-"* ]]; then
  # No cell in /var/lib/gridengine: the tests make their own (tests/services/sge.sh).
  echo "gridengine-common shared/gridengineconfig boolean false" |
    ${as_root[@]+"${as_root[@]}"} debconf-set-selections
  # The packages start sge_qmaster and sge_execd from their postinst (which fails without a
  # cell and would listen on every address); a policy-rc.d that says no, for this install
  # only, unless the machine has one already (containers usually do).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts during this install\nexit 101\n' |
      ${as_root[@]+"${as_root[@]}"} tee /usr/sbin/policy-rc.d > /dev/null
    ${as_root[@]+"${as_root[@]}"} chmod 0755 /usr/sbin/policy-rc.d
    trap '${as_root[@]+"${as_root[@]}"} rm -f /usr/sbin/policy-rc.d' EXIT
  fi
fi
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=600 update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
