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
  # Real services the tests start on 127.0.0.1 (tests/services/): SLURM with munge, and sshd.
  slurmctld slurmd slurm-client munge openssh-server openssh-client
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
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=600 update
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
