#!/usr/bin/env bash
# Enrolls the Vagrant nodes with the Vagrant broker, moving public keys
# only: each node's public certificate into the broker's allow-list, and the
# broker's public certificate and content key onto each node, which then
# starts. Run from the repository after `vagrant up`.
# Usage: scripts/vagrant-enroll.sh [NODE...]   (default: node1..node$SWEEP_NODES)
set -euo pipefail

nodes=("$@")
if [ ${#nodes[@]} -eq 0 ]; then
  for i in $(seq "${SWEEP_NODES:-2}"); do nodes+=("node$i"); done
fi
keys=/etc/cloudsweep/keys
broker_crt=$(vagrant ssh broker -c "sudo cat $keys/broker/broker.crt" 2>/dev/null)
content_pub=$(vagrant ssh broker -c "sudo cat $keys/content/bundle.pub" 2>/dev/null)
for n in "${nodes[@]}"; do
  crt=$(vagrant ssh "$n" -c "sudo cat $keys/id/$n.crt" 2>/dev/null)
  grep -q 'public-key' <<<"$crt" || { echo "vagrant-enroll.sh: $n has no certificate" >&2; exit 1; }
  vagrant ssh broker -c "sudo tee $keys/allow/nodes/$n.crt >/dev/null && sudo chown cloudsweep: $keys/allow/nodes/$n.crt" <<<"$crt"
  vagrant ssh "$n" -c "sudo install -d -m 0700 -o cloudsweep $keys/broker $keys/content &&
    sudo tee $keys/broker/broker.crt >/dev/null" <<<"$broker_crt"
  vagrant ssh "$n" -c "sudo tee $keys/content/bundle.pub >/dev/null &&
    sudo systemctl restart sweep-node.service" <<<"$content_pub"
  echo "vagrant-enroll.sh: $n enrolled"
done
