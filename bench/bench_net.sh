#!/usr/bin/env bash
# Network exposure audit: the servers of the net scanner's functional test
# (tests/functional/net/servers.sh: nginx configured well and badly, sshd
# with weak algorithms, Redis with and without a password, Memcached, etcd,
# MariaDB) on 8 loopback addresses, plus every closed port of 1-3000 on
# each. In the same run, on the same targets: our open-port discovery (a
# tcp job on two nodes, with the SYN scan when the nodes may) against
# nmap -sT and nmap -sS, our service audit (a net job on two nodes:
# identification, TLS, SSH, HTTP and auth probes) against nmap -sV (which
# only identifies), then our TLS verdicts against sslscan and our SSH
# verdicts against ssh-audit, with an agreement table. Medians of RUNS.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/../tests/functional/lib.sh"
# shellcheck source=tests/functional/net/servers.sh
. "$(dirname "$0")/../tests/functional/net/servers.sh"
RUNS=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
S=$T/srv
mkdir -p "$S"
net_servers_start
wait_until 30 net_servers_ready
keys_init 2
start_broker
for n in node1 node2; do start_node "$n" --workers 4 --max-inflight 1024 --max-rate 0 --tls-ca "$S/ca.crt"; done
wait_until 30 nodes_ready 2
ctl rules push "$root/rules" >/dev/null
hosts=127.0.1.1-8
ports="1-3000,3306,6379,8443,11211"
for scanner in tcp net; do
  cat >"$T/$scanner.yaml" <<JOB
name: bench-$scanner
targets:
  - scanner: $scanner
    hosts: [127.0.1.1, 127.0.1.2, 127.0.1.3, 127.0.1.4, 127.0.1.5, 127.0.1.6, 127.0.1.7, 127.0.1.8]
    ports: "$ports"
    shard_ports: 1024
JOB
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
declare -A t
# timed NAME ROUND CMD...: runs CMD, adds its wall time to t[NAME] unless
# ROUND is the warm-up round, 0
timed() {
  local name=$1 round=$2; shift 2
  local t0
  t0=$(ms)
  "$@" >/dev/null 2>&1 || true
  [ "$round" -eq 0 ] || t[$name]+="$(( $(ms) - t0 )) "
}
ours() { ctl submit "$T/$1.yaml" --wait -o "$T/$2.json"; }
# Open-port discovery takes well under a second a run, so it gets
# DISCOVERY_RUNS runs after a warm-up round, in an order that alternates
# (whoever runs first after a pause pays for a cold machine).
DRUNS=${DISCOVERY_RUNS:-7}
discovery() { # discovery OURS_NAME RESULT_PREFIX: our tcp job against nmap -sT and -sS
  for i in $(seq 0 "$DRUNS"); do
    local order=(ours nmapT nmapS)
    [ $((i % 2)) -eq 0 ] || order=(nmapS nmapT ours)
    for what in "${order[@]}"; do
      case $what in
        ours) timed "$1" "$i" ours tcp "$2$i" ;;
        nmapT) timed nmapT "$i" nmap -sT -n -Pn -p "$ports" -oG "$T/nmapT$i.txt" "$hosts" ;;
        nmapS) timed nmapS "$i" nmap -sS -n -Pn -p "$ports" -oG "$T/nmapS$i.txt" "$hosts" ;;
      esac
    done
  done
}
discovery tcp tcp
# Service audit: RUNS runs each (nmap -sV takes about two minutes a run)
for i in $(seq "$RUNS"); do
  timed net "$i" ours net "net$i"
  timed nmapV "$i" nmap -sT -sV -n -Pn -p "$ports" -oG "$T/nmapV$i.txt" "$hosts"
done
# The same discovery with our connect scan (nodes without the raw socket),
# against nmap again
method=$(sed -n 's/.*port scans use \(SYN\|connect\).*/\1/p' "$T/node1.log" | head -1)
for n in node1 node2; do kill -TERM "${NODE_PID[$n]}"; wait "${NODE_PID[$n]}" || true; done
for n in node1 node2; do
  start_node "$n" --workers 4 --max-inflight 1024 --max-rate 0 --scan-method connect
