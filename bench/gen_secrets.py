#!/usr/bin/env python3
"""Generates a tree of mixed source, configuration and log files with
planted secrets, for bench_secrets.sh.

Usage: gen_secrets.py OUT_DIR MEGABYTES
Writes OUT_DIR/tree/... and OUT_DIR/planted.tsv (file, line, rule, value:
the clear values exist only in this generated corpus, to measure recall)."""
import os
import random
import string
import sys

out, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
A = string.ascii_letters + string.digits


def s(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


HEX = "0123456789abcdef"
B32 = string.ascii_uppercase + "234567"
PLANTS = [
    ("aws-access-key-id", lambda: "AKIA" + s(B32, 16), 'aws_access_key_id = "{}"'),
    ("github-pat", lambda: "ghp_" + s(A, 36), "GITHUB_TOKEN={}"),
    ("gitlab-pat", lambda: "glpat-" + s(A + "_-", 20), "token: {}"),
    ("slack-bot-token", lambda: "xoxb-" + s(string.digits, 12) + "-" + s(string.digits, 13) + "-" + s(A, 24), "SLACK={}"),
    ("stripe-secret-key", lambda: "sk_live_" + s(A, 32), "stripe.api_key = '{}'"),
    ("sendgrid-api-key", lambda: "SG." + s(A + "_-", 22) + "." + s(A + "_-", 43), "SENDGRID_API_KEY={}"),
    ("npm-access-token", lambda: "npm_" + s(A, 36), "//registry.npmjs.org/:_authToken={}"),
    ("gcp-api-key", lambda: "AIza" + s(A + "_-", 35), 'apiKey: "{}"'),
    ("database-url-password", lambda: s(A, 18), "DATABASE_URL=postgres://app:{}@db.internal:5432/app"),
    ("openai-api-key", lambda: "sk-proj-" + s(A, 40) + "T3BlbkFJ" + s(A, 40), "OPENAI_API_KEY={}"),
]

words = ["user", "order", "value", "count", "items", "config", "result", "buffer", "request",
         "handler", "session", "index", "payload", "status", "logger", "client", "server"]


def code_line():
    k = rnd.randrange(6)
    w1, w2 = rnd.choice(words), rnd.choice(words)
    if k == 0:
        return f"    {w1}_{w2} = {rnd.randrange(100000)}"
    if k == 1:
        return f"def {w1}_{w2}({w1}, {w2}=None):"
    if k == 2:
        return f'    log.info("{w1} {w2} %s", {w1}.{w2}_{rnd.randrange(99)})'
    if k == 3:
        return f"    if {w1} is not None and len({w2}) > {rnd.randrange(64)}:"
    if k == 4:
        return f"# {w1} {w2} {s(string.ascii_lowercase + ' ', 40)}"
    return f"    return {w1}.get('{w2}', {s(HEX, 8)!r})"


def log_line():
    return (f"2026-11-{rnd.randrange(1, 28):02d}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:"
            f"{rnd.randrange(60):02d}Z INFO 10.{rnd.randrange(256)}.{rnd.randrange(256)}."
            f"{rnd.randrange(256)} GET /api/{rnd.choice(words)}/{rnd.randrange(10**6)} "
            f"{rnd.choice([200, 200, 200, 404, 500])} {rnd.randrange(10**5)}b "
            f"req={s(HEX, 16)}")


def conf_line():
    return f"{rnd.choice(words)}.{rnd.choice(words)} = {rnd.choice(['true', 'false', str(rnd.randrange(1000)), s(string.ascii_lowercase, 12)])}"


pool = {".py": [code_line() for _ in range(20000)], ".log": [log_line() for _ in range(20000)],
        ".conf": [conf_line() for _ in range(20000)]}
target = mb * 1000 * 1000
tree = os.path.join(out, "tree")
os.makedirs(tree, exist_ok=True)
planted = []
written = nfile = 0
nplants = 200
plant_at = set(rnd.sample(range(max(1, target // 65536)), min(nplants, max(1, target // 65536))))
while written < target:
    ext = rnd.choice([".py", ".py", ".log", ".conf"])
    d = os.path.join(tree, f"d{nfile // 500:03d}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"f{nfile:06d}{ext}")
    lines = rnd.choices(pool[ext], k=1100)
    if nfile in plant_at:
        rule, make, fmt = rnd.choice(PLANTS)
        value = make()
        at = rnd.randrange(len(lines))
        lines[at] = fmt.format(value)
        planted.append((os.path.relpath(path, out), at + 1, rule, value))
    data = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(data)
    written += len(data)
    nfile += 1
with open(os.path.join(out, "planted.tsv"), "w") as f:
    for p in planted:
        f.write("\t".join(map(str, p)) + "\n")
print(f"{nfile} files, {written / 1e6:.0f} MB, {len(planted)} secrets planted")
