#!/usr/bin/env bash
# The net scanner against the protocols t_net cannot start from Debian's
# packages (net/protocols.py speaks them as their documentation says):
# STARTTLS on IMAP and POP3, PostgreSQL with trust and with a password
# (SSLRequest answered S and N), MongoDB and Elasticsearch with and without
# authentication, the Docker Engine API, FTP with and without AUTH TLS, POP3
# without STLS and telnet. Each service is identified, STARTTLS is taken
# where offered, and the findings are exactly the open data stores, the
# self-signed certificate behind POP3's STLS and the three services that
# take passwords in the clear.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
S=$T/srv
mkdir -p "$S"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$S/ca.key" -out "$S/ca.crt" -days 30 \
  -subj /CN=cloudsweep-test-ca -sha256 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$S/good.key" -out "$S/good.csr" -subj /CN=mail \
  2>/dev/null
printf 'subjectAltName=IP:127.0.2.1,IP:127.0.2.2,IP:127.0.2.9\n' >"$S/good.ext"
openssl x509 -req -in "$S/good.csr" -CA "$S/ca.crt" -CAkey "$S/ca.key" -CAcreateserial \
  -out "$S/good.crt" -days 30 -sha256 -extfile "$S/good.ext" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$S/self.key" -out "$S/self.crt" -days 30 \
  -subj /CN=127.0.2.1 -addext subjectAltName=IP:127.0.2.1 -sha256 2>/dev/null
python3 "$(dirname "$0")/net/protocols.py" "$S/good.crt" "$S/good.key" "$S/self.crt" \
  "$S/self.key" "$S/ready" >"$T/protocols.log" 2>&1 &
PIDS+=("$!")
wait_until 20 test -s "$S/ready"

"$BIN/sweepctl" net 127.0.2.0/28 --ports "110,143,2375,5432,9200,27017,1-100" \
  --rules "$root/rules" --tls-ca "$S/ca.crt" --format json -o "$T/net.json" 2>"$T/net.log" ||
  [ $? -eq 1 ] || fail "sweepctl net failed: $(cat "$T/net.log")"
cat "$T/net.log"

python3 - "$T/net.json" <<'PY' || fail "services or facts are wrong"
import json, sys
r = json.load(open(sys.argv[1]))
svc = {(s["address"], s["port"]): s for s in r["services"]}
got = {k: (v.get("service"), v.get("product", ""), v.get("version", "")) for k, v in svc.items()}
want = {("127.0.2.1", 143): ("imap", "", ""), ("127.0.2.1", 110): ("pop3", "", ""),
        ("127.0.2.2", 5432): ("postgresql", "PostgreSQL", ""),
        ("127.0.2.3", 5432): ("postgresql", "PostgreSQL", ""),
        ("127.0.2.4", 27017): ("mongodb", "MongoDB", ""),
        ("127.0.2.5", 27017): ("mongodb", "MongoDB", ""),
        ("127.0.2.6", 9200): ("elasticsearch", "Elasticsearch", "8.11.1"),
        ("127.0.2.7", 9200): ("elasticsearch", "Elasticsearch", ""),
        ("127.0.2.8", 2375): ("docker", "Docker", "24.0.7"),
        ("127.0.2.9", 110): ("pop3", "", ""), ("127.0.2.9", 21): ("ftp", "", ""),
        ("127.0.2.10", 21): ("ftp", "", ""), ("127.0.2.10", 23): ("telnet", "", "")}
assert got == want, got
for k in (("127.0.2.1", 143), ("127.0.2.1", 110), ("127.0.2.2", 5432), ("127.0.2.9", 21)):
    tls = svc[k].get("tls")
    assert tls and tls["starttls"] and tls["versions"] == ["TLSv1.2", "TLSv1.3"], (k, tls)
assert svc[("127.0.2.1", 143)]["tls"]["cert"]["chain_trusted"], svc[("127.0.2.1", 143)]
assert svc[("127.0.2.1", 110)]["tls"]["cert"]["self_signed"], svc[("127.0.2.1", 110)]
for k in (("127.0.2.3", 5432), ("127.0.2.9", 110), ("127.0.2.10", 21), ("127.0.2.10", 23)):
    assert "tls" not in svc[k], ("TLS refused, yet facts", k)
auth = {k: v.get("auth", {}).get("required") for k, v in svc.items() if "auth" in v}
assert auth == {("127.0.2.2", 5432): False, ("127.0.2.3", 5432): True,
                ("127.0.2.4", 27017): False, ("127.0.2.5", 27017): True,
                ("127.0.2.6", 9200): False, ("127.0.2.7", 9200): True,
                ("127.0.2.8", 2375): False}, auth
PY

python3 -c '
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    print("%s:%s %s" % (f["resource"], f["location"], f["rule"]))' "$T/net.json" | sort >"$T/got.txt"
sort >"$T/want.txt" <<'EOF'
127.0.2.1:tcp/110 net.tls.cert-self-signed
127.0.2.10:tcp/21 net.cleartext.credentials
127.0.2.10:tcp/23 net.cleartext.credentials
127.0.2.2:tcp/5432 net.datastore.no-auth
127.0.2.4:tcp/27017 net.datastore.no-auth
127.0.2.6:tcp/9200 net.datastore.no-auth
127.0.2.8:tcp/2375 net.datastore.no-auth
127.0.2.9:tcp/110 net.cleartext.credentials
EOF
diff -u "$T/want.txt" "$T/got.txt" || fail "findings differ from the expected set"
note "13 services identified, STARTTLS on IMAP, POP3, FTP and PostgreSQL, exactly the 8 expected findings"
