"""Servers for the net scanner's protocol test (t_net_protocols.sh): the
protocols whose servers Debian 12 does not ship or will not start in a test
namespace, spoken as their documentation says, each on its own address.

  127.0.2.1:143   IMAP, STARTTLS (RFC 3501), the test CA's certificate
  127.0.2.1:110   POP3, STLS (RFC 2595), a self-signed certificate
  127.0.2.2:5432  PostgreSQL, SSLRequest answered S, trust authentication
  127.0.2.3:5432  PostgreSQL, SSLRequest answered N, MD5 password asked
  127.0.2.4:27017 MongoDB, no authentication (OP_MSG hello, listDatabases)
  127.0.2.5:27017 MongoDB with authentication (listDatabases: Unauthorized)
  127.0.2.6:9200  Elasticsearch, security off (GET / answers)
  127.0.2.7:9200  Elasticsearch, security on (GET /: 401)
  127.0.2.8:2375  Docker Engine API (no authentication of its own)
  127.0.2.9:110   POP3 without STLS
  127.0.2.9:21    FTP with AUTH TLS (RFC 4217)
  127.0.2.10:21   FTP without TLS
  127.0.2.10:23   telnet

Usage: protocols.py GOOD_CRT GOOD_KEY SELF_CRT SELF_KEY READY_FILE
"""
import socket
import ssl
import struct
import sys
import threading

good_crt, good_key, self_crt, self_key, ready_file = sys.argv[1:6]


def tls_context(crt, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(crt, key)
    return ctx


GOOD = tls_context(good_crt, good_key)
SELF = tls_context(self_crt, self_key)


def handshake(conn, ctx):
    """Completes a TLS handshake on conn, then closes it."""
    try:
        ctx.wrap_socket(conn, server_side=True).close()
    except (OSError, ssl.SSLError):
        pass


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            raise EOFError
        data += more
    return data


# -- IMAP and POP3 ---------------------------------------------------------

def imap(conn):
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
    for line in conn.makefile("rb"):
        parts = line.strip().split(b" ", 1)
        tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else b"")
        if cmd == b"STARTTLS":
            conn.sendall(tag + b" OK Begin TLS negotiation now\r\n")
            return handshake(conn, GOOD)
        if cmd == b"CAPABILITY":
            conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK\r\n")
        elif cmd == b"LOGOUT":
            conn.sendall(b"* BYE\r\n" + tag + b" OK\r\n")
            return
        else:
            conn.sendall(tag + b" BAD unknown command\r\n")


def pop3(conn, stls=True):
    conn.sendall(b"+OK POP3 server ready\r\n")
    for line in conn.makefile("rb"):
        cmd = line.strip().upper()
        if cmd == b"STLS" and stls:
            conn.sendall(b"+OK Begin TLS negotiation\r\n")
            return handshake(conn, SELF)
        if cmd == b"CAPA":
            conn.sendall(b"+OK\r\n" + (b"STLS\r\n" if stls else b"") + b"USER\r\n.\r\n")
        elif cmd == b"QUIT":
            conn.sendall(b"+OK bye\r\n")
            return
        else:
            conn.sendall(b"-ERR unknown command\r\n")


# -- FTP (RFC 959, AUTH TLS of RFC 4217) and telnet (RFC 854) --------------

def ftp(conn, tls):
    conn.sendall(b"220 (vsFTPd 3.0.3)\r\n")
    for line in conn.makefile("rb"):
        cmd = line.strip().upper()
        if cmd == b"AUTH TLS" and tls:
            conn.sendall(b"234 Proceed with negotiation.\r\n")
            return handshake(conn, GOOD)
        if cmd == b"QUIT":
            conn.sendall(b"221 Goodbye.\r\n")
            return
        conn.sendall(b"530 Please login with USER and PASS.\r\n")