done
wait_until 30 nodes_ready 2
discovery tcpc tcpc
med() { tr ' ' '\n' <<<"${t[$1]}" | grep . | median; }
# Our facts, for the agreement table (the same scan on this machine)
"$BIN/sweepctl" net 127.0.1.0/28 --ports "$ports" --rules "$root/rules" --tls-ca "$S/ca.crt" \
  --format json -o "$T/facts.json" 2>/dev/null
t0=$(ms)
for ep in 127.0.1.1:443 127.0.1.2:443 127.0.1.2:8443; do
  sslscan --no-colour --no-heartbleed "$ep" >"$T/sslscan-$ep.txt" 2>&1 || true
done
sslscan_ms=$(( $(ms) - t0 ))
t0=$(ms)
ssh-audit -n -p 2222 127.0.1.3 >"$T/ssh-audit.txt" 2>&1 || true
sshaudit_ms=$(( $(ms) - t0 ))

python3 - "$T" "$RUNS" "$(med tcp)" "$(med nmapT)" "$(med net)" "$(med nmapV)" "$sslscan_ms" \
  "$sshaudit_ms" "$(nmap --version | awk 'NR==1{print $3}')" "$(med nmapS)" "$method" \
  "$(med tcpc)" "$DRUNS" "${t[tcp]}" "${t[nmapT]}" "${t[nmapS]}" "${t[tcpc]}" <<'PY'
import glob, json, re, sys
T, runs = sys.argv[1], sys.argv[2]
tcp, nmapT, net, nmapV, sslscan_ms, sshaudit_ms, nmapver, nmapS, method, tcpc = sys.argv[3:13]
DRUNS = int(sys.argv[13])
raw = dict(zip(("tcp", "nmapT", "nmapS", "tcpc"), (a.split() for a in sys.argv[14:18])))
def ours_open(path):
    return sorted({f["resource"] + ":" + f["location"].split("/")[1]
                   for f in json.load(open(path))["findings"] if f["scanner"] == "tcp"})
def nmap_ports(path):
    out = {}
    for line in open(path):
        m = re.match(r"Host: (\S+) .*Ports: (.*)", line)
        if not m:
            continue
        for p in m.group(2).split(", "):
            f = p.split("/")
            if len(f) > 4 and f[1] == "open":
                out["%s:%s" % (m.group(1), f[0])] = (f[4], f[6] if len(f) > 6 else "")
    return out
