#!/usr/bin/env bash
# Enrolls the Vagrant nodes with the Vagrant broker, moving public keys
# only: the broker's public certificate and content key go onto each node,
# which starts and asks to join; then each node's key, as the node itself
# reports it, is compared with the key the broker holds as pending for that
# name, and only a match is approved (sweepctl nodes approve). Run from the
# repository after `vagrant up`.
# Usage: scripts/vagrant-enroll.sh [NODE...]   (default: node1..node$SWEEP_NODES)
set -euo pipefail

nodes=("$@")
if [ ${#nodes[@]} -eq 0 ]; then
  for i in $(seq "${SWEEP_NODES:-2}"); do nodes+=("node$i"); done
fi
keys=/etc/cloudsweep/keys
ctl="sudo sweepctl --keys $keys --broker tcp://192.168.56.10:5700"
broker_crt=$(vagrant ssh broker -c "sudo cat $keys/broker/broker.crt" 2>/dev/null)
content_pub=$(vagrant ssh broker -c "sudo cat $keys/content/bundle.pub" 2>/dev/null)
for n in "${nodes[@]}"; do
  vagrant ssh "$n" -c "sudo install -d -m 0700 -o cloudsweep $keys/broker $keys/content &&
    sudo tee $keys/broker/broker.crt >/dev/null" <<<"$broker_crt"
  vagrant ssh "$n" -c "sudo tee $keys/content/bundle.pub >/dev/null &&
    sudo systemctl restart sweep-node.service" <<<"$content_pub"
done
for n in "${nodes[@]}"; do
  own=$(vagrant ssh "$n" -c "sudo sed -n 's/^ *public-key = \"\\(.*\\)\"\$/\\1/p' $keys/id/$n.crt" 2>/dev/null | tr -d '\r')
  [ ${#own} -eq 40 ] || { echo "vagrant-enroll.sh: $n has no certificate" >&2; exit 1; }
  pending=""
  for _ in $(seq 30); do
    pending=$(vagrant ssh broker -c "$ctl nodes pending --json" 2>/dev/null |
      python3 -c 'import json,sys; print(" ".join(p["key"] for p in json.load(sys.stdin)["pending"] if p["name"] == sys.argv[1]))' "$n")
    [ -z "$pending" ] || break
    sleep 2  # the node asks again every 2 s; this is a human-speed poll, not a test
  done
  [ "$pending" = "$own" ] || { echo "vagrant-enroll.sh: $n: pending key(s) '$pending' are not its own '$own'; not approved" >&2; exit 1; }
  vagrant ssh broker -c "$ctl nodes approve $n --key '${own:0:10}'" 2>/dev/null
  echo "vagrant-enroll.sh: $n enrolled (key $own)"
done