def telnet(conn):
    # IAC DO TERMINAL-TYPE, IAC DO TSPEED, IAC DO XDISPLOC, IAC DO NEW-ENVIRON
    conn.sendall(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27")
    conn.recv(256)


# -- PostgreSQL (frontend/backend protocol 3.0) ----------------------------

def postgres(conn, trust):
    while True:
        length = struct.unpack("!I", read_exact(conn, 4))[0]
        body = read_exact(conn, length - 4)
        code = struct.unpack("!I", body[:4])[0]
        if code == 80877103:  # SSLRequest
            if trust:
                conn.sendall(b"S")
                return handshake(conn, GOOD)
            conn.sendall(b"N")
            continue
        if code == 196608:  # StartupMessage, protocol 3.0
            if trust:  # AuthenticationOk, then ReadyForQuery
                conn.sendall(b"R" + struct.pack("!II", 8, 0) + b"Z" + struct.pack("!I", 5) + b"I")
            else:  # AuthenticationMD5Password with a salt
                conn.sendall(b"R" + struct.pack("!II", 12, 5) + b"salt")
            # a Terminate ('X') or the close ends it
            conn.recv(64)
            return
        return


# -- MongoDB (OP_MSG, BSON) -------------------------------------------------

def bson(doc):
    out = b""
    for key, value in doc.items():
        name = key.encode() + b"\0"
        if isinstance(value, bool):
            out += b"\x08" + name + (b"\x01" if value else b"\x00")
        elif isinstance(value, int):
            out += b"\x10" + name + struct.pack("<i", value)
        elif isinstance(value, float):
            out += b"\x01" + name + struct.pack("<d", value)
        elif isinstance(value, str):
            s = value.encode() + b"\0"
            out += b"\x02" + name + struct.pack("<i", len(s)) + s
        elif isinstance(value, list):
            out += b"\x04" + name + bson({str(i): v for i, v in enumerate(value)})
        elif isinstance(value, dict):
            out += b"\x03" + name + bson(value)
    return struct.pack("<i", len(out) + 5) + out + b"\0"


def first_key(section_doc):
    """The command name: the first key of the body document."""
    return section_doc[5:section_doc.index(b"\0", 5)].decode()


def mongodb(conn, auth):
    while True:
        header = read_exact(conn, 16)
        length, request_id, _, opcode = struct.unpack("<iiii", header)
        body = read_exact(conn, length - 16)
        if opcode != 2013:
            return
        command = first_key(body[5:])  # after flagBits and the section kind
        if command in ("hello", "isMaster", "ismaster"):
            reply = {"helloOk": True, "isWritablePrimary": True, "maxBsonObjectSize": 16777216,
                     "maxWireVersion": 21, "minWireVersion": 0, "ok": 1.0}
        elif command == "listDatabases" and auth:
            reply = {"ok": 0.0, "errmsg": "command listDatabases requires authentication",
                     "code": 13, "codeName": "Unauthorized"}
        elif command == "listDatabases":
            reply = {"databases": [{"name": "admin"}, {"name": "shop"}], "ok": 1.0}
        else:
            reply = {"ok": 0.0, "errmsg": "no such command", "code": 59}
        payload = struct.pack("<I", 0) + b"\0" + bson(reply)
        conn.sendall(struct.pack("<iiii", 16 + len(payload), 1, request_id, 2013) + payload)


# -- HTTP APIs --------------------------------------------------------------

def http(conn, answer):
    request = b""
    while b"\r\n\r\n" not in request:
        more = conn.recv(4096)
        if not more:
            return
        request += more
    path = request.split(b" ")[1].decode(errors="replace")
    status, headers, body = answer(path)
    head = "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
        status, len(body))
    conn.sendall(head.encode() + headers.encode() + b"\r\n" + body.encode())


ES_ROOT = ('{"name":"es01","cluster_name":"docker-cluster","version":{"number":"8.11.1",'
           '"build_flavor":"default","lucene_version":"9.8.0"},'
           '"tagline":"You Know, for Search"}')
ES_401 = ('{"error":{"root_cause":[{"type":"security_exception","reason":"missing '
          'authentication credentials for REST request [/]"}],"type":"security_exception"},'
          '"status":401}')


def elastic_open(path):
    return "200 OK", "X-elastic-product: Elasticsearch\r\n", ES_ROOT


def elastic_secured(path):
    return ("401 Unauthorized", 'WWW-Authenticate: Basic realm="security" charset="UTF-8"\r\n'
            "X-elastic-product: Elasticsearch\r\n", ES_401)


def docker(path):
    headers = "Api-Version: 1.43\r\nDocker-Experimental: false\r\nOstype: linux\r\n" \
              "Server: Docker/24.0.7 (linux)\r\n"
    if path in ("/version", "/v1.43/version"):
        return "200 OK", headers, '{"Version":"24.0.7","ApiVersion":"1.43"}'
    return "404 Not Found", headers, '{"message":"page not found"}'


SERVERS = [
    ("127.0.2.1", 143, imap),
    ("127.0.2.1", 110, pop3),
    ("127.0.2.2", 5432, lambda c: postgres(c, True)),
    ("127.0.2.3", 5432, lambda c: postgres(c, False)),
    ("127.0.2.4", 27017, lambda c: mongodb(c, False)),
    ("127.0.2.5", 27017, lambda c: mongodb(c, True)),
    ("127.0.2.6", 9200, lambda c: http(c, elastic_open)),
    ("127.0.2.7", 9200, lambda c: http(c, elastic_secured)),
    ("127.0.2.8", 2375, lambda c: http(c, docker)),
    ("127.0.2.9", 110, lambda c: pop3(c, stls=False)),
    ("127.0.2.9", 21, lambda c: ftp(c, tls=True)),
    ("127.0.2.10", 21, lambda c: ftp(c, tls=False)),
    ("127.0.2.10", 23, telnet),
]


def serve(conn, handler):
    try:
        handler(conn)
    except (OSError, EOFError, ValueError, struct.error):
        pass
    finally:
        conn.close()


def listen(addr, port, handler):
    srv = socket.create_server((addr, port))
    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, handler), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


for addr, port, handler in SERVERS:
    listen(addr, port, handler)
with open(ready_file, "w") as f:
    f.write("ready\n")
threading.Event().wait()
