#!/usr/bin/env bash
# Provisions a cloudsweep node on a Debian 12 machine: packages, build and
# install, a `cloudsweep` system user, /etc/cloudsweep/node.conf, and the
# node's own key pair, made here: its secret never leaves this machine.
# Once the broker's public certificate and content key are in ETC/keys
# (--broker-cert, --content-key, or copied there later), the node starts
# and asks the broker to let it in; an operator compares the key it prints
# with `sweepctl nodes pending` and runs `sweepctl nodes approve NAME` (see
# README, "Operating a cluster").
#
# Usage: provision-node.sh --name NAME --broker HOST [--broker-cert FILE]
#          [--content-key FILE] [--etc DIR] [--state DIR] [--prefix DIR]
#          [--workers N] [--no-packages] [--no-build] [--no-systemd]
set -euo pipefail

name="" broker="" broker_cert="" content_key="" prefix=/usr/local etc=/etc/cloudsweep state=/var/lib/cloudsweep/node
workers=8 packages=1 build=1 systemd=1
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --broker) broker=$2; shift 2 ;;
    --broker-cert) broker_cert=$2; shift 2 ;;
    --content-key) content_key=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --etc) etc=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --no-packages) packages=0; shift ;;
    --no-build) build=0; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
# The broker's public files (never a secret: they are checked for that).
if [ -n "$broker_cert" ]; then
  ! grep -q secret-key "$broker_cert" || { echo "provision-node.sh: $broker_cert holds a secret key" >&2; exit 2; }
  install -d -m 0700 "$etc/keys/broker"
  install -m 0644 "$broker_cert" "$etc/keys/broker/broker.crt"
fi
if [ -n "$content_key" ]; then
  install -d -m 0700 "$etc/keys/content"
  install -m 0644 "$content_key" "$etc/keys/content/bundle.pub"
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
  # Started once the broker's public keys are here; it then asks to join.
  [ ! -f "$etc/keys/broker/broker.crt" ] || systemctl restart sweep-node.service
fi
key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$etc/keys/id/$name.crt")
echo "provision-node.sh: node $name ready; its public key: $key"
echo "  on the broker: sweepctl nodes pending (compare the key), then sweepctl nodes approve $name"
