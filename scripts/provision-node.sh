#!/usr/bin/env bash
# Provisions a cloudsweep node on a Debian 12 machine: packages, build and
# install, a `cloudsweep` system user, /etc/cloudsweep/node.conf, and the
# node's own key pair, made here: its secret never leaves this machine.
# The node starts once it is enrolled: its public certificate
# (ETC/keys/id/NAME.crt) is in the broker's allow-list, and the broker's
# public certificate and content key are in ETC/keys (see README,
# "Operating a cluster").
#
# Usage: provision-node.sh --name NAME --broker HOST [--etc DIR] [--state DIR]
#          [--prefix DIR] [--workers N] [--no-packages] [--no-build] [--no-systemd]
set -euo pipefail

name="" broker="" prefix=/usr/local etc=/etc/cloudsweep state=/var/lib/cloudsweep/node
workers=8 packages=1 build=1 systemd=1
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --broker) broker=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --etc) etc=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --no-packages) packages=0; shift ;;
    --no-build) build=0; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "provision-node.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$broker" ]; then
  echo "provision-node.sh: --name and --broker are required" >&2
  exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)

[ "$packages" -eq 0 ] || "$src/scripts/deps.sh"
if [ "$build" -eq 1 ]; then
  make -C "$src" -j"$(nproc)" all
  make -C "$src" install PREFIX="$prefix"
fi
sweepctl=$prefix/bin/sweepctl
[ -x "$sweepctl" ] || sweepctl=$src/build/bin/sweepctl

install -d -m 0700 "$etc/keys"
if [ ! -f "$etc/keys/id/$name.crt" ]; then
  # A key folder of its own holding only this node's pair (no broker secret).
  "$sweepctl" keys init "$etc/keys.tmp" --nodes 0 >/dev/null
  "$sweepctl" keys add-node "$name" --keys "$etc/keys.tmp" >/dev/null
  install -d -m 0700 "$etc/keys/id"
  mv "$etc/keys.tmp/id/$name.crt" "$etc/keys.tmp/id/$name.crt_secret" "$etc/keys/id/"
  rm -rf "$etc/keys.tmp"
fi
cat >"$etc/node.conf" <<CONF
# Written by provision-node.sh; sweep-node --help lists every setting.
broker = tcp://$broker:5701
broker-key = $etc/keys/broker/broker.crt
cert = $etc/keys/id/$name.crt
content-key = $etc/keys/content/bundle.pub
state = $state
workers = $workers
CONF

if [ "$systemd" -eq 1 ]; then
  getent passwd cloudsweep >/dev/null ||
    useradd --system --home-dir /var/lib/cloudsweep --shell /usr/sbin/nologin cloudsweep
  chown -R cloudsweep:cloudsweep "$etc/keys"
  systemctl daemon-reload
  systemctl enable sweep-node.service
  # Started by the enrollment step, once the broker's public keys are here.
  [ ! -f "$etc/keys/broker/broker.crt" ] || systemctl restart sweep-node.service
fi
echo "provision-node.sh: node $name ready; public certificate to approve: $etc/keys/id/$name.crt"
