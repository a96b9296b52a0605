#!/usr/bin/env bash
# Provisions a cloudsweep broker on a Debian 12 machine: packages, build and
# install, a `cloudsweep` system user, /etc/cloudsweep/broker.conf, the key
# directory (broker, admin and content keys), and the systemd unit.
#
# Usage: provision-broker.sh [--address IP] [--scope CIDRS] [--enroll open|closed]
#          [--prefix DIR] [--etc DIR] [--state DIR] [--no-packages] [--no-build]
#          [--no-systemd]
#
#   --address IP     address the broker binds (admin :5700, nodes :5701) [127.0.0.1]
#   --scope CIDRS    network targets allowed, comma-separated [127.0.0.0/8]
#   --enroll MODE    open: unknown nodes wait for `sweepctl nodes approve`;
#                    closed: only certificates put in keys/allow/nodes [open]
#   --etc DIR        configuration and keys [/etc/cloudsweep]
#   --state DIR      the broker's store [/var/lib/cloudsweep/broker]
#   --no-packages, --no-build, --no-systemd: skip those steps (tests, or a
#                    machine where they are done otherwise)
# Idempotent: existing keys and configuration are kept.
set -euo pipefail

address=127.0.0.1 scope=127.0.0.0/8 enroll=open prefix=/usr/local etc=/etc/cloudsweep
state=/var/lib/cloudsweep/broker packages=1 build=1 systemd=1
while [ $# -gt 0 ]; do
  case $1 in
    --address) address=$2; shift 2 ;;
    --scope) scope=$2; shift 2 ;;
    --enroll) enroll=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --etc) etc=$2; shift 2 ;;
    --state) state=$2; shift 2 ;;
    --no-packages) packages=0; shift ;;
    --no-build) build=0; shift ;;
    --no-systemd) systemd=0; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "provision-broker.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $enroll in open|closed) ;; *) echo "provision-broker.sh: --enroll is open or closed" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)

[ "$packages" -eq 0 ] || "$src/scripts/deps.sh"
if [ "$build" -eq 1 ]; then
  make -C "$src" -j"$(nproc)" all
  make -C "$src" install PREFIX="$prefix"
fi
sweepctl=$prefix/bin/sweepctl
[ -x "$sweepctl" ] || sweepctl=$src/build/bin/sweepctl

install -d -m 0755 "$etc"
if [ ! -f "$etc/keys/broker/broker.crt" ]; then
  "$sweepctl" keys init "$etc/keys" --nodes 0 >/dev/null
fi
"$sweepctl" keys content --keys "$etc/keys" >/dev/null
# Approved nodes' public certificates land here (sweepctl nodes approve,
# written by the broker, or dropped in by hand).
install -d -m 0755 "$etc/keys/allow/nodes"
if [ ! -f "$etc/broker.conf" ]; then
  cat >"$etc/broker.conf" <<CONF
# Written by provision-broker.sh; sweep-broker --help lists every setting.
keys = $etc/keys
state = $state
admin-bind = tcp://$address:5700
node-bind = tcp://$address:5701
scope = $scope
enroll = $enroll
CONF
fi

if [ "$systemd" -eq 1 ]; then
  getent passwd cloudsweep >/dev/null ||
    useradd --system --home-dir /var/lib/cloudsweep --shell /usr/sbin/nologin cloudsweep
  chown -R cloudsweep:cloudsweep "$etc/keys"
  systemctl daemon-reload
  systemctl enable --now sweep-broker.service
fi
echo "provision-broker.sh: broker ready on $address (keys in $etc/keys; admin certificate $etc/keys/id/admin.crt)"
