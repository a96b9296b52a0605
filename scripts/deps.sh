#!/usr/bin/env bash
# Installs the Debian packages cloudsweep needs to build, test and demo.
# Idempotent: packages already present are not reinstalled. Runs apt-get as
# root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential pkg-config clang clang-format libclang-rt-14-dev
  libzmq3-dev libczmq-dev libmsgpack-dev libsodium-dev libleveldb-dev
  libyaml-dev libjansson-dev libpcre2-dev libhyperscan-dev libarchive-dev libgit2-dev libcriterion-dev
  libssl-dev openssl libssh-dev
  iproute2 util-linux procps python3 shellcheck
  # servers the net scanner's functional tests start (in a private
  # network namespace, with configurations written for them)
  nginx-light openssh-server redis-server memcached etcd-server mariadb-server
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(nmap hyperfine ripgrep bc sslscan ssh-audit)
fi
# CI also validates the Vagrantfile (make check does when vagrant is there).
if [ "${CI:-}" = "true" ]; then
  packages+=(vagrant)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# Servers are installed for the tests to start, not to run here: keep
# their packages from starting them (a policy-rc.d that refuses, for the
# length of the install, unless the machine had one already).
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
fi
rc=0
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
[ -z "$own_policy" ] || "${sudo[@]}" rm -f "$policy"
exit $rc