facts = json.load(open(T + "/facts.json"))
services = {"%s:%d" % (s["address"], s["port"]): s for s in facts["services"]}
drun = DRUNS
o_open = ours_open(T + "/tcp%s.json" % drun)
nT = sorted(nmap_ports(T + "/nmapT%s.txt" % drun))
nS = sorted(nmap_ports(T + "/nmapS%s.txt" % drun))
nV = nmap_ports(T + "/nmapV%s.txt" % runs)
norm = {"ssl|http": "https", "ssl/http": "https", "etcd-client": "etcd", "memcache": "memcached"}
print("## Network exposure audit: 8 addresses x %d ports, %d open" % (3004, len(services)))
print()
print("Open-port discovery: median of %d runs each after a warm-up round, in alternating order (nmap: %d runs, %d beside each of our two scan methods). Service audit: median of %s runs each." % (DRUNS, 2 * DRUNS, DRUNS, runs))
print()
print("| task | cloudsweep (broker + 2 nodes) | peer | peer time | ratio |")
print("|---|---|---|---|---|")
print("| open-port discovery | %s ms (tcp job, %s scan) | nmap %s -sT -n -Pn | %s ms | %.1fx |" % (tcp, method, nmapver, nmapT, float(nmapT) / float(tcp)))
print("| open-port discovery, our connect scan (no raw socket) | %s ms (tcp job, connect scan) | nmap -sT -n -Pn | %s ms | %.1fx |" % (tcpc, nmapT, float(nmapT) / float(tcpc)))
print("| open-port discovery, the peer's SYN scan too | %s ms (tcp job, %s scan) | nmap -sS -n -Pn | %s ms | %.1fx |" % (tcp, method, nmapS, float(nmapS) / float(tcp)))
print("| service audit (ours: identification + TLS + SSH + HTTP + auth probes) | %s ms (net job) | nmap -sT -sV (identification only) | %s ms | %.1fx |" % (net, nmapV, float(nmapV) / float(net)))
print("| TLS verdicts, 3 endpoints | (inside the net job) | sslscan | %s ms | |" % sslscan_ms)
print("| SSH verdicts, 1 server | (inside the net job) | ssh-audit | %s ms | |" % sshaudit_ms)
print()
print("Discovery runs (ms): ours, SYN scan: %s; ours, connect scan: %s; nmap -sT: %s; nmap -sS: %s." % tuple(" ".join(raw[k]) for k in ("tcp", "tcpc", "nmapT", "nmapS")))
print()
print("Agreement:")
print()
print("| what | ours | peer | same? |")
print("|---|---|---|---|")
print("| open ports (vs nmap -sT) | %s | %s | %s |" % (" ".join(o_open), " ".join(nT), "yes" if o_open == nT else "NO"))
o_conn = ours_open(T + "/tcpc%s.json" % drun)
print("| open ports, our connect scan (vs our SYN scan) | %s | %s | %s |" % (" ".join(o_conn), " ".join(o_open), "yes" if o_conn == o_open else "NO"))
print("| open ports (vs nmap -sS) | %s | %s | %s |" % (" ".join(o_open), " ".join(nS), "yes" if o_open == nS else "NO"))
for ep in sorted(services):
    ours = services[ep].get("service", "?")
    theirs = nV.get(ep, ("-", ""))[0].rstrip("?")  # "?": nmap guessed from the port
    same = norm.get(theirs, theirs) == ours
    print("| service %s | %s %s %s | %s (%s) | %s |" % (ep, ours, services[ep].get("product", ""), services[ep].get("version", ""), theirs, nV.get(ep, ("", ""))[1] or "-", "yes" if same else "no"))
for ep in ("127.0.1.1:443", "127.0.1.2:443", "127.0.1.2:8443"):
    ours = sorted(services[ep].get("tls", {}).get("versions", []))
    txt = open(T + "/sslscan-%s.txt" % ep, errors="replace").read()
    theirs = sorted(v.replace("TLSv1.0", "TLSv1.0") for v in re.findall(r"^(SSLv3|TLSv1\.[0-3])\s+enabled", txt, re.M))
    theirs = sorted("TLSv1.0" if v == "TLSv1.0" else v for v in theirs)
    print("| TLS versions %s | %s | %s | %s |" % (ep, " ".join(ours), " ".join(theirs), "yes" if ours == theirs else "no"))
ssh = services.get("127.0.1.3:2222", {}).get("ssh", {})
ours_fail = sorted(set(sum((ssh.get(k + "_fail", []) for k in ("kex", "hostkey", "cipher", "mac")), [])))
ours_warn = sorted(set(sum((ssh.get(k + "_warn", []) for k in ("kex", "hostkey", "cipher", "mac")), [])))
audit = open(T + "/ssh-audit.txt", errors="replace").read()
a_fail = sorted(set(re.findall(r"^\((?:kex|key|enc|mac)\) (\S+)\s+-- \[fail\]", audit, re.M)))
a_warn = sorted(set(re.findall(r"^\((?:kex|key|enc|mac)\) (\S+)\s+-- \[warn\]", audit, re.M)) - set(a_fail))
print("| SSH algorithms failed | %s | %s | %s |" % (" ".join(ours_fail), " ".join(a_fail), "yes" if ours_fail == a_fail else "no"))
print("| SSH algorithms warned | %s | %s | %s |" % (" ".join(ours_warn), " ".join(a_warn), "yes" if ours_warn == a_warn else "no"))
weak_ours, weak_theirs = set(ours_fail) | set(ours_warn), set(a_fail) | set(a_warn)
print()
print("Weak SSH algorithms (failed or warned) named by one side only: ours only: %s; ssh-audit only: %s." % (" ".join(sorted(weak_ours - weak_theirs)) or "none", " ".join(sorted(weak_theirs - weak_ours)) or "none"))
print()
PY
