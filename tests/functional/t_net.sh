#!/usr/bin/env bash
# The net scanner against real servers from Debian's packages, started here
# with configurations written for the test (tests/functional/net/
# servers.sh): nginx configured well and badly (old TLS versions, every
# cipher suite, a self-signed and an expired certificate made with
# openssl, directory listing, a status page), sshd with weak algorithms and
# passwords, Redis without and with a password, Memcached, etcd, MariaDB
# whose root has no password. A `net`
# job on two nodes reports exactly the expected findings, none for the
# well-configured servers; `sweepctl net` gives the same. A host outside
# the scope is refused.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/functional/net/servers.sh
. "$(dirname "$0")/net/servers.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
for tool in nginx sshd redis-server memcached etcd mariadbd openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || fail "$tool is not installed (scripts/deps.sh)"
done
S=$T/srv
mkdir -p "$S"
net_servers_start
wait_until 30 net_servers_ready

keys_init 2
start_broker
start_node node1 --workers 2 --tls-ca "$S/ca.crt"
start_node node2 --workers 2 --tls-ca "$S/ca.crt"
wait_until 30 nodes_ready 2
ctl rules push "$root/rules" >/dev/null || fail "rules push failed"
ports="22,80,443,587,2222,2379,3306,6379,8443,11211,20000-22999"
cat >"$T/net.yaml" <<JOB
name: net-audit
targets:
  - scanner: net
    hosts: [127.0.1.0/28]
    ports: "$ports"
    shard_ports: 1024
JOB
ctl submit "$T/net.yaml" --wait -o "$T/report.json" >"$T/submit.out" ||
  fail "net job did not complete: $(cat "$T/submit.out")"

cat >"$T/expected.txt" <<'EOF2'
127.0.1.2:tcp/443 net.http.directory-listing
127.0.1.2:tcp/443 net.http.exposed-admin-path
127.0.1.2:tcp/443 net.http.missing-security-headers
127.0.1.2:tcp/443 net.http.version-disclosed
127.0.1.2:tcp/443 net.tls.cert-self-signed
127.0.1.2:tcp/443 net.tls.legacy-protocol
127.0.1.2:tcp/443 net.tls.no-forward-secrecy
127.0.1.2:tcp/443 net.tls.weak-cipher
127.0.1.2:tcp/8443 net.http.missing-security-headers
127.0.1.2:tcp/8443 net.http.version-disclosed
127.0.1.2:tcp/8443 net.tls.cert-expired
127.0.1.2:tcp/8443 net.tls.no-forward-secrecy
127.0.1.3:tcp/2222 net.ssh.legacy-algorithms
127.0.1.3:tcp/2222 net.ssh.password-auth
127.0.1.3:tcp/2222 net.ssh.weak-cipher
127.0.1.3:tcp/2222 net.ssh.weak-kex
127.0.1.3:tcp/2222 net.ssh.weak-mac
127.0.1.4:tcp/6379 net.datastore.no-auth
127.0.1.5:tcp/11211 net.datastore.no-auth
127.0.1.6:tcp/2379 net.datastore.no-auth
127.0.1.8:tcp/3306 net.datastore.no-auth
EOF2
net_pairs() {
  python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    print("%s:%s %s" % (f["resource"], f["location"], f["rule"]))' "$1" | sort
}
net_pairs "$T/report.json" >"$T/cluster.txt"
diff -u "$T/expected.txt" "$T/cluster.txt" || fail "the net job's findings differ from the expected set"
! grep -q '^127.0.1.1:\|^127.0.1.7:' "$T/cluster.txt" || fail "a well-configured server has findings"
python3 - "$T/report.json" <<'PY' || fail "evidence lacks what identifies the service"
import json, sys
ev = {(f["resource"], f["location"], f["rule"]): f["evidence"] for f in json.load(open(sys.argv[1]))["findings"]}
assert ev[("127.0.1.4", "tcp/6379", "net.datastore.no-auth")].startswith("redis (Redis 7."), ev
assert "3des-cbc" in ev[("127.0.1.3", "tcp/2222", "net.ssh.weak-cipher")]
assert "TLSv1.0" in ev[("127.0.1.2", "tcp/443", "net.tls.legacy-protocol")]
assert "2021-01-01" in ev[("127.0.1.2", "tcp/8443", "net.tls.cert-expired")]
assert "root logged in with an empty password" in ev[("127.0.1.8", "tcp/3306", "net.datastore.no-auth")]
PY
note "net job: exactly the 21 expected findings, none on the well-configured servers"

# The same scan on this machine.
"$BIN/sweepctl" net 127.0.1.0/28 --ports "$ports" --rules "$root/rules" --tls-ca "$S/ca.crt" \
  --format json -o "$T/local.json" 2>"$T/local.log" || fail "sweepctl net failed: $(cat "$T/local.log")"
net_pairs "$T/local.json" >"$T/local.txt"
diff -u "$T/cluster.txt" "$T/local.txt" || fail "sweepctl net and the cluster differ"
python3 - "$T/local.json" <<'PY' || fail "service identification is wrong"
import json, sys
got = {(s["address"], s["port"]): s["service"] for s in json.load(open(sys.argv[1]))["services"]}
want = {("127.0.1.1", 80): "http", ("127.0.1.1", 443): "https", ("127.0.1.1", 587): "smtp",
        ("127.0.1.2", 443): "https",
        ("127.0.1.2", 8443): "https", ("127.0.1.3", 2222): "ssh", ("127.0.1.4", 6379): "redis",
        ("127.0.1.5", 11211): "memcached", ("127.0.1.6", 2379): "etcd", ("127.0.1.7", 6379): "redis",
        ("127.0.1.8", 3306): "mysql"}
assert got == want, got
smtp = [s for s in json.load(open(sys.argv[1]))["services"] if s["port"] == 587][0]
assert smtp["tls"]["starttls"] and smtp["tls"]["cert"]["chain_trusted"], smtp
assert "TLSv1.3" in smtp["tls"]["versions"], smtp
PY
set +e
out=$("$BIN/sweepctl" net 10.9.9.9 --ports 22 --rules "$root/rules" 2>&1)
rc=$?
set -e
{ [ $rc -eq 2 ] && [[ $out == *"outside the scope"* ]]; } || fail "a host outside the scope was not refused: $rc $out"
note "sweepctl net agrees; 11 services identified (STARTTLS on SMTP); out-of-scope host refused"
