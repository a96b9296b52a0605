# Starts the servers the net scanner's tests audit, each on its own
# loopback address inside the caller's private network namespace, with
# configurations written here: sourced by t_net.sh (and bench/bench_net.sh)
# after lib.sh or with S (a folder) and PIDS (an array) set.
#   127.0.1.1  nginx, well configured: TLS 1.2/1.3, ECDHE AEAD suites, a
#              certificate from the test CA naming the address, security
#              headers, no version; also HTTP on 80 with the same headers
#   127.0.1.2  nginx, badly configured: TLS 1.0 to 1.2 with every suite, a
#              self-signed certificate on 443 and an expired one on 8443,
#              directory listing, stub_status, its version, no headers
#   127.0.1.3  sshd on 2222 with weak algorithms added, passwords allowed
#   127.0.1.4  redis-server without a password
#   127.0.1.5  memcached
#   127.0.1.6  etcd without authentication
#   127.0.1.7  redis-server with a password (well configured)
#   127.0.1.8  MariaDB whose root has no password
#   127.0.1.1  also SMTP on 587 with STARTTLS (a few lines of Python's ssl
#              module, the good certificate; no Debian SMTP server starts
#              without a mail system around it)
# shellcheck shell=bash

net_servers_start() {
  local s=$S
  mkdir -p "$s/www/files" "$s/ca" "$s/tmp"
  echo ok >"$s/www/index.html"
  echo data >"$s/www/files/report.csv"
  # Certificates: a test CA, a good leaf, a self-signed and an expired one.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$s/ca.key" -out "$s/ca.crt" -days 30 \
    -subj /CN=cloudsweep-test-ca -sha256 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$s/good.key" -out "$s/good.csr" \
    -subj /CN=127.0.1.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.1.1\n' >"$s/good.ext"
  openssl x509 -req -in "$s/good.csr" -CA "$s/ca.crt" -CAkey "$s/ca.key" -CAcreateserial \
    -out "$s/good.crt" -days 30 -sha256 -extfile "$s/good.ext" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$s/self.key" -out "$s/self.crt" -days 30 \
    -subj /CN=127.0.1.2 -addext subjectAltName=IP:127.0.1.2 -sha256 2>/dev/null
  : >"$s/ca/index.txt"; echo 01 >"$s/ca/serial"
  cat >"$s/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $s/ca
database = $s/ca/index.txt
serial = $s/ca/serial
new_certs_dir = $s/ca
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
EOF
  openssl req -newkey rsa:2048 -nodes -keyout "$s/old.key" -out "$s/old.csr" -subj /CN=127.0.1.2 \
    -addext subjectAltName=IP:127.0.1.2 2>/dev/null
  openssl ca -batch -config "$s/ca.cnf" -cert "$s/ca.crt" -keyfile "$s/ca.key" -in "$s/old.csr" \
    -out "$s/old.crt" -startdate 20200101000000Z -enddate 20210101000000Z -notext 2>/dev/null
  local common="user root root; daemon off; master_process off; worker_processes 1; pid $s/nginx-\$N.pid;
error_log $s/nginx-\$N.err; events { worker_connections 256; }"
  local temps="client_body_temp_path $s/tmp/b; proxy_temp_path $s/tmp/p; fastcgi_temp_path $s/tmp/f;
    uwsgi_temp_path $s/tmp/u; scgi_temp_path $s/tmp/s; access_log off;"
  # (add_header in a server block hides those of http: each block says all)
  local headers="add_header Content-Security-Policy \"default-src 'self'\" always;
    add_header X-Frame-Options DENY always; add_header X-Content-Type-Options nosniff always;"
  cat >"$s/good.conf" <<EOF
${common//\$N/good}
http {
  $temps
  server_tokens off;
  server {
    listen 127.0.1.1:443 ssl;
    ssl_certificate $s/good.crt; ssl_certificate_key $s/good.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    add_header Strict-Transport-Security "max-age=31536000" always;
    $headers
    root $s/www;
  }
  server { listen 127.0.1.1:80; $headers root $s/www; }
}
EOF
  cat >"$s/bad.conf" <<EOF
${common//\$N/bad}
http {
  $temps
  server {
    listen 127.0.1.2:443 ssl;
    ssl_certificate $s/self.crt; ssl_certificate_key $s/self.key;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers ALL:@SECLEVEL=0;
    root $s/www/files; autoindex on;
    location /nginx_status { stub_status; }
  }
  server {
    listen 127.0.1.2:8443 ssl;
    ssl_certificate $s/old.crt; ssl_certificate_key $s/old.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $s/www;
  }
}
EOF
  nginx -c "$s/good.conf" -e "$s/nginx-good.err" >"$s/nginx-good.out" 2>&1 &
  PIDS+=("$!")
  nginx -c "$s/bad.conf" -e "$s/nginx-bad.err" >"$s/nginx-bad.out" 2>&1 &
  PIDS+=("$!")
  # sshd as an unprivileged user of a nested namespace (privilege
  # separation needs users this namespace does not map; an unprivileged
  # sshd needs none, and answers key exchange and auth queries the same)
  ssh-keygen -q -t ed25519 -N '' -f "$s/ssh_ed25519" && ssh-keygen -q -t rsa -b 2048 -N '' -f "$s/ssh_rsa"
  cat >"$s/sshd.conf" <<EOF
ListenAddress 127.0.1.3
Port 2222
HostKey $s/ssh_ed25519
HostKey $s/ssh_rsa
PidFile $s/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication yes
KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1
Ciphers +3des-cbc,aes128-cbc
MACs +hmac-md5,hmac-sha1
EOF
  unshare -U --map-user=1000 --map-group=1000 /usr/sbin/sshd -D -e -f "$s/sshd.conf" \
    >"$s/sshd.log" 2>&1 &
  PIDS+=("$!")
  redis-server --bind 127.0.1.4 --port 6379 --save '' --appendonly no --dir "$s" \
    --protected-mode no >"$s/redis.log" 2>&1 &
  PIDS+=("$!")
  redis-server --bind 127.0.1.7 --port 6379 --save '' --appendonly no --dir "$s" \
    --requirepass "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$s/redis2.log" 2>&1 &
  PIDS+=("$!")
  unshare -U --map-user=1000 --map-group=1000 memcached -l 127.0.1.5 -p 11211 \
    >"$s/memcached.log" 2>&1 &
  PIDS+=("$!")
  mariadb-install-db --no-defaults --user=root --datadir="$s/mariadb" \
    --auth-root-authentication-method=normal >"$s/mariadb-install.log" 2>&1
  mariadbd --no-defaults --user=root --datadir="$s/mariadb" --bind-address=127.0.1.8 --port=3306 \
    --socket="$s/mariadb.sock" --pid-file="$s/mariadb.pid" >"$s/mariadb.log" 2>&1 &
  PIDS+=("$!")
  python3 - "$s/good.crt" "$s/good.key" >"$s/smtp.log" 2>&1 <<'PY' &
import socket, ssl, sys, threading
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.create_server(("127.0.1.1", 587))
def serve(c):
    try:
        f = c.makefile("rb")
        c.sendall(b"220 mail.test ESMTP\r\n")
        for line in f:
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                c.sendall(b"250-mail.test\r\n250 STARTTLS\r\n")
            elif cmd == b"STARTTLS":
                c.sendall(b"220 go ahead\r\n")
                ctx.wrap_socket(c, server_side=True).close()
                return
            else:
                c.sendall(b"502 no\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        c.close()
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
PY
  PIDS+=("$!")
  etcd --name t --data-dir "$s/etcd" --listen-client-urls http://127.0.1.6:2379 \
    --advertise-client-urls http://127.0.1.6:2379 --listen-peer-urls http://127.0.1.6:2380 \
    --initial-advertise-peer-urls http://127.0.1.6:2380 --initial-cluster t=http://127.0.1.6:2380 \
    >"$s/etcd.log" 2>&1 &
  PIDS+=("$!")
}

# net_servers_ready: every server listens (polled by the caller).
net_servers_ready() {
  local ep
  for ep in 127.0.1.1:443 127.0.1.1:80 127.0.1.1:587 127.0.1.2:443 127.0.1.2:8443 127.0.1.3:2222 \
    127.0.1.4:6379 127.0.1.5:11211 127.0.1.6:2379 127.0.1.7:6379 127.0.1.8:3306; do
    (exec 3<>"/dev/tcp/${ep%:*}/${ep#*:}") 2>/dev/null || return 1
  done
}
