#!/usr/bin/env bash
# TCP scan of all 65,535 ports of a loopback address with a few listeners:
# a cloudsweep cluster (broker + 2 nodes, CURVE) against nmap -sT -p- on the
# same target in the same run. Reports the median of several runs, the
# ratio, and whether both found the same open ports.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/../tests/functional/lib.sh"
RUNS=${RUNS:-5}

keys_init 2
start_broker
for n in node1 node2; do start_node "$n" --workers 4 --max-inflight 1024 --max-rate 0; done
wait_until 30 nodes_ready 2
listen 127.0.0.2 22 80 443 3306 5432 6379 8080 9200
job_file "$T/job.yaml" portscan 127.0.0.2 "1-65535" 2048

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

sweep_times=() nmap_times=()
for i in $(seq "$RUNS"); do
  t0=$(ms)
  ctl submit "$T/job.yaml" --wait -o "$T/sweep$i.json" >/dev/null 2>&1
  sweep_times+=($(( $(ms) - t0 )))
  t0=$(ms)
  nmap -sT -p- -n -Pn -oG "$T/nmap$i.txt" 127.0.0.2 >/dev/null
  nmap_times+=($(( $(ms) - t0 )))
done
sweep_ports=$(open_ports "$T/sweep$RUNS.json" | cut -d: -f2 | sort -n | paste -sd,)
nmap_ports=$(grep -o '[0-9]*/open' "$T/nmap$RUNS.txt" | cut -d/ -f1 | sort -n | paste -sd,)
sweep_med=$(printf '%s\n' "${sweep_times[@]}" | median)
nmap_med=$(printf '%s\n' "${nmap_times[@]}" | median)
same=$([ "$sweep_ports" = "$nmap_ports" ] && echo yes || echo NO)

echo "## Port scan: 65,535 TCP ports of 127.0.0.2 (8 listeners), $RUNS runs each"
echo
echo "| tool | median wall time | runs (ms) | open ports found |"
echo "|---|---|---|---|"
method=$(sed -n 's/.*port scans use \(SYN\|connect\).*/\1/p' "$T/node1.log" | head -1)
echo "| cloudsweep (broker + 2 nodes, CURVE, submit --wait, $method scan) | ${sweep_med} ms | ${sweep_times[*]} | $sweep_ports |"
echo "| nmap $(nmap --version | awk 'NR==1{print $3}') -sT -p- -n -Pn | ${nmap_med} ms | ${nmap_times[*]} | $nmap_ports |"
echo
echo "Ratio nmap / cloudsweep: $(awk -v a="$nmap_med" -v b="$sweep_med" 'BEGIN{printf "%.2f", a/b}')x; same open ports: $same"
echo
[ "$same" = yes ]
